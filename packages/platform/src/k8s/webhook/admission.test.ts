import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadPolicyText } from '../../policy/loader/index.js';
import {
  handleAdmission,
  parseEndpointPath,
  type AdmissionOutcome,
  type AdmissionReviewOut,
} from './admission.js';
import { applyPatch, type PatchOp } from './jsonpatch.js';
import { buildPolicySet, type WebhookPolicySet } from './policyset.js';

function policies(yaml: string): WebhookPolicySet {
  const r = loadPolicyText(yaml, 'inline.yaml');
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return buildPolicySet(r.policies, r.exceptions);
}

const privileged = (action: string, extra = ''): string => `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: { name: no-privileged }
spec:
  validationFailureAction: ${action}
  ${extra}
  rules:
    - name: privileged-containers
      match: { any: [ { resources: { kinds: [Pod] } } ] }
      validate:
        message: Privileged mode is disallowed
        pattern:
          spec:
            containers:
              - =(securityContext):
                  =(privileged): "false"
`;

const addLabels = `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: { name: add-labels }
spec:
  rules:
    - name: add-team
      match: { any: [ { resources: { kinds: [Pod] } } ] }
      mutate:
        patchStrategicMerge:
          metadata:
            labels:
              team: platform
              a/b~c: "x"
`;

function pod(name: string, priv: boolean, ns = 'apps'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: 'c', image: 'nginx:1.27', securityContext: { privileged: priv } }] },
  };
}

function review(object: Record<string, unknown> | null, extra: Record<string, unknown> = {}): unknown {
  const md = (object?.['metadata'] ?? {}) as { name?: string; namespace?: string };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'uid-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: md.name,
      namespace: md.namespace,
      operation: 'CREATE',
      userInfo: { username: 'alice', groups: ['dev'] },
      object,
      ...extra,
    },
  };
}

const validateFail = { endpoint: 'validate', failurePolicy: 'Fail' } as const;

function body(o: AdmissionOutcome): AdmissionReviewOut {
  expect(o.httpStatus).toBe(200);
  return o.body as AdmissionReviewOut;
}

describe('handleAdmission', () => {
  it('answers 400 for bodies that are not an AdmissionReview v1', async () => {
    const set = policies(privileged('Enforce'));
    for (const bad of [
      null,
      [],
      { kind: 'AdmissionReview' },
      {
        apiVersion: 'admission.k8s.io/v1beta1',
        kind: 'AdmissionReview',
        request: { uid: 'x', operation: 'CREATE' },
      },
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } },
      {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { uid: 'u', operation: 'CREATE', object: 'x' },
      },
    ]) {
      const o = await handleAdmission(bad, validateFail, { policies: () => set, deadlineMs: 1000 });
      expect(o.httpStatus).toBe(400);
    }
  });

  it('denies a privileged Pod under an Enforce policy with the policy message as Kyverno words it', async () => {
    const set = policies(privileged('Enforce'));
    const o = await handleAdmission(review(pod('p1', true)), validateFail, {
      policies: () => set,
      deadlineMs: 1000,
    });
    const r = body(o).response;
    expect(r.uid).toBe('uid-1');
    expect(r.allowed).toBe(false);
    expect(r.status?.message).toBe(
      '\n\nresource Pod/apps/p1 was blocked due to the following policies \n\n' +
        'no-privileged:\n' +
        "  privileged-containers: 'validation error: Privileged mode is disallowed. rule privileged-containers\n" +
        "    failed at path /spec/containers/0/securityContext/privileged/'\n",
    );
    expect(o.responses[0]?.rules[0]?.status).toBe('fail');
  });

  it('admits a compliant Pod without warnings', async () => {
    const set = policies(privileged('Enforce'));
    const r = body(
      await handleAdmission(review(pod('p2', false)), validateFail, {
        policies: () => set,
        deadlineMs: 1000,
      }),
    ).response;
    expect(r).toEqual({ uid: 'uid-1', allowed: true });
  });

  it('admits a violating Pod under an Audit policy with a warning naming policy and rule', async () => {
    const set = policies(privileged('Audit'));
    const o = await handleAdmission(review(pod('p3', true)), validateFail, {
      policies: () => set,
      deadlineMs: 1000,
    });
    const r = body(o).response;
    expect(r.allowed).toBe(true);
    expect(r.warnings).toEqual([
      'policy no-privileged.privileged-containers: validation error: Privileged mode is disallowed. rule privileged-containers failed at path /spec/containers/0/securityContext/privileged/',
    ]);
    expect(o.responses).toHaveLength(1);
  });

  it('emits no warning for an Audit policy with emitWarning: false', async () => {
    const set = policies(privileged('Audit', 'emitWarning: false'));
    const r = body(
      await handleAdmission(review(pod('p3', true)), validateFail, { policies: () => set, deadlineMs: 1000 }),
    ).response;
    expect(r).toEqual({ uid: 'uid-1', allowed: true });
  });

  it('applies validationFailureActionOverrides per namespace', async () => {
    const set = policies(
      privileged(
        'Audit',
        'validationFailureActionOverrides: [ { action: Enforce, namespaces: ["prod-*"] } ]',
      ),
    );
    const deps = { policies: () => set, deadlineMs: 1000 };
    expect(
      body(await handleAdmission(review(pod('a', true, 'prod-eu')), validateFail, deps)).response.allowed,
    ).toBe(false);
    expect(
      body(await handleAdmission(review(pod('a', true, 'dev')), validateFail, deps)).response.allowed,
    ).toBe(true);
  });

  it('serves a policy only on the path of its failurePolicy', async () => {
    const set = policies(privileged('Enforce', 'failurePolicy: Ignore'));
    const deps = { policies: () => set, deadlineMs: 1000 };
    expect(body(await handleAdmission(review(pod('a', true)), validateFail, deps)).response.allowed).toBe(
      true,
    );
    const ignore = { endpoint: 'validate', failurePolicy: 'Ignore' } as const;
    expect(body(await handleAdmission(review(pod('a', true)), ignore, deps)).response.allowed).toBe(false);
  });

  it('answers a mutation as a base64 JSONPatch that produces the policy labels', async () => {
    const set = policies(addLabels);
    const p = pod('m1', false);
    const o = await handleAdmission(
      review(p),
      { endpoint: 'mutate', failurePolicy: 'Fail' },
      {
        policies: () => set,
        deadlineMs: 1000,
      },
    );
    const r = body(o).response;
    expect(r.allowed).toBe(true);
    expect(r.patchType).toBe('JSONPatch');
    const ops = JSON.parse(Buffer.from(r.patch ?? '', 'base64').toString('utf8')) as PatchOp[];
    expect(ops).toEqual([{ op: 'add', path: '/metadata/labels', value: { team: 'platform', 'a/b~c': 'x' } }]);
    const patched = applyPatch(p, ops) as { metadata: { labels: Record<string, string> } };
    expect(patched.metadata.labels).toEqual({ team: 'platform', 'a/b~c': 'x' });
    // validate rules are not served on the mutate path and vice versa
    const v = await handleAdmission(review(p), validateFail, { policies: () => set, deadlineMs: 1000 });
    expect(body(v).response).toEqual({ uid: 'uid-1', allowed: true });
  });

  it('escapes JSON pointer tokens when labels already exist', async () => {
    const set = policies(addLabels);
    const p = pod('m2', false);
    (p['metadata'] as Record<string, unknown>)['labels'] = { keep: 'y' };
    const r = body(
      await handleAdmission(
        review(p),
        { endpoint: 'mutate', failurePolicy: 'Fail' },
        { policies: () => set, deadlineMs: 1000 },
      ),
    ).response;
    const ops = JSON.parse(Buffer.from(r.patch ?? '', 'base64').toString('utf8')) as PatchOp[];
    expect(ops).toEqual([
      { op: 'add', path: '/metadata/labels/team', value: 'platform' },
      { op: 'add', path: '/metadata/labels/a~1b~0c', value: 'x' },
    ]);
  });

  it('gives the same decision for a dry run and marks it so reports can skip it', async () => {
    const set = policies(privileged('Enforce'));
    const o = await handleAdmission(review(pod('d', true), { dryRun: true }), validateFail, {
      policies: () => set,
      deadlineMs: 1000,
    });
    expect(o.dryRun).toBe(true);
    expect(body(o).response.allowed).toBe(false);
  });

  it('answers a hung evaluation at the deadline: denied under Fail, allowed with a warning under Ignore', async () => {
    const set = policies(privileged('Enforce'));
    const setIgnore = policies(privileged('Enforce', 'failurePolicy: Ignore'));
    let aborted = 0;
    const hang = (_e: unknown, _r: unknown, signal: AbortSignal): Promise<never> => {
      signal.addEventListener('abort', () => aborted++);
      return new Promise<never>(() => undefined);
    };
    const t0 = performance.now();
    const o = await handleAdmission(review(pod('h', false)), validateFail, {
      policies: () => set,
      deadlineMs: 150,
      evaluate: hang,
    });
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(1000);
    expect(o.timedOut).toBe(true);
    const r = body(o).response;
    expect(r.allowed).toBe(false);
    expect(r.status?.message).toBe(
      'palisade: evaluation did not finish within 150 ms; denied (failurePolicy Fail)',
    );
    const i = await handleAdmission(
      review(pod('h', false)),
      { endpoint: 'validate', failurePolicy: 'Ignore' },
      {
        policies: () => setIgnore,
        deadlineMs: 100,
        evaluate: hang,
      },
    );
    expect(body(i).response.allowed).toBe(true);
    expect(body(i).response.warnings?.[0]).toContain('allowed (failurePolicy Ignore)');
    expect(aborted).toBe(2);
  });

  it('treats a throwing evaluation as a failure under the path failurePolicy', async () => {
    const set = policies(privileged('Enforce'));
    const o = await handleAdmission(review(pod('x', false)), validateFail, {
      policies: () => set,
      deadlineMs: 1000,
      evaluate: () => Promise.reject(new Error('boom')),
    });
    expect(body(o).response.status?.message).toBe(
      'palisade: evaluation failed: boom; denied (failurePolicy Fail)',
    );
  });

  it('evaluates DELETE against the old object', async () => {
    const set = policies(`
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: { name: protect }
spec:
  validationFailureAction: Enforce
  rules:
    - name: keep-protected
      match: { any: [ { resources: { kinds: [Pod], operations: [DELETE] } } ] }
      validate:
        message: protected pods cannot be deleted
        deny:
          conditions:
            any:
              - key: "{{ request.oldObject.metadata.labels.protected || '' }}"
                operator: Equals
                value: "yes"
`);
    const p = pod('old', false);
    (p['metadata'] as Record<string, unknown>)['labels'] = { protected: 'yes' };
    const o = await handleAdmission(
      review(null, { operation: 'DELETE', oldObject: p, name: 'old', namespace: 'apps' }),
      validateFail,
      {
        policies: () => set,
        deadlineMs: 1000,
      },
    );
    const r = body(o).response;
    expect(r.allowed).toBe(false);
    expect(r.status?.message).toContain('keep-protected: protected pods cannot be deleted');
  });

  it('parses endpoint paths', () => {
    expect(parseEndpointPath('/validate/fail')).toEqual({ endpoint: 'validate', failurePolicy: 'Fail' });
    expect(parseEndpointPath('/mutate/ignore?timeout=10s')).toEqual({
      endpoint: 'mutate',
      failurePolicy: 'Ignore',
    });
    expect(parseEndpointPath('/validate')).toBeUndefined();
    expect(parseEndpointPath('/other/fail')).toBeUndefined();
  });

  it('keeps the denial YAML parseable (policy → rule → message)', async () => {
    const set = policies(privileged('Enforce'));
    const r = body(
      await handleAdmission(review(pod('y', true)), validateFail, { policies: () => set, deadlineMs: 1000 }),
    ).response;
    const yaml = (r.status?.message ?? '').split('policies \n\n')[1] ?? '';
    expect(parse(yaml)).toEqual({
      'no-privileged': {
        'privileged-containers':
          'validation error: Privileged mode is disallowed. rule privileged-containers failed at path /spec/containers/0/securityContext/privileged/',
      },
    });
  });
});
