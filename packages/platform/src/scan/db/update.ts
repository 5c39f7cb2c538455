/**
 * `palisade db update`: downloads `<mirror>/<ecosystem>/all.zip` (the layout
 * osv.dev publishes) for each configured ecosystem and rebuilds the database
 * from what changed. Requests are conditional (If-None-Match with the stored
 * ETag, If-Modified-Since with the stored Last-Modified): an ecosystem that
 * answers 304 is kept from the previous database as it is. A download is
 * checked before it is imported: its length against Content-Length, its MD5
 * against the `x-goog-hash` header when the mirror sends one (Google Cloud
 * Storage does), every entry's CRC-32 while importing. Any failure (network,
 * HTTP status, truncated or corrupt file, full disk) fails the whole update
 * and leaves the previous database in place.
 *
 * HTTP goes through the injected `fetch` (the global one by default), so the
 * engine imports no HTTP module and tests use a server on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PalisadeError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { nullLogger } from '../../core/logger.js';
import type { ProgressSink } from '../inventory.js';
import type { BuildResult, SourceInput } from './import.js';
import { buildDatabase, markChecked } from './import.js';
import { acquireWriterLock, removeStaleTemps, tempPath } from './lock.js';
import { databaseError } from './store.js';
import type { ZipLimits } from './zip-file.js';

export type FetchFn = typeof fetch;

export const DEFAULT_MIRROR = 'https://osv-vulnerabilities.storage.googleapis.com';

export interface UpdateOptions {
  dbPath: string;
  /** Base URL; `<mirror>/<ecosystem>/all.zip` is fetched. */
  mirror: string;
  /** OSV ecosystem names as osv.dev spells its folders (`Go`, `PyPI`, `crates.io`, `Rocky Linux`…). */
  ecosystems: readonly string[];
  fetch?: FetchFn;
  logger?: Logger;
  progress?: ProgressSink | undefined;
  signal?: AbortSignal | undefined;
  now?: () => Date;
  /** Extra attempts for network errors, 5xx/429, truncated or mismatching downloads. */
  retries?: number;
  retryBaseMs?: number;
  /** Bytes of one download at most. */
  maxDownloadBytes?: number;
  /** Ignore the stored validators and download everything. */
  force?: boolean;
  busyTimeoutMs?: number;
  zipLimits?: Partial<ZipLimits>;
  maxDatabaseBytes?: number;
}

export interface Download {
  ecosystem: string;
  url: string;
  bytes: number;
  sha256: string;
}

export interface UpdateResult {
  downloaded: Download[];
  /** Ecosystems whose zip had not changed (304, or the same ETag). */
  unchanged: string[];
  /** Present when something was downloaded and the database rebuilt. */
  build?: BuildResult;
}

interface Validators {
  etag?: string | undefined;
  lastModified?: string | undefined;
}

const DEFAULT_MAX_DOWNLOAD = 4 * 1024 * 1024 * 1024;
const RETRYABLE_STATUS = (s: number): boolean => s >= 500 || s === 429 || s === 408;

/** `<mirror>/<ecosystem>/all.zip`, with the ecosystem as one path segment. */
export function ecosystemUrl(mirror: string, ecosystem: string): URL {
  let base: URL;
  try {
    base = new URL(mirror.endsWith('/') ? mirror : `${mirror}/`);
  } catch {
    throw new PalisadeError('E_CONFIG', `db.mirror is not a URL: ${mirror}`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw new PalisadeError('E_CONFIG', `db.mirror must be an http(s) URL, not ${base.protocol}`);
  return new URL(`${encodeURIComponent(ecosystem)}/all.zip`, base);
}

function previousValidators(dbPath: string, busyTimeoutMs: number, log: Logger): Map<string, Validators> {
  const out = new Map<string, Validators>();
  if (!existsSync(dbPath)) return out;
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    const rows = db.prepare('SELECT name, etag, last_modified FROM sources').all() as {
      name: string;
      etag: string | null;
      last_modified: string | null;
    }[];
    for (const r of rows)
      out.set(r.name, { etag: r.etag ?? undefined, lastModified: r.last_modified ?? undefined });
  } catch (err) {
    const mapped = databaseError(err, dbPath, 'reading');
    if (mapped.code === 'E_DB_LOCKED') throw mapped;
    log.info(
      { path: dbPath, err: errorMessage(err) },
      'previous advisory database unreadable; downloading everything',
    );
    out.clear();
  } finally {
    db?.close();
  }
  return out;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(aborted(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(t);
      reject(aborted(signal));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function aborted(signal: AbortSignal | undefined): PalisadeError {
  return new PalisadeError('E_ABORTED', 'update was cancelled; the previous database is unchanged', {
    cause: signal?.reason,
  });
}

/** A failure worth another attempt (the server or the network, not the request). */
class Retryable extends Error {
  constructor(readonly error: PalisadeError) {
    super(error.message);
  }
}

/** The MD5 digest in a Google Cloud Storage `x-goog-hash: crc32c=…,md5=…` header, base64. */
function googMd5(res: Response): string | undefined {
  const h = res.headers.get('x-goog-hash');
  if (!h) return undefined;
  for (const part of h.split(',')) {
    const [k, v] = part.trim().split(/=(.*)/s);
    if (k === 'md5' && v) return v;
  }
  return undefined;
}

function redact(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

type Outcome = { kind: 'unchanged' } | { kind: 'downloaded'; input: SourceInput; download: Download };

async function attempt(
  ecosystem: string,
  url: URL,
  prev: Validators | undefined,
  target: string,
  opts: UpdateOptions,
  fetchFn: FetchFn,
): Promise<Outcome> {
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (!opts.force && prev?.etag) headers['if-none-match'] = prev.etag;
  if (!opts.force && prev?.lastModified) headers['if-modified-since'] = prev.lastModified;
  const shown = redact(url);
  let res: Response;
  const init: RequestInit = { headers, redirect: 'follow', ...(opts.signal ? { signal: opts.signal } : {}) };
  try {
    try {
      res = await fetchFn(url, init);
    } catch (err) {
      // A kept-alive connection the server closed while it sat idle fails the next
      // request before any response: the GET never reached the server, so it is
      // sent once more at once, on a new connection (as browsers do). This is not
      // one of the `retries`, which are for the server's or the network's failures.
      if (opts.signal?.aborted || !connectionClosedBeforeResponse(err)) throw err;
      res = await fetchFn(url, init);
    }
  } catch (err) {
    if (opts.signal?.aborted) throw aborted(opts.signal);
    throw new Retryable(
      new PalisadeError('E_DOWNLOAD', `cannot reach ${url.host} for ${shown}: ${describe(err)}`, {
        cause: err,
        hint: 'check the network, or set db.mirror (--db-mirror) to a reachable mirror; offline, use `palisade db import`',
      }),
    );
  }
  if (res.status === 304) {
    await res.body?.cancel().catch(() => undefined);
    if (!prev?.etag && !prev?.lastModified)
      throw new PalisadeError('E_DOWNLOAD', `${shown} answered 304 Not Modified to an unconditional request`);
    return { kind: 'unchanged' };
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    const e = new PalisadeError('E_DOWNLOAD', `${shown} answered ${res.status} ${res.statusText}`.trim(), {
      ...(res.status === 404
        ? {
            hint: `the mirror has no ${ecosystem}/all.zip: check the ecosystem name (osv.dev spelling: Go, PyPI, crates.io, npm, Maven, Debian, Alpine, AlmaLinux, Rocky Linux…)`,
          }
        : {}),
    });
    if (RETRYABLE_STATUS(res.status)) throw new Retryable(e);
    throw e;
  }
  const etag = res.headers.get('etag') ?? undefined;
  if (!opts.force && etag && prev?.etag === etag) {
    await res.body?.cancel().catch(() => undefined);
    return { kind: 'unchanged' };
  }
  const max = opts.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD;
  const declaredHeader = res.headers.get('content-length');
  const declared = declaredHeader === null ? undefined : Number(declaredHeader);
  if (declared !== undefined && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new PalisadeError('E_LIMIT', `${shown} is ${declared} bytes, over the ${max}-byte download limit`);
  }
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let bytes = 0;
  const fh = await open(target, 'w').catch((err: unknown) => {
    throw new PalisadeError('E_IO', `cannot write ${target}: ${errorMessage(err)}`, { cause: err });
  });
  opts.progress?.start(`${ecosystem} all.zip`, declared ?? 0);
  try {
    if (res.body) {
      const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (opts.signal?.aborted) throw aborted(opts.signal);
          throw new Retryable(
            new PalisadeError(
              'E_DOWNLOAD',
              `download of ${shown} was cut short after ${bytes} bytes: ${describe(err)}`,
              {
                cause: err,
              },
            ),
          );
        }
        if (chunk.done) break;
        const v = chunk.value;
        bytes += v.byteLength;
        if (bytes > max) {
          await reader.cancel().catch(() => undefined);
          throw new PalisadeError('E_LIMIT', `${shown} is over the ${max}-byte download limit`);
        }
        md5.update(v);
        sha256.update(v);
        try {
          await fh.write(v);
        } catch (err) {
          await reader.cancel().catch(() => undefined);
          const code = (err as NodeJS.ErrnoException).code;
          throw new PalisadeError(
            'E_IO',
            code === 'ENOSPC'
              ? `no space left while downloading ${shown} to ${dirname(target)}; the previous database is unchanged`
              : `cannot write ${target}: ${errorMessage(err)}`,
            { cause: err },
          );
        }
        opts.progress?.advance(v.byteLength);
      }
    }
    await fh.sync().catch(() => undefined);
  } finally {
    await fh.close();
    opts.progress?.done();
  }
  if (declared !== undefined && bytes !== declared)
    throw new Retryable(
      new PalisadeError('E_DOWNLOAD', `download of ${shown} was cut short: ${bytes} of ${declared} bytes`),
    );
  const expectMd5 = googMd5(res);
  if (expectMd5 && md5.digest('base64') !== expectMd5)
    throw new Retryable(
      new PalisadeError(
        'E_DOWNLOAD',
        `integrity check failed for ${shown}: its MD5 does not match x-goog-hash`,
      ),
    );
  const sha = sha256.digest('hex');
  const lastModified = res.headers.get('last-modified') ?? undefined;
  return {
    kind: 'downloaded',
    download: { ecosystem, url: shown, bytes, sha256: sha },
    input: {
      name: ecosystem,
      kind: 'download',
      path: target,
      origin: shown,
      http: { etag, lastModified, sha256: sha, bytes },
    },
  };
}

/** True for fetch's error when the socket was reset or closed before a response arrived. */
export function connectionClosedBeforeResponse(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return true;
    e = e.cause;
  }
  return false;
}

function describe(err: unknown): string {
  let e: unknown = err;
  let msg = errorMessage(err);
  while (e instanceof Error && e.cause instanceof Error) {
    e = e.cause;
    msg = `${msg}: ${errorMessage(e)}`;
  }
  return msg;
}

async function fetchEcosystem(
  ecosystem: string,
  prev: Validators | undefined,
  opts: UpdateOptions,
  fetchFn: FetchFn,
  log: Logger,
): Promise<Outcome> {
  const url = ecosystemUrl(opts.mirror, ecosystem);
  const retries = opts.retries ?? 2;
  for (let n = 0; ; n++) {
    const target = tempPath(opts.dbPath, 'download', ecosystem.replace(/[^A-Za-z0-9.]+/g, '_'));
    try {
      const out = await attempt(ecosystem, url, prev, target, opts, fetchFn);
      if (out.kind === 'unchanged') rmSync(target, { force: true });
      return out;
    } catch (err) {
      rmSync(target, { force: true });
      if (!(err instanceof Retryable)) throw err;
      if (n >= retries) throw err.error;
      const delay = Math.min((opts.retryBaseMs ?? 500) * 2 ** n, 10_000);
      log.warn({ url: redact(url), err: err.message, attempt: n + 1, delay }, 'download failed; retrying');
      await sleep(delay, opts.signal);
    }
  }
}

/** Downloads what changed and rebuilds; see the module comment. */
export async function updateDatabase(opts: UpdateOptions): Promise<UpdateResult> {
  const log = opts.logger ?? nullLogger;
  const fetchFn = opts.fetch ?? globalThis.fetch;
  if (opts.ecosystems.length === 0)
    throw new PalisadeError('E_CONFIG', 'no ecosystems to update', {
      hint: 'set db.ecosystems (--db-ecosystems Go,PyPI,…)',
    });
  for (const e of opts.ecosystems) ecosystemUrl(opts.mirror, e);
  try {
    mkdirSync(dirname(opts.dbPath), { recursive: true });
  } catch (err) {
    throw new PalisadeError('E_IO', `cannot create ${dirname(opts.dbPath)}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const lock = acquireWriterLock(opts.dbPath);
  const inputs: SourceInput[] = [];
  try {
    removeStaleTemps(opts.dbPath);
    const prev = opts.force
      ? new Map<string, Validators>()
      : previousValidators(opts.dbPath, opts.busyTimeoutMs ?? 5000, log);
    const downloaded: Download[] = [];
    const unchanged: string[] = [];
    for (const eco of new Set(opts.ecosystems)) {
      const out = await fetchEcosystem(eco, prev.get(eco), opts, fetchFn, log);
      if (out.kind === 'unchanged') {
        unchanged.push(eco);
        log.info({ ecosystem: eco }, 'advisories unchanged');
      } else {
        inputs.push(out.input);
        downloaded.push(out.download);
        log.info({ ecosystem: eco, bytes: out.download.bytes }, 'advisories downloaded');
      }
    }
    const now = opts.now ?? (() => new Date());
    if (inputs.length === 0) {
      if (unchanged.length > 0) markChecked(opts.dbPath, unchanged, now(), opts.busyTimeoutMs ?? 5000);
      return { downloaded, unchanged };
    }
    const build = await buildDatabase({
      dbPath: opts.dbPath,
      inputs,
      lockHeld: true,
      strictArchives: true,
      checked: unchanged,
      logger: log,
      progress: opts.progress,
      signal: opts.signal,
      now,
      ...(opts.zipLimits ? { zipLimits: opts.zipLimits } : {}),
      ...(opts.maxDatabaseBytes !== undefined ? { maxDatabaseBytes: opts.maxDatabaseBytes } : {}),
      ...(opts.busyTimeoutMs !== undefined ? { busyTimeoutMs: opts.busyTimeoutMs } : {}),
    });
    return { downloaded, unchanged, build };
  } finally {
    for (const i of inputs) rmSync(i.path, { force: true });
    lock.release();
  }
}
