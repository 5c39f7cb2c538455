/**
 * Content digests (`sha256:<hex>`) as OCI defines them, and a pass-through
 * stream that fails at its end when the bytes that went through it do not
 * match the expected digest.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { PalisadeError } from '../../core/errors.js';

const HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ParsedDigest {
  algorithm: 'sha256' | 'sha384' | 'sha512';
  hex: string;
}

/** Whether we can verify digests of this algorithm. */
export function isDigestAlgorithm(algorithm: string): algorithm is ParsedDigest['algorithm'] {
  return Object.prototype.hasOwnProperty.call(HEX_LENGTH, algorithm);
}

/** Parses a digest we can verify; undefined for anything else (including path tricks like `sha256:../x`). */
export function parseDigest(digest: string): ParsedDigest | undefined {
  const m = /^(sha256|sha384|sha512):([a-f0-9]+)$/.exec(digest);
  if (!m) return undefined;
  const algorithm = m[1] as ParsedDigest['algorithm'];
  const hex = m[2] as string;
  if (hex.length !== HEX_LENGTH[algorithm]) return undefined;
  return { algorithm, hex };
}

/** Parses a digest or fails with E_MANIFEST naming where it came from. */
export function requireDigest(digest: unknown, where: string): ParsedDigest {
  const parsed = typeof digest === 'string' ? parseDigest(digest) : undefined;
  if (!parsed) {
    throw new PalisadeError(
      'E_MANIFEST',
      `${where}: invalid or unsupported digest ${JSON.stringify(digest)}`,
    );
  }
  return parsed;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function digestOf(data: Uint8Array, algorithm: ParsedDigest['algorithm'] = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Incremental digest of a stream of chunks. */
export class DigestMeter {
  readonly expected: string;
  private readonly hash: Hash;
  private readonly algorithm: string;

  constructor(expected: string, what: string) {
    const parsed = parseDigest(expected);
    if (!parsed) throw new PalisadeError('E_MANIFEST', `${what}: invalid or unsupported digest ${expected}`);
    this.expected = expected;
    this.algorithm = parsed.algorithm;
    this.hash = createHash(parsed.algorithm);
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  /** The digest of everything seen so far; call once. */
  actual(): string {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
}

/**
 * A pass-through that fails with E_DIGEST_MISMATCH at its end when the bytes
 * do not hash to `expected`. `what` names the blob in the message.
 */
export function digestVerifier(expected: string, what: string): Transform {
  const meter = new DigestMeter(expected, what);
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      meter.update(chunk);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      const actual = meter.actual();
      if (actual !== expected) {
        cb(
          new PalisadeError(
            'E_DIGEST_MISMATCH',
            `${what}: content digest ${actual} does not match ${expected}`,
          ),
        );
        return;
      }
      cb();
    },
  });
}
