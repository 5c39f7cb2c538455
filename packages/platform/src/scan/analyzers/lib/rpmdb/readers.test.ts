/**
 * The BerkeleyDB and NDB readers on databases written by the test, to reach the
 * structures real fixtures do not have: loops in overflow chains, shared
 * chains, slots pointing outside the file, overlapping blobs.
 */
import { describe, expect, it } from 'vitest';
import { readBerkeleyDb } from './bdb.js';
import { RPMTAG } from './header.js';
import { listPackages } from './index.js';
import { readNdb } from './ndb.js';
import type { DbRecord } from './records.js';
import { buildBdb, buildHeader, buildNdb, overflowPages } from './testdata/build.js';

const header = (name: string): Buffer =>
  buildHeader([
    { tag: RPMTAG.NAME, string: name },
    { tag: RPMTAG.VERSION, string: '1.0' },
    { tag: RPMTAG.RELEASE, string: '1' },
    // Long enough to need several 512-byte overflow pages.
    { tag: RPMTAG.PROVIDENAME, strings: Array.from({ length: 120 }, (_, i) => `${name}-capability-${i}`) },
  ]);

function split(records: Iterable<DbRecord>): { blobs: Buffer[]; problems: string[] } {
  const blobs: Buffer[] = [];
  const problems: string[] = [];
  for (const r of records) {
    if (r.kind === 'blob') blobs.push(r.blob);
    else problems.push(r.message);
  }
  return { blobs, problems };
}

describe('BerkeleyDB hash reader', () => {
  it('reassembles a value from its overflow chain', async () => {
    const h = header('bash');
    const pages = overflowPages(h);
    expect(pages.length).toBeGreaterThan(3);
    const db = buildBdb([{ first: 2, total: h.length }], pages);
    const { blobs, problems } = split(readBerkeleyDb(db));
    expect(problems).toEqual([]);
    expect(blobs).toEqual([h]);
    const listing = await listPackages(db, { scratchDir: '/nonexistent' });
    expect(listing.packages.map((p) => p.name)).toEqual(['bash']);
  });

  it('stops at a page that links to itself', () => {
    const db = buildBdb([{ first: 2, total: 1536 }], [{ data: Buffer.alloc(400, 1), next: 2 }]);
    const { blobs, problems } = split(readBerkeleyDb(db));
    expect(blobs).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(/page 2 is reached twice/)]);
  });

  it('stops at a cycle of several pages', () => {
    const db = buildBdb(
      [{ first: 2, total: 2560 }],
      [
        { data: Buffer.alloc(486, 1), next: 3 },
        { data: Buffer.alloc(486, 2), next: 4 },
        { data: Buffer.alloc(486, 3), next: 2 },
      ],
    );
    const { problems } = split(readBerkeleyDb(db));
    expect(problems).toEqual([expect.stringMatching(/page 2 is reached twice/)]);
  });

  it('reads a chain once when two values point into it', () => {
    const h = header('bash');
    const db = buildBdb(
      [
        { first: 2, total: h.length },
        { first: 2, total: h.length },
      ],
      overflowPages(h),
    );
    const { blobs, problems } = split(readBerkeleyDb(db));
    expect(blobs).toEqual([h]);
    expect(problems).toEqual([expect.stringMatching(/reached twice/)]);
  });

  it.each([
    ['a chain leaving the file', [{ first: 99, total: 10 }], /beyond the end of the file/],
    ['a chain through a non-overflow page', [{ first: 1, total: 10 }], /expected overflow/],
    ['a length beyond the file', [{ first: 2, total: 0x7fffffff }], /exceeds the file size/],
    ['a length shorter than the chain', [{ first: 2, total: 10 }], /more than the 10 bytes/],
    ['a length longer than the chain', [{ first: 2, total: 500 }], /holds 400 bytes, 500 announced/],
  ])('reports %s', (_name, chains, pattern) => {
    const db = buildBdb(chains, [{ data: Buffer.alloc(400, 1), next: 0 }]);
    const { blobs, problems } = split(readBerkeleyDb(db));
    expect(blobs).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(pattern)]);
  });

  it('reports a hash page that claims more items than fit', () => {
    const db = buildBdb([{ first: 2, total: 10 }], [{ data: Buffer.alloc(10), next: 0 }]);
    db.writeUInt16LE(0xfff0, 512 + 20);
    expect(split(readBerkeleyDb(db)).problems).toEqual([expect.stringMatching(/claims 65520 items/)]);
  });

  it('reports metadata that names more pages than the file has, and reads the rest', () => {
    const h = header('bash');
    const db = buildBdb([{ first: 2, total: h.length }], overflowPages(h));
    db.writeUInt32LE(100_000, 32);
    const { blobs, problems } = split(readBerkeleyDb(db));
    expect(blobs).toEqual([h]);
    expect(problems).toEqual([expect.stringMatching(/truncated/)]);
  });

  it.each([
    ['a bad page size', 20, 1000, /page size/],
    ['encryption', 24, 1, /encrypted/],
    ['a wrong metadata page type', 25, 13, /expected hash metadata/],
  ])('refuses %s', (_name, at, value, pattern) => {
    const db = buildBdb([], []);
    if (at === 20) db.writeUInt32LE(value, at);
    else db[at] = value;
    expect(split(readBerkeleyDb(db)).problems).toEqual([expect.stringMatching(pattern)]);
  });

  it('reads a big-endian database', () => {
    const h = header('bash');
    const le = buildBdb([{ first: 2, total: h.length }], overflowPages(h));
    // Swap every multi-byte field the reader uses.
    const be = Buffer.from(le);
    const swap32 = (at: number): void => void be.writeUInt32BE(le.readUInt32LE(at), at);
    const swap16 = (at: number): void => void be.writeUInt16BE(le.readUInt16LE(at), at);
    [12, 16, 20, 32].forEach(swap32);
    const pages = le.length / 512;
    for (let p = 1; p < pages; p++) {
      const s = p * 512;
      [8, 12, 16].forEach((o) => swap32(s + o));
      [20, 22].forEach((o) => swap16(s + o));
    }
    swap16(512 + 26);
    swap16(512 + 28);
    const valueAt = le.readUInt16LE(512 + 28);
    swap32(512 + valueAt + 4);
    swap32(512 + valueAt + 8);
    const { blobs, problems } = split(readBerkeleyDb(be));
    expect(problems).toEqual([]);
    expect(blobs).toEqual([h]);
  });
});

describe('NDB reader', () => {
  it('reads every used slot', () => {
    const a = header('bash');
    const b = header('zlib');
    const { blobs, problems } = split(readNdb(buildNdb([a, b])));
    expect(problems).toEqual([]);
    expect(blobs).toEqual([a, b]);
  });

  it('stops when overlapping slots would read more than the file holds', () => {
    const a = header('bash');
    const slots = Array.from({ length: 200 }, () => ({ pkg: 1, blk: 256, cnt: 1000 }));
    const db = buildNdb([a], slots);
    const { blobs, problems } = split(readNdb(db));
    expect(blobs.length).toBeGreaterThan(0);
    expect(blobs.length).toBeLessThan(200);
    expect(problems).toEqual([expect.stringMatching(/blobs overlap/)]);
  });

  it.each([
    ['a slot beyond the file', [{ pkg: 1, blk: 1_000_000, cnt: 10 }], /outside the file/],
    ['a slot inside the slot pages', [{ pkg: 1, blk: 3, cnt: 10 }], /outside the file/],
    ['a slot for another package', [{ pkg: 7, blk: 256, cnt: 1000 }], /belongs to package 1/],
    ['a slot too small for its blob', [{ pkg: 1, blk: 256, cnt: 2 }], /overruns/],
  ])('reports %s', (_name, slots, pattern) => {
    const { blobs, problems } = split(readNdb(buildNdb([header('bash')], slots)));
    expect(blobs).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(pattern)]);
  });

  it('stops at a slot with a bad magic', () => {
    const db = buildNdb([header('bash'), header('zlib')]);
    db.write('XXXX', 3 * 16, 'latin1');
    const { blobs, problems } = split(readNdb(db));
    expect(blobs).toHaveLength(1);
    expect(problems).toEqual([expect.stringMatching(/bad slot magic/)]);
  });

  it.each([
    ['zero slot pages', 0, /bad slot page count/],
    ['a huge slot page count', 0x7fffffff, /bad slot page count/],
    ['more slot pages than the file holds', 1000, /truncated/],
  ])('reports %s', (_name, pages, pattern) => {
    const db = buildNdb([header('bash')]);
    db.writeUInt32LE(pages, 12);
    expect(split(readNdb(db)).problems[0]).toMatch(pattern);
  });
});
