/**
 * Downloads the EPSS scores and the KEV catalogue into the advisory database's
 * directory, as separate files beside it (they change daily and are looked up
 * by CVE only, so they stay out of the SQLite file):
 *
 *   <dir>/epss_scores.csv.gz                  + .meta.json
 *   <dir>/known_exploited_vulnerabilities.json + .meta.json
 *
 * Like `db update` (scan/db/update.ts, whose helpers are internal): requests
 * are conditional (If-None-Match / If-Modified-Since from the sidecar), the
 * body is streamed to a temporary file in the same directory with a size
 * bound and a Content-Length check, the file is parsed completely (gzip
 * integrity, CSV rows, JSON) before it replaces the previous one with a
 * rename, and any failure leaves the previous file as it was. HTTP goes
 * through the injected `fetch`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { PalisadeError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { nullLogger } from '../../core/logger.js';
import { readEpss } from './epss.js';
import { readKev } from './kev.js';

export type EnrichmentKind = 'epss' | 'kev';

export const DEFAULT_ENRICHMENT_URLS: Record<EnrichmentKind, string> = {
  epss: 'https://epss.cyentia.com/epss_scores-current.csv.gz',
  kev: 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
};

export const ENRICHMENT_FILES: Record<EnrichmentKind, string> = {
  epss: 'epss_scores.csv.gz',
  kev: 'known_exploited_vulnerabilities.json',
};

const DEFAULT_MAX: Record<EnrichmentKind, number> = { epss: 64 * 1024 * 1024, kev: 64 * 1024 * 1024 };

export interface EnrichmentMeta {
  url: string;
  etag?: string;
  lastModified?: string;
  sha256: string;
  bytes: number;
  fetchedAt: string;
}

export interface DownloadOptions {
  fetch?: typeof fetch;
  logger?: Logger;
  signal?: AbortSignal;
  /** Bytes of the download at most. */
  maxBytes?: number;
  /** Ignore the stored validators. */
  force?: boolean;
  now?: () => Date;
}

export interface DownloadResult {
  kind: EnrichmentKind;
  status: 'unchanged' | 'downloaded';
  path: string;
  meta?: EnrichmentMeta;
}

/** Path of the cached file of a kind under a directory. */
export function enrichmentPath(kind: EnrichmentKind, dir: string): string {
  return join(dir, ENRICHMENT_FILES[kind]);
}

export function readEnrichmentMeta(kind: EnrichmentKind, dir: string): EnrichmentMeta | undefined {
  try {
    const m = JSON.parse(readFileSync(`${enrichmentPath(kind, dir)}.meta.json`, 'utf8')) as EnrichmentMeta;
    return typeof m.sha256 === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

function shown(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Downloads one enrichment file if it changed; see the module comment. */
export async function downloadEnrichment(
  kind: EnrichmentKind,
  url: string,
  destDir: string,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  const log = opts.logger ?? nullLogger;
  const fetchFn = opts.fetch ?? globalThis.fetch;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PalisadeError('E_CONFIG', `${kind} URL is not a URL: ${url}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new PalisadeError('E_CONFIG', `${kind} URL must be http(s), not ${u.protocol}`);
  try {
    mkdirSync(destDir, { recursive: true });
  } catch (err) {
    throw new PalisadeError('E_IO', `cannot create ${destDir}: ${errorMessage(err)}`, { cause: err });
  }
  const path = enrichmentPath(kind, destDir);
  const prev = opts.force ? undefined : readEnrichmentMeta(kind, destDir);
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (prev?.url === url && prev.etag) headers['if-none-match'] = prev.etag;
  if (prev?.url === url && prev.lastModified) headers['if-modified-since'] = prev.lastModified;
  let res: Response;
  try {
    res = await fetchFn(u, { headers, redirect: 'follow', ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (err) {
    if (opts.signal?.aborted)
      throw new PalisadeError('E_ABORTED', `${kind} download was cancelled`, { cause: err });
    throw new PalisadeError('E_DOWNLOAD', `cannot reach ${u.host} for ${shown(u)}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  if (res.status === 304) {
    await res.body?.cancel().catch(() => undefined);
    if (!headers['if-none-match'] && !headers['if-modified-since'])
      throw new PalisadeError(
        'E_DOWNLOAD',
        `${shown(u)} answered 304 Not Modified to an unconditional request`,
      );
    log.info({ kind }, 'enrichment unchanged');
    return { kind, status: 'unchanged', path, ...(prev ? { meta: prev } : {}) };
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw new PalisadeError('E_DOWNLOAD', `${shown(u)} answered ${res.status} ${res.statusText}`.trim());
  }
  const etag = res.headers.get('etag') ?? undefined;
  if (!opts.force && prev?.url === url && etag && prev.etag === etag) {
    await res.body?.cancel().catch(() => undefined);
    return { kind, status: 'unchanged', path, meta: prev };
  }
  const max = opts.maxBytes ?? DEFAULT_MAX[kind];
  const lenHeader = res.headers.get('content-length');
  const declared = lenHeader === null ? undefined : Number(lenHeader);
  if (declared !== undefined && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new PalisadeError('E_LIMIT', `${shown(u)} is ${declared} bytes, over the ${max}-byte limit`);
  }
  const tmp = `${path}.download-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const sha = createHash('sha256');
  let bytes = 0;
  try {
    const fh = await open(tmp, 'w');
    try {
      if (res.body) {
        const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (err) {
            if (opts.signal?.aborted)
              throw new PalisadeError('E_ABORTED', `${kind} download was cancelled`, { cause: err });
            throw new PalisadeError(
              'E_DOWNLOAD',
              `download of ${shown(u)} was cut short after ${bytes} bytes: ${errorMessage(err)}`,
              {
                cause: err,
              },
            );
          }
          if (chunk.done) break;
          bytes += chunk.value.byteLength;
          if (bytes > max) {
            await reader.cancel().catch(() => undefined);
            throw new PalisadeError('E_LIMIT', `${shown(u)} is over the ${max}-byte limit`);
          }
          sha.update(chunk.value);
          try {
            await fh.write(chunk.value);
          } catch (err) {
            await reader.cancel().catch(() => undefined);
            throw new PalisadeError('E_IO', `cannot write ${tmp}: ${errorMessage(err)}`, { cause: err });
          }
        }
      }
      await fh.sync().catch(() => undefined);
    } finally {
      await fh.close();
    }
    if (declared !== undefined && bytes !== declared)
      throw new PalisadeError(
        'E_DOWNLOAD',
        `download of ${shown(u)} was cut short: ${bytes} of ${declared} bytes`,
      );
    // Parse it all before it replaces anything: a truncated gzip or broken JSON fails here.
    try {
      if (kind === 'epss') await readEpss(tmp, { name: shown(u), gzip: true });
      else await readKev(tmp);
    } catch (err) {
      throw new PalisadeError(
        err instanceof PalisadeError && err.code === 'E_LIMIT' ? 'E_LIMIT' : 'E_DOWNLOAD',
        `${shown(u)} is not a valid ${kind === 'epss' ? 'EPSS .csv.gz' : 'KEV catalogue'}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    const meta: EnrichmentMeta = {
      url,
      sha256: sha.digest('hex'),
      bytes,
      fetchedAt: (opts.now?.() ?? new Date()).toISOString(),
    };
    if (etag) meta.etag = etag;
    const lm = res.headers.get('last-modified');
    if (lm) meta.lastModified = lm;
    renameSync(tmp, path);
    writeFileSync(`${path}.meta.json`, `${JSON.stringify(meta, null, 2)}\n`);
    log.info({ kind, bytes }, 'enrichment downloaded');
    return { kind, status: 'downloaded', path, meta };
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof PalisadeError) throw err;
    throw new PalisadeError('E_IO', `cannot store ${kind} download in ${destDir}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}
