/**
 * policies.kyverno.io policies (ValidatingPolicy, MutatingPolicy) in the webhook: validationActions,
 * failurePolicy, matchConstraints/matchConditions, the generated webhook rules, and keys that do not
 * collide with ClusterPolicies of the same name.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadPolicyText } from '../../policy/loader/index.js';
import { handleAdmission, type AdmissionOutcome, type AdmissionReviewOut } from './admission.js';
import { webhookConfigurations, type DiscoveredResource } from './config.js';
import { applyPatch, type PatchOp } from './jsonpatch.js';
import { celResourcesFrom, loadCelObject } from './policies.js';
import { buildPolicySet, type CelPolicy, type WebhookPolicySet } from './policyset.js';

type Obj = Record<string, unknown>;

function cel(yaml: string): CelPolicy {
  const r = loadCelObject(parse(yaml) as Obj, 'inline.yaml');
  expect(r.diagnostics).toEqual([]);
  if (!r.policy) throw new Error('no policy');
  return r.policy;
}

const vpol = (name: string, actions: string, extra = ''): string => `
apiVersion: policies.kyverno.io/v1alpha1
kind: ValidatingPolicy
metadata: {name: ${name}}
spec:
  validationActions: ${actions}
${extra}
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [pods]
  matchConditions:
    - name: not-skipped
      expression: "!has(object.metadata.labels) || !('skip' in object.metadata.labels)"
  validations:
    - expression: "object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || c.securityContext.privileged == false)"
      message: Privileged containers are not allowed
`;

function pod(name: string, privileged: boolean, labels: Record<string, string> = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'team-a', labels },
    spec: { containers: [{ name: 'c', image: 'nginx:1.27', securityContext: { privileged } }] },
  };
}

function review(object: Obj): unknown {
  const md = object['metadata'] as { name: string; namespace: string };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: md.name,
      namespace: md.namespace,
      operation: 'CREATE',
      userInfo: { username: 'alice' },
      object,
    },
  };
}

async function admit(
  set: WebhookPolicySet,
  object: Obj,
  path: { endpoint: 'validate' | 'mutate'; failurePolicy: 'Fail' | 'Ignore' } = {
    endpoint: 'validate',
    failurePolicy: 'Fail',
  },
): Promise<{ out: AdmissionOutcome; body: AdmissionReviewOut }> {
  const out = await handleAdmission(review(object), path, { policies: () => set, deadlineMs: 5000 });
  expect(out.httpStatus).toBe(200);
  return { out, body: out.body as AdmissionReviewOut };
}

describe('ValidatingPolicy in the webhook', () => {
  it('Deny: a failing Pod is denied with the validation message; a good one is admitted', async () => {
    const set = buildPolicySet([], [], {}, { policies: [cel(vpol('no-priv', '[Deny]'))] });
    const bad = await admit(set, pod('bad', true));
    expect(bad.body.response.allowed).toBe(false);
    expect(bad.body.response.status?.message).toContain('resource Pod/team-a/bad was blocked');
    expect(bad.body.response.status?.message).toContain('no-priv:');
    expect(bad.body.response.status?.message).toContain('Privileged containers are not allowed');
    const good = await admit(set, pod('good', false));
    expect(good.body.response.allowed).toBe(true);
    expect(good.out.responses.flatMap((r) => r.rules.map((x) => x.status))).toEqual(['pass']);
  });

  it('no validationActions means Deny (Kyverno default)', async () => {
    const set = buildPolicySet([], [], {}, { policies: [cel(vpol('no-priv', '[]'))] });
    expect((await admit(set, pod('bad', true))).body.response.allowed).toBe(false);
  });

  it('Audit: admitted without a warning, the failure kept for reports', async () => {
    const set = buildPolicySet([], [], {}, { policies: [cel(vpol('no-priv', '[Audit]'))] });
    const r = await admit(set, pod('bad', true));
    expect(r.body.response.allowed).toBe(true);
    expect(r.body.response.warnings).toBeUndefined();
    expect(r.out.responses.map((x) => [x.policy.kind, x.policy.name, x.rules[0]?.status])).toEqual([
      ['ValidatingPolicy', 'no-priv', 'fail'],
    ]);
  });

  it('Warn (with Audit): admitted with a warning naming the policy', async () => {
    const set = buildPolicySet([], [], {}, { policies: [cel(vpol('no-priv', '[Warn, Audit]'))] });
    const r = await admit(set, pod('bad', true));
    expect(r.body.response.allowed).toBe(true);
    expect(r.body.response.warnings).toEqual([
      'policy no-priv.no-priv: Privileged containers are not allowed',
    ]);
  });

  it('matchConditions that do not hold skip the policy', async () => {
    const set = buildPolicySet([], [], {}, { policies: [cel(vpol('no-priv', '[Deny]'))] });
    const r = await admit(set, pod('bad', true, { skip: 'yes' }));
    expect(r.body.response.allowed).toBe(true);
    expect(r.out.responses.flatMap((x) => x.rules.map((y) => y.status))).toEqual(['skip']);
  });

  it('matchConstraints that do not select the kind give no response', async () => {
    const set = buildPolicySet([], [], {}, { policies: [cel(vpol('no-priv', '[Deny]'))] });
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'team-a' } };
    const r = await admit(set, cm);
    expect(r.body.response.allowed).toBe(true);
    expect(r.out.responses).toEqual([]);
  });

  it('failurePolicy Ignore puts the policy on the Ignore path; evaluation admission.enabled false leaves it out', async () => {
    const ignore = cel(vpol('ign', '[Deny]', '  failurePolicy: Ignore'));
    const off = cel(vpol('off', '[Deny]', '  evaluation: {admission: {enabled: false}}'));
    const set = buildPolicySet([], [], {}, { policies: [ignore, off] });
    expect(set.groups['validate/Ignore'].celPolicies.map((p) => p.name)).toEqual(['ign']);
    expect(set.groups['validate/Fail'].celPolicies).toEqual([]);
    expect(set.loaded.celPolicies.map((p) => p.name)).toEqual(['ign', 'off']);
    const r = await admit(set, pod('bad', true), { endpoint: 'validate', failurePolicy: 'Ignore' });
    expect(r.body.response.allowed).toBe(false);
  });

  it('a ClusterPolicy and a ValidatingPolicy with the same name keep their own actions', async () => {
    const cpol = loadPolicyText(
      `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: same}
spec:
  validationFailureAction: Audit
  rules:
    - name: r
      match: {any: [{resources: {kinds: [ConfigMap]}}]}
      validate: {message: m, pattern: {metadata: {name: "?*"}}}
`,
      'c.yaml',
    );
    const set = buildPolicySet(cpol.policies, [], {}, { policies: [cel(vpol('same', '[Deny]'))] });
    expect(set.byKey.get('same')?.validationFailureAction).toBe('Audit');
    expect(set.byKey.get('ValidatingPolicy:same')?.validationFailureAction).toBe('Enforce');
    expect((await admit(set, pod('bad', true))).body.response.allowed).toBe(false);
  });

  it('webhook rules: the resourceRules and their Pod-controller autogen twins', () => {
    const set = buildPolicySet([], [], {}, { policies: [cel(vpol('no-priv', '[Deny]'))] });
    const discovery: DiscoveredResource[] = [];
    const g = webhookConfigurations(set, discovery, { client: { url: 'https://x' }, caBundlePem: 'pem' });
    const hooks = (g.validating['webhooks'] as Obj[]).map((h) => [h['name'], h['rules']]);
    expect(hooks).toEqual([
      [
        'validate.palisade.svc-fail',
        [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods'],
            operations: ['CREATE', 'UPDATE'],
            scope: '*',
          },
          {
            apiGroups: ['apps'],
            apiVersions: ['v1'],
            resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'],
            operations: ['CREATE', 'UPDATE'],
            scope: '*',
          },
          {
            apiGroups: ['batch'],
            apiVersions: ['v1'],
            resources: ['cronjobs', 'jobs'],
            operations: ['CREATE', 'UPDATE'],
            scope: '*',
          },
        ],
      ],
    ]);
    expect(g.mutating['webhooks']).toEqual([]);
  });

  it('a CEL PolicyException naming the policy lets matching Pods in (skip), others are still denied', async () => {
    const ex = loadCelObject(
      parse(`
apiVersion: policies.kyverno.io/v1alpha1
kind: PolicyException
metadata: {name: allow-debug, namespace: team-a}
spec:
  policyRefs: [{name: no-priv, kind: ValidatingPolicy}]
  matchConditions:
    - name: debug-pods
      expression: "object.metadata.name.startsWith('debug-')"
`) as Obj,
      'ex.yaml',
    );
    expect(ex.diagnostics).toEqual([]);
    const set = buildPolicySet(
      [],
      [],
      {},
      { policies: [cel(vpol('no-priv', '[Deny]'))], exceptions: [ex.exception ?? {}] },
    );
    const excepted = await admit(set, pod('debug-1', true));
    expect(excepted.body.response.allowed).toBe(true);
    expect(excepted.out.responses.flatMap((r) => r.rules.map((x) => x.status))).toEqual(['skip']);
    expect((await admit(set, pod('other', true))).body.response.allowed).toBe(false);
  });

  it('a policy whose expression does not compile is left out with a diagnostic', () => {
    const r = loadCelObject(
      parse(
        vpol('broken', '[Deny]').replace('object.spec.containers.all(', 'object.spec.containers.all(('),
      ) as Obj,
      'cluster:x',
    );
    expect(r.policy).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(['E_POLICY_CEL']);
  });
});

describe('MutatingPolicy in the webhook', () => {
  const mpol = `
apiVersion: policies.kyverno.io/v1alpha1
kind: MutatingPolicy
metadata: {name: add-team}
spec:
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE]
        resources: [pods]
  mutations:
    - patchType: ApplyConfiguration
      applyConfiguration:
        expression: 'Object{metadata: Object.metadata{labels: {"team": "a"}}}'
`;

  it('answers a JSONPatch that adds the label, on the mutate path only', async () => {
    const set = buildPolicySet([], [], {}, { policies: [cel(mpol)] });
    expect(set.groups['validate/Fail'].celPolicies).toEqual([]);
    const r = await admit(set, pod('p', false), { endpoint: 'mutate', failurePolicy: 'Fail' });
    expect(r.body.response.allowed).toBe(true);
    expect(r.body.response.patchType).toBe('JSONPatch');
    const ops = JSON.parse(Buffer.from(r.body.response.patch ?? '', 'base64').toString()) as PatchOp[];
    const patched = applyPatch(pod('p', false), ops) as { metadata: { labels: Record<string, string> } };
    expect(patched.metadata.labels).toEqual({ team: 'a' });
    const g = webhookConfigurations(set, [], { client: { url: 'https://x' }, caBundlePem: 'pem' });
    const rules = (g.mutating['webhooks'] as { rules: { resources: string[]; operations: string[] }[] }[])[0]
      ?.rules;
    expect(rules?.[0]).toMatchObject({ resources: ['pods'], operations: ['CREATE'] });
  });
});

describe('celResourcesFrom', () => {
  const d = (kind: string, resource: string, version: string, preferred: boolean): DiscoveredResource => ({
    group: 'policies.kyverno.io',
    version,
    resource,
    kind,
    namespaced: kind.startsWith('Namespaced') || kind === 'PolicyException',
    preferred,
  });

  it('watches the served kinds at the preferred version, else the newest', () => {
    const r = celResourcesFrom([
      d('ValidatingPolicy', 'validatingpolicies', 'v1alpha1', false),
      d('ValidatingPolicy', 'validatingpolicies', 'v1', true),
      d('ValidatingPolicy', 'validatingpolicies/status', 'v1', true),
      d('MutatingPolicy', 'mutatingpolicies', 'v1alpha1', false),
      d('MutatingPolicy', 'mutatingpolicies', 'v1beta1', false),
      d('GeneratingPolicy', 'generatingpolicies', 'v1', true),
    ]);
    expect(r.map((x) => `${x.kind}@${x.version}`)).toEqual(['MutatingPolicy@v1beta1', 'ValidatingPolicy@v1']);
  });

  it('watches nothing when the CRDs are not installed', () => {
    expect(celResourcesFrom([])).toEqual([]);
  });
});
