/**
 * Test support: writes rpm header blobs and tiny rpm databases from scratch,
 * for cases the upstream fixtures do not cover (gpg-pubkey, epochs, WAL-only
 * rows, hostile structures). Written from the format description in
 * ../header.ts, ../bdb.ts and ../ndb.ts.
 */
import { RPM_TYPE } from '../header.js';

export type TagValue =
  | { tag: number; string: string }
  | { tag: number; strings: string[] }
  | { tag: number; int32: number[] }
  | { tag: number; bin: Buffer };

/** A v4 header without a region tag (rpm accepts both; the reader does not need the region). */
export function buildHeader(values: readonly TagValue[]): Buffer {
  const index: Buffer[] = [];
  const data: Buffer[] = [];
  let dl = 0;
  for (const v of values) {
    let type: number;
    let count: number;
    let bytes: Buffer;
    if ('string' in v) {
      type = RPM_TYPE.STRING;
      count = 1;
      bytes = Buffer.from(v.string + '\0');
    } else if ('strings' in v) {
      type = RPM_TYPE.STRING_ARRAY;
      count = v.strings.length;
      bytes = Buffer.from(v.strings.map((s) => s + '\0').join(''));
    } else if ('int32' in v) {
      type = RPM_TYPE.INT32;
      count = v.int32.length;
      const pad = (4 - (dl % 4)) % 4;
      if (pad) {
        data.push(Buffer.alloc(pad));
        dl += pad;
      }
      bytes = Buffer.alloc(4 * count);
      v.int32.forEach((n, i) => bytes.writeInt32BE(n, i * 4));
    } else {
      type = RPM_TYPE.BIN;
      count = v.bin.length;
      bytes = v.bin;
    }
    const e = Buffer.alloc(16);
    e.writeInt32BE(v.tag, 0);
    e.writeUInt32BE(type, 4);
    e.writeInt32BE(dl, 8);
    e.writeUInt32BE(count, 12);
    index.push(e);
    data.push(bytes);
    dl += bytes.length;
  }
  const pre = Buffer.alloc(8);
  pre.writeInt32BE(values.length, 0);
  pre.writeInt32BE(dl, 4);
  return Buffer.concat([pre, ...index, ...data]);
}

/** Overwrites one field of index entry `i` of a header blob (0 tag, 1 type, 2 offset, 3 count). */
export function patchEntry(blob: Buffer, i: number, field: 0 | 1 | 2 | 3, value: number): Buffer {
  const out = Buffer.from(blob);
  out.writeUInt32BE(value >>> 0, 8 + i * 16 + field * 4);
  return out;
}

const PAGE = 512;

/**
 * A little-endian BDB hash file: page 0 metadata, page 1 a hash page whose
 * items point to overflow chains; `pages` describes each overflow page
 * (content and next page number), numbered from 2.
 */
export function buildBdb(
  chains: readonly { first: number; total: number }[],
  pages: readonly { data: Buffer; next: number }[],
): Buffer {
  const count = 2 + pages.length;
  const buf = Buffer.alloc(count * PAGE);
  buf.writeUInt32LE(0x061561, 12);
  buf.writeUInt32LE(9, 16);
  buf.writeUInt32LE(PAGE, 20);
  buf[25] = 8;
  buf.writeUInt32LE(count - 1, 32);

  const hp = PAGE;
  buf.writeUInt32LE(1, hp + 8);
  buf.writeUInt16LE(chains.length * 2, hp + 20);
  buf[hp + 25] = 13;
  let top = PAGE;
  chains.forEach((c, i) => {
    // key: inline 4-byte record number
    top -= 5;
    buf[hp + top] = 1;
    buf.writeUInt32LE(i + 1, hp + top + 1);
    buf.writeUInt16LE(top, hp + 26 + i * 4);
    // value: off-page reference
    top -= 12;
    buf[hp + top] = 3;
    buf.writeUInt32LE(c.first, hp + top + 4);
    buf.writeUInt32LE(c.total, hp + top + 8);
    buf.writeUInt16LE(top, hp + 26 + i * 4 + 2);
  });
  pages.forEach((p, i) => {
    const at = (2 + i) * PAGE;
    if (p.data.length > PAGE - 26) throw new Error('overflow page data too large');
    buf.writeUInt32LE(2 + i, at + 8);
    buf.writeUInt32LE(p.next, at + 16);
    buf.writeUInt16LE(p.data.length, at + 22);
    buf[at + 25] = 7;
    p.data.copy(buf, at + 26);
  });
  return buf;
}

/** Splits a blob into overflow pages 2, 3, … chained in order. */
export function overflowPages(blob: Buffer, firstPage = 2): { data: Buffer; next: number }[] {
  const room = PAGE - 26;
  const out: { data: Buffer; next: number }[] = [];
  for (let at = 0; at < blob.length; at += room) {
    const last = at + room >= blob.length;
    out.push({ data: blob.subarray(at, at + room), next: last ? 0 : firstPage + out.length + 1 });
  }
  return out;
}

/** An NDB file with one slot page and the given blobs; `slots` may point anywhere (block numbers). */
export function buildNdb(blobs: readonly Buffer[], slots?: readonly { pkg: number; blk: number; cnt: number }[]): Buffer {
  const parts: Buffer[] = [];
  const slotPage = Buffer.alloc(4096);
  slotPage.write('RpmP', 0, 'latin1');
  slotPage.writeUInt32LE(0, 4);
  slotPage.writeUInt32LE(1, 8);
  slotPage.writeUInt32LE(1, 12);
  let block = 4096 / 16;
  const made: { pkg: number; blk: number; cnt: number }[] = [];
  blobs.forEach((b, i) => {
    const size = Math.ceil((16 + b.length + 16) / 16) * 16;
    const area = Buffer.alloc(size);
    area.write('BlbS', 0, 'latin1');
    area.writeUInt32LE(i + 1, 4);
    area.writeUInt32LE(b.length, 12);
    b.copy(area, 16);
    parts.push(area);
    made.push({ pkg: i + 1, blk: block, cnt: size / 16 });
    block += size / 16;
  });
  const list = slots ?? made;
  for (let s = 2; s < 256; s++) slotPage.write('Slot', s * 16, 'latin1');
  list.forEach((s, i) => {
    const at = (2 + i) * 16;
    slotPage.writeUInt32LE(s.pkg, at + 4);
    slotPage.writeUInt32LE(s.blk, at + 8);
    slotPage.writeUInt32LE(s.cnt, at + 12);
  });
  return Buffer.concat([slotPage, ...parts]);
}
