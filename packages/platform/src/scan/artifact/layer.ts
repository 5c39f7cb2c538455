/**
 * Turns a stored layer blob into its uncompressed tar stream: sniffs gzip,
 * zstd or plain tar from the first bytes, decompresses as a stream, checks the
 * digests of the compressed and the uncompressed bytes, and bounds the size and
 * the compression ratio. A layer is never held in memory: at most one input
 * slice's worth of output is in flight.
 */
import { Readable, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import type * as Fzstd from 'fzstd';
import { lazy } from '../../core/lazy.js';

const fzstd = lazy<typeof Fzstd>('fzstd');
import { throwIfAborted } from '../../core/abort.js';
import { PalisadeError, errorMessage } from '../../core/errors.js';
import { DigestMeter } from './digest.js';
import { RATIO_MIN_BYTES } from './limits.js';
import type { WalkLimits } from './types.js';
import { ZstdGuard } from './zstd-guard.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export interface LayerExpectation {
  /** Digest of the bytes as stored; checked when given. */
  digest?: string;
  /** Digest of the uncompressed tar (config rootfs.diff_ids); always checked. */
  diffId: string;
  /** How the layer is named in messages (default: `layer <diffId>`). */
  name?: string;
  /**
   * Digest the caller already verifies the stored bytes against (ImageSource.openLayer does).
   * When it equals diffId and the layer is not compressed, the same bytes are not hashed twice.
   */
  verifiedDigest?: string;
}

/** Compressed input is handed to the decoder in slices of this size, which bounds the output in flight. */
const SLICE = 16 * 1024;

/** What the first bytes say the blob is. */
export function sniffCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) {
    return 'zstd';
  }
  return 'none';
}

/**
 * Opens the uncompressed tar of a layer. The returned stream fails with a
 * PalisadeError naming the layer: E_DIGEST_MISMATCH (at its end), E_LIMIT
 * (maxLayerBytes), E_ARCHIVE_BOMB (maxCompressionRatio), E_ARCHIVE_TRUNCATED,
 * E_PARSE (corrupt compressed data), E_ABORTED.
 */
export function openLayerTar(
  blob: Readable,
  expect: LayerExpectation,
  limits: WalkLimits,
  signal?: AbortSignal,
): Readable {
  return decodedStream(blob, expect, expect.name ?? `layer ${expect.diffId}`, limits, signal);
}

/**
 * Decompresses (gzip, zstd or none, sniffed) under the same bounds as a layer,
 * without digest checks: for image archives that were compressed as a whole.
 */
export function openDecompressed(
  blob: Readable,
  name: string,
  limits: WalkLimits,
  signal?: AbortSignal,
): Readable {
  return decodedStream(blob, {}, name, limits, signal);
}

function decodedStream(
  blob: Readable,
  expect: Partial<LayerExpectation>,
  what: string,
  limits: WalkLimits,
  signal: AbortSignal | undefined,
): Readable {
  const out = Readable.from(layerChunks(blob, expect, what, limits, signal), { objectMode: false });
  // Destroying the output (consumer gave up, error, abort) releases the blob.
  out.once('close', () => {
    if (!blob.destroyed) blob.destroy();
  });
  if (signal) {
    const onAbort = (): void => {
      // The consumer may already have given up on this stream (the walk rejected on the same
      // signal): a listener of our own keeps the abort error from becoming an uncaught
      // 'error' event. Consumers still listening receive it as before.
      out.on('error', () => undefined);
      out.destroy(new PalisadeError('E_ABORTED', `${what}: cancelled`, { cause: signal.reason }));
    };
    if (signal.aborted) queueMicrotask(onAbort);
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      out.once('close', () => signal.removeEventListener('abort', onAbort));
    }
  }
  return out;
}

async function* layerChunks(
  blob: Readable,
  expect: Partial<LayerExpectation>,
  what: string,
  limits: WalkLimits,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  const storedMeter = expect.digest === undefined ? undefined : new DigestMeter(expect.digest, what);
  const diffMeter = expect.diffId === undefined ? undefined : new DigestMeter(expect.diffId, what);
  let storedBytes = 0;
  let tarBytes = 0;
  let compression: Compression = 'none';

  const guard = (total: number): void => {
    if (total > limits.maxLayerBytes) {
      throw new PalisadeError(
        'E_LIMIT',
        `${what}: uncompressed size exceeds the limit of ${limits.maxLayerBytes} bytes`,
        { hint: 'raise the layer size limit if this image is trusted' },
      );
    }
    if (
      compression !== 'none' &&
      total > RATIO_MIN_BYTES &&
      total > limits.maxCompressionRatio * Math.max(storedBytes, 1)
    ) {
      throw new PalisadeError(
        'E_ARCHIVE_BOMB',
        `${what}: ${storedBytes} compressed bytes expanded to over ${total} bytes, ` +
          `past the ratio limit of ${limits.maxCompressionRatio}`,
      );
    }
  };

  const source = blob[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  const nextStored = async (): Promise<Buffer | undefined> => {
    for (;;) {
      const r = await source.next();
      if (r.done) return undefined;
      const b = toBuffer(r.value);
      if (b.length === 0) continue;
      storedMeter?.update(b);
      storedBytes += b.length;
      return b;
    }
  };

  // The first bytes decide the decoder.
  const head: Buffer[] = [];
  let headLength = 0;
  while (headLength < 4) {
    const b = await nextStored();
    if (!b) break;
    head.push(b);
    headLength += b.length;
  }
  const prefix = Buffer.concat(head);
  compression = sniffCompression(prefix);

  let prefixPending = prefix.length > 0;
  async function* stored(): AsyncGenerator<Buffer> {
    if (prefixPending) {
      prefixPending = false;
      yield prefix;
    }
    for (;;) {
      const b = await nextStored();
      if (!b) return;
      yield b;
    }
  }

  // An uncompressed layer whose stored digest the source verifies already is its own diff ID.
  const diffCheck =
    compression === 'none' && expect.verifiedDigest !== undefined && expect.verifiedDigest === expect.diffId
      ? undefined
      : diffMeter;

  let tar: AsyncIterable<Buffer>;
  if (compression === 'gzip') tar = viaZlib(zlib.createGunzip(), stored(), what, 'gzip');
  else if (compression === 'zstd') tar = zstdChunks(stored(), what, guard);
  else tar = stored();

  for await (const chunk of tar) {
    throwIfAborted(signal);
    tarBytes += chunk.length;
    guard(tarBytes);
    diffCheck?.update(chunk);
    yield chunk;
  }
  // A decoder may stop before the end of the blob (trailing bytes); the stored digest covers all of it.
  for (let b = await nextStored(); b; b = await nextStored()) {
    throwIfAborted(signal);
  }

  if (storedMeter) {
    const actual = storedMeter.actual();
    if (actual !== storedMeter.expected) {
      throw new PalisadeError(
        'E_DIGEST_MISMATCH',
        `${what}: blob digest ${actual} does not match ${storedMeter.expected}`,
      );
    }
  }
  if (diffCheck) {
    const actualDiff = diffCheck.actual();
    if (actualDiff !== diffCheck.expected) {
      throw new PalisadeError(
        'E_DIGEST_MISMATCH',
        `${what}: uncompressed digest ${actualDiff} does not match diff_id ${diffCheck.expected}`,
      );
    }
  }
}

function toBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') return Buffer.from(v);
  throw new PalisadeError('E_INTERNAL', 'layer blob stream yielded a non-binary chunk');
}

/** Maps a decoder failure to a coded error. */
function decodeError(err: unknown, what: string, format: string): PalisadeError {
  if (err instanceof PalisadeError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const truncated = code === 'Z_BUF_ERROR' || code === 5; /* fzstd UnexpectedEOF */
  if (truncated) {
    return new PalisadeError('E_ARCHIVE_TRUNCATED', `${what}: ${format} data ends early (truncated blob)`, {
      cause: err,
    });
  }
  return new PalisadeError('E_PARSE', `${what}: corrupt ${format} data: ${errorMessage(err)}`, {
    cause: err,
  });
}

/**
 * Runs a zlib-style Transform over the stored chunks, honouring its
 * backpressure, and yields its output. The whole input is consumed (for the
 * stored digest) even when the decoder ends first.
 */
async function* viaZlib(
  dec: Transform,
  input: AsyncIterable<Buffer>,
  what: string,
  format: string,
): AsyncGenerator<Buffer> {
  let decoderEnded = false;
  let stopped = false;
  dec.once('end', () => {
    decoderEnded = true;
  });
  const writable = (): boolean => !stopped && !decoderEnded && !dec.destroyed && !dec.writableEnded;
  const waitDrain = (): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        dec.off('drain', done);
        dec.off('close', done);
        dec.off('end', done);
        dec.off('error', done);
        resolve();
      };
      dec.on('drain', done);
      dec.on('close', done);
      dec.on('end', done);
      dec.on('error', done);
    });
  // Errors of the input (I/O, guard) pass through unchanged; only the decoder's own are mapped.
  let inputFailed = false;
  let inputError: unknown;
  const feeder = (async (): Promise<void> => {
    try {
      for await (const chunk of input) {
        if (stopped) return;
        for (let off = 0; off < chunk.length && writable(); off += SLICE) {
          if (!dec.write(chunk.subarray(off, off + SLICE))) await waitDrain();
        }
      }
      if (writable()) dec.end();
    } catch (err) {
      inputFailed = true;
      inputError = err;
      dec.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  })();
  try {
    for await (const chunk of dec) yield chunk as Buffer;
    await feeder;
    if (inputFailed) throw inputError;
  } catch (err) {
    if (inputFailed) throw inputError;
    throw decodeError(err, what, format);
  } finally {
    stopped = true;
    if (!dec.destroyed) dec.destroy();
  }
}

/** Native zstd when this Node has it (22.15+), else fzstd behind the structure guard. */
async function* zstdChunks(
  input: AsyncIterable<Buffer>,
  what: string,
  guard: (total: number) => void,
): AsyncGenerator<Buffer> {
  const zguard = new ZstdGuard(what);
  async function* guarded(): AsyncGenerator<Buffer> {
    for await (const chunk of input) {
      zguard.feed(chunk);
      yield chunk;
    }
  }
  const native = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  if (typeof native === 'function') {
    yield* viaZlib(native(), guarded(), what, 'zstd');
    return;
  }
  let decoded = 0;
  const pending: Buffer[] = [];
  const decoder = new (fzstd().Decompress)((data: Uint8Array) => {
    if (data.length === 0) return;
    decoded += data.length;
    // Runs inside push(): throwing here stops a bomb before the next block is produced.
    guard(decoded);
    pending.push(Buffer.from(data));
  });
  const push = (data: Uint8Array, final: boolean): void => {
    try {
      decoder.push(data, final);
    } catch (err) {
      throw decodeError(err, what, 'zstd');
    }
  };
  for await (const chunk of guarded()) {
    for (let off = 0; off < chunk.length; off += SLICE) {
      push(chunk.subarray(off, off + SLICE), false);
      while (pending.length > 0) yield pending.shift() as Buffer;
    }
  }
  if (!zguard.complete) {
    throw new PalisadeError('E_ARCHIVE_TRUNCATED', `${what}: zstd data ends early (truncated blob)`);
  }
  push(new Uint8Array(0), true);
  while (pending.length > 0) yield pending.shift() as Buffer;
}
