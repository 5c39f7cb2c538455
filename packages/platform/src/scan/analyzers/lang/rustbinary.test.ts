/**
 * Rust binaries: the cargo-auditable section is added to a real ELF with
 * GNU objcopy (as `cargo auditable build` would leave it), and to minimal PE
 * and Mach-O files written here, so the section lookup of each format runs.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Package } from '@palisade/api';
import { testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { analyzer } from './rustbinary.js';

const OBJCOPY = ['/usr/bin/objcopy', '/bin/objcopy'].find((p) => existsSync(p));
const HOST_ELF = ['/bin/true', '/usr/bin/true'].find((p) => existsSync(p));
if (!OBJCOPY || !HOST_ELF)
  console.log('lang/rustbinary: objcopy or /bin/true missing; the objcopy test is skipped');

// The shape of cargo-auditable's workspace fixture (crate_with_features → library_crate),
// with a build-time dependency that must not be reported.
const AUDIT = {
  packages: [
    { name: 'build_helper', version: '1.0.0', source: 'crates.io', kind: 'build' },
    { name: 'crate_with_features', version: '0.1.0', source: 'local', dependencies: [0, 2], root: true },
    { name: 'library_crate', version: '0.1.0', source: 'local', dependencies: [3] },
    { name: 'libc', version: '0.2.150', source: 'crates.io' },
  ],
};
const WANT: Package[] = [
  {
    id: 'crate_with_features@0.1.0',
    name: 'crate_with_features',
    version: '0.1.0',
    relationship: 'root',
    dependsOn: ['library_crate@0.1.0'],
  },
  {
    id: 'library_crate@0.1.0',
    name: 'library_crate',
    version: '0.1.0',
    relationship: 'unknown',
    dependsOn: ['libc@0.2.150'],
  },
  { id: 'libc@0.2.150', name: 'libc', version: '0.2.150', relationship: 'unknown' },
];

function file(path: string, content: Buffer): AnalyzerFile {
  return { path, content, size: content.length, mode: 0o755 };
}

function analyze(f: AnalyzerFile): { packages: Package[]; diagnostics: string[] } {
  const ctx = testContext();
  const res = analyzer.analyze([f], ctx) as {
    packageSets: { type: string; filePath: string; packages: Package[] }[];
  };
  for (const s of res.packageSets) {
    expect(s.type).toBe('rustbinary');
    expect(s.filePath).toBe(f.path);
  }
  return {
    packages: res.packageSets.flatMap((s) => s.packages),
    diagnostics: ctx.diagnostics.items.map((d) => d.code),
  };
}

function withObjcopy(section: string, data: Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-rustbin-'));
  const bin = join(dir, 'app');
  copyFileSync(HOST_ELF!, bin);
  writeFileSync(join(dir, 'dep'), data);
  execFileSync(OBJCOPY!, ['--add-section', `${section}=${join(dir, 'dep')}`, bin]);
  return readFileSync(bin);
}

/** A minimal PE32+ file with one section holding `data`. */
function minimalPe(section: string, data: Buffer): Buffer {
  const peOff = 0x40;
  const optSize = 0xf0;
  const secTable = peOff + 24 + optSize;
  const dataOff = 0x200;
  const b = Buffer.alloc(dataOff + data.length + 16);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(peOff, 0x3c);
  b.write('PE\0\0', peOff, 'latin1');
  b.writeUInt16LE(0x8664, peOff + 4);
  b.writeUInt16LE(1, peOff + 6);
  b.writeUInt16LE(optSize, peOff + 20);
  b.writeUInt16LE(0x20b, peOff + 24);
  b.writeBigUInt64LE(0x140000000n, peOff + 24 + 24);
  b.write(section, secTable, 'latin1');
  b.writeUInt32LE(data.length, secTable + 8);
  b.writeUInt32LE(0x1000, secTable + 12);
  b.writeUInt32LE(data.length + 16, secTable + 16); // raw size padded, as linkers do
  b.writeUInt32LE(dataOff, secTable + 20);
  b.writeUInt32LE(0x40000040, secTable + 36);
  data.copy(b, dataOff);
  return b;
}

/** A minimal 64-bit little-endian Mach-O file with one __DATA segment holding one section. */
function minimalMachO(section: string, data: Buffer): Buffer {
  const cmdSize = 72 + 80;
  const dataOff = 32 + cmdSize;
  const b = Buffer.alloc(dataOff + data.length);
  b.writeUInt32LE(0xfeedfacf, 0);
  b.writeUInt32LE(0x0100000c, 4);
  b.writeUInt32LE(2, 12);
  b.writeUInt32LE(1, 16);
  b.writeUInt32LE(cmdSize, 20);
  const c = 32;
  b.writeUInt32LE(0x19, c);
  b.writeUInt32LE(cmdSize, c + 4);
  b.write('__DATA', c + 8, 'latin1');
  b.writeBigUInt64LE(0x100000000n, c + 24);
  b.writeBigUInt64LE(BigInt(data.length), c + 32);
  b.writeBigUInt64LE(BigInt(dataOff), c + 40);
  b.writeBigUInt64LE(BigInt(data.length), c + 48);
  b.writeUInt32LE(3, c + 56);
  b.writeUInt32LE(3, c + 60);
  b.writeUInt32LE(1, c + 64);
  const s = c + 72;
  b.write(section, s, 'latin1');
  b.write('__DATA', s + 16, 'latin1');
  b.writeBigUInt64LE(0x100000000n, s + 32);
  b.writeBigUInt64LE(BigInt(data.length), s + 40);
  b.writeUInt32LE(dataOff, s + 48);
  data.copy(b, dataOff);
  return b;
}

const compressed = deflateSync(Buffer.from(JSON.stringify(AUDIT)));

describe('lang/rustbinary', () => {
  it.skipIf(!OBJCOPY || !HOST_ELF)('reads the .dep-v0 section objcopy added to a real ELF executable', () => {
    const bin = withObjcopy('.dep-v0', compressed);
    expect(analyze(file('usr/bin/app', bin))).toEqual({ packages: WANT, diagnostics: [] });
    // The old rust-audit section name.
    expect(analyze(file('usr/bin/old', withObjcopy('.rust-deps-v0', compressed))).packages).toEqual(WANT);
  });

  it('reads the section from PE and Mach-O files', () => {
    expect(analyze(file('app.exe', minimalPe('.dep-v0', compressed)))).toEqual({
      packages: WANT,
      diagnostics: [],
    });
    expect(analyze(file('old.exe', minimalPe('rdep-v0', compressed))).packages).toEqual(WANT);
    expect(analyze(file('app', minimalMachO('.dep-v0', compressed)))).toEqual({
      packages: WANT,
      diagnostics: [],
    });
  });

  it('skips executables without the section, and other files, silently', () => {
    if (HOST_ELF)
      expect(analyze(file('bin/true', readFileSync(HOST_ELF)))).toEqual({ packages: [], diagnostics: [] });
    expect(analyze(file('x.exe', minimalPe('.text', compressed)))).toEqual({ packages: [], diagnostics: [] });
    expect(analyze(file('run.sh', Buffer.from('#!/bin/sh\nexit 0\n'.repeat(8))))).toEqual({
      packages: [],
      diagnostics: [],
    });
  });

  it('reports a section that is not zlib, not JSON, or a decompression bomb as a diagnostic', () => {
    const notZlib = minimalPe('.dep-v0', Buffer.from('plain text, not compressed'));
    expect(analyze(file('a.exe', notZlib))).toEqual({ packages: [], diagnostics: ['RUST_AUDIT_MALFORMED'] });
    const notJson = minimalPe('.dep-v0', deflateSync(Buffer.from('{"packages": [')));
    expect(analyze(file('b.exe', notJson))).toEqual({ packages: [], diagnostics: ['RUST_AUDIT_MALFORMED'] });
    const truncated = minimalMachO('.dep-v0', compressed.subarray(0, compressed.length - 10));
    expect(analyze(file('c', truncated))).toEqual({ packages: [], diagnostics: ['RUST_AUDIT_MALFORMED'] });
    const bomb = minimalPe('.dep-v0', deflateSync(Buffer.alloc(80 * 1024 * 1024, 0x20)));
    expect(analyze(file('d.exe', bomb))).toEqual({ packages: [], diagnostics: ['RUST_AUDIT_MALFORMED'] });
  });

  it('ignores dependency indexes that point outside the package list', () => {
    const odd = { packages: [{ name: 'a', version: '1.0.0', root: true, dependencies: [5, -1, 0.5] }] };
    const pe = minimalPe('.dep-v0', deflateSync(Buffer.from(JSON.stringify(odd))));
    expect(analyze(file('e.exe', pe)).packages).toEqual([
      { id: 'a@1.0.0', name: 'a', version: '1.0.0', relationship: 'root' },
    ]);
  });

  it('never throws on corrupted PE and Mach-O headers (seeded byte flips)', () => {
    let seed = 777;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const bases = [minimalPe('.dep-v0', compressed), minimalMachO('.dep-v0', compressed)];
    const ctx = testContext();
    let parsed = 0;
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(bases[i % 2]!);
      for (let k = 0; k < 1 + rand(4); k++) b[rand(Math.min(b.length, 600))] = rand(256);
      const res = analyzer.analyze([file('fuzz', b)], ctx) as { packageSets: unknown[] };
      parsed += res.packageSets.length;
    }
    expect(parsed).toBeGreaterThan(0);
    expect(ctx.diagnostics.items.every((d) => d.code === 'RUST_AUDIT_MALFORMED')).toBe(true);
  });

  it('offers executable regular files only, in images and root file systems', () => {
    expect(analyzer.required('usr/bin/app', { size: 4096, mode: 0o755 })).toBe(true);
    expect(analyzer.required('usr/lib/x.so', { size: 4096, mode: 0o644 })).toBe(false);
    expect([...analyzer.targets].sort()).toEqual(['image', 'rootfs']);
  });
});
