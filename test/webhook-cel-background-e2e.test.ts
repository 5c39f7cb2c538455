/**
 * On a real kube-apiserver + etcd: (a) policies.kyverno.io ValidatingPolicies created in the cluster
 * are served by the webhook (Deny denies with the policy's message, Audit admits and reports);
 * (b) the background scan puts Pods that existed before a policy into the namespace's PolicyReport
 * and drops them again when they are deleted, without rewriting reports that did not change.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../packages/platform/src/k8s/client/index.js';
import { runWebhook, type RunningWebhook } from '../packages/platform/src/k8s/webhook/run.js';
import { startTestCluster, type TestCluster } from '../packages/platform/src/testing/cluster.js';
import { repoRoot } from '../packages/platform/src/testing/shared-data.js';
import {
  KYVERNO_CRDS,
  POLICY_REPORT_CRDS,
  apply,
  installCrds,
  remove,
  waitUntil,
} from './webhook-support.js';

type Obj = Record<string, unknown>;

const KYVERNO_CEL_CRDS = join(repoRoot, 'packages/platform/src/k8s/webhook/testdata/kyverno-cel-crds.yaml');

let cluster: TestCluster;
let client: KubeClient;
let hook: RunningWebhook | undefined;

function pod(name: string, ns: string, privileged: boolean): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: 'c', image: 'nginx:1.27', securityContext: { privileged } }] },
  };
}

async function createPod(p: Obj): Promise<{ status: number; body: Obj }> {
  const ns = (p['metadata'] as { namespace: string }).namespace;
  return (await cluster.request('POST', `/api/v1/namespaces/${ns}/pods`, p)) as { status: number; body: Obj };
}

function vpol(name: string, actions: string[], namespace: string, apiVersion = 'v1alpha1'): Obj {
  return {
    apiVersion: `policies.kyverno.io/${apiVersion}`,
    kind: 'ValidatingPolicy',
    metadata: { name },
    spec: {
      validationActions: actions,
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
        ],
      },
      matchConditions: [{ name: 'in-namespace', expression: `object.metadata.namespace == '${namespace}'` }],
      validations: [
        {
          expression:
            'object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || c.securityContext.privileged == false)',
          message: 'Privileged containers are not allowed',
        },
      ],
    },
  };
}

async function reportResults(ns: string): Promise<{ rv: string; results: Obj[] } | undefined> {
  const g = await cluster.request(
    'GET',
    `/apis/wgpolicyk8s.io/v1alpha2/namespaces/${ns}/policyreports/palisade-policies`,
  );
  if (g.status !== 200) return undefined;
  const body = g.body as Obj;
  return {
    rv: String((body['metadata'] as Obj)['resourceVersion']),
    results: (body['results'] as Obj[] | undefined) ?? [],
  };
}

function resultFor(results: Obj[], policy: string, name: string): Obj | undefined {
  return results.find((x) => x['policy'] === policy && (x['resources'] as Obj[])[0]?.['name'] === name);
}

beforeAll(async () => {
  cluster = await startTestCluster();
  client = KubeClient.fromFile(cluster.kubeconfigPath);
  await installCrds(cluster, [KYVERNO_CRDS, KYVERNO_CEL_CRDS, ...POLICY_REPORT_CRDS]);
  for (const ns of ['cel-deny', 'cel-audit', 'bg-a', 'bg-b']) await cluster.createNamespace(ns);
  // Pods that exist before the webhook and before any policy
  for (const [name, priv] of [
    ['old-priv', true],
    ['old-ok', false],
  ] as const)
    expect((await createPod(pod(name, 'bg-a', priv))).status).toBe(201);
  expect((await createPod(pod('old-b', 'bg-b', true))).status).toBe(201);
  hook = await runWebhook({
    client,
    reportFlushMs: 200,
    debounceMs: 50,
    background: { intervalMs: 0, ratePerSecond: 200 },
  });
});

afterAll(async () => {
  await hook?.stop({ drainMs: 1000 });
  client?.close();
  await cluster?.stop();
});

let probes = 0;

describe('policies.kyverno.io ValidatingPolicy in the webhook', () => {
  it('Deny: denies a privileged Pod with the policy message and admits a compliant one', async () => {
    expect((await apply(cluster, vpol('cel-deny', ['Deny'], 'cel-deny', 'v1'))).status).toBe(201);
    const denied = await waitUntil('a denied privileged Pod', async () => {
      const r = await createPod(pod(`probe-${probes++}`, 'cel-deny', true));
      return r.status === 201 ? undefined : r;
    });
    expect(denied.status).toBe(400);
    const message = String(denied.body['message']);
    expect(message).toContain('admission webhook "validate.palisade.svc-fail" denied the request:');
    expect(message).toMatch(/resource Pod\/cel-deny\/probe-\d+ was blocked due to the following policies/);
    expect(message).toContain('cel-deny:\n  cel-deny: Privileged containers are not allowed');
    expect((await createPod(pod('good', 'cel-deny', false))).status).toBe(201);
    // the generated configuration carries the policy's resource rule
    const v = await cluster.request(
      'GET',
      '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/palisade',
    );
    const hooks = ((v.body as Obj)['webhooks'] as { name: string; rules: { resources: string[] }[] }[]) ?? [];
    expect(
      hooks.find((h) => h.name === 'validate.palisade.svc-fail')?.rules.flatMap((r) => r.resources),
    ).toEqual(expect.arrayContaining(['pods', 'deployments', 'cronjobs']));
  });

  it('Audit: admits a privileged Pod and reports the failure in the namespace PolicyReport', async () => {
    expect((await apply(cluster, vpol('cel-audit', ['Audit'], 'cel-audit'))).status).toBe(201);
    await waitUntil('the Audit policy loaded', () =>
      Promise.resolve(hook?.policies.current().byKey.has('ValidatingPolicy:cel-audit') ? true : undefined),
    );
    await hook?.settled();
    const r = await createPod(pod('priv', 'cel-audit', true));
    expect(r.status).toBe(201);
    expect((r.body['metadata'] as Obj)['name']).toBe('priv');
    const res = await waitUntil('the failure in the PolicyReport', async () =>
      resultFor((await reportResults('cel-audit'))?.results ?? [], 'cel-audit', 'priv'),
    );
    expect(res).toMatchObject({
      policy: 'cel-audit',
      rule: 'cel-audit',
      result: 'fail',
      message: 'Privileged containers are not allowed',
      resources: [{ apiVersion: 'v1', kind: 'Pod', name: 'priv', namespace: 'cel-audit' }],
    });
  });

  it('a deleted ValidatingPolicy no longer denies', async () => {
    expect(await remove(cluster, vpol('cel-deny', ['Deny'], 'cel-deny'))).toBe(200);
    await waitUntil('a privileged Pod admitted again', async () => {
      const r = await createPod(pod(`probe-${probes++}`, 'cel-deny', true));
      return r.status === 201 ? true : undefined;
    });
  });
});

describe('background scan', () => {
  const policy: Obj = {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name: 'bg-privileged' },
    spec: {
      validationFailureAction: 'Audit',
      rules: [
        {
          name: 'privileged-containers',
          match: { any: [{ resources: { kinds: ['Pod'], namespaces: ['bg-*'] } }] },
          validate: {
            message: 'Privileged mode is disallowed',
            pattern: { spec: { containers: [{ '=(securityContext)': { '=(privileged)': 'false' } }] } },
          },
        },
      ],
    },
  };

  it('reports Pods that existed before the policy, and drops a Pod once it is deleted', async () => {
    expect((await apply(cluster, policy)).status).toBe(201);
    const results = await waitUntil('both old Pods in the PolicyReport', async () => {
      const r = (await reportResults('bg-a'))?.results ?? [];
      return resultFor(r, 'bg-privileged', 'old-priv') && resultFor(r, 'bg-privileged', 'old-ok')
        ? r
        : undefined;
    });
    expect(resultFor(results, 'bg-privileged', 'old-priv')).toMatchObject({
      rule: 'privileged-containers',
      result: 'fail',
      properties: { process: 'background scan' },
      resources: [{ apiVersion: 'v1', kind: 'Pod', name: 'old-priv', namespace: 'bg-a' }],
    });
    expect(resultFor(results, 'bg-privileged', 'old-ok')).toMatchObject({ result: 'pass' });
    expect(hook?.background?.watched()).toEqual(expect.arrayContaining(['/v1/pods', 'apps/v1/deployments']));

    // a full rescan of unchanged Pods writes nothing
    const before = await reportResults('bg-a');
    const writes = hook?.reports?.stats.writes ?? 0;
    const evaluations = hook?.background?.stats.evaluations ?? 0;
    hook?.background?.rescan('test');
    await hook?.background?.idle();
    await hook?.reports?.flush();
    expect(hook?.background?.stats.evaluations).toBeGreaterThan(evaluations);
    expect(hook?.reports?.stats.writes).toBe(writes);
    expect((await reportResults('bg-a'))?.rv).toBe(before?.rv);

    // deleting the Pod removes its result
    const del = await cluster.request('DELETE', '/api/v1/namespaces/bg-a/pods/old-priv');
    expect(del.status).toBe(200);
    const after = await waitUntil('old-priv gone from the PolicyReport', async () => {
      const r = await reportResults('bg-a');
      return r && !resultFor(r.results, 'bg-privileged', 'old-priv') ? r.results : undefined;
    });
    expect(resultFor(after, 'bg-privileged', 'old-ok')).toMatchObject({ result: 'pass' });
  });

  it('a deleted policy takes its results out of the report', async () => {
    expect(await remove(cluster, policy)).toBe(200);
    await waitUntil('bg-privileged results gone', async () => {
      const r = await reportResults('bg-a');
      return r && !r.results.some((x) => x['policy'] === 'bg-privileged') ? true : undefined;
    });
  });

  it('a ValidatingPolicy with a namespaceSelector scans a namespace once it is labelled', async () => {
    const p = vpol('bg-labelled', ['Audit'], 'bg-b');
    (p['spec'] as { matchConstraints: Obj }).matchConstraints['namespaceSelector'] = {
      matchLabels: { scan: 'yes' },
    };
    expect((await apply(cluster, p)).status).toBe(201);
    await waitUntil('the policy loaded', () =>
      Promise.resolve(hook?.policies.current().byKey.has('ValidatingPolicy:bg-labelled') ? true : undefined),
    );
    await hook?.background?.idle();
    await hook?.reports?.flush();
    expect(resultFor((await reportResults('bg-b'))?.results ?? [], 'bg-labelled', 'old-b')).toBeUndefined();
    const patched = await client.request<Obj>('PATCH', '/api/v1/namespaces/bg-b', {
      body: { metadata: { labels: { scan: 'yes' } } },
      contentType: 'application/merge-patch+json',
    });
    expect((patched['metadata'] as { labels: Record<string, string> }).labels['scan']).toBe('yes');
    const res = await waitUntil('old-b in the PolicyReport', async () =>
      resultFor((await reportResults('bg-b'))?.results ?? [], 'bg-labelled', 'old-b'),
    );
    expect(res).toMatchObject({
      result: 'fail',
      message: 'Privileged containers are not allowed',
      properties: { process: 'background scan' },
    });
    expect(await remove(cluster, p)).toBe(200);
  });
});
