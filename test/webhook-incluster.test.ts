/**
 * The webhook's in-cluster mode on a real kube-apiserver + etcd.
 *
 * - Service mode: the apiserver cannot reach a Service here (no kube-proxy, no endpoints), so the
 *   configuration objects are checked by content (clientConfig.service, caBundle, rules,
 *   namespaceSelector, failurePolicy, timeoutSeconds), and two replicas sharing the certificate
 *   Secret are checked to serve the same certificate without rewriting the configurations.
 * - Certificate rotation and reload use URL mode, so the apiserver really calls the webhook while
 *   certificates change under it.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../packages/platform/src/k8s/client/index.js';
import { createCertificate } from '../packages/platform/src/k8s/webhook/certs.js';
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
const running: RunningWebhook[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
  client = KubeClient.fromFile(cluster.kubeconfigPath);
  await installCrds(cluster, [KYVERNO_CRDS, ...POLICY_REPORT_CRDS]);
});

afterAll(async () => {
  for (const h of running) await h.stop({ drainMs: 500, keepConfigurations: false }).catch(() => undefined);
  client?.close();
  await cluster?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(o: Omit<Parameters<typeof runWebhook>[0], 'client'>): Promise<RunningWebhook> {
  const h = await runWebhook({ client, reports: false, debounceMs: 50, ...o });
  running.push(h);
  return h;
}

async function stop(h: RunningWebhook, keepConfigurations?: boolean): Promise<void> {
  running.splice(running.indexOf(h), 1);
  await h.stop({ drainMs: 500, ...(keepConfigurations !== undefined ? { keepConfigurations } : {}) });
}

const VWC = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';

async function getObj(path: string): Promise<{ status: number; body: Obj }> {
  return (await cluster.request('GET', path)) as { status: number; body: Obj };
}

function hooksOf(cfg: Obj): Obj[] {
  return (cfg['webhooks'] as Obj[] | undefined) ?? [];
}

function caBundleOf(hook: Obj): string {
  return Buffer.from(String((hook['clientConfig'] as Obj)['caBundle']), 'base64').toString('utf8');
}

function pemCerts(bundle: string): X509Certificate[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (p) => new X509Certificate(p),
  );
}

function secretData(body: Obj, key: string): string {
  return Buffer.from(String((body['data'] as Obj)[key]), 'base64').toString('utf8');
}

/** The certificate the server presents in a TLS handshake (SHA-256 fingerprint). */
async function servedFingerprint(port: number): Promise<string> {
  return await new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

function denyPrivileged(name: string, namespaces: string[], extra: Obj = {}, kinds = ['Pod']): Obj {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name },
    spec: {
      validationFailureAction: 'Enforce',
      background: false,
      ...extra,
      rules: [
        {
          name: 'privileged-containers',
          match: { any: [{ resources: { kinds, namespaces } }] },
          validate: {
            message: `${name}: privileged mode is disallowed`,
            pattern: { spec: { containers: [{ '=(securityContext)': { '=(privileged)': 'false' } }] } },
          },
        },
      ],
    },
  };
}

/** The webhook answered with the policy's denial (the apiserver returns 400 with its message). */
function deniedBy(r: { status: number; body: Obj }, policy: string): boolean {
  return r.status === 400 && String(r.body['message']).includes(`${policy}: privileged mode is disallowed`);
}

let podSeq = 0;
async function createPod(ns: string, privileged: boolean): Promise<{ status: number; body: Obj }> {
  const p = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${podSeq++}`, namespace: ns },
    spec: { containers: [{ name: 'c', image: 'nginx:1.27', securityContext: { privileged } }] },
  };
  return (await cluster.request('POST', `/api/v1/namespaces/${ns}/pods`, p)) as { status: number; body: Obj };
}

describe('service mode (in-cluster configuration objects)', () => {
  const ns = 'palisade-sys';
  const svc = { namespace: ns, name: 'palisade-webhook', port: 8443 };
  const certSecret = { namespace: ns, name: 'palisade-webhook-tls' };
  // ConfigMaps only, so the unreachable Service (Fail) blocks nothing the other tests do
  const failPolicy = denyPrivileged(
    'svc-fail',
    ['svc-*'],
    { failurePolicy: 'Fail', webhookTimeoutSeconds: 15 },
    ['ConfigMap'],
  );
  const defaultPolicy = denyPrivileged('svc-default', ['svc-*']);

  it('generates Service client configs with the shared CA, exclusions, default failurePolicy and timeout', async () => {
    await cluster.request('POST', '/api/v1/namespaces', { metadata: { name: ns } });
    // as the Helm chart does: an empty Secret the webhook fills (with get/update only)
    await cluster.request('POST', `/api/v1/namespaces/${ns}/secrets`, {
      metadata: { name: certSecret.name, labels: { 'app.kubernetes.io/managed-by': 'Helm' } },
      type: 'Opaque',
    });
    await apply(cluster, failPolicy);
    await apply(cluster, defaultPolicy);
    const role = await cluster.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      metadata: { name: 'palisade-svc-webhook' },
      rules: [],
    });
    const roleUid = String(((role.body as Obj)['metadata'] as Obj)['uid']);
    const opts = {
      ownerClusterRole: 'palisade-svc-webhook',
      host: '127.0.0.1',
      name: 'palisade-svc',
      ownNamespace: ns,
      service: svc,
      failurePolicy: 'Ignore' as const,
      timeoutSeconds: 7,
      excludeNamespaces: ['monitoring', 'kube-system'],
      certSecret,
      certCheckMs: 200,
    };
    const a = await start(opts);
    const cfg = await waitUntil('configuration with both webhooks', async () => {
      const r = await getObj(`${VWC}/palisade-svc`);
      return hooksOf(r.body).length === 2 ? r.body : undefined;
    });
    const secret = await getObj(`/api/v1/namespaces/${ns}/secrets/palisade-webhook-tls`);
    expect(secret.status).toBe(200);
    const caPem = secretData(secret.body, 'ca.crt');
    const leaf = new X509Certificate(secretData(secret.body, 'tls.crt'));
    const ca = new X509Certificate(caPem);
    expect(leaf.checkIssued(ca) && leaf.verify(ca.publicKey)).toBe(true);
    for (const h of ['palisade-webhook.palisade-sys.svc', 'palisade-webhook.palisade-sys.svc.cluster.local'])
      expect(leaf.checkHost(h)).toBe(h);
    expect(new X509Certificate(a.servingPem()).fingerprint256).toBe(leaf.fingerprint256);
    expect((secret.body['metadata'] as { labels?: Obj }).labels).toEqual({
      'app.kubernetes.io/managed-by': 'Helm',
    });

    // deleting the release (its ClusterRole) lets the garbage collector remove the configurations
    expect((cfg['metadata'] as Obj)['ownerReferences']).toEqual([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        name: 'palisade-svc-webhook',
        uid: roleUid,
        blockOwnerDeletion: false,
      },
    ]);
    const byName = new Map(hooksOf(cfg).map((h) => [String(h['name']), h]));
    const fail = byName.get('validate.palisade.svc-fail');
    const ignore = byName.get('validate.palisade.svc-ignore');
    expect(fail?.['clientConfig']).toEqual({
      service: { ...svc, path: '/validate/fail' },
      caBundle: Buffer.from(caPem).toString('base64'),
    });
    expect((ignore?.['clientConfig'] as Obj)['service']).toEqual({ ...svc, path: '/validate/ignore' });
    expect(ignore && caBundleOf(ignore)).toBe(caPem);
    // the policy's own settings win; the flags fill in for the policy that sets none
    expect([fail?.['failurePolicy'], fail?.['timeoutSeconds']]).toEqual(['Fail', 15]);
    expect([ignore?.['failurePolicy'], ignore?.['timeoutSeconds']]).toEqual(['Ignore', 7]);
    const rulesOf = (h: Obj | undefined): string[] =>
      ((h?.['rules'] as { resources: string[] }[] | undefined) ?? []).flatMap((r) => r.resources);
    expect(rulesOf(fail)).toEqual(['configmaps']);
    expect(rulesOf(ignore)).toEqual(expect.arrayContaining(['pods', 'deployments']));
    for (const h of [fail, ignore])
      expect(h?.['namespaceSelector']).toEqual({
        matchExpressions: [
          {
            key: 'kubernetes.io/metadata.name',
            operator: 'NotIn',
            values: ['kube-system', 'monitoring', 'palisade-sys'],
          },
        ],
      });

    // a second replica adopts the Secret's certificates and leaves the configurations as they are
    const rv = (cfg['metadata'] as { resourceVersion: string }).resourceVersion;
    const b = await start(opts);
    await b.settled();
    expect(b.servingPem()).toBe(a.servingPem());
    expect(b.caPem()).toBe(a.caPem());
    await sleep(1000); // five certificate checks each: nothing due, nothing written
    const after = await getObj(`${VWC}/palisade-svc`);
    expect((after.body['metadata'] as { resourceVersion: string }).resourceVersion).toBe(rv);
    const secretAfter = await getObj(`/api/v1/namespaces/${ns}/secrets/palisade-webhook-tls`);
    expect((secretAfter.body['metadata'] as Obj)['resourceVersion']).toBe(
      (secret.body['metadata'] as Obj)['resourceVersion'],
    );

    // one replica exiting keeps the configurations (the other still serves them)
    await stop(a);
    expect((await getObj(`${VWC}/palisade-svc`)).status).toBe(200);
    // a restart keeps the CA: nothing for the apiserver to re-learn
    await stop(b);
    const c = await start(opts);
    expect(c.caPem()).toBe(caPem);
    await stop(c, false);
    expect((await getObj(`${VWC}/palisade-svc`)).status).toBe(404);
    await remove(cluster, failPolicy);
    await remove(cluster, defaultPolicy);
  }, 60_000);
});

describe('self-managed certificate rotation', () => {
  it('renews the serving cert and rolls the CA while the apiserver keeps calling, caBundle updated', async () => {
    const ns = 'rot-a';
    await cluster.request('POST', '/api/v1/namespaces', { metadata: { name: ns } });
    await cluster.createNamespace(ns);
    await cluster.request('POST', '/api/v1/namespaces', { metadata: { name: 'rot-sys' } });
    await apply(cluster, denyPrivileged('rot', ['rot-*']));
    // serving certificate renewed about every 4 s, the CA about every 10 s
    const h = await start({
      name: 'palisade-rot',
      ownNamespace: 'rot-sys',
      certSecret: { namespace: 'rot-sys', name: 'rot-tls' },
      servingValidityMs: 6_000,
      caValidityMs: 15_000,
      certCheckMs: 250,
    });
    let last = '';
    await waitUntil('privileged pods denied', async () => {
      const r = await createPod(ns, true);
      last = `${r.status} ${String(r.body['message'])}`;
      return deniedBy(r, 'rot') ? true : undefined;
    }).catch((err: unknown) => {
      throw new Error(`${String(err)}; last answer ${last}`);
    });
    const served = new Set<string>();
    const bundles = new Set<string>();
    const cas = new Set<string>();
    let twoCaBundle = false;
    const failures: string[] = [];
    let calls = 0;
    // Secret resourceVersion → its data: a write without a change would show as two versions of one content
    const secretVersions = new Map<string, string>();
    const end = Date.now() + 16_000;
    while (Date.now() < end) {
      const ok = await createPod(ns, false);
      const bad = await createPod(ns, true);
      calls += 2;
      if (ok.status !== 201)
        failures.push(`admitted pod: ${ok.status} ${JSON.stringify(ok.body['message'])}`);
      if (!deniedBy(bad, 'rot'))
        failures.push(`denied pod: ${bad.status} ${JSON.stringify(bad.body['message'])}`);
      served.add(await servedFingerprint(h.port));
      const cfg = await getObj(`${VWC}/palisade-rot`);
      const bundle = caBundleOf(hooksOf(cfg.body)[0] ?? {});
      bundles.add(bundle);
      const certs = pemCerts(bundle);
      for (const c of certs) cas.add(c.fingerprint256);
      if (certs.length === 2) twoCaBundle = true;
      const sec = await getObj('/api/v1/namespaces/rot-sys/secrets/rot-tls');
      secretVersions.set(
        String((sec.body['metadata'] as Obj)['resourceVersion']),
        JSON.stringify(sec.body['data']),
      );
      await sleep(150);
    }
    console.log(
      `rotation: ${calls} pod creates through the apiserver, ${failures.length} failed; ` +
        `${served.size} serving certificates, ${cas.size} CAs, ${bundles.size} caBundles seen`,
    );
    expect(failures).toEqual([]);
    expect(served.size).toBeGreaterThanOrEqual(3);
    expect(cas.size).toBeGreaterThanOrEqual(2);
    expect(twoCaBundle).toBe(true);
    expect(new Set(secretVersions.values()).size).toBe(secretVersions.size);
    // the configuration and the Secret end up with what the server uses
    await h.settled();
    await waitUntil('caBundle equal to the current CAs', async () => {
      const cfg = await getObj(`${VWC}/palisade-rot`);
      return hooksOf(cfg.body).every((w) => caBundleOf(w) === h.caPem()) ? true : undefined;
    });
    const secret = await getObj('/api/v1/namespaces/rot-sys/secrets/rot-tls');
    const leaf = new X509Certificate(secretData(secret.body, 'tls.crt'));
    const current = await servedFingerprint(h.port);
    expect([leaf.fingerprint256, new X509Certificate(h.servingPem()).fingerprint256]).toContain(current);
    await stop(h);
    await remove(cluster, denyPrivileged('rot', ['rot-*']));
  }, 90_000);
});

describe('certificates from files', () => {
  it('reloads a changed certificate, updates the caBundle, and keeps the old pair when a file is broken', async () => {
    const ns = 'files-a';
    await cluster.request('POST', '/api/v1/namespaces', { metadata: { name: ns } });
    await cluster.createNamespace(ns);
    await apply(cluster, denyPrivileged('files', ['files-*']));
    const dir = mkdtempSync(join(tmpdir(), 'palisade-webhook-files-'));
    dirs.push(dir);
    const paths = {
      certFile: join(dir, 'tls.crt'),
      keyFile: join(dir, 'tls.key'),
      caBundleFile: join(dir, 'ca.crt'),
    };
    const issue = (cn: string): { ca: string; cert: string; fp: string } => {
      const now = Date.now();
      const ca = createCertificate({
        commonName: cn,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 3_600_000),
      });
      const leaf = createCertificate({
        commonName: 'webhook',
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 3_600_000),
        issuer: ca,
        hosts: ['127.0.0.1'],
      });
      writeFileSync(paths.keyFile, leaf.keyPem);
      writeFileSync(paths.certFile, leaf.certPem);
      writeFileSync(paths.caBundleFile, ca.certPem);
      return { ca: ca.certPem, cert: leaf.certPem, fp: new X509Certificate(leaf.certPem).fingerprint256 };
    };
    const first = issue('files-ca-1');
    const h = await start({ name: 'palisade-files', tlsFiles: paths, certCheckMs: 200 });
    expect(await servedFingerprint(h.port)).toBe(first.fp);
    await waitUntil('caBundle of the first CA', async () => {
      const w = hooksOf((await getObj(`${VWC}/palisade-files`)).body);
      return w.length && w.every((x) => caBundleOf(x) === first.ca) ? true : undefined;
    });
    const firstDenied = await createPod(ns, true);
    expect(deniedBy(firstDenied, 'files'), JSON.stringify(firstDenied.body)).toBe(true);

    const second = issue('files-ca-2');
    await waitUntil('the new certificate served', async () =>
      (await servedFingerprint(h.port)) === second.fp ? true : undefined,
    );
    await waitUntil('caBundle of the second CA', async () => {
      const w = hooksOf((await getObj(`${VWC}/palisade-files`)).body);
      return w.length && w.every((x) => caBundleOf(x) === second.ca) ? true : undefined;
    });
    // the apiserver trusts the new CA: the webhook still answers
    const denied = await createPod(ns, true);
    expect(deniedBy(denied, 'files'), JSON.stringify(denied.body)).toBe(true);
    expect((await createPod(ns, false)).status).toBe(201);

    // a half-written certificate: keep serving the last good pair
    writeFileSync(paths.certFile, '-----BEGIN CERTIFICATE-----\nnot a cert\n');
    await sleep(800);
    expect(await servedFingerprint(h.port)).toBe(second.fp);
    const stillDenied = await createPod(ns, true);
    expect(deniedBy(stillDenied, 'files'), JSON.stringify(stillDenied.body)).toBe(true);
    await stop(h);
    await remove(cluster, denyPrivileged('files', ['files-*']));
  }, 60_000);
});
