/**
 * One HTTP request to an alert receiver, over node:http/https so that TLS
 * options (CA, client certificate, server name, skipping verification) apply
 * per output. The answer body is read up to a bound (receivers' error bodies
 * are for log lines, not for us to store). Failures become DeliveryError,
 * which says whether a retry can help and how long the receiver asked us to wait.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { redactUrl } from './redact.js';

export interface TlsOptions {
  /** PEM CA bundle (contents, not a path: config/ reads the files). */
  ca?: string;
  /** PEM client certificate and key for mutual TLS. */
  cert?: string;
  key?: string;
  /** SNI / certificate name to check instead of the URL's host. */
  serverName?: string;
  /** Do not verify the server certificate (falcosidekick's checkcert: false). */
  insecureSkipVerify?: boolean;
}

export interface HttpRequest {
  url: string;
  method?: 'POST' | 'PUT';
  headers: Record<string, string>;
  body: string | Uint8Array;
  timeoutMs: number;
  tls?: TlsOptions;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body, cut at MAX_RESPONSE_BYTES. */
  body: string;
}

export const MAX_RESPONSE_BYTES = 64 * 1024;

/** A failed delivery; `retryable` for network errors, timeouts, 429 and 5xx. */
export class DeliveryError extends Error {
  readonly retryable: boolean;
  readonly status: number | undefined;
  /** Delay the receiver asked for (Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    opts: { retryable: boolean; status?: number; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DeliveryError';
    this.retryable = opts.retryable;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `now`; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const t = v.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Sends one request; resolves on 2xx, throws DeliveryError otherwise. */
export function send(req: HttpRequest, now: () => number = Date.now): Promise<HttpResponse> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch (e) {
    return Promise.reject(new DeliveryError('invalid URL', { retryable: false, cause: e }));
  }
  const isHttps = url.protocol === 'https:';
  if (!isHttps && url.protocol !== 'http:')
    return Promise.reject(new DeliveryError(`unsupported scheme ${url.protocol}`, { retryable: false }));
  const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
  const headers: Record<string, string | number> = { ...req.headers, 'content-length': body.byteLength };
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    headers['authorization'] ??= `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  const options: https.RequestOptions = {
    method: req.method ?? 'POST',
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port || (isHttps ? 443 : 80),
    path: `${url.pathname}${url.search}`,
    headers,
    timeout: req.timeoutMs,
    agent: false,
  };
  if (req.signal) options.signal = req.signal;
  if (isHttps && req.tls) {
    const t = req.tls;
    if (t.ca !== undefined) options.ca = t.ca;
    if (t.cert !== undefined) options.cert = t.cert;
    if (t.key !== undefined) options.key = t.key;
    if (t.serverName !== undefined) options.servername = t.serverName;
    if (t.insecureSkipVerify) options.rejectUnauthorized = false;
  }
  const where = redactUrl(req.url);
  return new Promise<HttpResponse>((resolve, reject) => {
    const r = (isHttps ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_RESPONSE_BYTES) chunks.push(c.subarray(0, MAX_RESPONSE_BYTES - size));
        size += c.length;
      });
      res.on('error', (e) =>
        reject(new DeliveryError(`${where}: ${e.message}`, { retryable: true, cause: e })),
      );
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        if (status >= 200 && status < 300) {
          resolve({ status, headers: res.headers, body: text });
          return;
        }
        const retryable = status === 429 || status >= 500;
        const retryAfterMs = parseRetryAfter(res.headers['retry-after'], now());
        const opts: { retryable: boolean; status: number; retryAfterMs?: number } = { retryable, status };
        if (retryAfterMs !== undefined) opts.retryAfterMs = retryAfterMs;
        reject(new DeliveryError(`${where}: HTTP ${status} ${text.slice(0, 200).trim()}`.trim(), opts));
      });
    });
    r.on('timeout', () => r.destroy(new Error(`no answer in ${req.timeoutMs} ms`)));
    r.on('error', (e: NodeJS.ErrnoException) => {
      // A certificate the receiver presents will not change on retry.
      const tlsRejected = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(e.code ?? '');
      reject(
        new DeliveryError(`${where}: ${e.message}`, {
          retryable: !tlsRejected && !(req.signal?.aborted ?? false),
          cause: e,
        }),
      );
    });
    r.end(body);
  });
}
