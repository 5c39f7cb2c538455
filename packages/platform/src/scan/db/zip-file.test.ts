/**
 * The on-disk ZIP reader: ZIP64 archives (osv.dev's larger all.zip files list
 * more than 65,535 entries) and the directory bounds. The ZIP64 archive is
 * written byte by byte here, following APPNOTE 4.3.14-4.3.16, with the
 * 16-bit count and 32-bit offset fields saturated so only the ZIP64 records
 * give the real values.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../core/errors.js';
import { ZipFile } from './zip-file.js';

const dir = mkdtempSync(join(tmpdir(), 'palisade-zip64-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stored-entry ZIP whose end records are ZIP64 (entry count 0xFFFF, offset 0xFFFFFFFF in the classic record). */
function zip64(files: [string, Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const n = Buffer.from(name);
    const crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(45, 4);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(n.length, 26);
    locals.push(lh, n, data);
    // Central entry with a ZIP64 extra field carrying the local header offset.
    const extra = Buffer.alloc(12);
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(8, 2);
    extra.writeBigUInt64LE(BigInt(offset), 4);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(45, 4);
    ch.writeUInt16LE(45, 6);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(n.length, 28);
    ch.writeUInt16LE(extra.length, 30);
    ch.writeUInt32LE(0xffffffff, 42);
    centrals.push(ch, n, extra);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const cdOffset = offset;
  const eocd64 = Buffer.alloc(56);
  eocd64.writeUInt32LE(0x06064b50, 0);
  eocd64.writeBigUInt64LE(44n, 4);
  eocd64.writeUInt16LE(45, 12);
  eocd64.writeUInt16LE(45, 14);
  eocd64.writeBigUInt64LE(BigInt(files.length), 24);
  eocd64.writeBigUInt64LE(BigInt(files.length), 32);
  eocd64.writeBigUInt64LE(BigInt(cd.length), 40);
  eocd64.writeBigUInt64LE(BigInt(cdOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(cdOffset + cd.length), 8);
  locator.writeUInt32LE(1, 16);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(0xffff, 8);
  eocd.writeUInt16LE(0xffff, 10);
  eocd.writeUInt32LE(0xffffffff, 12);
  eocd.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([...locals, cd, eocd64, locator, eocd]);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof PalisadeError ? err.code : `not a PalisadeError: ${String(err)}`;
  }
  return 'no error';
}

describe('ZipFile', () => {
  it('reads a ZIP64 archive with more than 65,535 entries', () => {
    const files: [string, Buffer][] = [];
    for (let i = 0; i < 70_000; i++) files.push([`e/${i}.txt`, Buffer.from(String(i))]);
    files.push(['PyPI/LAST-1.json', Buffer.from('{"id":"LAST-1","modified":"2024-01-01T00:00:00Z"}')]);
    const path = join(dir, 'big.zip');
    writeFileSync(path, zip64(files));
    const z = ZipFile.open(path);
    try {
      expect(z.entries.length).toBe(70_001);
      const last = z.entries[70_000];
      expect(last?.name).toBe('PyPI/LAST-1.json');
      const r = last ? z.read(last) : undefined;
      expect(r?.ok && r.data.toString()).toBe('{"id":"LAST-1","modified":"2024-01-01T00:00:00Z"}');
      const mid = z.entries[41_234];
      const m = mid ? z.read(mid) : undefined;
      expect(m?.ok && m.data.toString()).toBe('41234');
    } finally {
      z.close();
    }
  });

  it('bounds the entry count and the central directory size', () => {
    const path = join(dir, 'small.zip');
    writeFileSync(
      path,
      zip64([
        ['a.json', Buffer.from('{}')],
        ['b.json', Buffer.from('{}')],
      ]),
    );
    expect(() => ZipFile.open(path, { maxEntries: 1 })).toThrow(/lists 2 entries, over the limit of 1/);
    expect(() => ZipFile.open(path, { maxDirectoryBytes: 10 })).toThrow(
      /central directory, over the limit of 10/,
    );
    try {
      ZipFile.open(path, { maxEntries: 1 });
    } catch (err) {
      expect((err as PalisadeError).code).toBe('E_LIMIT');
    }
  });

  it('refuses an empty file and a missing one with coded errors', () => {
    const empty = join(dir, 'empty.zip');
    writeFileSync(empty, '');
    expect(() => ZipFile.open(empty)).toThrow(PalisadeError);
    expect(() => ZipFile.open(empty)).toThrow(/file is too small/);
    expect(codeOf(() => ZipFile.open(empty))).toBe('E_ARCHIVE_TRUNCATED');
    expect(codeOf(() => ZipFile.open(join(dir, 'absent.zip')))).toBe('E_NOT_FOUND');
  });
});
