import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTestFile, sameResource, tidy, type TestCase } from './index.js';

/** Writes files into a fresh folder and runs its kyverno-test.yaml. */
async function runFixture(files: Record<string, string>): Promise<TestCase[]> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-kyverno-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const r = await runTestFile(join(dir, 'kyverno-test.yaml'));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.cases;
}

function testFile(results: string, extra = ''): string {
  return `apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: t}
policies: [policy.yaml]
resources: [resources.yaml]
${extra}
results:
${results}
`;
}

const NS = `apiVersion: v1
kind: Namespace
metadata: {name: team}
`;

const GENERATE = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: gen}
spec:
  rules:
  - name: netpol
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate:
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      name: default-deny
      namespace: "{{request.object.metadata.name}}"
      data: {spec: {podSelector: {}, policyTypes: [Ingress]}}
  - name: clone
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate:
      apiVersion: v1
      kind: Secret
      name: regcred
      namespace: "{{request.object.metadata.name}}"
      clone: {namespace: default, name: regcred}
`;

const MUTATE = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: mut}
spec:
  rules:
  - name: label
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {team: core}}}}
`;

const POD = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: nginx}]}
`;

describe('kyverno test runner', () => {
  it('compares generated resources after label fixup and tidy', async () => {
    const cases = await runFixture({
      'policy.yaml': GENERATE,
      'resources.yaml': NS,
      'generated.yaml': `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: team}
spec: {podSelector: {}, policyTypes: [Ingress]}
`,
      'kyverno-test.yaml': testFile(
        `- {policy: gen, rule: netpol, kind: Namespace, resources: [team], result: pass, generatedResource: generated.yaml}`,
      ),
    });
    expect(cases.map((c) => [c.ok, c.reason])).toEqual([[true, 'Ok']]);
  });

  it('a generated resource that differs fails', async () => {
    const cases = await runFixture({
      'policy.yaml': GENERATE,
      'resources.yaml': NS,
      'generated.yaml': `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: team}
spec: {podSelector: {}, policyTypes: [Egress]}
`,
      'kyverno-test.yaml': testFile(
        `- {policy: gen, rule: netpol, kind: Namespace, resources: [team], result: pass, generatedResource: generated.yaml}`,
      ),
    });
    expect(cases[0]?.ok).toBe(false);
    expect(cases[0]?.reason).toMatch(/generated resource didn't match/);
  });

  it('clone rules read their source from cloneSourceResource', async () => {
    const files = {
      'policy.yaml': GENERATE,
      'resources.yaml': NS,
      'source.yaml': `apiVersion: v1
kind: Secret
metadata: {name: regcred, namespace: default, uid: x, resourceVersion: "3"}
data: {k: dg==}
`,
      'generated.yaml': `apiVersion: v1
kind: Secret
metadata: {name: regcred, namespace: team}
data: {k: dg==}
`,
    };
    const withSource = await runFixture({
      ...files,
      'kyverno-test.yaml': testFile(
        `- {policy: gen, rule: clone, kind: Namespace, resources: [team], result: pass, generatedResource: generated.yaml, cloneSourceResource: source.yaml}`,
      ),
    });
    expect(withSource.map((c) => c.ok)).toEqual([true]);
    const without = await runFixture({
      ...files,
      'kyverno-test.yaml': testFile(
        `- {policy: gen, rule: clone, kind: Namespace, resources: [team], result: pass, generatedResource: generated.yaml}`,
      ),
    });
    expect(without[0]?.ok).toBe(false);
    expect(without[0]?.actual).toBe('error');
  });

  it('patched resources are compared with the namespace defaulted and empty values tidied', async () => {
    const cases = await runFixture({
      'policy.yaml': MUTATE,
      'resources.yaml': POD,
      'patched.yaml': `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default, labels: {team: core}, annotations: {}}
spec: {containers: [{name: c, image: nginx}]}
`,
      'kyverno-test.yaml': testFile(
        `- {policy: mut, rule: label, kind: Pod, resources: [p], result: pass, patchedResources: patched.yaml}`,
      ),
    });
    expect(cases.map((c) => [c.ok, c.reason])).toEqual([[true, 'Ok']]);
  });

  it('a rule with no result for an expected resource fails unless skip is expected', async () => {
    const cases = await runFixture({
      'policy.yaml': MUTATE,
      'resources.yaml': `${POD}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n`,
      'kyverno-test.yaml': testFile(
        `- {policy: mut, rule: label, kind: ConfigMap, resources: [cm], result: pass}
- {policy: mut, rule: label, kind: ConfigMap, resources: [cm], result: skip}`,
      ),
    });
    expect(cases.map((c) => c.ok)).toEqual([false, true]);
  });

  it('exceptions files turn the rule into skip', async () => {
    const files = {
      'policy.yaml': MUTATE,
      'resources.yaml': POD,
      'exception.yaml': `apiVersion: kyverno.io/v2
kind: PolicyException
metadata: {name: allow, namespace: kyverno}
spec:
  exceptions: [{policyName: mut, ruleNames: [label]}]
  match: {any: [{resources: {kinds: [Pod], names: [p]}}]}
`,
    };
    const cases = await runFixture({
      ...files,
      'kyverno-test.yaml': testFile(
        `- {policy: mut, rule: label, kind: Pod, resources: [p], result: skip}`,
        'exceptions: [exception.yaml]',
      ),
    });
    expect(cases.map((c) => [c.ok, c.message])).toEqual([
      [true, 'rule is skipped due to policy exceptionskyverno/allow'],
    ]);
  });

  it('an UPDATE from the values file sees the resource as its old object', async () => {
    const cases = await runFixture({
      'policy.yaml': `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: same}
spec:
  rules:
  - name: unchanged
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: changed
      deny:
        conditions:
          any:
          - {key: "{{ request.object.metadata.name }}", operator: NotEquals, value: "{{ request.oldObject.metadata.name }}"}
`,
      'resources.yaml': POD,
      'values.yaml': `apiVersion: cli.kyverno.io/v1alpha1
kind: Values
globalValues: {request.operation: UPDATE}
`,
      'kyverno-test.yaml': testFile(
        `- {policy: same, rule: unchanged, kind: Pod, resources: [p], result: pass}`,
        'variables: values.yaml',
      ),
    });
    expect(cases.map((c) => [c.ok, c.actual])).toEqual([[true, 'pass']]);
  });
});

describe('resource comparison', () => {
  const cases: Array<{
    name: string;
    a: Record<string, unknown>;
    b: Record<string, unknown>;
    same: boolean;
  }> = [
    {
      name: 'key order does not matter',
      a: { kind: 'ConfigMap', metadata: { name: 'x', namespace: 'n' }, data: { a: '1', b: '2' } },
      b: { data: { b: '2', a: '1' }, metadata: { namespace: 'n', name: 'x' }, kind: 'ConfigMap' },
      same: true,
    },
    {
      name: 'generate.kyverno.io labels are ignored',
      a: { kind: 'ConfigMap', metadata: { name: 'x', labels: { 'generate.kyverno.io/rule-name': 'r' } } },
      b: { kind: 'ConfigMap', metadata: { name: 'x' } },
      same: true,
    },
    {
      name: 'a missing namespace is default for namespaced kinds',
      a: { kind: 'ConfigMap', metadata: { name: 'x' } },
      b: { kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } },
      same: true,
    },
    {
      name: 'a cluster-scoped kind gets no default namespace',
      a: { kind: 'Namespace', metadata: { name: 'x' } },
      b: { kind: 'Namespace', metadata: { name: 'x', namespace: 'default' } },
      same: false,
    },
    {
      name: 'a different value differs',
      a: { kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: '1' } },
      b: { kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: '2' } },
      same: false,
    },
    {
      name: 'list order matters',
      a: { kind: 'ConfigMap', metadata: { name: 'x' }, l: [1, 2] },
      b: { kind: 'ConfigMap', metadata: { name: 'x' }, l: [2, 1] },
      same: false,
    },
  ];
  for (const c of cases) it(c.name, () => expect(sameResource(c.a, c.b)).toBe(c.same));

  it('tidy drops nulls, empty maps and empty lists recursively', () => {
    expect(tidy({ a: null, b: {}, c: [], d: { e: {} }, f: [null, {}], g: 0, h: '' })).toEqual({
      g: 0,
      h: '',
    });
  });
});
