/**
 * A ZIP reader for archives on disk that may be larger than memory (osv.dev's
 * `all.zip` files run to hundreds of megabytes): the central directory is read
 * from the end of the file, then each entry is read with positioned reads and
 * inflated on its own, so memory holds one entry at a time. Bounded: the
 * central directory's size and entry count, each entry's declared and actual
 * size, the compression ratio (DEFLATE cannot expand more than ~1032:1) and a
 * CRC-32 check on every entry.
 *
 * A missing or damaged central directory (a truncated download, a file that is
 * not a ZIP) throws a PalisadeError; a damaged entry is returned as a failure
 * with a reason, so the importer can count it and go on.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';
import { PalisadeError } from '../../core/errors.js';

export interface ZipFileEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  /** Entries listed at most; more is an error (E_LIMIT). */
  maxEntries: number;
  /** Bytes of central directory at most. */
  maxDirectoryBytes: number;
  /** Uncompressed bytes of one entry at most; bigger entries fail with 'too-large'. */
  maxEntryBytes: number;
  /** Declared size over compressed size above this is refused as a bomb. */
  maxRatio: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 5_000_000,
  maxDirectoryBytes: 1024 * 1024 * 1024,
  maxEntryBytes: 8 * 1024 * 1024,
  maxRatio: 1100,
};

export type ZipEntryResult =
  | { ok: true; data: Buffer }
  | { ok: false; reason: 'encrypted' | 'unsupported' | 'too-large' | 'bomb' | 'corrupt'; message: string };

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const EOCD_MIN = 22;
const TAIL = EOCD_MIN + 0xffff + 20 + 56;

const utf8 = new TextDecoder('utf-8');

function u64(b: Buffer, o: number): number {
  const v = b.readBigUInt64LE(o);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function bad(path: string, message: string): PalisadeError {
  return new PalisadeError('E_ARCHIVE_TRUNCATED', `${path} is not a readable ZIP archive: ${message}`, {
    hint: 'the file is truncated or corrupt: download it again',
  });
}

export class ZipFile {
  readonly entries: ZipFileEntry[];
  readonly fileSize: number;
  private fd: number | undefined;
  private readonly baseOffset: number;
  private readonly limits: ZipLimits;

  private constructor(
    readonly path: string,
    fd: number,
    fileSize: number,
    entries: ZipFileEntry[],
    baseOffset: number,
    limits: ZipLimits,
  ) {
    this.fd = fd;
    this.fileSize = fileSize;
    this.entries = entries;
    this.baseOffset = baseOffset;
    this.limits = limits;
  }

  static open(path: string, limits: Partial<ZipLimits> = {}): ZipFile {
    const lim = { ...DEFAULT_ZIP_LIMITS, ...limits };
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new PalisadeError(code === 'ENOENT' ? 'E_NOT_FOUND' : 'E_IO', `cannot open ${path}`, {
        cause: err,
      });
    }
    try {
      const size = fstatSync(fd).size;
      const { entries, baseOffset } = readDirectory(path, fd, size, lim);
      return new ZipFile(path, fd, size, entries, baseOffset, lim);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  private pread(length: number, position: number): Buffer {
    if (this.fd === undefined) throw new PalisadeError('E_INTERNAL', 'ZIP file is closed');
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, buf, got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  }

  /** Reads and checks one entry; never throws for damaged entry data. */
  read(entry: ZipFileEntry): ZipEntryResult {
    if (entry.flags & 0x1) return { ok: false, reason: 'encrypted', message: 'entry is encrypted' };
    if (entry.method !== 0 && entry.method !== 8)
      return {
        ok: false,
        reason: 'unsupported',
        message: `compression method ${entry.method} is not supported`,
      };
    if (entry.size > this.limits.maxEntryBytes)
      return {
        ok: false,
        reason: 'too-large',
        message: `entry declares ${entry.size} bytes, over the limit of ${this.limits.maxEntryBytes}`,
      };
    if (entry.method === 8 && entry.size > Math.max(entry.compressedSize, 1) * this.limits.maxRatio)
      return {
        ok: false,
        reason: 'bomb',
        message: `entry declares ${entry.size} bytes from ${entry.compressedSize} compressed bytes, a ratio DEFLATE cannot produce`,
      };
    const at = this.baseOffset + entry.localHeaderOffset;
    const header = this.pread(30, at);
    if (header.length < 30 || header.readUInt32LE(0) !== SIG_LOCAL)
      return { ok: false, reason: 'corrupt', message: 'local file header is missing' };
    const dataAt = at + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    if (dataAt + entry.compressedSize > this.fileSize)
      return { ok: false, reason: 'corrupt', message: 'entry data runs past the end of the file' };
    const raw = this.pread(entry.compressedSize, dataAt);
    let data: Buffer;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size)
        return { ok: false, reason: 'corrupt', message: 'stored entry sizes disagree' };
      data = raw;
    } else {
      try {
        // One byte more than declared, so a lying size shows as a longer output.
        data = inflateRawSync(raw, { maxOutputLength: Math.max(entry.size + 1, 1) });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ERR_BUFFER_TOO_LARGE')
          return {
            ok: false,
            reason: 'bomb',
            message: `entry inflates to more than its declared ${entry.size} bytes`,
          };
        return {
          ok: false,
          reason: 'corrupt',
          message: `invalid DEFLATE data: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
      if (data.length !== entry.size)
        return {
          ok: false,
          reason: data.length > entry.size ? 'bomb' : 'corrupt',
          message: `entry inflates to ${data.length} bytes, not the declared ${entry.size}`,
        };
    }
    if (crc32(data) !== entry.crc32)
      return { ok: false, reason: 'corrupt', message: 'CRC-32 mismatch (damaged data)' };
    return { ok: true, data };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function readDirectory(
  path: string,
  fd: number,
  size: number,
  lim: ZipLimits,
): { entries: ZipFileEntry[]; baseOffset: number } {
  if (size < EOCD_MIN) throw bad(path, 'file is too small');
  const tailLen = Math.min(size, TAIL);
  const tailStart = size - tailLen;
  const tail = Buffer.allocUnsafe(tailLen);
  readFully(fd, tail, tailStart);
  let eocd = -1;
  for (let i = tailLen - EOCD_MIN; i >= 0; i--) {
    if (tail.readUInt32LE(i) === SIG_EOCD) {
      // A real record's comment fits in the file (as Go's archive/zip checks).
      if (i + EOCD_MIN + tail.readUInt16LE(i + 20) <= tailLen) {
        eocd = i;
        break;
      }
    }
  }
  if (eocd < 0) throw bad(path, 'no end-of-central-directory record');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  let cdEnd = tailStart + eocd;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc >= 0 && tail.readUInt32LE(loc) === SIG_EOCD64_LOCATOR) {
      const rec = loc - 56;
      if (rec < 0 || tail.readUInt32LE(rec) !== SIG_EOCD64)
        throw bad(path, 'ZIP64 end-of-central-directory record not found');
      count = u64(tail, rec + 32);
      cdSize = u64(tail, rec + 40);
      cdOffset = u64(tail, rec + 48);
      cdEnd = tailStart + rec;
    }
  }
  if (count > lim.maxEntries)
    throw new PalisadeError('E_LIMIT', `${path} lists ${count} entries, over the limit of ${lim.maxEntries}`);
  if (cdSize > lim.maxDirectoryBytes)
    throw new PalisadeError(
      'E_LIMIT',
      `${path} has a ${cdSize}-byte central directory, over the limit of ${lim.maxDirectoryBytes}`,
    );
  const baseOffset = cdEnd - cdSize - cdOffset;
  if (baseOffset < 0 || cdEnd - cdSize < 0) throw bad(path, 'central directory lies outside the file');
  const cd = Buffer.allocUnsafe(cdSize);
  readFully(fd, cd, cdEnd - cdSize);
  const entries: ZipFileEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL)
      throw bad(path, `central directory entry ${i} is damaged`);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    let compressedSize = cd.readUInt32LE(p + 20);
    let usize = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const nameStart = p + 46;
    const extraStart = nameStart + nameLen;
    const next = extraStart + extraLen + commentLen;
    if (next > cd.length) throw bad(path, `central directory entry ${i} runs past its end`);
    const name = utf8.decode(cd.subarray(nameStart, extraStart));
    if (usize === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      let e = extraStart;
      const extraEnd = extraStart + extraLen;
      while (e + 4 <= extraEnd) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let f = e + 4;
          const end = Math.min(e + 4 + len, extraEnd);
          if (usize === 0xffffffff && f + 8 <= end) {
            usize = u64(cd, f);
            f += 8;
          }
          if (compressedSize === 0xffffffff && f + 8 <= end) {
            compressedSize = u64(cd, f);
            f += 8;
          }
          if (localHeaderOffset === 0xffffffff && f + 8 <= end) localHeaderOffset = u64(cd, f);
          break;
        }
        e += 4 + len;
      }
    }
    entries.push({ name, method, flags, crc32: crc, compressedSize, size: usize, localHeaderOffset });
    p = next;
  }
  return { entries, baseOffset };
}

function readFully(fd: number, buf: Buffer, position: number): void {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) throw new PalisadeError('E_ARCHIVE_TRUNCATED', 'unexpected end of file');
    got += n;
  }
}
