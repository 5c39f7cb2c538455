import { createReadStream, readdirSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { OSInfo, Package } from '@palisade/api';
import { extract } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { osFixtureSuite } from '../../../testing/os-conformance.js';
import { analyzerFile, sharedData, testContext } from '../../../testing/shared-data.js';
import { pickOS } from '../lib/os-merge.js';
import type { AnalyzerFile } from '../types.js';
import { analyzer as alpineRelease } from './alpine-release.js';
import { analyzer, decodeApkChecksum, isValidApkVersion } from './apk.js';
import { analyzer as osRelease } from './os-release.js';

const trivyFixture = sharedData('scan/trivy-fixtures/pkg/fanal/analyzer/pkg/apk/testdata/apk');
const osvDir = sharedData('scan/osv-scanner-lockfile/fixtures/apk');

async function parse(file: AnalyzerFile): Promise<{ packages: Package[]; codes: string[] }> {
  const ctx = testContext();
  const result = await analyzer.analyze([file], ctx);
  return {
    packages: (result.packageSets ?? []).flatMap((s) => s.packages),
    codes: ctx.diagnostics.items.map((d) => d.code),
  };
}

function textFile(path: string, text: string): AnalyzerFile {
  const content = Buffer.from(text);
  return { path, content, size: content.length, mode: 0o644 };
}

describe('os/apk against the Trivy fixture', () => {
  // ID, name, version, arch and source package of every package, and no other package
  // (compareApkWithTrivy in testing/os-conformance.ts).
  it('reproduces the packages Trivy expects', async () => {
    const report = await osFixtureSuite(analyzer, 'trivy');
    expect(report.total).toBe(1);
    expect(report.failures).toEqual([]);
    const { packages, codes } = await parse(analyzerFile(trivyFixture, 'lib/apk/db/installed'));
    expect(packages).toHaveLength(15);
    // invalidPackageWithoutAVersion
    expect(codes).toEqual(['APK_MISSING_FIELD']);
  });

  it('fills licenses, maintainer, dependencies and digests as Trivy does', async () => {
    const { packages } = await parse(analyzerFile(trivyFixture, 'lib/apk/db/installed'));
    const view = packages.map((p) => [p.name, p.licenses, p.dependsOn ?? []]);
    // From Trivy's apk_test.go (the `pkgs` table).
    expect(view).toEqual([
      ['musl', ['MIT'], []],
      ['busybox', ['GPL-2.0-only'], ['musl@1.1.14-r10']],
      ['alpine-baselayout', ['GPL-2.0-only'], ['busybox@1.24.2-r9', 'musl@1.1.14-r10']],
      ['alpine-keys', ['GPL-2.0-or-later'], []],
      ['zlib', ['Zlib'], ['musl@1.1.14-r10']],
      ['libcrypto1.0', ['OpenSSL'], ['musl@1.1.14-r10', 'zlib@1.2.8-r2']],
      ['libssl1.0', ['OpenSSL'], ['libcrypto1.0@1.0.2h-r1', 'musl@1.1.14-r10']],
      [
        'apk-tools',
        ['GPL-2.0-only'],
        ['libcrypto1.0@1.0.2h-r1', 'libssl1.0@1.0.2h-r1', 'musl@1.1.14-r10', 'zlib@1.2.8-r2'],
      ],
      ['scanelf', ['GPL-2.0-only'], ['musl@1.1.14-r10']],
      ['musl-utils', ['MIT', 'BSD-3-Clause', 'GPL-2.0-or-later'], ['musl@1.1.14-r10', 'scanelf@1.1.6-r0']],
      ['libc-utils', ['GPL-2.0-or-later'], ['musl-utils@1.1.14-r10']],
      ['pkgconf', ['ISC'], ['musl@1.1.14-r10']],
      ['sqlite-libs', ['Public-Domain'], ['musl@1.1.14-r10']],
      ['test', ['Public-Domain'], ['pkgconf@1.6.0-r0', 'sqlite-libs@3.26.0-r3']],
      ['ada-libs', ['Apache-2.0', 'MIT', 'MPL-2.0'], ['musl@1.1.14-r10']],
    ]);
    const byName = new Map(packages.map((p) => [p.name, p]));
    expect(byName.get('musl')).toMatchObject({
      maintainer: 'Timo Teräs <timo.teras@iki.fi>',
      digest: 'sha1:d68b402f35f57750f49156b0cb4e886a2ad35d2d',
    });
    expect(byName.get('busybox')?.digest).toBe('sha1:ca124719267cd0bedc2f4cb850a286ac13f0ad44');
    expect(byName.get('ada-libs')?.digest).toBe('sha1:593154f80c440685448e0f52479725d7bc9b678d');
    expect(byName.get('sqlite-libs')?.maintainer).toBe('Carlo Landmeter <clandmeter@gmail.com>');
  });
});

describe('os/apk against osv-scanner fixtures', () => {
  // The expected divergence (malformed_installed) is in testing/fixture-divergences.ts.
  it('reports the packages osv-scanner expects', async () => {
    const report = await osFixtureSuite(analyzer, 'osv-scanner');
    expect([report.total, report.divergent.length]).toEqual([5, 1]);
    expect(report.failures).toEqual([]);
    // One case per fixture file.
    expect(report.total + report.divergent.length).toBe(readdirSync(osvDir).length);
  });

  it('reads a shuffled paragraph completely', async () => {
    const { packages } = await parse(analyzerFile(`${osvDir}/shuffled_installed`, 'lib/apk/db/installed'));
    expect(packages).toEqual([
      {
        id: 'apk-tools@2.12.10-r1',
        name: 'apk-tools',
        version: '2.12.10-r1',
        arch: 'x86_64',
        srcName: 'apk-tools',
        srcVersion: '2.12.10-r1',
        licenses: ['GPL-2.0-only'],
        maintainer: 'Natanael Copa <ncopa@alpinelinux.org>',
        digest: 'sha1:11fde2c2df9c31d1a780481a16bd944482612b34',
      },
    ]);
  });
});

/** Reads the wanted files of a .tar.gz straight from the archive. */
async function readFromTarGz(path: string, wanted: ReadonlySet<string>): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '');
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => {
      if (wanted.has(name) && header.type === 'file' && Buffer.isBuffer(c)) chunks.push(c);
    });
    stream.on('end', () => {
      if (chunks.length > 0) found.set(name, Buffer.concat(chunks));
      next();
    });
    stream.resume();
  });
  await pipeline(createReadStream(path), createGunzip(), ex);
  return found;
}

describe('os/apk on the Alpine minirootfs tarballs', () => {
  const cases: {
    file: string;
    os: OSInfo;
    count: number;
    musl: string;
    busybox: string;
    names: string[];
    muslUtilsLicenses: string[];
  }[] = [
    {
      file: 'alpine-minirootfs-3.12.12-x86_64.tar.gz',
      os: { family: 'alpine', name: '3.12.12' },
      count: 14,
      musl: '1.1.24-r10',
      busybox: '1.31.1-r22',
      names: ['libcrypto1.1', 'libssl1.1', 'libtls-standalone', 'ssl_client', 'zlib', 'apk-tools'],
      // `L:MIT BSD GPL2+`
      muslUtilsLicenses: ['MIT', 'BSD-3-Clause', 'GPL-2.0-or-later'],
    },
    {
      file: 'alpine-minirootfs-3.17.10-x86_64.tar.gz',
      os: { family: 'alpine', name: '3.17.10' },
      count: 15,
      musl: '1.2.3-r5',
      busybox: '1.35.0-r31',
      names: ['alpine-baselayout-data', 'busybox-binsh', 'libcrypto3', 'libssl3', 'apk-tools'],
      // `L:MIT AND BSD-2-Clause AND GPL-2.0-or-later`
      muslUtilsLicenses: ['MIT', 'BSD-2-Clause', 'GPL-2.0-or-later'],
    },
    {
      file: 'alpine-minirootfs-3.20.3-x86_64.tar.gz',
      os: { family: 'alpine', name: '3.20.3' },
      count: 14,
      musl: '1.2.5-r0',
      busybox: '1.36.1-r29',
      names: ['alpine-baselayout-data', 'busybox-binsh', 'libcrypto3', 'libssl3', 'apk-tools'],
      // `L:MIT AND BSD-2-Clause AND GPL-2.0-or-later`
      muslUtilsLicenses: ['MIT', 'BSD-2-Clause', 'GPL-2.0-or-later'],
    },
  ];

  for (const c of cases) {
    it(`reads ${c.file}`, async () => {
      const files = await readFromTarGz(
        sharedData('images/alpine', c.file),
        new Set(['lib/apk/db/installed', 'etc/alpine-release', 'etc/os-release']),
      );
      const db = files.get('lib/apk/db/installed');
      if (!db) throw new Error('no apk database in the tarball');
      const { packages, codes } = await parse({
        path: 'lib/apk/db/installed',
        content: db,
        size: db.length,
        mode: 0o644,
      });
      expect(codes).toEqual([]);
      expect(packages).toHaveLength(c.count);
      expect(new Set(packages.map((p) => p.id)).size).toBe(c.count);
      const byName = new Map(packages.map((p) => [p.name, p]));
      expect(byName.get('musl')).toMatchObject({
        id: `musl@${c.musl}`,
        version: c.musl,
        srcName: 'musl',
        srcVersion: c.musl,
        arch: 'x86_64',
        licenses: ['MIT'],
      });
      expect(byName.get('musl')?.digest).toMatch(/^sha1:[0-9a-f]{40}$/);
      expect(byName.get('busybox')).toMatchObject({ version: c.busybox, srcName: 'busybox' });
      expect(byName.get('busybox')?.dependsOn).toContain(`musl@${c.musl}`);
      expect(byName.get('ssl_client')?.srcName).toBe('busybox');
      expect(byName.get('musl-utils')?.licenses).toEqual(c.muslUtilsLicenses);
      for (const n of c.names) expect(byName.has(n), n).toBe(true);
      for (const p of packages) {
        expect(p.arch, p.name).toBe('x86_64');
        expect(p.srcVersion, p.name).toBe(p.version);
        expect(p.licenses?.length, p.name).toBeGreaterThan(0);
      }

      // The OS, as the applier would pick it from both release files.
      const ctx = testContext();
      const candidates: { analyzer: string; os: OSInfo }[] = [];
      for (const a of [alpineRelease, osRelease]) {
        const mine = [...files.entries()]
          .filter(([p]) => a.required(p, { size: 1, mode: 0o644 }))
          .map(([p, b]) => ({ path: p, content: b, size: b.length, mode: 0o644 }));
        expect(mine, a.name).toHaveLength(1);
        const out = await a.analyze(mine, ctx);
        if (out.os) candidates.push({ analyzer: a.name, os: out.os });
      }
      expect(candidates.map((x) => x.os)).toEqual([c.os, c.os]);
      expect(pickOS(candidates)).toEqual(c.os);
    });
  }
});

describe('os/apk', () => {
  it('checks versions with apk-tools grammar', () => {
    for (const v of [
      '1.2.3-r4',
      '2.9.11_pre20061021-r2',
      '1.0.2h-r1',
      '20211220-r0',
      '1_alpha',
      '0.7.2-r3',
      '3.1_git20230412-r0',
    ])
      expect(isValidApkVersion(v), v).toBe(true);
    for (const v of ['', 'v1.0', '1.0-x', '1.0_foo', '1..2', '1.0-r', 'a'])
      expect(isValidApkVersion(v), v).toBe(false);
  });

  it('decodes checksums', () => {
    expect(decodeApkChecksum('Q11otALzX1d1D0kVawy06IairTXS0=')).toBe(
      'sha1:d68b402f35f57750f49156b0cb4e886a2ad35d2d',
    );
    expect(decodeApkChecksum('1B2M2Y8AsgTpgAmY7PhCfg==')).toBe('md5:d41d8cd98f00b204e9800998ecf8427e');
    expect(decodeApkChecksum('Q1not base64!')).toBeUndefined();
  });

  it('keeps the first of two paragraphs with the same name and resolves provides', async () => {
    const text =
      'P:a\nV:1.0-r0\np:so:liba.so.1=1 cmd:a\n\n' +
      'P:a\nV:2.0-r0\n\n' +
      'P:b\nV:1.0-r0\nD:so:liba.so.1 !c nothing>=1 a>=1.0\n';
    const { packages } = await parse(textFile('lib/apk/db/installed', text));
    expect(packages.map((p) => [p.id, p.dependsOn])).toEqual([
      ['a@1.0-r0', undefined],
      // The name `a` is last provided by a@2.0-r0 (Trivy records names as provides as it reads).
      ['b@1.0-r0', ['a@1.0-r0', 'a@2.0-r0']],
    ]);
  });

  it('reads usr/lib/apk/db/installed (Wolfi, Chainguard) and nothing else', () => {
    const info = { size: 1, mode: 0o644 };
    expect(analyzer.required('lib/apk/db/installed', info)).toBe(true);
    expect(analyzer.required('usr/lib/apk/db/installed', info)).toBe(true);
    expect(analyzer.required('lib/apk/db/other', info)).toBe(false);
    expect(analyzer.required('etc/os-release', info)).toBe(false);
  });

  it('never throws on hostile input', async () => {
    const inputs = [
      '',
      '\n',
      'P:\nV:\n',
      'x',
      'P:a\nV:1.0\nC:Q1@@@\nL:\nD:\np:\n',
      '\u0000\u0001'.repeat(1000),
      Array.from({ length: 300 }, (_, i) => `P:p${i}\nV:not-a-version\n`).join('\n'),
    ];
    for (const input of inputs) {
      const ctx = testContext();
      const out = await analyzer.analyze([textFile('lib/apk/db/installed', input)], ctx);
      expect(out.packageSets).toHaveLength(1);
      expect(ctx.diagnostics.items.length).toBeLessThanOrEqual(51);
    }
  });
});
