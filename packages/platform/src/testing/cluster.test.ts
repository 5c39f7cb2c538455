/**
 * The test cluster helper against the real binaries: one cluster (with an audit webhook sink)
 * for the whole file, as docs/testing-cluster.md recommends.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster } from './cluster.js';
import type { TestCluster } from './cluster.js';

interface AuditEvent {
  verb?: string;
  requestURI?: string;
  user?: { username?: string; groups?: string[] };
  stage?: string;
}

let cluster: TestCluster;
let sink: Server;
const audit: AuditEvent[] = [];

beforeAll(async () => {
  sink = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const list = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        kind?: string;
        items?: AuditEvent[];
      };
      if (list.kind === 'EventList') audit.push(...(list.items ?? []));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const { port } = sink.address() as AddressInfo;
  cluster = await startTestCluster({ auditWebhook: { url: `http://127.0.0.1:${port}/audit` } });
  console.log(`test cluster ready in ${cluster.timings.totalMs} ms ${JSON.stringify(cluster.timings)}`);
});

afterAll(async () => {
  await cluster?.stop();
  await new Promise<void>((r) => sink?.close(() => r()));
});

async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('test cluster', () => {
  it('serves the pinned Kubernetes release on 127.0.0.1 with a certificate for 127.0.0.1 and localhost', async () => {
    expect(cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const v = await cluster.request('GET', '/version');
    expect(v.status).toBe(200);
    expect((v.body as { gitVersion: string }).gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    const cert = new X509Certificate(readFileSync(`${cluster.workDir}/pki/apiserver.crt`, 'utf8'));
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.verify(new X509Certificate(cluster.caPem).publicKey)).toBe(true);
  });

  it('authenticates the admin kubeconfig user as a member of system:masters', async () => {
    const r = await cluster.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    expect(r.status).toBe(201);
    const info = (r.body as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
    expect(info.username).toBe('palisade-admin');
    expect(info.groups).toContain('system:masters');
    expect(cluster.kubeconfig).toContain('client-certificate-data:');
  });

  it('authorizes with RBAC: a service account without bindings is forbidden, and allowed once bound', async () => {
    await cluster.createNamespace('rbac-check');
    const token = await cluster.request(
      'POST',
      '/api/v1/namespaces/rbac-check/serviceaccounts/default/token',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 600 },
      },
    );
    expect(token.status).toBe(201);
    const jwt = (token.body as { status: { token: string } }).status.token;
    const asSa = async (): Promise<number> => {
      const { request } = await import('node:https');
      return await new Promise((resolve, reject) => {
        const req = request(
          `${cluster.server}/api/v1/namespaces/rbac-check/secrets`,
          { ca: cluster.caPem, headers: { authorization: `Bearer ${jwt}` } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    };
    expect(await asSa()).toBe(403);
    const role = await cluster.request(
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/rbac-check/roles',
      {
        metadata: { name: 'read-secrets' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }],
      },
    );
    expect(role.status).toBe(201);
    const binding = await cluster.request(
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/rbac-check/rolebindings',
      {
        metadata: { name: 'read-secrets' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-secrets' },
        subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'rbac-check' }],
      },
    );
    expect(binding.status).toBe(201);
    await waitUntil('the binding to take effect', async () => (await asSa()) === 200);
  });

  it('admits a pod (the namespace has its default service account) and sends audit events to the webhook', async () => {
    await cluster.createNamespace('audit-check');
    const pod = await cluster.request('POST', '/api/v1/namespaces/audit-check/pods', {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'example.invalid/none:1' }] },
    });
    expect(pod.status).toBe(201);
    await waitUntil('the pod create in the audit log', () =>
      audit.some((e) => e.verb === 'create' && e.requestURI === '/api/v1/namespaces/audit-check/pods'),
    );
    const ev = audit.find(
      (e) => e.verb === 'create' && e.requestURI === '/api/v1/namespaces/audit-check/pods',
    );
    expect(ev?.user?.username).toBe('palisade-admin');
  });

  it('keeps its data across an apiserver restart', async () => {
    const before = cluster.pids().apiserver;
    const cm = await cluster.request('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'survives-restart' },
      data: { k: 'v' },
    });
    expect(cm.status).toBe(201);
    const t0 = performance.now();
    await cluster.restartApiserver();
    console.log(`apiserver restart took ${Math.round(performance.now() - t0)} ms`);
    expect(cluster.pids().apiserver).not.toBe(before);
    const got = await cluster.request('GET', '/api/v1/namespaces/default/configmaps/survives-restart');
    expect(got.status).toBe(200);
    expect((got.body as { data: Record<string, string> }).data).toEqual({ k: 'v' });
  });

  it('compacts etcd to its current revision', async () => {
    const rev = await cluster.compactEtcd();
    expect(rev).toBeGreaterThan(1);
    // A read at an older revision is refused by etcd now.
    const res = await fetch(`${cluster.etcdUrl}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key: Buffer.from('/').toString('base64'), revision: String(rev - 1) }),
    });
    expect(await res.text()).toContain('required revision has been compacted');
  });
});

describe('stopping a cluster', () => {
  it('kills both processes and removes its temp dir', async () => {
    const c = await startTestCluster();
    const { etcd, apiserver } = c.pids();
    const dir = c.workDir;
    expect(existsSync(dir)).toBe(true);
    await c.stop();
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive(etcd)).toBe(false);
    expect(alive(apiserver)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});
