/**
 * The HTTPS adapter around handleAdmission: POST /validate/{fail,ignore} and /mutate/{fail,ignore}
 * (AdmissionReview v1), GET /healthz and /readyz.
 *
 * - HTTP/2 with HTTP/1.1 fallback (ALPN `h2`, `http/1.1`). kube-apiserver negotiates h2 for
 *   URL webhooks on a loopback address and then multiplexes every review over one connection; for
 *   everything else (Service webhooks: client-go pins `http/1.1`, kubernetes/kubernetes#75791) it
 *   speaks HTTP/1.1 keep-alive and keeps at most 25 idle connections per host.
 *   HTTP/2 streams are served with the core stream API, HTTP/1.1 requests with node:http's.
 * - Bodies are bounded; the answer deadline comes from the `timeout` query parameter the apiserver
 *   adds to every webhook call (falling back to the group's timeoutSeconds).
 * - The TLS context is swapped in place when certificates rotate (new handshakes use it; open
 *   connections keep theirs).
 * - close() stops accepting, sends GOAWAY on every HTTP/2 session and `connection: close` on
 *   HTTP/1.1 answers, closes idle HTTP/1.1 connections, lets in-flight reviews finish (bounded),
 *   then drops what is left.
 * - onOutcome (PolicyReports, metrics) runs after the answer is written, in batches off the
 *   request's own turn of the event loop.
 */
import { constants as h2c, createSecureServer } from 'node:http2';
import type {
  Http2SecureServer,
  IncomingHttpHeaders,
  ServerHttp2Session,
  ServerHttp2Stream,
} from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
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
  /**
   * Called after each answered review (reports, metrics), after the answer was written and in
   * batches; errors are logged, never answered.
   */
  onOutcome?: (o: AdmissionOutcome, endpoint: string) => void;
  /** Ready once policies are loaded; /readyz answers 503 before. */
  ready?: () => boolean;
  /** Largest request body; default 3 MiB (the apiserver's own request limit). */
  maxBodyBytes?: number;
  /** Concurrent streams per HTTP/2 connection; default 1000 (a client opens another connection beyond). */
  maxConcurrentStreams?: number;
  logger?: Logger;
}

/** `10s` / `1m` / `500ms` (the apiserver sends whole seconds: `timeout=10s`). */
export function parseTimeoutParam(v: string | null | undefined): number | undefined {
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

/** The `timeout` parameter of a query string (`timeout=10s`), without building a URL object. */
function timeoutOf(query: string): string | undefined {
  for (const part of query.split('&')) {
    if (part.startsWith('timeout=')) return decodeURIComponent(part.slice(8));
  }
  return undefined;
}

const TLS_OPTIONS = { minVersion: 'TLSv1.2' } as const;
const JSON_TYPE = 'application/json';
/** Connection-level receive window of an HTTP/2 session (bytes of request bodies in flight). */
const SESSION_WINDOW = 16 << 20;

/** One request, whichever protocol carried it. */
interface Exchange {
  method: string;
  path: string;
  query: string;
  contentLength: number | undefined;
  body: Readable;
  /** Writes the whole answer; `close`: the connection (HTTP/1.1) or stream (HTTP/2) ends after it. */
  reply(status: number, body: string, close?: boolean): void;
  /** The answer can no longer be delivered (client gone). */
  gone(): boolean;
}

type H1Socket = Socket & { palisadeActive?: number };

export class WebhookServer {
  private readonly server: Http2SecureServer;
  private readonly o: WebhookServerOptions;
  private readonly log: Logger;
  private readonly maxBody: number;
  private inflight = 0;
  private drainWaiters: (() => void)[] = [];
  private closing = false;
  private readonly sessions = new Set<ServerHttp2Session>();
  private readonly h1Sockets = new Set<H1Socket>();
  private pending: { outcome: AdmissionOutcome; endpoint: string }[] = [];
  private pendingScheduled = false;
  readonly stats = {
    reviews: 0,
    denied: 0,
    errors: 0,
    timeouts: 0,
    rejectedWhileClosing: 0,
    h2Sessions: 0,
    h1Connections: 0,
  };

  constructor(o: WebhookServerOptions) {
    this.o = o;
    this.log = (o.logger ?? nullLogger).child({ component: 'webhook-server' });
    this.maxBody = o.maxBodyBytes ?? 3 * 1024 * 1024;
    this.server = createSecureServer({
      cert: o.tls.certPem,
      key: o.tls.keyPem,
      ...TLS_OPTIONS,
      allowHTTP1: true,
      // HTTP/2's default flow-control windows (64 KiB per stream and per connection) hold a few
      // reviews at a time: the rest of 200 concurrent bodies would wait for WINDOW_UPDATEs
      settings: { maxConcurrentStreams: o.maxConcurrentStreams ?? 1000, initialWindowSize: 1 << 20 },
      // headers and buffered bodies of all open streams of one session, in MB (default 10)
      maxSessionMemory: 64,
    });
    // HTTP/1.1 (ALPN http/1.1 or none): node:http's request/response on the TLS socket.
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onH1(req, res));
    // Adding a 'request' listener makes Node route HTTP/2 streams through its compatibility layer
    // (Http2ServerRequest/Response) as well; HTTP/2 is served from the stream API instead.
    this.server.removeAllListeners('stream');
    this.server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) =>
      this.onStream(stream, headers),
    );
    this.server.on('session', (s: ServerHttp2Session) => {
      this.stats.h2Sessions++;
      this.sessions.add(s);
      s.setLocalWindowSize(SESSION_WINDOW);
      s.once('close', () => this.sessions.delete(s));
      if (this.closing) s.close();
    });
    this.server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.alpnProtocol === 'h2') return;
      const s = socket as unknown as H1Socket;
      s.palisadeActive = 0;
      this.stats.h1Connections++;
      this.h1Sockets.add(s);
      s.once('close', () => this.h1Sockets.delete(s));
    });
    // node:http's keep-alive timeout for HTTP/1.1 connections (not typed on the HTTP/2 server)
    (this.server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 30_000;
    // an HTTP/2 session (or HTTP/1.1 connection) idle this long is closed; the apiserver reconnects
    this.server.setTimeout(120_000);
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
    this.server.setSecureContext({ cert: tls.certPem, key: tls.keyPem, ...TLS_OPTIONS });
  }

  get inFlight(): number {
    return this.inflight;
  }

  /** Open connections by protocol (HTTP/2 sessions, HTTP/1.1 connections). */
  get connections(): { h2: number; h1: number } {
    return { h2: this.sessions.size, h1: this.h1Sockets.size };
  }

  /**
   * Graceful shutdown: stop accepting, send GOAWAY on HTTP/2 sessions (open streams finish, new
   * ones go elsewhere), close idle HTTP/1.1 connections, wait for in-flight reviews (at most
   * `drainMs`), then close every connection. Resolves with the number of reviews that were still
   * running at the deadline.
   */
  async close(drainMs = 10_000): Promise<number> {
    this.closing = true;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sessions) s.close();
    for (const s of this.h1Sockets) if (!s.palisadeActive) s.destroySoon();
    if (this.inflight > 0) {
      await Promise.race([
        new Promise<void>((r) => this.drainWaiters.push(r)),
        new Promise<void>((r) => setTimeout(r, drainMs).unref()),
      ]);
    }
    const left = this.inflight;
    this.runOutcomes();
    for (const s of this.sessions) s.destroy();
    for (const s of this.h1Sockets) s.destroy();
    await closed;
    return left;
  }

  // ---------- protocols ----------

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', () => undefined); // a reset stream; the session goes on
    const rawPath = headers[':path'] ?? '/';
    const q = rawPath.indexOf('?');
    const cl = headers['content-length'];
    this.dispatch({
      method: headers[':method'] ?? 'GET',
      path: q < 0 ? rawPath : rawPath.slice(0, q),
      query: q < 0 ? '' : rawPath.slice(q + 1),
      contentLength: cl === undefined ? undefined : Number(cl),
      body: stream,
      gone: () => stream.destroyed || stream.closed,
      reply: (status, body, close) => {
        if (stream.destroyed || stream.closed || stream.headersSent) return;
        stream.respond({
          ':status': status,
          'content-type': JSON_TYPE,
          'content-length': Buffer.byteLength(body),
        });
        stream.end(body);
        // the rest of an unread (too large) body is refused, not received
        if (close) stream.close(h2c.NGHTTP2_NO_ERROR);
      },
    });
  }

  private onH1(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket as H1Socket;
    socket.palisadeActive = (socket.palisadeActive ?? 0) + 1;
    res.once('close', () => {
      socket.palisadeActive = (socket.palisadeActive ?? 1) - 1;
      if (this.closing && socket.palisadeActive === 0) socket.destroySoon();
    });
    const rawPath = req.url ?? '/';
    const q = rawPath.indexOf('?');
    const cl = req.headers['content-length'];
    this.dispatch({
      method: req.method ?? 'GET',
      path: q < 0 ? rawPath : rawPath.slice(0, q),
      query: q < 0 ? '' : rawPath.slice(q + 1),
      contentLength: cl === undefined ? undefined : Number(cl),
      body: req,
      gone: () => res.destroyed,
      reply: (status, body, close) => {
        if (res.headersSent || res.destroyed) return;
        res.writeHead(status, {
          'content-type': JSON_TYPE,
          'content-length': Buffer.byteLength(body),
          ...(close || this.closing ? { connection: 'close' } : {}),
        });
        res.end(body);
      },
    });
  }

  // ---------- requests ----------

  private dispatch(x: Exchange): void {
    this.handle(x).catch((err: unknown) => {
      this.stats.errors++;
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'webhook request failed');
      x.reply(500, '{"error":"internal error"}');
    });
  }

  /** The body, or 'too-large' past the bound, or undefined when the client went away. */
  private readBody(x: Exchange): Promise<Buffer | 'too-large' | undefined> {
    if (x.contentLength !== undefined && x.contentLength > this.maxBody) return Promise.resolve('too-large');
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const body = x.body;
      const done = (v: Buffer | 'too-large' | undefined): void => {
        body.off('data', onData);
        body.off('end', onEnd);
        body.off('error', onGone);
        body.off('close', onGone);
        resolve(v);
      };
      const onData = (c: Buffer): void => {
        size += c.length;
        if (size > this.maxBody) {
          body.pause();
          done('too-large');
        } else chunks.push(c);
      };
      const onEnd = (): void => done(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
      const onGone = (): void => done(undefined);
      body.on('data', onData);
      body.once('end', onEnd);
      body.once('error', onGone);
      body.once('close', onGone);
    });
  }

  private async handle(x: Exchange): Promise<void> {
    if (x.method === 'GET' && x.path === '/healthz') return x.reply(200, '{"ok":true}');
    if (x.method === 'GET' && x.path === '/readyz') {
      const ok = !this.closing && (this.o.ready?.() ?? true);
      return x.reply(ok ? 200 : 503, JSON.stringify({ ready: ok }));
    }
    const ep = parseEndpointPath(x.path);
    if (!ep) return x.reply(404, JSON.stringify({ error: `no endpoint ${x.path}` }));
    if (x.method !== 'POST') return x.reply(405, '{"error":"POST an AdmissionReview"}');
    this.inflight++;
    try {
      const body = await this.readBody(x);
      if (body === undefined) return;
      if (body === 'too-large') return x.reply(413, '{"error":"request body too large"}', true);
      let review: unknown;
      try {
        review = JSON.parse(body.toString('utf8'));
      } catch {
        return x.reply(400, '{"error":"body is not JSON"}');
      }
      const endpoint = `${ep.endpoint}/${ep.failurePolicy}` as const;
      const group = this.o.deps.policies().groups[endpoint];
      const timeoutMs = parseTimeoutParam(timeoutOf(x.query)) ?? group.timeoutSeconds * 1000;
      const outcome = await handleAdmission(review, ep, {
        ...this.o.deps,
        deadlineMs: deadlineFor(timeoutMs),
      });
      this.stats.reviews++;
      if (outcome.timedOut) this.stats.timeouts++;
      const resp = 'response' in outcome.body ? outcome.body.response : undefined;
      if (resp && !resp.allowed) this.stats.denied++;
      x.reply(outcome.httpStatus, JSON.stringify(outcome.body));
      if (this.o.onOutcome) this.queueOutcome(outcome, endpoint);
    } finally {
      this.inflight--;
      if (this.inflight === 0) {
        for (const w of this.drainWaiters.splice(0)) w();
      }
    }
  }

  // ---------- after the answer ----------

  private queueOutcome(outcome: AdmissionOutcome, endpoint: string): void {
    this.pending.push({ outcome, endpoint });
    if (this.pendingScheduled) return;
    this.pendingScheduled = true;
    setImmediate(() => this.runOutcomes());
  }

  private runOutcomes(): void {
    this.pendingScheduled = false;
    const batch = this.pending;
    this.pending = [];
    const fn = this.o.onOutcome;
    if (!fn) return;
    for (const { outcome, endpoint } of batch) {
      try {
        fn(outcome, endpoint);
      } catch (err) {
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'outcome handler failed');
      }
    }
  }
}
