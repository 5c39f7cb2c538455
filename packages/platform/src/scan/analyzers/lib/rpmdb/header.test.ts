import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../../../testing/shared-data.js';
import { MAX_DATA_LENGTH, RPM_TYPE, RPMTAG, parseHeaderBlob, readPackageInfo } from './header.js';
import { buildHeader, patchEntry } from './testdata/build.js';

const blobBin = (): Buffer => readFileSync(sharedData('scan', 'go-rpmdb', 'blob.bin'));

function pkgOf(blob: Buffer) {
  const r = readPackageInfo(blob);
  if (!r.ok) throw new Error(r.error);
  return r;
}

function errorOf(blob: Buffer): string {
  const r = readPackageInfo(blob);
  if (r.ok) throw new Error(`expected an error, read ${r.pkg.name}`);
  return r.error;
}

describe('header blobs', () => {
  it('reads go-rpmdb blob.bin, a Fedora 35 header', () => {
    // Values from go-rpmdb pkg/testdata/fedora35/packages.csv, the database the blob came from.
    const { pkg, warnings } = pkgOf(blobBin());
    expect(warnings).toEqual([]);
    expect(pkg).toMatchObject({
      name: 'publicsuffix-list-dafsa',
      version: '20210518',
      release: '2.fc35',
      arch: 'noarch',
      sourceRpm: 'publicsuffix-list-20210518-2.fc35.src.rpm',
      license: 'MPLv2.0',
      vendor: 'Fedora Project',
    });
    expect(pkg.epoch).toBeUndefined();
    expect(pkg.sigmd5).toMatch(/^[0-9a-f]{32}$/);
    expect(pkg.provides).toContain('publicsuffix-list-dafsa');
  });

  it('reads every type it supports from a header it did not write', () => {
    const blob = blobBin();
    const parsed = parseHeaderBlob(blob);
    if (!parsed.ok) throw new Error(parsed.error);
    // The region tag of an installed header is binary data of one index entry (16 bytes).
    expect(parsed.header.bin(RPMTAG.HEADERIMMUTABLE)).toMatchObject({ ok: true });
    expect(parsed.header.string(RPMTAG.NAME)).toEqual({ ok: true, value: 'publicsuffix-list-dafsa' });
    expect(parsed.header.int32(RPMTAG.NAME)).toMatchObject({ ok: false });
    expect(parsed.header.string(99999)).toBeUndefined();
  });

  it('round-trips a header written by the test builder', () => {
    const { pkg } = pkgOf(
      buildHeader([
        { tag: RPMTAG.NAME, string: 'bash' },
        { tag: RPMTAG.VERSION, string: '5.1' },
        { tag: RPMTAG.RELEASE, string: '2' },
        { tag: RPMTAG.EPOCH, int32: [3] },
        { tag: RPMTAG.SIGMD5, bin: Buffer.from('00112233445566778899aabbccddeeff', 'hex') },
        { tag: RPMTAG.REQUIRENAME, strings: ['a', '', 'c'] },
      ]),
    );
    expect(pkg).toMatchObject({
      name: 'bash',
      version: '5.1',
      release: '2',
      epoch: 3,
      sigmd5: '00112233445566778899aabbccddeeff',
      requires: ['a', '', 'c'],
    });
  });

  it('lets a later entry for the same tag win, as dribble entries replace region entries', () => {
    const { pkg } = pkgOf(
      buildHeader([
        { tag: RPMTAG.NAME, string: 'bash' },
        { tag: RPMTAG.VENDOR, string: 'old' },
        { tag: RPMTAG.VENDOR, string: 'new' },
      ]),
    );
    expect(pkg.vendor).toBe('new');
  });
});

describe('hostile header blobs give an error, never an exception', () => {
  const good = buildHeader([
    { tag: RPMTAG.NAME, string: 'bash' },
    { tag: RPMTAG.EPOCH, int32: [1] },
    { tag: RPMTAG.PROVIDENAME, strings: ['bash', 'sh'] },
  ]);
  // Index entries of `good`: 0 NAME, 1 EPOCH, 2 PROVIDENAME.

  const withPreamble = (il: number, dl: number, rest = Buffer.alloc(64)): Buffer => {
    const b = Buffer.alloc(8);
    b.writeInt32BE(il, 0);
    b.writeInt32BE(dl, 4);
    return Buffer.concat([b, rest]);
  };

  it.each([
    ['empty', Buffer.alloc(0), /too short/],
    ['seven bytes', Buffer.alloc(7), /too short/],
    [
      "go-rpmdb's fuzzer case (negative il)",
      Buffer.from([0xe3, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30]),
      /index length/,
    ],
    ['zero entries', withPreamble(0, 0), /index length/],
    ['2^31-1 entries', withPreamble(0x7fffffff, 0), /index length/],
    ['negative data length', withPreamble(1, -5), /data length/],
    ['data length over the 256 MiB limit', withPreamble(1, MAX_DATA_LENGTH + 1), /data length/],
    ['more data than the blob holds', withPreamble(1, 1000), /truncated/],
    ['the blob cut in its index', good.subarray(0, 20), /truncated/],
    ['the blob cut in its data', good.subarray(0, good.length - 1), /truncated/],
  ])('%s', (_name, blob, pattern) => {
    expect(errorOf(blob)).toMatch(pattern);
  });

  it('an out-of-range NAME offset', () => {
    expect(errorOf(patchEntry(good, 0, 2, 0x7ffffff0))).toMatch(/offset .* outside/);
    expect(errorOf(patchEntry(good, 0, 2, -1))).toMatch(/offset .* outside/);
  });

  it('a NAME of an unknown type or the wrong type', () => {
    expect(errorOf(patchEntry(good, 0, 1, 99))).toMatch(/unknown type/);
    expect(errorOf(patchEntry(good, 0, 1, RPM_TYPE.INT32))).toMatch(/expected a string/);
  });

  it('a header without NAME', () => {
    expect(errorOf(patchEntry(good, 0, 0, 1001))).toMatch(/no NAME/);
  });

  it('an unterminated string at the end of the data', () => {
    const blob = buildHeader([{ tag: RPMTAG.NAME, string: 'bash' }]);
    const cut = Buffer.from(blob);
    cut[cut.length - 1] = 0x41; // overwrite the NUL
    expect(errorOf(cut)).toMatch(/unterminated/);
  });

  it('a string array whose count is far beyond the data, without a long loop', () => {
    const r = readPackageInfo(patchEntry(good, 2, 3, 0xffffffff));
    if (!r.ok) throw new Error(r.error);
    expect(r.pkg.provides).toEqual([]);
    expect(r.warnings.join()).toMatch(/cannot fit/);
  });

  it('an int32 whose count overruns the data, and one misaligned', () => {
    const overrun = readPackageInfo(patchEntry(good, 1, 3, 0x40000000));
    if (!overrun.ok) throw new Error(overrun.error);
    expect(overrun.pkg.epoch).toBeUndefined();
    expect(overrun.warnings.join()).toMatch(/overrun/);

    const misaligned = readPackageInfo(patchEntry(good, 1, 2, 5));
    if (!misaligned.ok) throw new Error(misaligned.error);
    expect(misaligned.pkg.epoch).toBeUndefined();
    expect(misaligned.warnings.join()).toMatch(/misaligned/);
  });

  it('survives 5,000 random mutations of a real header', () => {
    const base = blobBin();
    let seed = 42;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    let readable = 0;
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.from(base);
      // Mostly damage the preamble and the index, where the offsets and counts are.
      const n = 1 + rand(8);
      for (let j = 0; j < n; j++) b[rand(rand(4) === 0 ? b.length : 8 + 16 * 0x45)] = rand(256);
      const r = readPackageInfo(rand(10) === 0 ? b.subarray(0, rand(b.length)) : b);
      if (r.ok) readable++;
    }
    // Both outcomes occur: the fuzzing reaches the readers as well as the checks.
    expect(readable).toBeGreaterThan(0);
    expect(readable).toBeLessThan(5000);
  });
});
