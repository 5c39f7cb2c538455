/**
 * The scan Job's side of the contract in jobs.ts (`palisade operator scan-job`): download the
 * advisory database from the operator, scan one image pinned by digest with the same pipeline
 * the in-process workers run (scanner.ts), and post the result; on failure post the error message
 * and fail, so that the Job fails and the operator retries it.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import { PalisadeError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { noLayerCache } from '../../scan/cache/layer-cache.js';
import { SCAN_JOB_PATHS } from './jobs.js';
import { PipelineScanner } from './scanner.js';

export interface ScanJobOptions {
  /** `registry/repo@sha256:…` */
  image: string;
  digest: string;
  /** The operator's scan-job endpoint base URL. */
  server: string;
  token: string;
  scanners: ReadonlySet<'vuln' | 'secret'>;
  includePackages?: boolean;
  username?: string;
  password?: string;
  insecure?: boolean;
  platform?: string;
  logger: Logger;
  signal?: AbortSignal;
}

function call(
  url: URL,
  method: 'GET' | 'POST',
  token: string,
  body: Buffer | undefined,
  signal: AbortSignal | undefined,
): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'accept-encoding': 'gzip',
          ...(body ? { 'content-type': 'application/json', 'content-encoding': 'gzip' } : {}),
        },
        ...(signal ? { signal } : {}),
      },
      resolve,
    );
    req.on('error', (err) =>
      reject(new PalisadeError('E_DOWNLOAD', `${method} ${url.href}: ${errorMessage(err)}`, { cause: err })),
    );
    req.end(body);
  });
}

async function expectOk(res: IncomingMessage, what: string): Promise<void> {
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) return;
  let text = '';
  for await (const c of res) if (text.length < 1000) text += (c as Buffer).toString('utf8');
  throw new PalisadeError('E_DOWNLOAD', `${what}: HTTP ${status} ${text.trim()}`);
}

/** Runs one scan job; throws (after reporting the error to the operator) when the scan fails. */
export async function runScanJob(o: ScanJobOptions): Promise<void> {
  const base = new URL(o.server);
  const at = (p: string): URL => new URL(p, base);
  const work = await mkdtemp(join(tmpdir(), 'palisade-scan-job-'));
  try {
    const dbPath = join(work, 'advisories.sqlite');
    if (o.scanners.has('vuln')) {
      const res = await call(at(SCAN_JOB_PATHS.db), 'GET', o.token, undefined, o.signal);
      await expectOk(res, 'advisory database download');
      const gz = res.headers['content-encoding'] === 'gzip';
      await pipeline(gz ? res.pipe(createGunzip()) : res, createWriteStream(dbPath));
      o.logger.info({ dbPath }, 'advisory database downloaded');
    }
    const scanner = new PipelineScanner({
      dbPath,
      scanners: o.scanners,
      cache: noLayerCache,
      logger: o.logger,
      ...(o.includePackages ? { includePackages: true } : {}),
      ...(o.insecure ? { insecure: true } : {}),
      ...(o.platform ? { platform: o.platform } : {}),
    });
    const result = await scanner.scan({
      reference: o.image,
      digest: o.digest,
      ...(o.username !== undefined ? { username: o.username, password: o.password ?? '' } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const body = gzipSync(
      Buffer.from(JSON.stringify({ dbBuiltAt: result.dbBuiltAt, report: result.report })),
    );
    const res = await call(at(SCAN_JOB_PATHS.result), 'POST', o.token, body, o.signal);
    await expectOk(res, 'posting the result');
    res.resume();
    o.logger.info({ image: o.image }, 'scan result posted');
  } catch (err) {
    const message = errorMessage(err);
    try {
      const res = await call(
        at(SCAN_JOB_PATHS.error),
        'POST',
        o.token,
        gzipSync(Buffer.from(message.slice(0, 2000))),
        undefined,
      );
      res.resume();
    } catch (postErr) {
      o.logger.warn({ err: errorMessage(postErr) }, 'cannot report the error to the operator');
    }
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
