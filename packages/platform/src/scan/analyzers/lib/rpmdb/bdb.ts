/**
 * Reads the values of a Berkeley DB hash database (rpm's `Packages` before
 * rpm 4.16). Only what rpm uses is supported: a hash database, unencrypted,
 * either byte order.
 *
 * Layout: the file is an array of pages of `pagesize` bytes. Page 0 is the
 * hash metadata page (magic 0x061561 at offset 12, page size at 20, last page
 * number at 32, encryption algorithm at 24, page type 8 at 25). Hash pages
 * (type 13, or 2 for the unsorted pages of old releases) have a 26-byte
 * header (number of entries at 20, page type at 25) followed by an array of
 * 2-byte item offsets, alternating key and value. An item starts with its
 * type byte: 1 (H_KEYDATA) holds the bytes inline up to the previous item,
 * 3 (H_OFFPAGE) points to a chain of overflow pages (page number at +4,
 * total length at +8). Overflow pages (type 7) carry their data after the
 * 26-byte header; the next page number is at 16 and the used length at 22.
 *
 * Hostile input: page numbers are checked against the file; every overflow
 * page may be used by one chain only (a loop, or two values sharing pages,
 * stops the chain with a problem), which also bounds the total work by the
 * file size.
 */
import type { DbRecord } from './records.js';

export const BDB_HASH_MAGIC = 0x061561;

const PAGE_HEADER = 26;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const VALID_PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);

/** Byte order of a BDB file from its metadata magic, or undefined when it is not a hash database. */
export function bdbByteOrder(buf: Buffer): 'le' | 'be' | undefined {
  if (buf.length < 16) return undefined;
  if (buf.readUInt32LE(12) === BDB_HASH_MAGIC) return 'le';
  if (buf.readUInt32BE(12) === BDB_HASH_MAGIC) return 'be';
  return undefined;
}

export function* readBerkeleyDb(buf: Buffer, signal?: AbortSignal): Generator<DbRecord> {
  const order = bdbByteOrder(buf);
  if (!order || buf.length < 72) {
    yield { kind: 'problem', message: 'not a Berkeley DB hash database' };
    return;
  }
  const u32 = (at: number): number => (order === 'le' ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const u16 = (at: number): number => (order === 'le' ? buf.readUInt16LE(at) : buf.readUInt16BE(at));

  const pageSize = u32(20);
  if (!VALID_PAGE_SIZES.has(pageSize)) {
    yield { kind: 'problem', message: `unexpected page size ${pageSize}` };
    return;
  }
  if (buf[24] !== 0) {
    yield { kind: 'problem', message: 'encrypted Berkeley DB databases are not supported' };
    return;
  }
  if (buf[25] !== P_HASHMETA) {
    yield { kind: 'problem', message: `page 0 has type ${buf[25]}, expected hash metadata` };
    return;
  }
  const pagesInFile = Math.floor(buf.length / pageSize);
  let lastPage = u32(32);
  if (lastPage >= pagesInFile) {
    yield {
      kind: 'problem',
      message: `metadata names ${lastPage + 1} pages but the file holds ${pagesInFile}: the database is truncated`,
    };
    lastPage = pagesInFile - 1;
  }

  // Overflow pages already consumed by a chain: a page seen twice is a loop or shared data.
  const used = new Uint8Array(pagesInFile);

  const overflowChain = (first: number, total: number, where: string): DbRecord => {
    if (total > buf.length) {
      return { kind: 'problem', message: `${where}: value length ${total} exceeds the file size` };
    }
    const pieces: Buffer[] = [];
    let filled = 0;
    let page = first;
    while (page !== 0) {
      if (page >= pagesInFile) {
        return { kind: 'problem', message: `${where}: overflow page ${page} is beyond the end of the file` };
      }
      if (used[page]) {
        return {
          kind: 'problem',
          message: `${where}: overflow page ${page} is reached twice (a loop or a shared chain)`,
        };
      }
      used[page] = 1;
      const start = page * pageSize;
      if (buf[start + 25] !== P_OVERFLOW) {
        return {
          kind: 'problem',
          message: `${where}: page ${page} has type ${buf[start + 25]}, expected overflow`,
        };
      }
      const len = u16(start + 22);
      if (len > pageSize - PAGE_HEADER) {
        return { kind: 'problem', message: `${where}: overflow page ${page} claims ${len} bytes` };
      }
      if (filled + len > total) {
        return {
          kind: 'problem',
          message: `${where}: overflow chain holds more than the ${total} bytes announced`,
        };
      }
      pieces.push(buf.subarray(start + PAGE_HEADER, start + PAGE_HEADER + len));
      filled += len;
      page = u32(start + 16);
    }
    if (filled !== total) {
      return {
        kind: 'problem',
        message: `${where}: overflow chain holds ${filled} bytes, ${total} announced`,
      };
    }
    const out = Buffer.concat(pieces, filled);
    return { kind: 'blob', blob: out, ref: where };
  };

  for (let pageNo = 1; pageNo <= lastPage; pageNo++) {
    if (signal?.aborted) return;
    const start = pageNo * pageSize;
    const type = buf[start + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(start + 20);
    if (PAGE_HEADER + entries * 2 > pageSize) {
      yield { kind: 'problem', message: `page ${pageNo} claims ${entries} items, more than fit` };
      continue;
    }
    // Items are stored from the end of the page downwards; item i ends where item i-1 starts.
    for (let i = 1; i < entries; i += 2) {
      const off = u16(start + PAGE_HEADER + i * 2);
      const prev = u16(start + PAGE_HEADER + (i - 1) * 2);
      const where = `page ${pageNo} item ${i}`;
      if (off < PAGE_HEADER + entries * 2 || off >= pageSize) {
        yield { kind: 'problem', message: `${where}: offset ${off} is outside the page` };
        continue;
      }
      const itemType = buf[start + off];
      if (itemType === H_OFFPAGE) {
        if (off + 12 > pageSize) {
          yield { kind: 'problem', message: `${where}: truncated off-page item` };
          continue;
        }
        yield overflowChain(u32(start + off + 4), u32(start + off + 8), where);
      } else if (itemType === H_KEYDATA) {
        // Small values are stored inline. rpm's record 0 (a 4-byte instance counter) is one;
        // a header is never smaller than its 8-byte preamble plus one index entry.
        const end = prev > off && prev <= pageSize ? prev : -1;
        if (end < 0) {
          yield { kind: 'problem', message: `${where}: inline item has no valid end` };
          continue;
        }
        const value = buf.subarray(start + off + 1, start + end);
        if (value.length >= 8 + 16) yield { kind: 'blob', blob: Buffer.from(value), ref: where };
      }
      // Other item types (duplicates, off-page duplicates) are not used by rpm's Packages.
    }
  }
}
