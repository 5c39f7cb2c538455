/**
 * A bounded, lazy reader for ZIP archives held in memory (jar, war, ear).
 *
 * The central directory is parsed once (ZIP64 and data prepended to the
 * archive, as in self-executing Spring Boot jars, are handled the way Go's
 * archive/zip handles them); entry data is inflated only on request, with
 * fflate's streaming inflater so that a lying or hostile entry is stopped as
 * soon as it produces more bytes than allowed. Nothing here throws for
 * malformed entry data: readZipEntry() returns a reason instead. Only a
 * missing or broken central directory throws (ZipFormatError).
 */
import type * as Fflate from 'fflate';
import { lazy } from '../../../core/lazy.js';

const fflate = lazy<typeof Fflate>('fflate');

export interface ZipEntry {
  /** Entry name as stored (`/`-separated). */
  name: string;
  /** 0 stored, 8 deflate; other methods are reported as unsupported. */
  method: number;
  flags: number;
  compressedSize: number;
  /** Declared uncompressed size (central directory). */
  size: number;
  localHeaderOffset: number;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /** Bytes before the archive proper (a launcher script prepended to a jar). */
  baseOffset: number;
  /** Entries beyond `maxEntries` were not listed. */
  truncated: boolean;
}

export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

export type ZipReadFailure = 'encrypted' | 'unsupported' | 'too-large' | 'bomb' | 'corrupt';

export type ZipReadResult =
  { ok: true; data: Uint8Array } | { ok: false; reason: ZipReadFailure; message: string };

/**
 * DEFLATE cannot expand data by more than about 1032:1; a declared size above
 * this ratio is a lie (or a bomb), and the entry is refused before inflating.
 */
export const MAX_DEFLATE_RATIO = 1100;

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;
/** Input fed to the inflater per step: bounds the output of one step to ~16 MiB. */
const INFLATE_STEP = 16 * 1024;

const utf8 = new TextDecoder('utf-8');

function u16(b: Uint8Array, o: number): number {
  return (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8);
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16) | ((b[o + 3] ?? 0) << 24)) >>> 0;
}

/** 64-bit little-endian as a Number; values beyond 2^53 are clamped (no real archive in memory is that large). */
function u64(b: Uint8Array, o: number): number {
  const lo = u32(b, o);
  const hi = u32(b, o + 4);
  return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + lo;
}

function findEocd(buf: Uint8Array): number {
  const stop = Math.max(0, buf.length - EOCD_MIN - MAX_COMMENT);
  for (let i = buf.length - EOCD_MIN; i >= stop; i--) {
    if (u32(buf, i) === SIG_EOCD) return i;
  }
  return -1;
}

/** Parses the central directory. Throws ZipFormatError when the archive is not a readable ZIP. */
export function readZipDirectory(buf: Uint8Array, maxEntries = 500_000): ZipDirectory {
  if (buf.length < EOCD_MIN) throw new ZipFormatError('file is too small to be a ZIP archive');
  const eocd = findEocd(buf);
  if (eocd < 0)
    throw new ZipFormatError('no end-of-central-directory record (not a ZIP archive, or truncated)');

  let count = u16(buf, eocd + 10);
  let cdSize = u32(buf, eocd + 12);
  let cdOffset = u32(buf, eocd + 16);
  let cdEnd = eocd; // where the central directory must end

  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc >= 0 && u32(buf, loc) === SIG_EOCD64_LOCATOR) {
      // The record offset is relative to the archive start; with data prepended it is
      // wrong, but the record (56 bytes without extensible data) sits right before the locator.
      const rec = u64(buf, loc + 8);
      const recPos =
        rec < buf.length && u32(buf, rec) === SIG_EOCD64
          ? rec
          : u32(buf, loc - 56) === SIG_EOCD64
            ? loc - 56
            : -1;
      if (recPos < 0) throw new ZipFormatError('ZIP64 end-of-central-directory record not found');
      count = u64(buf, recPos + 32);
      cdSize = u64(buf, recPos + 40);
      cdOffset = u64(buf, recPos + 48);
      cdEnd = recPos;
    }
  }

  // As Go's archive/zip: data prepended to the archive shifts every offset.
  const baseOffset = cdEnd - cdSize - cdOffset;
  if (baseOffset < 0 || cdEnd - cdSize < 0)
    throw new ZipFormatError('central directory lies outside the file (truncated?)');

  const entries: ZipEntry[] = [];
  let p = cdEnd - cdSize;
  let truncated = false;
  for (let i = 0; i < count; i++) {
    if (entries.length >= maxEntries) {
      truncated = true;
      break;
    }
    if (p + 46 > buf.length || u32(buf, p) !== SIG_CENTRAL) {
      throw new ZipFormatError(`central directory entry ${i} is damaged`);
    }
    const flags = u16(buf, p + 8);
    const method = u16(buf, p + 10);
    let compressedSize = u32(buf, p + 20);
    let size = u32(buf, p + 24);
    const nameLen = u16(buf, p + 28);
    const extraLen = u16(buf, p + 30);
    const commentLen = u16(buf, p + 32);
    let localHeaderOffset = u32(buf, p + 42);
    const nameStart = p + 46;
    const extraStart = nameStart + nameLen;
    const next = extraStart + extraLen + commentLen;
    if (next > buf.length)
      throw new ZipFormatError(`central directory entry ${i} runs past the end of the file`);
    const name = utf8.decode(buf.subarray(nameStart, extraStart));

    if (size === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      // ZIP64 extended information: only the fields that overflowed are present, in this order.
      let e = extraStart;
      const extraEnd = extraStart + extraLen;
      while (e + 4 <= extraEnd) {
        const id = u16(buf, e);
        const len = u16(buf, e + 2);
        if (id === 0x0001) {
          let f = e + 4;
          const end = Math.min(e + 4 + len, extraEnd);
          if (size === 0xffffffff && f + 8 <= end) {
            size = u64(buf, f);
            f += 8;
          }
          if (compressedSize === 0xffffffff && f + 8 <= end) {
            compressedSize = u64(buf, f);
            f += 8;
          }
          if (localHeaderOffset === 0xffffffff && f + 8 <= end) localHeaderOffset = u64(buf, f);
          break;
        }
        e += 4 + len;
      }
    }
    entries.push({ name, method, flags, compressedSize, size, localHeaderOffset });
    p = next;
  }
  return { entries, baseOffset, truncated };
}

/**
 * Reads one entry's data. `maxBytes` bounds the declared and the actual size.
 * Stored entries are returned as views of `buf` (no copy).
 */
export function readZipEntry(
  buf: Uint8Array,
  dir: ZipDirectory,
  entry: ZipEntry,
  maxBytes: number,
): ZipReadResult {
  if (entry.flags & 0x1) return { ok: false, reason: 'encrypted', message: 'entry is encrypted' };
  if (entry.method !== 0 && entry.method !== 8) {
    return {
      ok: false,
      reason: 'unsupported',
      message: `compression method ${entry.method} is not supported`,
    };
  }
  const lh = dir.baseOffset + entry.localHeaderOffset;
  if (lh + 30 > buf.length || u32(buf, lh) !== SIG_LOCAL) {
    return { ok: false, reason: 'corrupt', message: 'local file header is missing (truncated archive?)' };
  }
  const dataStart = lh + 30 + u16(buf, lh + 26) + u16(buf, lh + 28);
  const dataEnd = dataStart + entry.compressedSize;
  if (dataEnd > buf.length)
    return {
      ok: false,
      reason: 'corrupt',
      message: 'entry data runs past the end of the file (truncated archive?)',
    };
  const raw = buf.subarray(dataStart, dataEnd);

  if (entry.method === 8 && entry.size > Math.max(entry.compressedSize, 1) * MAX_DEFLATE_RATIO) {
    return {
      ok: false,
      reason: 'bomb',
      message: `entry declares ${entry.size} bytes from ${entry.compressedSize} compressed bytes, a ratio DEFLATE cannot produce`,
    };
  }
  if (entry.size > maxBytes) {
    return {
      ok: false,
      reason: 'too-large',
      message: `entry declares ${entry.size} bytes, more than the limit of ${maxBytes}`,
    };
  }

  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) {
      return { ok: false, reason: 'corrupt', message: 'stored entry sizes disagree' };
    }
    return { ok: true, data: raw };
  }
  return inflateBounded(raw, entry.size);
}

/** Inflates raw DEFLATE data that must produce exactly `expected` bytes; stops as soon as it produces more. */
function inflateBounded(raw: Uint8Array, expected: number): ZipReadResult {
  const out = new Uint8Array(expected);
  let written = 0;
  let overflow = false;
  let done = false;
  const inflater = new (fflate().Inflate)((chunk, final) => {
    if (written + chunk.length > expected) {
      overflow = true;
    } else {
      out.set(chunk, written);
      written += chunk.length;
    }
    if (final) done = true;
  });
  try {
    for (let off = 0; off < raw.length && !overflow && !done; off += INFLATE_STEP) {
      const end = Math.min(off + INFLATE_STEP, raw.length);
      inflater.push(raw.subarray(off, end), end === raw.length);
    }
    if (raw.length === 0) inflater.push(new Uint8Array(0), true);
  } catch (err) {
    return {
      ok: false,
      reason: 'corrupt',
      message: `invalid DEFLATE data: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  if (overflow) {
    return {
      ok: false,
      reason: 'bomb',
      message: `entry inflates to more than its declared ${expected} bytes`,
    };
  }
  if (written !== expected) {
    return {
      ok: false,
      reason: 'corrupt',
      message: `entry inflates to ${written} bytes, not the declared ${expected}`,
    };
  }
  return { ok: true, data: out };
}
