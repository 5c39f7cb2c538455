/**
 * A client for one repository of an OCI distribution registry: manifests,
 * small blobs (configs) read whole and bounded, and layer blobs streamed
 * with their digest verified as they pass. Status codes map to coded errors:
 * 401/403 → E_AUTH (with a hint), 404 → E_NOT_FOUND, others → E_REGISTRY.
 */
import { Readable } from 'node:stream';
import { PalisadeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { nullLogger } from '../../../core/logger.js';
import { RegistryAuth, authHint } from './auth.js';
import type { RegistryCredentials } from './docker-config.js';
import type { FetchFn, HttpOptions } from './http.js';
import { abortError, networkErrorCode, readBounded, redact, send } from './http.js';
import { DigestMeter, digestOf } from '../digest.js';
import { MANIFEST_ACCEPT, parseDigest } from './manifest.js';
import type { ImageReference } from './reference.js';
import { formatReference, isLoopbackHost } from './reference.js';

export const MAX_MANIFEST_BYTES = 4 << 20;
const MAX_ERROR_BODY = 64 << 10;

export interface RegistryClientOptions {
  insecure?: boolean | undefined;
  credentials?: RegistryCredentials | undefined;
  fetch?: FetchFn | undefined;
  logger?: Logger | undefined;
  signal?: AbortSignal | undefined;
  /** Retries after the first attempt for 5xx/429 and reset connections (default 3). */
  retries?: number | undefined;
  /** First backoff delay in ms (default 500). */
  retryBaseMs?: number | undefined;
}

export interface FetchedManifest {
  bytes: Buffer;
  contentType: string | null;
  /** Digest of the bytes received (same algorithm as the expected digest, else sha256). */
  digest: string;
}

/** `http://` for loopback hosts and insecure registries, `https://` otherwise. */
export function registryOrigin(ref: ImageReference, insecure: boolean): string {
  const scheme = insecure || isLoopbackHost(ref.apiHost) ? 'http' : 'https';
  return `${scheme}://${ref.apiHost}`;
}

export class RegistryClient {
  readonly ref: ImageReference;
  readonly origin: string;
  private readonly http: HttpOptions;
  private readonly auth: RegistryAuth;
  private readonly log: Logger;

  constructor(ref: ImageReference, opts: RegistryClientOptions = {}) {
    this.ref = ref;
    const insecure = opts.insecure ?? false;
    this.origin = registryOrigin(ref, insecure);
    this.log = (opts.logger ?? nullLogger).child({ component: 'registry', registry: ref.domain });
    const f = opts.fetch ?? globalThis.fetch;
    this.http = {
      fetch: f,
      logger: this.log,
      retries: opts.retries ?? 3,
      retryBaseMs: opts.retryBaseMs ?? 500,
      signal: opts.signal,
    };
    this.auth = new RegistryAuth({
      origin: this.origin,
      registry: ref.domain,
      repository: ref.path,
      credentials: opts.credentials,
      insecure,
      http: this.http,
      logger: this.log,
    });
  }

  private url(kind: 'manifests' | 'blobs', reference: string): URL {
    return new URL(`${this.origin}/v2/${this.ref.path}/${kind}/${reference}`);
  }

  /**
   * GET with authentication: a 401 is answered once with new credentials
   * from the challenge; a second 401 (or 403) is E_AUTH.
   */
  private async get(
    url: URL,
    accept: string | undefined,
    what: string,
    signal?: AbortSignal,
    method: 'GET' | 'HEAD' = 'GET',
  ): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const used = this.auth.header;
      const { res } = await send(
        url,
        {
          method,
          // Blobs must arrive byte for byte as stored: no transfer compression that fetch would undo.
          headers: accept ? { accept } : { 'accept-encoding': 'identity' },
          authorization: used,
          authOrigin: this.origin,
          signal,
        },
        this.http,
      );
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel().catch(() => undefined);
        if (await this.auth.respond(res, used)) continue;
        throw this.authError(401);
      }
      if (res.ok) return res;
      throw await this.statusError(res, what);
    }
  }

  private authError(status: number, detail?: string): PalisadeError {
    const who = this.auth.hasCredentials ? 'with the given credentials' : 'anonymously';
    return new PalisadeError(
      'E_AUTH',
      `access to ${this.ref.domain}/${this.ref.path} was denied ${who} (${status}${detail ? `: ${detail}` : ''})`,
      { hint: authHint(this.ref.domain, this.auth.hasCredentials) },
    );
  }

  private async statusError(res: Response, what: string): Promise<PalisadeError> {
    let detail = '';
    try {
      const body = await readBounded(res, MAX_ERROR_BODY, 'error response');
      const parsed = JSON.parse(body.toString('utf8')) as {
        errors?: Array<{ code?: unknown; message?: unknown }>;
      };
      const first = Array.isArray(parsed.errors) ? parsed.errors[0] : undefined;
      if (first) {
        detail = [first.code, first.message].filter((x) => typeof x === 'string' && x).join(': ');
      }
    } catch {
      // no registry error document
    }
    detail = detail.slice(0, 300);
    if (res.status === 401 || res.status === 403) return this.authError(res.status, detail);
    if (res.status === 404) {
      return new PalisadeError('E_NOT_FOUND', `${what} not found${detail ? ` (${detail})` : ''}`, {
        hint: 'check the image name and tag',
      });
    }
    return new PalisadeError(
      'E_REGISTRY',
      `${this.ref.domain} answered ${res.status} ${res.statusText} for ${what}${detail ? ` (${detail})` : ''}`,
    );
  }

  /**
   * Fetches a manifest by tag or digest, bounded to 4 MiB. When `expectedDigest`
   * is given (pulled by digest, or an index entry) the bytes must hash to it;
   * when `expectedSize` is given they must have that length.
   */
  async getManifest(
    reference: string,
    expectedDigest?: string,
    expectedSize?: number,
  ): Promise<FetchedManifest> {
    const what = expectedDigest
      ? `manifest ${expectedDigest} of ${this.ref.domain}/${this.ref.path}`
      : `image ${formatReference(this.ref)}`;
    if (expectedSize !== undefined && expectedSize > MAX_MANIFEST_BYTES) {
      throw new PalisadeError(
        'E_LIMIT',
        `${what} is ${expectedSize} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
      );
    }
    const algorithm = expectedDigest ? parseDigest(expectedDigest, 'manifest digest').algorithm : 'sha256';
    const res = await this.get(this.url('manifests', reference), MANIFEST_ACCEPT, what);
    const bytes = await readBounded(res, MAX_MANIFEST_BYTES, what);
    const digest = digestOf(bytes, algorithm);
    if (expectedDigest && digest !== expectedDigest) {
      throw new PalisadeError(
        'E_DIGEST_MISMATCH',
        `${what}: the registry sent content with digest ${digest}`,
      );
    }
    if (expectedSize !== undefined && bytes.length !== expectedSize) {
      throw new PalisadeError(
        'E_DIGEST_MISMATCH',
        `${what}: expected ${expectedSize} bytes, the registry sent ${bytes.length}`,
      );
    }
    this.log.debug({ reference, digest, bytes: bytes.length }, 'fetched manifest');
    return { bytes, contentType: res.headers.get('content-type'), digest };
  }

  /**
   * The digest of a manifest from a HEAD request (its Docker-Content-Digest header), without
   * downloading it; undefined when the registry sends no valid digest header.
   */
  async headManifest(reference: string): Promise<string | undefined> {
    const what = `image ${formatReference(this.ref)}`;
    const res = await this.get(this.url('manifests', reference), MANIFEST_ACCEPT, what, undefined, 'HEAD');
    await res.body?.cancel().catch(() => undefined);
    const d = res.headers.get('docker-content-digest') ?? '';
    return /^sha256:[0-9a-f]{64}$/.test(d) ? d : undefined;
  }

  /** Fetches a small blob whole (an image config), verified against its digest and size. */
  async getBlob(digest: string, size: number | undefined, maxBytes: number): Promise<Buffer> {
    const what = `blob ${digest} of ${this.ref.domain}/${this.ref.path}`;
    const { algorithm } = parseDigest(digest, 'blob digest');
    if (size !== undefined && size > maxBytes) {
      throw new PalisadeError('E_LIMIT', `${what} is ${size} bytes, over the ${maxBytes}-byte limit`);
    }
    const res = await this.get(this.url('blobs', digest), undefined, what);
    const bytes = await readBounded(res, maxBytes, what);
    const actual = digestOf(bytes, algorithm);
    if (actual !== digest) {
      throw new PalisadeError(
        'E_DIGEST_MISMATCH',
        `${what}: the registry sent content with digest ${actual}`,
      );
    }
    if (size !== undefined && bytes.length !== size) {
      throw new PalisadeError('E_DIGEST_MISMATCH', `${what}: expected ${size} bytes, got ${bytes.length}`);
    }
    return bytes;
  }

  /**
   * Streams a blob. The initial request is retried (5xx, resets); the
   * stream fails with E_DIGEST_MISMATCH at its end when the bytes do not hash
   * to `digest`, and as soon as they exceed `size` when it is given.
   */
  async openBlob(digest: string, size: number | undefined, signal?: AbortSignal): Promise<Readable> {
    const what = `blob ${digest} of ${this.ref.domain}/${this.ref.path}`;
    parseDigest(digest, 'blob digest');
    const url = this.url('blobs', digest);
    const res = await this.get(url, undefined, what, signal);
    const declared = Number(res.headers.get('content-length'));
    if (
      size !== undefined &&
      res.headers.has('content-length') &&
      Number.isFinite(declared) &&
      declared !== size
    ) {
      await res.body?.cancel().catch(() => undefined);
      throw new PalisadeError(
        'E_DIGEST_MISMATCH',
        `${what}: the manifest says ${size} bytes, the registry announces ${declared}`,
      );
    }
    const body = res.body;
    if (!body) throw new PalisadeError('E_REGISTRY', `${what}: empty response`);
    const reader = body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const meter = new DigestMeter(digest, what);
    let total = 0;
    const log = this.log;
    const combined =
      signal && this.http.signal ? AbortSignal.any([signal, this.http.signal]) : (signal ?? this.http.signal);
    return new Readable({
      highWaterMark: 1 << 20,
      read() {
        reader.read().then(
          ({ done, value }) => {
            if (done) {
              const actual = meter.actual();
              if (size !== undefined && total !== size) {
                this.destroy(
                  new PalisadeError('E_DIGEST_MISMATCH', `${what}: expected ${size} bytes, got ${total}`),
                );
              } else if (actual !== digest) {
                this.destroy(
                  new PalisadeError(
                    'E_DIGEST_MISMATCH',
                    `${what}: the registry sent content with digest ${actual}`,
                  ),
                );
              } else {
                log.debug({ digest, bytes: total }, 'blob verified');
                this.push(null);
              }
              return;
            }
            total += value.byteLength;
            if (size !== undefined && total > size) {
              this.destroy(
                new PalisadeError(
                  'E_DIGEST_MISMATCH',
                  `${what}: more than the ${size} bytes the manifest says`,
                ),
              );
              return;
            }
            const chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
            meter.update(chunk);
            this.push(chunk);
          },
          (err: unknown) => {
            if (combined?.aborted) {
              this.destroy(abortError(combined));
              return;
            }
            this.destroy(
              new PalisadeError(
                'E_REGISTRY',
                `reading ${what} from ${redact(url)} failed (${networkErrorCode(err) ?? (err instanceof Error ? err.message : String(err))})`,
                { cause: err },
              ),
            );
          },
        );
      },
      destroy(err, callback) {
        reader.cancel().catch(() => undefined);
        callback(err);
      },
    });
  }
}
