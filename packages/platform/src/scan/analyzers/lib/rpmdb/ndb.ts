/**
 * Reads rpm's native "ndb" package database (`Packages.db`, SUSE since rpm
 * 4.16). All integers little-endian.
 *
 *   header (32 bytes): 'RpmP', version (0), generation, slot page count, 16 reserved bytes
 *   slot pages: 4096 bytes each, 16-byte slots; the header takes the first two slots of page 0
 *     slot: 'Slot', package index (0 = free), block offset, block count
 *   blobs: at block offset × 16: 'BlbS', package index, adler32 checksum, length, then the header blob
 *
 * Hostile input: the slot page count is checked against the file, every blob
 * against its slot's blocks and the file, and the blobs together may not
 * exceed the file size (overlapping blobs would otherwise multiply the work).
 */
import type { DbRecord } from './records.js';

const HEADER_MAGIC = 0x506d7052; // 'RpmP'
const SLOT_MAGIC = 0x746f6c53; // 'Slot'
const BLOB_MAGIC = 0x53626c42; // 'BlbS'
const SLOT_PAGE = 4096;
const SLOT_SIZE = 16;
const BLOCK = 16;
const BLOB_HEADER = 16;
/** rpm's own ceiling on slot pages (and go-rpmdb's). */
const MAX_SLOT_PAGES = 2048;

export function isNdb(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === HEADER_MAGIC;
}

export function* readNdb(buf: Buffer, signal?: AbortSignal): Generator<DbRecord> {
  if (!isNdb(buf) || buf.length < 32) {
    yield { kind: 'problem', message: 'not an rpm ndb database' };
    return;
  }
  const version = buf.readUInt32LE(4);
  if (version !== 0) {
    yield { kind: 'problem', message: `unsupported ndb version ${version}` };
    return;
  }
  const slotPages = buf.readUInt32LE(12);
  if (slotPages === 0 || slotPages > MAX_SLOT_PAGES) {
    yield { kind: 'problem', message: `bad slot page count ${slotPages}` };
    return;
  }
  let slotBytes = slotPages * SLOT_PAGE;
  if (slotBytes > buf.length) {
    yield {
      kind: 'problem',
      message: `${slotPages} slot pages do not fit in ${buf.length} bytes: the database is truncated`,
    };
    slotBytes = buf.length - (buf.length % SLOT_SIZE);
  }

  let blobBytes = 0;
  // The header occupies the first two slots.
  for (let at = 2 * SLOT_SIZE; at + SLOT_SIZE <= slotBytes; at += SLOT_SIZE) {
    if (signal?.aborted) return;
    if (buf.readUInt32LE(at) !== SLOT_MAGIC) {
      yield { kind: 'problem', message: `bad slot magic at offset ${at}; remaining slots skipped` };
      return;
    }
    const pkgIndex = buf.readUInt32LE(at + 4);
    if (pkgIndex === 0) continue;
    const blkOffset = buf.readUInt32LE(at + 8);
    const blkCount = buf.readUInt32LE(at + 12);
    const where = `package ${pkgIndex}`;
    const start = blkOffset * BLOCK;
    const room = blkCount * BLOCK;
    if (start < slotBytes || start + BLOB_HEADER > buf.length || room < BLOB_HEADER) {
      yield { kind: 'problem', message: `${where}: blob at block ${blkOffset} is outside the file` };
      continue;
    }
    if (buf.readUInt32LE(start) !== BLOB_MAGIC) {
      yield { kind: 'problem', message: `${where}: bad blob magic` };
      continue;
    }
    if (buf.readUInt32LE(start + 4) !== pkgIndex) {
      yield { kind: 'problem', message: `${where}: blob belongs to package ${buf.readUInt32LE(start + 4)}` };
      continue;
    }
    const len = buf.readUInt32LE(start + 12);
    if (len > room - BLOB_HEADER || start + BLOB_HEADER + len > buf.length) {
      yield { kind: 'problem', message: `${where}: blob length ${len} overruns its blocks or the file` };
      continue;
    }
    blobBytes += len;
    if (blobBytes > buf.length) {
      yield {
        kind: 'problem',
        message: 'blobs overlap: more blob bytes than the file holds; reading stopped',
      };
      return;
    }
    yield { kind: 'blob', blob: buf.subarray(start + BLOB_HEADER, start + BLOB_HEADER + len), ref: where };
  }
}
