import { request } from 'node:https';
import { describe, expect, it } from 'vitest';
import { loadPolicyText } from '../../policy/loader/index.js';
import { CertManager } from './certs.js';
import { buildPolicySet } from './policyset.js';
import { WebhookServer, deadlineFor, parseTimeoutParam } from './server.js';

const set = buildPolicySet(
  loadPolicyText(
    `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: { name: p }
spec:
  validationFailureAction: Enforce
  rules:
    - name: r
      match: { any: [ { resources: { kinds: [Pod] } } ] }
      validate: { message: no, pattern: { metadata: { labels: { ok: "yes" } } } }
`,
    'p.yaml',
  ).policies,
);
const certs = new CertManager({ hosts: ['127.0.0.1'] });

function post(port: number, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        ca: certs.current.ca.certPem,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const review = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'u',
    operation: 'CREATE',
    kind: { kind: 'Pod' },
    namespace: 'n',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'n' } },
  },
});

describe('WebhookServer', () => {
  it('answers reviews over TLS, 404 for unknown paths, 413 beyond the body bound, 400 for non-JSON', async () => {
    const s = new WebhookServer({
      tls: certs.current.serving,
      deps: { policies: () => set },
      maxBodyBytes: 4096,
    });
    const port = await s.listen();
    try {
      const ok = await post(port, '/validate/fail?timeout=10s', review);
      expect(ok.status).toBe(200);
      expect((JSON.parse(ok.text) as { response: { allowed: boolean } }).response.allowed).toBe(false);
      expect((await post(port, '/nope', review)).status).toBe(404);
      expect((await post(port, '/validate/fail', 'x'.repeat(5000))).status).toBe(413);
      expect((await post(port, '/validate/fail', '{')).status).toBe(400);
    } finally {
      await s.close(100);
    }
  });

  it('drains in-flight reviews on close and refuses new connections', async () => {
    let started = 0;
    const s = new WebhookServer({
      tls: certs.current.serving,
      deps: {
        policies: () => set,
        evaluate: async (e, r) => {
          started++;
          await new Promise((res) => setTimeout(res, 400));
          return e.evaluate(r);
        },
      },
    });
    const port = await s.listen();
    const inflight = post(port, '/validate/fail?timeout=10s', review);
    while (started === 0) await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    const closing = s.close(5000);
    await new Promise((r) => setTimeout(r, 50));
    await expect(post(port, '/validate/fail', review)).rejects.toThrow(/ECONNREFUSED/);
    const answered = await inflight;
    expect(answered.status).toBe(200);
    expect(await closing).toBe(0);
    expect(performance.now() - t0).toBeGreaterThan(300);
  });

  it('derives the evaluation deadline from the apiserver timeout', () => {
    expect(parseTimeoutParam('10s')).toBe(10_000);
    expect(parseTimeoutParam('500ms')).toBe(500);
    expect(parseTimeoutParam('x')).toBeUndefined();
    expect(deadlineFor(10_000)).toBe(8000);
    expect(deadlineFor(1000)).toBe(800);
  });
});
