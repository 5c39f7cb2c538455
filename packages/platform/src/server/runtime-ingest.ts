/**
 * HTTP ingestion for `palisade runtime serve`:
 * - the kube-apiserver audit webhook backend: POST an `audit.k8s.io/v1`
 *   EventList (what `--audit-webhook-config-file` sends, in batches), default
 *   path `/k8s-audit` as Falco's k8saudit plugin serves it;
 * - Falco's JSON alerts: POST one alert per request, as Falco's http_output
 *   sends them to falcosidekick (default path `/`).
 * The handlers are pure functions of a body and a sink; the node:http
 * listener at the end is a thin adapter that bounds the body while reading.
 * Bad input (too large, not UTF-8, not JSON, too deep, wrong shape) is
 * answered with a 4xx and a message, and counted; it never throws.
 */
import type * as http from 'node:http';
import type { FalcoAlert } from '../alert/types.js';
import { checkAlert } from '../alert/types.js';
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';

export interface AuditSink {
  /** Audit Event objects of one EventList, in order (not validated beyond being objects). */
  auditEvents(events: Record<string, unknown>[]): void;
}

export interface AlertSink {
  alert(alert: FalcoAlert): void;
}

export interface IngestLimits {
  /** Largest request body accepted (413 above). Default 10 MiB. */
  maxBodyBytes: number;
  /** Deepest JSON nesting accepted (400 above). Default 128. */
  maxDepth: number;
  /** Most events in one EventList (413 above). Default 100 000. */
  maxEvents: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxBodyBytes: 10 * 1024 * 1024,
  maxDepth: 128,
  maxEvents: 100_000,
};

export type RejectReason =
  | 'tooLarge'
  | 'invalidUtf8'
  | 'invalidJson'
  | 'tooDeep'
  | 'badShape'
  | 'wrongMethod'
  | 'notFound'
  | 'sinkError';

export interface IngestCounters {
  auditRequests: number;
  auditEvents: number;
  alertRequests: number;
  alerts: number;
  rejected: Record<RejectReason, number>;
}

export const emptyIngestCounters = (): IngestCounters => ({
  auditRequests: 0,
  auditEvents: 0,
  alertRequests: 0,
  alerts: 0,
  rejected: {
    tooLarge: 0,
    invalidUtf8: 0,
    invalidJson: 0,
    tooDeep: 0,
    badShape: 0,
    wrongMethod: 0,
    notFound: 0,
    sinkError: 0,
  },
});

export interface IngestResponse {
  status: number;
  body: Record<string, unknown>;
}

export interface IngestContext {
  limits?: Partial<IngestLimits>;
  counters?: IngestCounters;
}

const reject = (c: IngestCounters, reason: RejectReason, status: number, message: string): IngestResponse => {
  c.rejected[reason]++;
  return { status, body: { error: message, reason } };
};

/**
 * True when the JSON text nests arrays/objects deeper than `max`. One linear
 * pass that skips string contents, run before JSON.parse so that hostile
 * nesting never reaches the engines.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

type Parsed = { ok: true; value: unknown } | { ok: false; response: IngestResponse };

function parseBody(body: Uint8Array, limits: IngestLimits, c: IngestCounters): Parsed {
  if (body.byteLength > limits.maxBodyBytes)
    return {
      ok: false,
      response: reject(c, 'tooLarge', 413, `body is larger than ${limits.maxBodyBytes} bytes`),
    };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return { ok: false, response: reject(c, 'invalidUtf8', 400, 'body is not valid UTF-8') };
  }
  if (jsonDepthExceeds(text, limits.maxDepth))
    return {
      ok: false,
      response: reject(c, 'tooDeep', 400, `JSON nests deeper than ${limits.maxDepth} levels`),
    };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return {
      ok: false,
      response: reject(c, 'invalidJson', 400, `body is not valid JSON: ${errorMessage(e)}`),
    };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** The audit webhook: an `audit.k8s.io/v1` EventList → sink.auditEvents(items). */
export function handleAuditWebhook(
  body: Uint8Array,
  sink: AuditSink,
  ctx: IngestContext = {},
): IngestResponse {
  const limits = { ...DEFAULT_INGEST_LIMITS, ...ctx.limits };
  const c = ctx.counters ?? emptyIngestCounters();
  c.auditRequests++;
  const p = parseBody(body, limits, c);
  if (!p.ok) return p.response;
  const v = p.value;
  if (!isObject(v) || v['kind'] !== 'EventList')
    return reject(c, 'badShape', 400, 'expected an audit EventList (kind: EventList)');
  if (v['apiVersion'] !== 'audit.k8s.io/v1')
    return reject(
      c,
      'badShape',
      400,
      `unsupported apiVersion ${JSON.stringify(v['apiVersion'])}; expected audit.k8s.io/v1`,
    );
  const items = v['items'] ?? [];
  if (!Array.isArray(items)) return reject(c, 'badShape', 400, 'EventList items must be an array');
  if (items.length > limits.maxEvents)
    return reject(c, 'tooLarge', 413, `EventList has more than ${limits.maxEvents} events`);
  const bad = items.findIndex((e) => !isObject(e));
  if (bad >= 0) return reject(c, 'badShape', 400, `EventList item ${bad} is not an object`);
  try {
    sink.auditEvents(items as Record<string, unknown>[]);
  } catch (e) {
    return reject(c, 'sinkError', 500, `events could not be processed: ${errorMessage(e)}`);
  }
  c.auditEvents += items.length;
  return { status: 200, body: { events: items.length } };
}

/** One Falco JSON alert (Falco's http_output / falcosidekick's POST /) → sink.alert(alert). */
export function handleFalcoAlert(body: Uint8Array, sink: AlertSink, ctx: IngestContext = {}): IngestResponse {
  const limits = { ...DEFAULT_INGEST_LIMITS, ...ctx.limits };
  const c = ctx.counters ?? emptyIngestCounters();
  c.alertRequests++;
  const p = parseBody(body, limits, c);
  if (!p.ok) return p.response;
  const checked = checkAlert(p.value);
  if (!checked.ok) return reject(c, 'badShape', 400, checked.error);
  try {
    sink.alert(checked.alert);
  } catch (e) {
    return reject(c, 'sinkError', 500, `alert could not be processed: ${errorMessage(e)}`);
  }
  c.alerts++;
  return { status: 200, body: { accepted: 1 } };
}

export interface RuntimeIngestOptions {
  /** Where audit EventLists go; without it the audit path answers 404. */
  audit?: AuditSink;
  /** Where Falco alerts go; without it the alert path answers 404. */
  alerts?: AlertSink;
  auditPath?: string;
  alertPath?: string;
  limits?: Partial<IngestLimits>;
  counters?: IngestCounters;
  logger?: Logger;
}

export interface RuntimeIngest {
  /** Mount with http.createServer(listener) or call from a larger router. */
  listener: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  counters: IngestCounters;
}

function answer(res: http.ServerResponse, r: IngestResponse, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(r.body);
  res.writeHead(r.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

/** The node:http adapter: routes, bounds the body while reading, answers JSON. */
export function createRuntimeIngest(opts: RuntimeIngestOptions): RuntimeIngest {
  const limits = { ...DEFAULT_INGEST_LIMITS, ...opts.limits };
  const counters = opts.counters ?? emptyIngestCounters();
  const log = (opts.logger ?? nullLogger).child({ component: 'runtime-ingest' });
  const auditPath = opts.auditPath ?? '/k8s-audit';
  const alertPath = opts.alertPath ?? '/';
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz' || path === '/ping') {
      answer(res, { status: 200, body: { status: 'ok' } });
      return;
    }
    const route =
      path === auditPath && opts.audit ? 'audit' : path === alertPath && opts.alerts ? 'alert' : undefined;
    if (!route) {
      answer(res, reject(counters, 'notFound', 404, `no endpoint at ${path.slice(0, 100)}`));
      return;
    }
    if (req.method !== 'POST') {
      answer(res, reject(counters, 'wrongMethod', 405, 'use POST'), { allow: 'POST' });
      req.resume();
      return;
    }
    const tooLarge = (): void => {
      if (route === 'audit') counters.auditRequests++;
      else counters.alertRequests++;
      log.warn({ path }, 'request body too large');
      answer(res, reject(counters, 'tooLarge', 413, `body is larger than ${limits.maxBodyBytes} bytes`), {
        connection: 'close',
      });
    };
    // Past the bound the rest of the body is read and discarded (so that the
    // client sees the 413 rather than a reset) up to twice the bound, then
    // the connection is cut.
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
      done = true;
      tooLarge();
    }
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (done) {
        if (size > 2 * limits.maxBodyBytes) req.destroy();
        return;
      }
      if (size > limits.maxBodyBytes) {
        done = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => {
      done = true;
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const body = Buffer.concat(chunks);
      const ctx = { limits, counters };
      const r =
        route === 'audit'
          ? handleAuditWebhook(body, opts.audit as AuditSink, ctx)
          : handleFalcoAlert(body, opts.alerts as AlertSink, ctx);
      if (r.status >= 400) log.info({ path, status: r.status, reason: r.body['reason'] }, 'request rejected');
      answer(res, r);
    });
  };
  return { listener, counters };
}
