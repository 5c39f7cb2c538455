/**
 * The HTTP layer of the registry client: one request with manual redirects
 * (credentials never follow a redirect to another origin), retries with
 * exponential backoff for 5xx/429 answers and dropped connections, and
 * bounded body reads. Everything goes through the injected `fetch`.
 */
import { PalisadeError, errorMessage } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';

export type FetchFn = typeof fetch;

export interface HttpOptions {
  fetch: FetchFn;
  logger: Logger;
  /** Extra attempts after the first for retryable failures. */
  retries: number;
  /** First backoff delay; doubled on each retry (with jitter), capped at 10 s. */
  retryBaseMs: number;
  signal?: AbortSignal | undefined;
}

export interface SendInit {
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Sent only to this origin (never to a redirect target elsewhere). */
  authorization?: string | undefined;
  authOrigin?: string;
  /** Per-call signal (in addition to HttpOptions.signal). */
  signal?: AbortSignal | undefined;
}

const MAX_REDIRECTS = 10;
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function combineSignals(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (!a) return b;
  if (!b) return a;
  return AbortSignal.any([a, b]);
}

/** The first `code` found along an error's cause chain. */
export function networkErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = networkErrorCode(errors[0]);
      if (inner) return inner;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeNetworkError(err: unknown): string {
  const code = networkErrorCode(err);
  let e: unknown = err;
  let msg = errorMessage(err);
  while (e instanceof Error && e.cause instanceof Error) {
    e = e.cause;
    msg = errorMessage(e);
  }
  return code && !msg.includes(code) ? `${msg} (${code})` : msg;
}

export function abortError(signal: AbortSignal | undefined): PalisadeError {
  return new PalisadeError('E_ABORTED', 'operation was cancelled', { cause: signal?.reason });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function retryAfterMs(res: Response): number | undefined {
  const v = res.headers.get('retry-after');
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs) && secs >= 0) return Math.min(secs * 1000, 10_000);
  const when = Date.parse(v);
  return Number.isNaN(when) ? undefined : Math.min(Math.max(0, when - Date.now()), 10_000);
}

async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // the body is being thrown away
  }
}

async function followRedirects(url: URL, init: SendInit, fetchFn: FetchFn, signal: AbortSignal | undefined) {
  let current = url;
  let method = init.method ?? 'GET';
  let body = init.body;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { ...init.headers };
    if (init.authorization && current.origin === (init.authOrigin ?? url.origin)) {
      headers['authorization'] = init.authorization;
    }
    const res = await fetchFn(current, {
      method,
      headers,
      redirect: 'manual',
      ...(body !== undefined ? { body } : {}),
      ...(signal ? { signal } : {}),
    });
    const location = res.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(res.status) || !location) return { res, url: current };
    await discard(res);
    const next = new URL(location, current);
    if (next.protocol !== 'https:' && next.protocol !== 'http:') {
      throw new PalisadeError(
        'E_REGISTRY',
        `registry redirected to an unsupported URL scheme ${next.protocol}`,
      );
    }
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
    current = next;
  }
  throw new PalisadeError('E_REGISTRY', `too many redirects from ${url.origin}${url.pathname}`);
}

/**
 * Sends one request, retrying (for GET/HEAD, and POST to token endpoints) on
 * 5xx/429 answers and reset connections. Network failures become E_REGISTRY,
 * cancellation E_ABORTED; any HTTP status is returned to the caller.
 */
export async function send(
  url: URL,
  init: SendInit,
  opts: HttpOptions,
): Promise<{ res: Response; url: URL }> {
  const signal = combineSignals(opts.signal, init.signal);
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw abortError(signal);
    let result: { res: Response; url: URL };
    try {
      result = await followRedirects(url, init, opts.fetch, signal);
    } catch (err) {
      if (err instanceof PalisadeError) throw err;
      if (signal?.aborted) throw abortError(signal);
      const code = networkErrorCode(err);
      if (code && RETRYABLE_CODES.has(code) && attempt < opts.retries) {
        const delay = backoff(opts.retryBaseMs, attempt);
        opts.logger.debug(
          { url: redact(url), code, attempt: attempt + 1, delay },
          'registry request failed; retrying',
        );
        await sleep(delay, signal);
        continue;
      }
      const hint =
        code === 'ECONNREFUSED' || code === 'ENOTFOUND'
          ? 'check the registry host name and port'
          : code?.startsWith('ERR_TLS') || code?.includes('CERT')
            ? 'the registry certificate is not trusted: set NODE_EXTRA_CA_CERTS to its CA'
            : undefined;
      throw new PalisadeError('E_REGISTRY', `cannot reach ${url.host}: ${describeNetworkError(err)}`, {
        cause: err,
        ...(hint ? { hint } : {}),
      });
    }
    const { res } = result;
    if ((res.status >= 500 || res.status === 429) && attempt < opts.retries) {
      const delay = retryAfterMs(res) ?? backoff(opts.retryBaseMs, attempt);
      await discard(res);
      opts.logger.debug(
        { url: redact(url), status: res.status, attempt: attempt + 1, delay },
        'registry answered with a retryable status; retrying',
      );
      await sleep(delay, signal);
      continue;
    }
    return result;
  }
}

function backoff(base: number, attempt: number): number {
  const d = Math.min(base * 2 ** attempt, 10_000);
  return Math.round(d / 2 + Math.random() * (d / 2));
}

/** URL without query (signed URLs carry credentials in the query). */
export function redact(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Reads a whole body, failing with E_LIMIT past `max` bytes. */
export async function readBounded(res: Response, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await discard(res);
    throw new PalisadeError('E_LIMIT', `${what} is ${declared} bytes, over the ${max}-byte limit`);
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        await reader.cancel().catch(() => undefined);
        throw new PalisadeError('E_LIMIT', `${what} is over the ${max}-byte limit`);
      }
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  } catch (err) {
    if (err instanceof PalisadeError) throw err;
    if ((err as { name?: string }).name === 'AbortError')
      throw new PalisadeError('E_ABORTED', 'operation was cancelled');
    throw new PalisadeError('E_REGISTRY', `reading ${what} failed: ${describeNetworkError(err)}`, {
      cause: err,
    });
  }
  return Buffer.concat(chunks, total);
}
