/**
 * The background scan's logic apart from the apiserver: which policies and rules run in the
 * background, which kinds are watched, the rate-limited de-duplicating queue, and how scan results
 * replace a resource's earlier ones without churn.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { EngineResponse } from '../../policy/engine/index.js';
import { loadPolicyText } from '../../policy/loader/index.js';
import { ReportState } from '../policyreports/aggregator.js';
import type { DiscoveredResource } from '../webhook/config.js';
import { loadCelObject } from '../webhook/policies.js';
import { buildPolicySet, type CelPolicy } from '../webhook/policyset.js';
import { backgroundPlan, backgroundSkipReason, kindsToWatch } from './plan.js';
import { RateLimitedQueue } from './scanner.js';

type Obj = Record<string, unknown>;

const cpol = (name: string, spec: string): string => `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: ${name}}
spec:
${spec}
`;

const validateRule = (name: string, kinds: string, extra = ''): string => `
    - name: ${name}
      match: {any: [{resources: {kinds: ${kinds}}${extra}}]}
      validate: {message: m, pattern: {metadata: {name: "?*"}}}`;

function loaded(yaml: string, cel: CelPolicy[] = []): ReturnType<typeof buildPolicySet>['loaded'] {
  const r = loadPolicyText(yaml, 'p.yaml');
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return buildPolicySet(r.policies, r.exceptions, {}, { policies: cel }).loaded;
}

function celPolicy(yaml: string): CelPolicy {
  const r = loadCelObject(parse(yaml) as Obj, 'c.yaml');
  if (!r.policy) throw new Error(JSON.stringify(r.diagnostics));
  return r.policy;
}

const vpol = (name: string, extra = '', resources = '[pods]'): string => `
apiVersion: policies.kyverno.io/v1alpha1
kind: ValidatingPolicy
metadata: {name: ${name}}
spec:
${extra}
  matchConstraints:
    resourceRules:
      - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: ${resources}}
  validations:
    - expression: "true"
`;

const discovery: DiscoveredResource[] = [
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, preferred: true },
  {
    group: '',
    version: 'v1',
    resource: 'pods/exec',
    kind: 'PodExecOptions',
    namespaced: true,
    preferred: true,
  },
  {
    group: '',
    version: 'v1',
    resource: 'replicationcontrollers',
    kind: 'ReplicationController',
    namespaced: true,
    preferred: true,
  },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, preferred: true },
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, preferred: true },
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    preferred: true,
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'daemonsets',
    kind: 'DaemonSet',
    namespaced: true,
    preferred: true,
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'statefulsets',
    kind: 'StatefulSet',
    namespaced: true,
    preferred: true,
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    kind: 'ReplicaSet',
    namespaced: true,
    preferred: true,
  },
  { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', namespaced: true, preferred: true },
  { group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob', namespaced: true, preferred: true },
];

describe('backgroundPlan', () => {
  it('runs validate rules of policies with background unset or true, not of background: false', () => {
    const plan = backgroundPlan(
      loaded(
        cpol('on', `  rules:${validateRule('a', '[ConfigMap]')}`) +
          '---' +
          cpol('off', `  background: false\n  rules:${validateRule('b', '[ConfigMap]')}`),
      ),
    );
    expect(plan.policies.map((p) => [p.name, p.rules.map((r) => r['name'])])).toEqual([['on', ['a']]]);
    expect([...plan.owned]).toEqual(['on']);
    expect([...plan.loaded].sort()).toEqual(['off', 'on']);
  });

  it('leaves out rules that need an admission request (user info in match or variables)', () => {
    const plan = backgroundPlan(
      loaded(
        cpol(
          'mixed',
          `  background: true
  rules:${validateRule('plain', '[ConfigMap]')}${validateRule('by-role', '[ConfigMap]', ', subjects: [{kind: User, name: bob}]')}
    - name: uses-user
      match: {any: [{resources: {kinds: [ConfigMap]}}]}
      validate: {message: "{{request.userInfo.username}}", deny: {}}`,
        ),
      ),
    );
    expect(plan.policies[0]?.rules.map((r) => r['name'])).toEqual(['plain']);
    expect(plan.skipped.map((s) => [s.rule, s.reason])).toEqual([
      ['by-role', 'match selects by user info, which a background scan does not have'],
      ['uses-user', 'uses request.userInfo, which a background scan does not have'],
    ]);
  });

  it('leaves out mutate rules and policies with no background rule', () => {
    const plan = backgroundPlan(
      loaded(
        cpol(
          'mut',
          `  rules:
    - name: m
      match: {any: [{resources: {kinds: [ConfigMap]}}]}
      mutate: {patchStrategicMerge: {metadata: {labels: {a: b}}}}`,
        ),
      ),
    );
    expect(plan.policies).toEqual([]);
    expect(plan.owned.size).toBe(0);
  });

  it('CEL: ValidatingPolicies unless evaluation.background.enabled is false; MutatingPolicies never', () => {
    const plan = backgroundPlan(
      loaded('', [
        celPolicy(vpol('v-on')),
        celPolicy(vpol('v-off', '  evaluation: {background: {enabled: false}}')),
        celPolicy(`
apiVersion: policies.kyverno.io/v1alpha1
kind: MutatingPolicy
metadata: {name: m}
spec:
  matchConstraints: {resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]}
  mutations: []
`),
      ]),
    );
    expect(plan.celPolicies.map((p) => p.name)).toEqual(['v-on']);
  });

  it('the fingerprint changes with the background policies only', () => {
    const a = backgroundPlan(loaded(cpol('on', `  rules:${validateRule('a', '[ConfigMap]')}`)));
    const b = backgroundPlan(
      loaded(
        cpol('on', `  rules:${validateRule('a', '[ConfigMap]')}`) +
          '---' +
          cpol('off', `  background: false\n  rules:${validateRule('b', '[Pod]')}`),
      ),
    );
    const c = backgroundPlan(loaded(cpol('on', `  rules:${validateRule('a', '[Pod]')}`)));
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });
});

describe('backgroundSkipReason', () => {
  it.each([
    [{ match: { roles: ['admin'] } }, 'match selects by user info, which a background scan does not have'],
    [
      { exclude: { all: [{ clusterRoles: ['x'] }] } },
      'exclude selects by user info, which a background scan does not have',
    ],
    [
      { validate: { message: '{{ serviceAccountName }}' } },
      'uses serviceAccountName, which a background scan does not have',
    ],
    [{ validate: { deny: { conditions: [{ key: '{{request.object.metadata.name}}' }] } } }, undefined],
  ])('%j → %s', (rule, want) => {
    expect(backgroundSkipReason(rule)).toBe(want);
  });
});

describe('kindsToWatch', () => {
  it('Pod policies watch Pods and their autogen controllers; subresources and * are not watched', () => {
    const plan = backgroundPlan(
      loaded(
        cpol(
          'p',
          `  rules:${validateRule('a', '[Pod]')}${validateRule('b', '[Pod/exec]')}${validateRule('c', '["*"]')}${validateRule('d', '[Widget]')}`,
        ),
      ),
    );
    const { kinds, unresolved } = kindsToWatch(plan, discovery);
    expect(kinds.map((k) => `${k.group}/${k.version}/${k.plural}`)).toEqual([
      '/v1/pods',
      '/v1/replicationcontrollers',
      'apps/v1/daemonsets',
      'apps/v1/deployments',
      'apps/v1/replicasets',
      'apps/v1/statefulsets',
      'batch/v1/cronjobs',
      'batch/v1/jobs',
    ]);
    expect(unresolved).toEqual(['*', 'Widget']);
  });

  it('CEL policies watch their resourceRules (and autogen twins)', () => {
    const plan = backgroundPlan(
      loaded('', [celPolicy(vpol('cm', '', '[configmaps]')), celPolicy(vpol('any', '', '["*"]'))]),
    );
    const { kinds, unresolved } = kindsToWatch(plan, discovery);
    expect(kinds.map((k) => k.kind)).toEqual(['ConfigMap']);
    expect(unresolved).toEqual(['/*']);
  });

  it('nothing to watch without background policies', () => {
    expect(kindsToWatch(backgroundPlan(loaded('')), discovery)).toEqual({ kinds: [], unresolved: [] });
  });
});

describe('RateLimitedQueue', () => {
  it('de-duplicates keys and processes at most the per-tick budget', () => {
    const done: string[] = [];
    const q = new RateLimitedQueue((k) => done.push(k), 30, 100); // 3 per tick
    for (const k of ['a', 'b', 'a', 'c', 'd', 'b', 'e']) q.add(k);
    expect(q.size).toBe(5);
    expect(q.tick()).toBe(3);
    expect(done).toEqual(['a', 'b', 'c']);
    q.add('a');
    q.delete('d');
    expect(q.tick()).toBe(2);
    expect(done).toEqual(['a', 'b', 'c', 'e', 'a']);
    expect(q.size).toBe(0);
    q.stop();
  });

  it('processes at least one key per tick however low the rate', async () => {
    const done: string[] = [];
    const q = new RateLimitedQueue((k) => done.push(k), 1, 5);
    q.add('x');
    q.add('y');
    await q.idle();
    expect(done).toEqual(['x', 'y']);
    q.stop();
  });

  it('stop empties the queue and releases idle waiters', async () => {
    const q = new RateLimitedQueue(() => undefined, 1, 60_000);
    q.add('x');
    const idle = q.idle();
    q.stop();
    await idle;
    q.add('y');
    expect(q.size).toBe(0);
  });
});

function response(policy: string, resource: Obj, rules: [string, 'pass' | 'fail'][]): EngineResponse {
  return {
    policy: { kind: 'ClusterPolicy', name: policy, namespace: undefined },
    resource,
    patchedResource: resource,
    validationFailureAction: 'Audit',
    rules: rules.map(([name, status]) => ({ name, type: 'Validation', status, message: status })),
  };
}

describe('ReportState.replaceResource', () => {
  const pod = (name: string, uid = 'u1'): Obj => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', uid },
  });
  const t0 = new Date(1_000_000);
  const t1 = new Date(2_000_000);
  const owned = (p: string): boolean => p === 'bg';

  it('an unchanged rescan changes nothing (no write) and keeps the timestamp', () => {
    const s = new ReportState();
    expect(
      s.replaceResource(pod('a'), [response('bg', pod('a'), [['r', 'fail']])], 'background scan', t0, owned),
    ).toBe(1);
    s.dirty.clear();
    expect(
      s.replaceResource(pod('a'), [response('bg', pod('a'), [['r', 'fail']])], 'background scan', t1, owned),
    ).toBe(0);
    expect(s.dirty.size).toBe(0);
    expect([...(s.scopes.get('ns')?.values() ?? [])].map((r) => r.timestamp.seconds)).toEqual([1000]);
  });

  it('drops owned results the scan no longer produces, keeps results of policies it does not run', () => {
    const s = new ReportState();
    s.record([response('admission-only', pod('a'), [['x', 'pass']])], 'admission review', t0);
    s.replaceResource(
      pod('a'),
      [
        response('bg', pod('a'), [
          ['r1', 'fail'],
          ['r2', 'pass'],
        ]),
      ],
      'background scan',
      t0,
      owned,
    );
    // the Pod changed: r2 no longer matches
    expect(
      s.replaceResource(pod('a'), [response('bg', pod('a'), [['r1', 'pass']])], 'background scan', t1, owned),
    ).toBe(2);
    const rows = [...(s.scopes.get('ns')?.values() ?? [])]
      .map((r) => `${r.policy}/${r.rule}=${r.result}`)
      .sort();
    expect(rows).toEqual(['admission-only/x=pass', 'bg/r1=pass']);
  });

  it('retainPolicies drops the results of policies that are gone', () => {
    const s = new ReportState();
    s.record(
      [response('gone', pod('a'), [['x', 'fail']]), response('kept', pod('a'), [['y', 'pass']])],
      'p',
      t0,
    );
    expect(s.retainPolicies((p) => p === 'kept')).toBe(1);
    expect([...(s.scopes.get('ns')?.values() ?? [])].map((r) => r.policy)).toEqual(['kept']);
  });

  it('forgetResource drops a deleted resource and says how many results went', () => {
    const s = new ReportState();
    s.record([response('bg', pod('a'), [['x', 'fail']]), response('bg', pod('b'), [['x', 'pass']])], 'p', t0);
    expect(s.forgetResource('Pod', 'ns', 'a')).toBe(1);
    expect(s.forgetResource('Pod', 'ns', 'a')).toBe(0);
    expect([...(s.scopes.get('ns')?.values() ?? [])].map((r) => r.resources[0]?.name)).toEqual(['b']);
  });
});
