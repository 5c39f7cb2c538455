/**
 * The admission webhook end to end on a real kube-apiserver + etcd: policies are ClusterPolicy
 * objects in the cluster, the webhook registers URL-based configurations pointing at itself on
 * 127.0.0.1, and Pods are created through the apiserver as any client would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../packages/platform/src/k8s/client/index.js';
import { runWebhook, type RunningWebhook } from '../packages/platform/src/k8s/webhook/run.js';
import { startTestCluster, type TestCluster } from '../packages/platform/src/testing/cluster.js';
import {
  KYVERNO_CRDS,
  POLICY_REPORT_CRDS,
  apply,
  installCrds,
  remove,
  sleep,
  waitUntil,
} from './webhook-support.js';

type Obj = Record<string, unknown>;

let cluster: TestCluster;
let client: KubeClient;
let hook: RunningWebhook | undefined;

beforeAll(async () => {
  cluster = await startTestCluster();
  client = KubeClient.fromFile(cluster.kubeconfigPath);
  await installCrds(cluster, [KYVERNO_CRDS, ...POLICY_REPORT_CRDS]);
  hook = await runWebhook({ client, reportFlushMs: 200, debounceMs: 50 });
});

afterAll(async () => {
  await hook?.stop({ drainMs: 1000 });
  client?.close();
  await cluster?.stop();
});

function privilegedPolicy(
  name: string,
  action: 'Enforce' | 'Audit',
  failurePolicy: 'Fail' | 'Ignore' = 'Fail',
): Obj {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name },
    spec: {
      validationFailureAction: action,
      failurePolicy,
      background: false,
      rules: [
        {
          name: 'privileged-containers',
          match: { any: [{ resources: { kinds: ['Pod'], namespaces: [`${name}-*`] } }] },
          validate: {
            message: 'Privileged mode is disallowed',
            pattern: { spec: { containers: [{ '=(securityContext)': { '=(privileged)': 'false' } }] } },
          },
        },
      ],
    },
  };
}

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

let probes = 0;

/** Creates a probe pod until the webhook's decision matches (policy changes propagate). */
async function untilDecision(
  ns: string,
  privileged: boolean,
  allowed: boolean,
): Promise<{ status: number; body: Obj }> {
  return await waitUntil(`a ${allowed ? 'admitted' : 'denied'} probe pod in ${ns}`, async () => {
    const r = await createPod(pod(`probe-${probes++}`, ns, privileged));
    if (r.status === 409) throw new Error('probe name reused');
    return (r.status === 201) === allowed ? r : undefined;
  });
}

describe('webhook on the real apiserver', () => {
  it('registers URL-based configurations that leave kube-system and its own namespace out', async () => {
    await apply(cluster, privilegedPolicy('reg', 'Enforce'));
    await hook?.settled();
    const v = await waitUntil('validating configuration with a Fail webhook', async () => {
      const r = await cluster.request(
        'GET',
        '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/palisade',
      );
      const hooks = ((r.body as Obj)['webhooks'] as Obj[] | undefined) ?? [];
      return hooks.find((h) => h['name'] === 'validate.palisade.svc-fail');
    });
    expect((v['clientConfig'] as { url: string }).url).toBe(`${hook?.url}/validate/fail`);
    expect(Buffer.from(String((v['clientConfig'] as Obj)['caBundle']), 'base64').toString()).toBe(
      hook?.caPem(),
    );
    expect(v['failurePolicy']).toBe('Fail');
    expect(v['timeoutSeconds']).toBe(10);
    expect(v['namespaceSelector']).toEqual({
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'palisade'] },
      ],
    });
    const rules = v['rules'] as { resources: string[]; operations: string[] }[];
    expect(rules.flatMap((r) => r.resources)).toEqual(
      expect.arrayContaining(['pods', 'deployments', 'cronjobs', 'jobs', 'daemonsets', 'statefulsets']),
    );
    expect(rules[0]?.operations).toEqual(['CREATE', 'UPDATE']);
    await remove(cluster, privilegedPolicy('reg', 'Enforce'));
  });

  it('denies a privileged Pod with the policy message under Enforce', async () => {
    await cluster.createNamespace('deny-a');
    await apply(cluster, privilegedPolicy('deny', 'Enforce'));
    const r = await untilDecision('deny-a', true, false);
    expect(r.status).toBe(400);
    const message = String(r.body['message']);
    expect(message).toContain('admission webhook "validate.palisade.svc-fail" denied the request:');
    expect(message).toMatch(/resource Pod\/deny-a\/probe-\d+ was blocked due to the following policies/);
    expect(message).toContain(
      "deny:\n  privileged-containers: 'validation error: Privileged mode is disallowed. rule privileged-containers\n    failed at path /spec/containers/0/securityContext/privileged/'",
    );
    // a compliant Pod is admitted
    expect((await createPod(pod('ok', 'deny-a', false))).status).toBe(201);
    // kube-system is never sent to the webhook
    const sys = pod('sys', 'kube-system', true);
    await cluster.createNamespace('kube-system');
    expect((await createPod(sys)).status).toBe(201);
  });

  it('is called over HTTP/2 by the apiserver (a loopback URL webhook), reviews multiplexed on few connections', async () => {
    await cluster.createNamespace('h2-a');
    await apply(cluster, privilegedPolicy('h2', 'Enforce'));
    await untilDecision('h2-a', true, false);
    const before = hook?.server.stats.reviews ?? 0;
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, i) => createPod(pod(`c-${i}`, 'h2-a', false))),
    );
    expect(created.map((r) => r.status)).toEqual(Array<number>(30).fill(201));
    const stats = hook?.server.stats;
    expect((stats?.reviews ?? 0) - before).toBeGreaterThanOrEqual(30);
    // client-go offers h2 to loopback URL webhooks: one session carries the reviews
    expect(stats?.h2Sessions).toBeGreaterThanOrEqual(1);
    expect(stats?.h2Sessions).toBeLessThanOrEqual(2);
    expect(stats?.h1Connections).toBe(0);
    await remove(cluster, privilegedPolicy('h2', 'Enforce'));
  });

  it('lets a violating Pod in under Audit and reports the violation in the namespace PolicyReport', async () => {
    await cluster.createNamespace('audit-a');
    await apply(cluster, privilegedPolicy('audit', 'Audit'));
    await hook?.settled();
    const r = await createPod(pod('priv', 'audit-a', true));
    expect(r.status).toBe(201);
    const report = await waitUntil('PolicyReport with the failure', async () => {
      const g = await cluster.request(
        'GET',
        '/apis/wgpolicyk8s.io/v1alpha2/namespaces/audit-a/policyreports/palisade-policies',
      );
      if (g.status !== 200) return undefined;
      const results = ((g.body as Obj)['results'] as Obj[] | undefined) ?? [];
      return results.some((x) => (x['resources'] as Obj[])[0]?.['name'] === 'priv')
        ? (g.body as Obj)
        : undefined;
    });
    const res = (report['results'] as Obj[]).find((x) => (x['resources'] as Obj[])[0]?.['name'] === 'priv');
    expect(res).toMatchObject({
      policy: 'audit',
      rule: 'privileged-containers',
      result: 'fail',
      message:
        'validation error: Privileged mode is disallowed. rule privileged-containers failed at path /spec/containers/0/securityContext/privileged/',
      resources: [{ apiVersion: 'v1', kind: 'Pod', name: 'priv', namespace: 'audit-a' }],
    });
    expect((report['summary'] as Obj)['fail']).toBe(1);
    // a second identical admission changes nothing: no new write
    const writes = hook?.reports?.stats.writes ?? 0;
    await createPod(pod('ok', 'audit-a', false));
    await sleep(600);
    const after = hook?.reports?.stats.writes ?? 0;
    expect(after - writes).toBe(1); // the pass result for "ok"
    await sleep(600);
    expect(hook?.reports?.stats.writes).toBe(after);
  });

  it('adds the labels of a mutate policy', async () => {
    await cluster.createNamespace('mut-a');
    await apply(cluster, {
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: { name: 'add-labels' },
      spec: {
        rules: [
          {
            name: 'add-team',
            match: { any: [{ resources: { kinds: ['Pod'], namespaces: ['mut-*'] } }] },
            mutate: {
              patchStrategicMerge: {
                metadata: { labels: { team: 'platform', 'palisade.dev/checked': 'yes' } },
              },
            },
          },
        ],
      },
    });
    const created = await waitUntil('a mutated pod', async () => {
      const name = `m-${Date.now()}`;
      const r = await createPod(pod(name, 'mut-a', false));
      const labels = ((r.body['metadata'] as Obj)['labels'] ?? {}) as Record<string, string>;
      return labels['team'] ? r.body : undefined;
    });
    expect((created['metadata'] as Obj)['labels']).toEqual({
      team: 'platform',
      'palisade.dev/checked': 'yes',
    });
  });

  it('applies a policy edit within seconds', async () => {
    await cluster.createNamespace('edit-a');
    await apply(cluster, privilegedPolicy('edit', 'Audit'));
    await untilDecision('edit-a', true, true);
    const t0 = Date.now();
    await apply(cluster, privilegedPolicy('edit', 'Enforce'));
    await untilDecision('edit-a', true, false);
    const took = Date.now() - t0;
    expect(took).toBeLessThan(3000);
    console.log(`policy edit Audit → Enforce took effect in ${took} ms`);
  });
});

describe('webhook process down', () => {
  it('Ignore lets creates through, Fail denies them with a clear apiserver error, and a restart resumes', async () => {
    await cluster.createNamespace('killi-a');
    await cluster.createNamespace('killf-a');
    // only two policies from here on: Pods go through the Ignore webhook, ConfigMaps through Fail
    for (const name of ['deny', 'audit', 'edit', 'add-labels'])
      await remove(cluster, { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name } });
    await apply(cluster, privilegedPolicy('killi', 'Enforce', 'Ignore'));
    await apply(cluster, {
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: { name: 'killf' },
      spec: {
        validationFailureAction: 'Enforce',
        failurePolicy: 'Fail',
        rules: [
          {
            name: 'no-bad',
            match: { any: [{ resources: { kinds: ['ConfigMap'], namespaces: ['killf-*'] } }] },
            validate: {
              message: 'bad configmaps are refused',
              pattern: { metadata: { '=(labels)': { '=(bad)': '!true' } } },
            },
          },
        ],
      },
    });
    const cm = (name: string, bad: boolean): Obj => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'killf-a', labels: { bad: String(bad) } },
    });
    await untilDecision('killi-a', true, false);
    await waitUntil('a denied bad configmap', async () =>
      (await apply(cluster, cm(`bad-${probes++}`, true))).status === 400 ? true : undefined,
    );
    await hook?.settled();
    const port = hook?.port ?? 0;
    // the process goes away without cleaning up: configurations stay, the port is closed
    await hook?.stop({ drainMs: 0, keepConfigurations: true });
    hook = undefined;
    const ignored = await createPod(pod('while-down', 'killi-a', true));
    expect(ignored.status).toBe(201);
    const failed = await apply(cluster, cm('while-down', false));
    expect(failed.status).toBe(500);
    const msg = String(failed.body['message']);
    expect(msg).toContain('failed calling webhook "validate.palisade.svc-fail"');
    expect(msg).toContain(`https://127.0.0.1:${port}/validate/fail`);
    expect(msg).toContain('connection refused');
    // back on the same port, with a new CA: the configurations are re-registered
    hook = await runWebhook({ client, port, reportFlushMs: 200, debounceMs: 50 });
    await hook.settled();
    expect((await apply(cluster, cm('after', false))).status).toBe(201);
    expect((await apply(cluster, cm('after-bad', true))).status).toBe(400);
    const denied = await createPod(pod('after-priv', 'killi-a', true));
    expect(denied.status).toBe(400);
    expect(String(denied.body['message'])).toContain('validate.palisade.svc-ignore');
  });

  it('removes its configurations on a clean stop', async () => {
    await hook?.stop({ drainMs: 1000 });
    hook = undefined;
    const v = await cluster.request(
      'GET',
      '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/palisade',
    );
    const m = await cluster.request(
      'GET',
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/palisade',
    );
    expect([v.status, m.status]).toEqual([404, 404]);
    expect((await createPod(pod('no-hook', 'killf-a', true))).status).toBe(201);
  });
});
