import { connect, type ClientHttp2Session } from 'node:http2';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
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

interface Answer {
  status: number;
  text: string;
  /** ALPN protocol of the connection the answer came on (false: none negotiated). */
  alpn: string | false;
  headers: Record<string, string | string[] | undefined>;
}

/** An HTTP/1.1 POST; `alpn` lists the protocols offered (none by default, as node:https does). */
function post(
  port: number,
  path: string,
  body: string,
  o: { alpn?: string[]; ca?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        ca: o.ca ?? certs.current.ca.certPem,
        agent: false,
        ...(o.alpn ? { ALPNProtocols: o.alpn } : {}),
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            alpn: (res.socket as import('node:tls').TLSSocket).alpnProtocol ?? false,
            headers: res.headers,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function h2connect(port: number, ca = certs.current.ca.certPem): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = connect(`https://127.0.0.1:${port}`, { ca });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** One HTTP/2 POST on an open session. */
function h2post(s: ClientHttp2Session, path: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const st = s.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json' });
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    st.on('response', (h) => {
      status = Number(h[':status']);
      headers = h;
    });
    st.on('data', (c: Buffer) => chunks.push(c));
    st.on('end', () => {
      // a stream closed without an answer (the session destroyed) ends with no status
      if (!status) reject(new Error(`stream closed without an answer (rstCode ${st.rstCode})`));
      else
        resolve({ status, text: Buffer.concat(chunks).toString(), alpn: s.alpnProtocol ?? false, headers });
    });
    st.on('error', reject);
    st.end(body);
  });
}

const allowedOf = (a: Answer): boolean =>
  (JSON.parse(a.text) as { response: { allowed: boolean } }).response.allowed;

const slowDeps = (
  started: { n: number },
  ms: number,
): ConstructorParameters<typeof WebhookServer>[0]['deps'] => ({
  policies: () => set,
  evaluate: async (e, r) => {
    started.n++;
    await new Promise((res) => setTimeout(res, ms));
    return e.evaluate(r);
  },
});

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
    const started = { n: 0 };
    const s = new WebhookServer({ tls: certs.current.serving, deps: slowDeps(started, 400) });
    const port = await s.listen();
    const inflight = post(port, '/validate/fail?timeout=10s', review);
    while (started.n === 0) await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    const closing = s.close(5000);
    await new Promise((r) => setTimeout(r, 50));
    await expect(post(port, '/validate/fail', review)).rejects.toThrow(/ECONNREFUSED/);
    const answered = await inflight;
    expect(answered.status).toBe(200);
    // the client is told not to reuse the connection
    expect(answered.headers['connection']).toBe('close');
    expect(await closing).toBe(0);
    expect(performance.now() - t0).toBeGreaterThan(300);
  });

  it('answers HTTP/2 clients (ALPN h2), many reviews multiplexed on one connection', async () => {
    const s = new WebhookServer({ tls: certs.current.serving, deps: { policies: () => set } });
    const port = await s.listen();
    const allowedReview = review.replace(
      '"metadata":{"name":"x","namespace":"n"}',
      '"metadata":{"name":"x","namespace":"n","labels":{"ok":"yes"}}',
    );
    expect(allowedReview).not.toBe(review);
    const h2 = await h2connect(port);
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          h2post(h2, '/validate/fail?timeout=10s', i % 2 ? allowedReview : review),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array<number>(40).fill(200));
      expect(answers.map(allowedOf)).toEqual(Array.from({ length: 40 }, (_, i) => i % 2 === 1));
      expect(answers[0]?.alpn).toBe('h2');
      // flow-control windows large enough for hundreds of concurrent review bodies (HTTP/2's
      // 64 KiB defaults hold about 20 of the apiserver's Pod reviews)
      expect(h2.remoteSettings.initialWindowSize).toBe(1 << 20);
      expect(h2.state.remoteWindowSize).toBeGreaterThan(8 << 20);
      expect(answers[0]?.headers['content-type']).toBe('application/json');
      expect(s.connections).toEqual({ h2: 1, h1: 0 });
      expect(s.stats.reviews).toBe(40);
      // the same endpoints as over HTTP/1.1
      expect((await h2post(h2, '/nope', review)).status).toBe(404);
      expect((await h2post(h2, '/validate/fail', '{')).status).toBe(400);
      const ready = await new Promise<number>((resolve, reject) => {
        const st = h2.request({ ':path': '/readyz' });
        st.on('response', (h) => resolve(Number(h[':status'])));
        st.on('error', reject);
        st.resume();
      });
      expect(ready).toBe(200);
    } finally {
      h2.close();
      await s.close(100);
    }
  });

  it('answers HTTP/1.1 clients that offer only http/1.1 (client-go for Service webhooks) or no ALPN', async () => {
    const s = new WebhookServer({ tls: certs.current.serving, deps: { policies: () => set } });
    const port = await s.listen();
    try {
      const pinned = await post(port, '/validate/fail?timeout=10s', review, { alpn: ['http/1.1'] });
      expect(pinned.status).toBe(200);
      expect(pinned.alpn).toBe('http/1.1');
      expect(allowedOf(pinned)).toBe(false);
      const none = await post(port, '/validate/fail?timeout=10s', review);
      expect(none.status).toBe(200);
      expect(none.alpn).toBe(false);
      expect(s.stats.h1Connections).toBe(2);
      expect(s.stats.h2Sessions).toBe(0);
    } finally {
      await s.close(100);
    }
  });

  it('bounds HTTP/2 request bodies: 413, and the session stays usable', async () => {
    const s = new WebhookServer({
      tls: certs.current.serving,
      deps: { policies: () => set },
      maxBodyBytes: 4096,
    });
    const port = await s.listen();
    const h2 = await h2connect(port);
    try {
      // no content-length is sent by this client for a streamed body: the bound counts bytes
      const big = await new Promise<number>((resolve, reject) => {
        const st = h2.request({ ':method': 'POST', ':path': '/validate/fail' });
        st.on('response', (h) => resolve(Number(h[':status'])));
        st.on('error', reject);
        st.write('x'.repeat(3000));
        st.write('x'.repeat(3000));
        st.resume();
      });
      expect(big).toBe(413);
      const ok = await h2post(h2, '/validate/fail?timeout=10s', review);
      expect(ok.status).toBe(200);
    } finally {
      h2.close();
      await s.close(100);
    }
  });

  it('drains with an open HTTP/2 session: GOAWAY, the in-flight review is answered, new connections are refused', async () => {
    const started = { n: 0 };
    const s = new WebhookServer({ tls: certs.current.serving, deps: slowDeps(started, 400) });
    const port = await s.listen();
    const h2 = await h2connect(port);
    const goaway = new Promise<number>((r) => h2.once('goaway', (code: number) => r(code)));
    const inflight = h2post(h2, '/validate/fail?timeout=10s', review);
    while (started.n === 0) await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    const closing = s.close(5000);
    expect(await goaway).toBe(0); // NO_ERROR: a graceful shutdown
    await expect(h2connect(port)).rejects.toThrow(/ECONNREFUSED/);
    const answered = await inflight;
    expect(answered.status).toBe(200);
    expect(allowedOf(answered)).toBe(false);
    expect(await closing).toBe(0);
    expect(performance.now() - t0).toBeGreaterThan(300);
    h2.destroy();
  });

  it('cuts off reviews still running at the drain deadline, and reports how many', async () => {
    const started = { n: 0 };
    const s = new WebhookServer({ tls: certs.current.serving, deps: slowDeps(started, 3000) });
    const port = await s.listen();
    const h2 = await h2connect(port);
    h2.on('error', () => undefined);
    const inflight = h2post(h2, '/validate/fail?timeout=10s', review).then(
      () => 'answered',
      () => 'cut off',
    );
    while (started.n === 0) await new Promise((r) => setTimeout(r, 10));
    expect(await s.close(100)).toBe(1);
    expect(await inflight).toBe('cut off');
    h2.destroy();
  });

  it('serves a rotated certificate to new connections, over HTTP/2 and HTTP/1.1', async () => {
    const s = new WebhookServer({ tls: certs.current.serving, deps: { policies: () => set } });
    const port = await s.listen();
    const other = new CertManager({ hosts: ['127.0.0.1'] });
    const fingerprint = (ca: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const sock = tlsConnect({ host: '127.0.0.1', port, ca, ALPNProtocols: ['h2'] }, () => {
          resolve(`${sock.getPeerX509Certificate()?.fingerprint256 ?? ''} ${String(sock.alpnProtocol)}`);
          sock.end();
        });
        sock.on('error', reject);
      });
    try {
      const before = await fingerprint(certs.current.ca.certPem);
      s.setTls(other.current.serving);
      const after = await fingerprint(other.current.ca.certPem);
      expect(after).not.toBe(before);
      expect(after.endsWith(' h2')).toBe(true);
      // the old CA no longer verifies the server
      await expect(fingerprint(certs.current.ca.certPem)).rejects.toThrow();
      const h2 = await h2connect(port, other.current.ca.certPem);
      expect((await h2post(h2, '/validate/fail?timeout=10s', review)).status).toBe(200);
      h2.close();
      const h1 = await post(port, '/validate/fail?timeout=10s', review, { ca: other.current.ca.certPem });
      expect(h1.status).toBe(200);
    } finally {
      await s.close(100);
    }
  });

  it('hands every answered review to onOutcome after the answer, and before close() resolves', async () => {
    const seen: { endpoint: string; allowed: boolean | undefined; inFlight: number }[] = [];
    const s: WebhookServer = new WebhookServer({
      tls: certs.current.serving,
      deps: { policies: () => set },
      onOutcome: (o, endpoint) => {
        const body = o.body as { response?: { allowed?: boolean } };
        // called from the review's own handler, the review would still count as in flight
        seen.push({ endpoint, allowed: body.response?.allowed, inFlight: s.inFlight });
        if (seen.length === 2) throw new Error('a failing handler is logged, not answered');
      },
    });
    const port = await s.listen();
    const h2 = await h2connect(port);
    try {
      const first = await h2post(h2, '/validate/fail?timeout=10s', review);
      expect(first.status).toBe(200);
      await new Promise((r) => setImmediate(r));
      expect(seen).toEqual([{ endpoint: 'validate/Fail', allowed: false, inFlight: 0 }]);
      const a = await Promise.all([1, 2].map(() => h2post(h2, '/validate/fail?timeout=10s', review)));
      expect(a.map((x) => x.status)).toEqual([200, 200]);
      await new Promise((r) => setImmediate(r));
      expect(seen).toHaveLength(3);
      // a review answered just before close() is handed over before close() resolves
      const last = h2post(h2, '/validate/fail?timeout=10s', review);
      await last;
      h2.close();
      await s.close(100);
      expect(seen).toHaveLength(4);
    } finally {
      h2.destroy();
    }
  });

  it('derives the evaluation deadline from the apiserver timeout', () => {
    expect(parseTimeoutParam('10s')).toBe(10_000);
    expect(parseTimeoutParam('500ms')).toBe(500);
    expect(parseTimeoutParam('x')).toBeUndefined();
    expect(deadlineFor(10_000)).toBe(8000);
    expect(deadlineFor(1000)).toBe(800);
  });
});
