/**
 * The HTTPS adapter around handleAdmission: POST /validate/{fail,ignore} and /mutate/{fail,ignore}
 * (AdmissionReview v1), GET /healthz and /readyz. Bodies are bounded; the answer deadline comes
 * from the `timeout` query parameter the apiserver adds to every webhook call (falling back to the
 * group's timeoutSeconds); the TLS context is swapped in place when certificates rotate; close()
 * stops accepting, lets in-flight reviews finish (bounded), then drops the connections.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nullLogger, type Logger } from '../../core/logger.js';
import {
  handleAdmission,
  parseEndpointPath,
  type AdmissionDeps,
  type AdmissionOutcome,
} from './admission.js';

export interface WebhookServerOptions {
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
  tls: { certPem: string; keyPem: string };
  deps: Omit<AdmissionDeps, 'deadlineMs'>;
  /** Called after each answered review (reports, metrics); errors are logged, never answered. */
  onOutcome?: (o: AdmissionOutcome, endpoint: string) => void;
  /** Ready once policies are loaded; /readyz answers 503 before. */
  ready?: () => boolean;
  /** Largest request body; default 3 MiB (the apiserver's own request limit). */
  maxBodyBytes?: number;
  logger?: Logger;
}

/** `10s` / `1m` / `500ms` (the apiserver sends whole seconds: `timeout=10s`). */
export function parseTimeoutParam(v: string | null): number | undefined {
  if (!v) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/** The evaluation deadline for an apiserver timeout: leave time to serialise and send the answer. */
export function deadlineFor(timeoutMs: number): number {
  return Math.max(50, timeoutMs - Math.max(200, timeoutMs * 0.2));
}

export class WebhookServer {
  private readonly server: Server;
  private readonly o: WebhookServerOptions;
  private readonly log: Logger;
  private inflight = 0;
  private drainWaiters: (() => void)[] = [];
  private closing = false;
  readonly stats = { reviews: 0, denied: 0, errors: 0, timeouts: 0, rejectedWhileClosing: 0 };

  constructor(o: WebhookServerOptions) {
    this.o = o;
    this.log = (o.logger ?? nullLogger).child({ component: 'webhook-server' });
    this.server = createServer(
      { cert: o.tls.certPem, key: o.tls.keyPem, minVersion: 'TLSv1.2' },
      (req, res) => {
        this.handle(req, res).catch((err: unknown) => {
          this.stats.errors++;
          this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'webhook request failed');
          if (!res.headersSent) this.send(res, 500, { error: 'internal error' });
        });
      },
    );
    this.server.keepAliveTimeout = 30_000;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Swaps the serving certificate; new handshakes use it at once. */
  setTls(tls: { certPem: string; keyPem: string }): void {
    this.server.setSecureContext({ cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.2' });
  }

  get inFlight(): number {
    return this.inflight;
  }

  /**
   * Graceful shutdown: stop accepting, wait for in-flight reviews (at most `drainMs`), then close
   * every connection. Resolves with the number of reviews that were still running at the deadline.
   */
  async close(drainMs = 10_000): Promise<number> {
    this.closing = true;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeIdleConnections();
    if (this.inflight > 0) {
      await Promise.race([
        new Promise<void>((r) => this.drainWaiters.push(r)),
        new Promise<void>((r) => setTimeout(r, drainMs).unref()),
      ]);
    }
    const left = this.inflight;
    this.server.closeAllConnections();
    await closed;
    return left;
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    const data = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(data),
      ...(this.closing ? { connection: 'close' } : {}),
    });
    res.end(data);
  }

  private async readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > max) return 'too-large';
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > max) return 'too-large';
      chunks.push(c);
    }
    return Buffer.concat(chunks);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://webhook.local');
    if (req.method === 'GET' && url.pathname === '/healthz') return this.send(res, 200, { ok: true });
    if (req.method === 'GET' && url.pathname === '/readyz') {
      const ok = !this.closing && (this.o.ready?.() ?? true);
      return this.send(res, ok ? 200 : 503, { ready: ok });
    }
    const ep = parseEndpointPath(url.pathname);
    if (!ep) return this.send(res, 404, { error: `no endpoint ${url.pathname}` });
    if (req.method !== 'POST') return this.send(res, 405, { error: 'POST an AdmissionReview' });
    this.inflight++;
    try {
      const body = await this.readBody(req, this.o.maxBodyBytes ?? 3 * 1024 * 1024);
      if (body === 'too-large') {
        res.setHeader('connection', 'close');
        return this.send(res, 413, { error: 'request body too large' });
      }
      let review: unknown;
      try {
        review = JSON.parse(body.toString('utf8'));
      } catch {
        return this.send(res, 400, { error: 'body is not JSON' });
      }
      const group = this.o.deps.policies().groups[`${ep.endpoint}/${ep.failurePolicy}`];
      const timeoutMs = parseTimeoutParam(url.searchParams.get('timeout')) ?? group.timeoutSeconds * 1000;
      const outcome = await handleAdmission(review, ep, {
        ...this.o.deps,
        deadlineMs: deadlineFor(timeoutMs),
      });
      this.stats.reviews++;
      if (outcome.timedOut) this.stats.timeouts++;
      const resp = 'response' in outcome.body ? outcome.body.response : undefined;
      if (resp && !resp.allowed) this.stats.denied++;
      this.send(res, outcome.httpStatus, outcome.body);
      if (this.o.onOutcome) {
        try {
          this.o.onOutcome(outcome, `${ep.endpoint}/${ep.failurePolicy}`);
        } catch (err) {
          this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'outcome handler failed');
        }
      }
    } finally {
      this.inflight--;
      if (this.inflight === 0) {
        for (const w of this.drainWaiters.splice(0)) w();
      }
    }
  }
}
