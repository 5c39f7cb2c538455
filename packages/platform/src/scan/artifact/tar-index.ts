/**
 * Indexes the entries of a tar file by offset, reading only headers (bodies
 * are skipped with positioned reads), so the blobs of an image archive can be
 * read in place: a `docker save` tar is never extracted. Understands ustar,
 * GNU long names (`L`/`K`) and pax extended headers (path, linkpath, size).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable, addAbortSignal } from 'node:stream';
import { throwIfAborted } from '../../core/abort.js';
import { PalisadeError } from '../../core/errors.js';
import { MAX_ARCHIVE_ENTRIES, MAX_LINK_HOPS } from './limits.js';
import { normalizeArchivePath } from './tar-walk.js';

export type IndexedType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface IndexedEntry {
  /** Normalized path (see normalizeArchivePath). */
  path: string;
  type: IndexedType;
  /** Offset of the body in the file. */
  offset: number;
  size: number;
  /** Link target as stored. */
  linkTarget?: string;
}

export interface TarIndexOptions {
  maxEntries?: number;
  signal?: AbortSignal;
}

const BLOCK = 512;
/** Largest pax or GNU long-name body read (tar-stream uses the same bound). */
const MAX_LONG_HEADER = 1024 * 1024;

export class TarIndex {
  private constructor(
    /** Host path of the tar file, for messages. */
    readonly file: string,
    private readonly fh: FileHandle,
    readonly entries: ReadonlyMap<string, IndexedEntry>,
  ) {}

  /** Reads the headers of `file`. The file stays open until close(). */
  static async open(file: string, opts: TarIndexOptions = {}): Promise<TarIndex> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      throw new PalisadeError('E_NOT_FOUND', `cannot open ${file}`, { cause: err });
    }
    try {
      const entries = await readEntries(fh, file, opts);
      return new TarIndex(file, fh, entries);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /**
   * The regular file at `path`, following symlinks and hard links inside the
   * archive (bounded). Undefined when there is none.
   */
  lookup(path: string): IndexedEntry | undefined {
    let current = normalizeArchivePath(path);
    for (let hop = 0; hop <= MAX_LINK_HOPS && current !== undefined; hop++) {
      const e = this.entries.get(current);
      if (!e) return undefined;
      if (e.type === 'file') return e;
      if (e.type === 'hardlink') current = normalizeArchivePath(e.linkTarget ?? '');
      else if (e.type === 'symlink') {
        const target = e.linkTarget ?? '';
        const slash = current.lastIndexOf('/');
        const dir = slash < 0 ? '' : current.slice(0, slash);
        current = normalizeArchivePath(target.startsWith('/') || dir === '' ? target : `${dir}/${target}`);
      } else return undefined;
    }
    return undefined;
  }

  /** Reads a whole (small) entry; fails when it is larger than `max`. */
  async read(entry: IndexedEntry, max: number): Promise<Buffer> {
    if (entry.size > max) {
      throw new PalisadeError(
        'E_LIMIT',
        `${this.file}: ${entry.path} is ${entry.size} bytes, over the ${max} allowed`,
      );
    }
    const buf = Buffer.alloc(entry.size);
    let done = 0;
    while (done < entry.size) {
      const { bytesRead } = await this.fh.read(buf, done, entry.size - done, entry.offset + done);
      if (bytesRead === 0) {
        throw new PalisadeError(
          'E_ARCHIVE_TRUNCATED',
          `${this.file}: ${entry.path} is cut short (truncated archive)`,
        );
      }
      done += bytesRead;
    }
    return buf;
  }

  /** Streams an entry's body from its offset. */
  stream(entry: IndexedEntry, signal?: AbortSignal): Readable {
    if (entry.size === 0) return Readable.from([], { objectMode: false });
    const stream = this.fh.createReadStream({
      start: entry.offset,
      end: entry.offset + entry.size - 1,
      autoClose: false,
      highWaterMark: 1024 * 1024,
    });
    return signal ? addAbortSignal(signal, stream) : stream;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

async function readExact(fh: FileHandle, length: number, position: number): Promise<Buffer | undefined> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) return done === 0 ? undefined : buf.subarray(0, done);
    done += bytesRead;
  }
  return buf;
}

async function readEntries(
  fh: FileHandle,
  file: string,
  opts: TarIndexOptions,
): Promise<Map<string, IndexedEntry>> {
  const maxEntries = opts.maxEntries ?? MAX_ARCHIVE_ENTRIES;
  const fileSize = (await fh.stat()).size;
  const entries = new Map<string, IndexedEntry>();
  const truncated = (what: string): PalisadeError =>
    new PalisadeError('E_ARCHIVE_TRUNCATED', `${file}: ${what} (truncated archive)`);
  let pos = 0;
  let count = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  let paxGlobal: Record<string, string> = {};

  for (;;) {
    throwIfAborted(opts.signal);
    const block = await readExact(fh, BLOCK, pos);
    if (block === undefined) break; // end of file without end-of-archive blocks: accepted, as tar does
    if (block.length < BLOCK) throw truncated(`header at offset ${pos} is cut short`);
    if (isZero(block)) break; // end-of-archive marker
    const h = decodeHeader(block);
    if (!h) throw new PalisadeError('E_PARSE', `${file}: invalid tar header at offset ${pos}`);
    const bodyOffset = pos + BLOCK;
    let size = h.size;
    if (h.flag === 'x' || h.flag === 'g' || h.flag === 'L' || h.flag === 'K') {
      if (size > MAX_LONG_HEADER)
        throw new PalisadeError('E_LIMIT', `${file}: extended header at ${pos} too large`);
      const body = await readExact(fh, size, bodyOffset);
      if (size > 0 && (body === undefined || body.length < size))
        throw truncated(`extended header at ${pos} is cut short`);
      const data = body ?? Buffer.alloc(0);
      if (h.flag === 'x') pax = decodePax(data);
      else if (h.flag === 'g') paxGlobal = { ...paxGlobal, ...decodePax(data) };
      else if (h.flag === 'L') longName = cString(data);
      else longLink = cString(data);
      pos = bodyOffset + padded(size);
      continue;
    }
    count++;
    if (count > maxEntries) throw new PalisadeError('E_LIMIT', `${file}: more than ${maxEntries} entries`);
    const ext = { ...paxGlobal, ...pax };
    let name = longName ?? h.name;
    let link = longLink ?? h.linkname;
    if (ext['path'] !== undefined) name = ext['path'];
    if (ext['linkpath'] !== undefined) link = ext['linkpath'];
    if (ext['size'] !== undefined) {
      const n = Number(ext['size']);
      if (!Number.isSafeInteger(n) || n < 0)
        throw new PalisadeError('E_PARSE', `${file}: bad pax size at offset ${pos}`);
      size = n;
    }
    pax = {};
    longName = undefined;
    longLink = undefined;

    const type = h.type === 'file' && name.endsWith('/') ? 'dir' : h.type;
    // As tar-stream (and GNU tar) do: every entry but a directory is followed by `size` bytes.
    const bodySize = type === 'dir' ? 0 : size;
    if (bodyOffset + bodySize > fileSize) throw truncated(`${name} extends past the end of the file`);
    const path = normalizeArchivePath(name);
    if (path !== undefined && path !== '') {
      const entry: IndexedEntry = { path, type, offset: bodyOffset, size: bodySize };
      if (type === 'symlink' || type === 'hardlink') entry.linkTarget = link;
      entries.set(path, entry);
    }
    pos = bodyOffset + padded(bodySize);
  }
  return entries;
}

function padded(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

interface RawHeader {
  name: string;
  linkname: string;
  size: number;
  flag: string;
  type: IndexedType;
}

function cString(b: Buffer, start = 0, end = b.length): string {
  let stop = start;
  while (stop < end && b[stop] !== 0) stop++;
  return b.toString('utf8', start, stop);
}

function octal(b: Buffer, start: number, length: number): number | undefined {
  const first = b[start] as number;
  if (first & 0x80) {
    // GNU base-256: positive only.
    if (first !== 0x80) return undefined;
    let v = 0;
    for (let i = start + 1; i < start + length; i++) v = v * 256 + (b[i] as number);
    return Number.isSafeInteger(v) ? v : undefined;
  }
  const s = cString(b, start, start + length).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return undefined;
  return parseInt(s, 8);
}

function decodeHeader(b: Buffer): RawHeader | undefined {
  let sum = 8 * 32;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += b[i] as number;
  const stored = octal(b, 148, 8);
  if (stored !== sum) return undefined;
  const size = octal(b, 124, 12);
  if (size === undefined) return undefined;
  let name = cString(b, 0, 100);
  const magic = b.toString('latin1', 257, 263);
  if (magic === 'ustar\0' && b[345] !== 0) name = `${cString(b, 345, 500)}/${name}`;
  const flag = b[156] === 0 ? '0' : String.fromCharCode(b[156] as number);
  let type: IndexedType;
  switch (flag) {
    case '0':
    case '7':
      type = 'file';
      break;
    case '1':
      type = 'hardlink';
      break;
    case '2':
      type = 'symlink';
      break;
    case '5':
      type = 'dir';
      break;
    default:
      type = 'other';
  }
  return { name, linkname: cString(b, 157, 257), size, flag, type };
}

function decodePax(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < buf.length) {
    let sp = i;
    while (sp < buf.length && buf[sp] !== 0x20) sp++;
    const len = parseInt(buf.toString('latin1', i, sp), 10);
    if (!Number.isSafeInteger(len) || len <= 0 || i + len > buf.length) break;
    const rec = buf.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}
