import { describe, expect, it } from 'vitest';
import { compileMatch, matchKindFilter, parseKind, type MatchRequest } from './index.js';

const deploy = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web-1', namespace: 'prod', labels: { app: 'web' }, annotations: { team: 'blue' } },
};
const req = (resource: Record<string, unknown>, extra: Partial<MatchRequest> = {}): MatchRequest => ({
  resource,
  operation: 'CREATE',
  ...extra,
});

describe('kind selectors', () => {
  it.each([
    ['Pod', { kind: 'Pod' }],
    ['Pod/exec', { kind: 'Pod', subresource: 'exec' }],
    ['v1/Pod', { group: '', version: 'v1', kind: 'Pod' }],
    ['apps/v1/Deployment', { group: 'apps', version: 'v1', kind: 'Deployment' }],
    ['apps/*/Deployment', { group: 'apps', version: '*', kind: 'Deployment' }],
  ])('%s', (spec, want) => expect(parseKind(spec)).toMatchObject(want));
});

describe('match and exclude', () => {
  it.each<[string, unknown, unknown, MatchRequest, boolean]>([
    ['kind', { resources: { kinds: ['Deployment'] } }, undefined, req(deploy), true],
    ['other kind', { resources: { kinds: ['Pod'] } }, undefined, req(deploy), false],
    ['group/version/kind', { resources: { kinds: ['apps/v1/Deployment'] } }, undefined, req(deploy), true],
    ['wrong group', { resources: { kinds: ['batch/v1/Deployment'] } }, undefined, req(deploy), false],
    [
      'subresource not asked for',
      { resources: { kinds: ['Pod'] } },
      undefined,
      req({ kind: 'Pod', apiVersion: 'v1' }, { subresource: 'exec' }),
      false,
    ],
    [
      'subresource asked for',
      { resources: { kinds: ['Pod/exec'] } },
      undefined,
      req({ kind: 'Pod', apiVersion: 'v1' }, { subresource: 'exec' }),
      true,
    ],
    ['name wildcard', { resources: { kinds: ['*'], names: ['web-*'] } }, undefined, req(deploy), true],
    [
      'namespace wildcard',
      { resources: { kinds: ['Deployment'], namespaces: ['pr?d'] } },
      undefined,
      req(deploy),
      true,
    ],
    [
      'annotations',
      { resources: { kinds: ['Deployment'], annotations: { team: 'b*' } } },
      undefined,
      req(deploy),
      true,
    ],
    [
      'selector',
      { resources: { kinds: ['Deployment'], selector: { matchLabels: { app: 'web' } } } },
      undefined,
      req(deploy),
      true,
    ],
    [
      'selector expression',
      {
        resources: {
          kinds: ['Deployment'],
          selector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] },
        },
      },
      undefined,
      req(deploy),
      false,
    ],
    [
      'namespace selector',
      { resources: { kinds: ['Deployment'], namespaceSelector: { matchLabels: { env: 'prod' } } } },
      undefined,
      req(deploy, { namespaceLabels: { env: 'prod' } }),
      true,
    ],
    [
      'namespace selector without labels',
      { resources: { kinds: ['Deployment'], namespaceSelector: { matchLabels: { env: 'prod' } } } },
      undefined,
      req(deploy),
      false,
    ],
    [
      'operations',
      { resources: { kinds: ['Deployment'], operations: ['UPDATE'] } },
      undefined,
      req(deploy),
      false,
    ],
    [
      'any: one matches',
      { any: [{ resources: { kinds: ['Pod'] } }, { resources: { kinds: ['Deployment'] } }] },
      undefined,
      req(deploy),
      true,
    ],
    [
      'all: one fails',
      { all: [{ resources: { kinds: ['Deployment'] } }, { resources: { namespaces: ['dev'] } }] },
      undefined,
      req(deploy),
      false,
    ],
    [
      'exclude any',
      { any: [{ resources: { kinds: ['Deployment'] } }] },
      { any: [{ resources: { namespaces: ['prod'] } }] },
      req(deploy),
      false,
    ],
    [
      'exclude all needs every block',
      { any: [{ resources: { kinds: ['Deployment'] } }] },
      { all: [{ resources: { namespaces: ['prod'] } }, { resources: { names: ['x'] } }] },
      req(deploy),
      true,
    ],
    [
      'subjects',
      { any: [{ resources: { kinds: ['Deployment'] }, subjects: [{ kind: 'User', name: 'alice' }] }] },
      undefined,
      req(deploy, { userInfo: { username: 'alice' } }),
      true,
    ],
    [
      'cluster roles',
      { any: [{ resources: { kinds: ['Deployment'] }, clusterRoles: ['admin'] }] },
      undefined,
      req(deploy, { userInfo: { clusterRoles: ['view'] } }),
      false,
    ],
    ['empty match', {}, undefined, req(deploy), false],
    [
      'Namespace kind uses its name as namespace',
      { resources: { kinds: ['Namespace'], namespaces: ['prod'] } },
      undefined,
      req({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'prod' } }),
      true,
    ],
  ])('%s', (_name, match, exclude, request, want) => {
    expect(compileMatch(match, exclude)(request) === undefined).toBe(want);
  });
});

describe('kind prefilter (a necessary condition for the match to pass)', () => {
  const kinds = ['Pod', 'Deployment', 'ConfigMap', 'Namespace'];
  it.each<[string, unknown, string[] | undefined]>([
    ['one filter', { resources: { kinds: ['Pod'] } }, ['Pod']],
    ['group/version/kind', { resources: { kinds: ['apps/v1/Deployment'] } }, ['Deployment']],
    [
      'any: the union',
      { any: [{ resources: { kinds: ['Pod'] } }, { resources: { kinds: ['Deployment'] } }] },
      ['Deployment', 'Pod'],
    ],
    [
      'any with a filter without kinds: every kind',
      { any: [{ resources: { kinds: ['Pod'] } }, { subjects: [{ kind: 'User', name: 'a' }] }] },
      undefined,
    ],
    [
      'all: one filter with kinds',
      { all: [{ subjects: [{ kind: 'User', name: 'a' }] }, { resources: { kinds: ['Pod'] } }] },
      ['Pod'],
    ],
    ['a wildcard kind: every kind', { resources: { kinds: ['P*'] } }, undefined],
    ['no kinds', { resources: { namespaces: ['prod'] } }, undefined],
    ['no match', undefined, undefined],
  ])('%s', (_name, match, want) => {
    const f = matchKindFilter(match);
    expect(f === undefined ? undefined : [...f].sort()).toEqual(want);
    // never excludes a kind the compiled match accepts
    for (const kind of kinds) {
      const passes =
        compileMatch(
          match,
          undefined,
        )(
          req(
            {
              apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1',
              kind,
              metadata: { name: 'x', namespace: 'prod' },
            },
            { userInfo: { username: 'a' } },
          ),
        ) === undefined;
      if (passes && f) expect(f.has(kind)).toBe(true);
    }
  });
});
