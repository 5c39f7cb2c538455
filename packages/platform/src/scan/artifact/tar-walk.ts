/**
 * Streams one layer tar through a visitor, entry by entry, without
 * extracting anything. Paths are normalized lexically so a hostile name can
 * never alias a path outside the root; links are reported, never followed;
 * bodies nobody asked for are drained without buffering.
 */
import type { Readable } from 'node:stream';
import type { Header } from 'tar-stream';
import type * as TarStream from 'tar-stream';
import { lazy } from '../../core/lazy.js';

const tarStream = lazy<typeof TarStream>('tar-stream');
import { PalisadeError, errorMessage } from '../../core/errors.js';
import type { Diagnostics } from '../../core/diagnostics.js';
import type { SourceLocation } from '../../core/location.js';
import type { EntryType, EntryVisitor, LayerEntry, WalkLimits } from './types.js';

export interface WalkOptions {
  limits: WalkLimits;
  signal?: AbortSignal;
  /** Layer name (digest) for messages and diagnostics. */
  layer?: string;
  diagnostics: Diagnostics;
}

export interface WalkStats {
  /** Headers seen (every entry, including skipped ones). */
  entries: number;
  /** Entries passed to the visitor. */
  visited: number;
  /** Bodies read through read(). */
  filesRead: number;
  /** Bytes returned by read(). */
  bytesRead: number;
  /** Entries skipped: escaping paths, invalid whiteouts, unsupported types. */
  skipped: number;
  /** Bodies over maxFileBytes that a visitor asked for. */
  oversized: number;
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

/**
 * Normalizes an archive path: strips leading `/` and `./`, resolves `.` and `..`
 * lexically. Returns undefined when the path climbs above the root. The root
 * itself is the empty string.
 */
export function normalizeArchivePath(name: string): string | undefined {
  const out: string[] = [];
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return undefined;
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return out.join('/');
}

function entryType(h: Header): EntryType {
  switch (h.type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}

/** Whether a thrown value came from a read() of an oversized body (the walker recorded it already). */
class OversizedBody extends PalisadeError {}

const EMPTY = Buffer.alloc(0);

/** An entry name for a message: hostile names can be a megabyte long (pax). */
function clip(name: string): string {
  return name.length > 256 ? `${name.slice(0, 256)}…` : name;
}

function shown(name: string): string {
  return JSON.stringify(clip(name));
}

/** The body stream tar-stream hands out (a streamx Readable). */
interface EntryBody extends AsyncIterable<unknown> {
  resume(): unknown;
}

export async function walkTar(tar: Readable, visit: EntryVisitor, opts: WalkOptions): Promise<WalkStats> {
  const { limits, signal, layer, diagnostics } = opts;
  const layerName = layer ?? 'tar';
  const stats: WalkStats = { entries: 0, visited: 0, filesRead: 0, bytesRead: 0, skipped: 0, oversized: 0 };
  let declaredBytes = 0;

  const where = (file: string): SourceLocation => (layer === undefined ? { file } : { file, layer });

  if (signal?.aborted) {
    tar.destroy();
    throw new PalisadeError('E_ABORTED', `${layerName}: cancelled`, { cause: signal.reason });
  }

  const extract = tarStream().extract();

  /** Builds the entry for a header, or undefined (with a diagnostic) when it is skipped. */
  const toEntry = (h: Header): LayerEntry | undefined => {
    const raw = h.name;
    const path = normalizeArchivePath(raw);
    if (path === undefined) {
      diagnostics.warn('ARCHIVE_PATH_ESCAPE', `entry ${shown(raw)} climbs above the root; skipped`, {
        ...where(clip(raw)),
      });
      return undefined;
    }
    const type = entryType(h);
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash);
    const base = slash < 0 ? path : path.slice(slash + 1);
    const mode = h.mode;
    if (base.startsWith(WHITEOUT_PREFIX)) {
      if (base === OPAQUE_WHITEOUT) return { path: dir, type: 'opaque', size: 0, mode };
      // Other `.wh..wh.` names are AUFS bookkeeping (plink, aufs), ignored by Docker too.
      if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return undefined;
      const target = base.slice(WHITEOUT_PREFIX.length);
      if (target === '' || target === '.' || target === '..') {
        diagnostics.warn('ARCHIVE_BAD_WHITEOUT', `whiteout ${shown(raw)} names no file; skipped`, {
          ...where(clip(raw)),
        });
        return undefined;
      }
      return { path: dir === '' ? target : `${dir}/${target}`, type: 'whiteout', size: 0, mode };
    }
    if (path === '') return undefined; // the root directory itself
    const entry: LayerEntry = { path, type, size: type === 'file' ? h.size : 0, mode };
    if (type === 'symlink') {
      entry.linkTarget = h.linkname ?? '';
    } else if (type === 'hardlink') {
      // A hard link names another entry of the archive: normalize it like a path.
      const target = normalizeArchivePath(h.linkname ?? '');
      if (target === undefined || target === '') {
        diagnostics.warn(
          'ARCHIVE_LINK_ESCAPE',
          `hard link ${shown(raw)} -> ${shown(h.linkname ?? '')} points outside the archive; skipped`,
          { ...where(path) },
        );
        return undefined;
      }
      entry.linkTarget = target;
    }
    return entry;
  };

  const onEntry = async (h: Header, body: EntryBody): Promise<void> => {
    stats.entries++;
    if (stats.entries > limits.maxEntries) {
      throw new PalisadeError('E_LIMIT', `${layerName}: more than ${limits.maxEntries} entries`, {
        hint: 'raise the entry limit if this image is trusted',
      });
    }
    if (signal?.aborted)
      throw new PalisadeError('E_ABORTED', `${layerName}: cancelled`, { cause: signal.reason });
    declaredBytes += h.size;
    if (declaredBytes > limits.maxLayerBytes) {
      throw new PalisadeError('E_LIMIT', `${layerName}: more than ${limits.maxLayerBytes} bytes of content`);
    }

    const entry = toEntry(h);
    if (!entry) {
      stats.skipped++;
      body.resume();
      return;
    }

    let reading: Promise<Buffer> | undefined;
    const readBody = async (): Promise<Buffer> => {
      if (entry.type !== 'file' || h.size === 0) return EMPTY;
      if (h.size > limits.maxFileBytes) {
        stats.oversized++;
        diagnostics.warn(
          'E_ARCHIVE_SIZE',
          `${entry.path} is ${h.size} bytes, over the ${limits.maxFileBytes} byte limit; skipped`,
          where(entry.path),
        );
        throw new OversizedBody(
          'E_ARCHIVE_SIZE',
          `${layerName}: ${entry.path} is ${h.size} bytes, over the ${limits.maxFileBytes} byte limit`,
        );
      }
      const chunks: Buffer[] = [];
      let n = 0;
      for await (const chunk of body) {
        const b = chunk as Buffer;
        n += b.length;
        if (n > limits.maxFileBytes)
          throw new PalisadeError('E_INTERNAL', 'tar entry larger than its header');
        chunks.push(b);
      }
      stats.filesRead++;
      stats.bytesRead += n;
      return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, n);
    };
    const read = (): Promise<Buffer> => (reading ??= readBody());

    stats.visited++;
    try {
      await visit(entry, read);
    } catch (err) {
      if (!(err instanceof OversizedBody)) throw err;
    }
    if (reading) {
      try {
        await reading;
      } catch (err) {
        if (!(err instanceof OversizedBody)) throw err;
        body.resume();
      }
    } else {
      body.resume();
    }
  };

  return new Promise<WalkStats>((resolve, reject) => {
    let settled = false;
    const cleanup = (): void => {
      signal?.removeEventListener('abort', onAbort);
      tar.off('error', fail);
    };
    function fail(err: unknown): void {
      if (settled) return;
      settled = true;
      cleanup();
      tar.unpipe(extract);
      if (!tar.destroyed) tar.destroy();
      extract.destroy();
      reject(mapTarError(err, layerName));
    }
    function onAbort(): void {
      fail(new PalisadeError('E_ABORTED', `${layerName}: cancelled`, { cause: signal?.reason }));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    // tar-stream may emit 'finish' while the last entry is still with the visitor
    // (its body was already buffered): the walk ends when that entry is done.
    let current: Promise<void> = Promise.resolve();
    extract.on('entry', (header: Header, stream: EntryBody, next: (err?: Error | null) => void) => {
      current = onEntry(header, stream).then(
        () => {
          if (!settled) next();
        },
        (err: unknown) => fail(err),
      );
    });
    extract.on('error', fail);
    extract.on('finish', () => {
      void current.then(() => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve(stats);
      });
    });
    tar.on('error', fail);
    tar.pipe(extract);
  });
}

function mapTarError(err: unknown, layer: string): PalisadeError {
  if (err instanceof PalisadeError) return err;
  const msg = errorMessage(err);
  if (/unexpected end of data/i.test(msg)) {
    return new PalisadeError(
      'E_ARCHIVE_TRUNCATED',
      `${layer}: tar ends in the middle of an entry (truncated)`,
      {
        cause: err,
      },
    );
  }
  if (/invalid tar header|header exceeds max size|invalid header/i.test(msg)) {
    return new PalisadeError('E_PARSE', `${layer}: corrupt tar header (${msg})`, { cause: err });
  }
  return new PalisadeError('E_IO', `${layer}: cannot read tar: ${msg}`, { cause: err });
}
