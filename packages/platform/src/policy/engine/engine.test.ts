import { describe, expect, it } from 'vitest';
import { loadPolicyText } from '../loader/index.js';
import { PolicyEngine, type EngineRequest, type EngineResponse, type Obj } from './index.js';

function engineOf(text: string): PolicyEngine {
  const r = loadPolicyText(text, 'policy.yaml');
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return new PolicyEngine(r.policies);
}

function policy(rules: string, kind = 'ClusterPolicy', ns = ''): string {
  return `apiVersion: kyverno.io/v1
kind: ${kind}
metadata: {name: p${ns ? `, namespace: ${ns}` : ''}}
spec:
  rules:
${rules}`;
}

const pod = (
  name = 'pod',
  ns = 'default',
  spec: Obj = { containers: [{ name: 'c', image: 'nginx' }] },
): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, uid: 'u-1' },
  spec,
});

function only(rs: EngineResponse[]): EngineResponse {
  expect(rs.length).toBe(1);
  return rs[0] as EngineResponse;
}

describe('the policy engine', () => {
  it('a policy whose rules match no rule of the resource kind yields no response', () => {
    const e = engineOf(
      policy(`  - name: r
    match: {any: [{resources: {kinds: [Deployment]}}]}
    validate: {pattern: {metadata: {name: "?*"}}}`),
    );
    expect(e.evaluate({ resource: pod() })).toEqual([]);
    expect(e.candidates('Pod')).toEqual([]);
  });

  it('mutate rules run before validate rules, which see the patched resource', () => {
    const e = engineOf(
      policy(`  - name: check
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate: {message: needs label, pattern: {metadata: {labels: {team: "?*"}}}}
  - name: add
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {team: core}}}}`),
    );
    const r = only(e.evaluate({ resource: pod() }));
    expect(r.rules.map((x) => [x.name, x.status])).toEqual([
      ['add', 'pass'],
      ['check', 'pass'],
    ]);
    expect((r.patchedResource['metadata'] as Obj)['labels']).toEqual({ team: 'core' });
    expect((r.resource['metadata'] as Obj)['labels']).toBeUndefined();
  });

  it('preconditions that are not met give skip with the reason', () => {
    const e = engineOf(
      policy(`  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    preconditions:
      all:
      - {key: "{{ request.operation }}", operator: Equals, value: UPDATE}
    validate: {pattern: {metadata: {name: "x"}}}`),
    );
    const rule = only(e.evaluate({ resource: pod() })).rules[0];
    expect(rule?.status).toBe('skip');
    expect(rule?.message).toMatch(/^preconditions not met/);
  });

  it('a context entry that cannot be loaded gives error, not a crash', () => {
    const e = engineOf(
      policy(`  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    context:
    - name: cm
      configMap: {name: missing, namespace: default}
    validate: {pattern: {metadata: {name: "?*"}}}`),
    );
    const rule = only(e.evaluate({ resource: pod() })).rules[0];
    expect(rule?.status).toBe('error');
    expect(rule?.message).toMatch(/failed to load context/);
  });

  it('a namespaced Policy applies only to resources of its namespace', () => {
    const e = engineOf(
      policy(
        `  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate: {pattern: {metadata: {name: "?*"}}}`,
        'Policy',
        'team-a',
      ),
    );
    expect(e.evaluate({ resource: pod('x', 'team-a') })).toHaveLength(1);
    expect(e.evaluate({ resource: pod('x', 'team-b') })).toEqual([]);
  });

  it('a mutation that changes nothing gives skip', () => {
    const e = engineOf(
      policy(`  - name: m
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate: {patchStrategicMerge: {metadata: {namespace: default}}}`),
    );
    expect(only(e.evaluate({ resource: pod() })).rules[0]?.status).toBe('skip');
  });
});

describe('JSON patches (patchesJson6902) with Kyverno options', () => {
  const cases: Array<{
    name: string;
    patch: string;
    spec: Obj;
    status: string;
    want?: Obj;
    message?: RegExp;
  }> = [
    {
      name: 'add to the end of a list that is absent creates the list',
      patch: '- {op: add, path: /spec/volumes/-, value: {name: v, emptyDir: {}}}',
      spec: { containers: [] },
      status: 'pass',
      want: { containers: [], volumes: [{ name: 'v', emptyDir: {} }] },
    },
    {
      name: 'add below maps that are absent creates them',
      patch: '- {op: add, path: /spec/securityContext/capabilities/add/-, value: SETUID}',
      spec: {},
      status: 'pass',
      want: { securityContext: { capabilities: { add: ['SETUID'] } } },
    },
    {
      name: 'remove of a path that is absent changes nothing (skip)',
      patch: '- {op: remove, path: /spec/hostNetwork}',
      spec: { a: 1 },
      status: 'skip',
    },
    {
      name: 'negative indices count from the end',
      patch: '- {op: replace, path: /spec/l/-1, value: z}',
      spec: { l: ['a', 'b'] },
      status: 'pass',
      want: { l: ['a', 'z'] },
    },
    {
      name: 'replace of a path that is absent is an error',
      patch: '- {op: replace, path: /spec/missing/x, value: 1}',
      spec: {},
      status: 'error',
      message: /not found/,
    },
    {
      name: 'an operation that is not a map is an error',
      patch: '- 42',
      spec: {},
      status: 'error',
      message: /must be a map/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const e = engineOf(
        policy(`  - name: j
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      patchesJson6902: |-
        ${c.patch}`),
      );
      const r = only(e.evaluate({ resource: pod('p', 'default', c.spec) }));
      expect(r.rules[0]?.status).toBe(c.status);
      if (c.want) expect(r.patchedResource['spec']).toEqual(c.want);
      if (c.message) expect(r.rules[0]?.message).toMatch(c.message);
    });
  }
});

describe('generate rules', () => {
  const DATA = `  - name: gen
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate:
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      name: default-deny
      namespace: "{{request.object.metadata.name}}"
      data:
        spec: {podSelector: {}, policyTypes: [Ingress]}`;
  const ns: Obj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', uid: 'n-1' } };

  it('data creates the target with the data, the target identity and Kyverno labels', () => {
    const rule = only(engineOf(policy(DATA)).evaluate({ resource: ns })).rules[0];
    expect(rule?.status).toBe('pass');
    expect(rule?.generatedResources).toEqual([
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          name: 'default-deny',
          namespace: 'team',
          labels: {
            'app.kubernetes.io/managed-by': 'kyverno',
            'generate.kyverno.io/policy-name': 'p',
            'generate.kyverno.io/policy-namespace': '',
            'generate.kyverno.io/rule-name': 'gen',
            'generate.kyverno.io/trigger-version': 'v1',
            'generate.kyverno.io/trigger-group': '',
            'generate.kyverno.io/trigger-kind': 'Namespace',
            'generate.kyverno.io/trigger-namespace': '',
            'generate.kyverno.io/trigger-uid': 'n-1',
          },
        },
        spec: { podSelector: {}, policyTypes: ['Ingress'] },
      },
    ]);
  });

  it('a target that already exists is not reported as generated', () => {
    const existing: Obj = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: 'team' },
    };
    const rule = only(engineOf(policy(DATA)).evaluate({ resource: ns, existingResources: [existing] }))
      .rules[0];
    expect(rule?.status).toBe('pass');
    expect(rule?.generatedResources).toEqual([]);
  });

  const CLONE = `  - name: clone
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate:
      apiVersion: v1
      kind: Secret
      name: regcred
      namespace: "{{request.object.metadata.name}}"
      clone: {namespace: default, name: regcred}`;
  const secret: Obj = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'regcred',
      namespace: 'default',
      uid: 's-1',
      resourceVersion: '42',
      creationTimestamp: '2024-01-01T00:00:00Z',
      ownerReferences: [{ kind: 'X', name: 'y' }],
      labels: { a: 'b' },
    },
    data: { k: 'dg==' },
  };

  it('clone copies the source without its server-set metadata, into the target namespace', () => {
    const req: EngineRequest = { resource: ns, existingResources: [secret] };
    const gen = only(engineOf(policy(CLONE)).evaluate(req)).rules[0]?.generatedResources ?? [];
    expect(gen).toHaveLength(1);
    const md = gen[0]?.['metadata'] as Obj;
    expect(md['namespace']).toBe('team');
    expect(md['name']).toBe('regcred');
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'ownerReferences'])
      expect(md[k], k).toBeUndefined();
    expect((md['labels'] as Obj)['a']).toBe('b');
    expect(gen[0]?.['data']).toEqual({ k: 'dg==' });
  });

  it('clone without its source is an error naming the source', () => {
    const rule = only(engineOf(policy(CLONE)).evaluate({ resource: ns })).rules[0];
    expect(rule?.status).toBe('error');
    expect(rule?.message).toMatch(/default\/regcred/);
  });

  it('cloneList copies every selected source of each kind', () => {
    const text = policy(`  - name: cl
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate:
      namespace: "{{request.object.metadata.name}}"
      cloneList:
        namespace: default
        kinds: [v1/Secret, v1/ConfigMap]
        selector: {matchLabels: {sync: "true"}}`);
    const cm = (name: string, sync: string): Obj => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'default', labels: { sync } },
    });
    const s2 = { ...secret, metadata: { ...(secret['metadata'] as Obj), labels: { sync: 'true' } } };
    const gen =
      only(
        engineOf(text).evaluate({
          resource: ns,
          existingResources: [s2, cm('yes', 'true'), cm('no', 'false')],
        }),
      ).rules[0]?.generatedResources ?? [];
    expect(gen.map((g) => `${String(g['kind'])}/${String((g['metadata'] as Obj)['name'])}`)).toEqual([
      'Secret/regcred',
      'ConfigMap/yes',
    ]);
  });

  it('foreach generates one resource per element', () => {
    const text = policy(`  - name: fe
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate:
      foreach:
      - list: "request.object.metadata.labels.teams | split(@, ',')"
        apiVersion: v1
        kind: ConfigMap
        name: "team-{{element}}"
        namespace: "{{request.object.metadata.name}}"
        data: {data: {team: "{{element}}"}}`);
    const res = { ...ns, metadata: { name: 'team', labels: { teams: 'a,b' } } };
    const gen = only(engineOf(text).evaluate({ resource: res })).rules[0]?.generatedResources ?? [];
    expect(gen.map((g) => (g['metadata'] as Obj)['name'])).toEqual(['team-a', 'team-b']);
    expect(gen.map((g) => g['data'])).toEqual([{ team: 'a' }, { team: 'b' }]);
  });
});
