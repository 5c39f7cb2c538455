import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Package } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { analyzerFile, sharedData, testContext } from '../../../testing/shared-data.js';
import { textFile as fileOf } from '../../../testing/lang-conformance.js';
import { asTrivy, osFixtureSuite, txtarFiles } from '../../../testing/os-conformance.js';
import { parseTxtar } from '../lib/txtar.js';
import type { AnalysisResult, AnalyzerFile } from '../types.js';
import { analyzer, isInstalled, parseDepends } from './dpkg.js';

const trivyDir = sharedData('scan/trivy-fixtures/pkg/fanal/analyzer/pkg/dpkg/testdata');
const osvDir = sharedData('scan/osv-scanner-lockfile/fixtures/dpkg');

async function run(files: AnalyzerFile[]): Promise<{ result: AnalysisResult; codes: string[] }> {
  const ctx = testContext();
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : 1));
  const result = await analyzer.analyze(sorted, ctx);
  return { result, codes: ctx.diagnostics.items.map((d) => d.code) };
}

function packagesOf(result: AnalysisResult): Package[] {
  return (result.packageSets ?? []).flatMap((s) => s.packages);
}

describe('os/dpkg against Trivy fixtures', () => {
  // The fields expected-packages.json was extracted with are compared (compareDpkgWithTrivy in
  // testing/os-conformance.ts); SrcEpoch, Maintainer, DependsOn and Digest were not extracted, so
  // they are checked by hand below, as is md5sums.txtar, which has no extracted expectation.
  it('reproduces the packages Trivy expects for every txtar fixture', async () => {
    const report = await osFixtureSuite(analyzer, 'trivy');
    expect(report.total).toBe(5);
    expect(report.failures).toEqual([]);
  });

  it('fills the fields the extraction left out as Trivy does (valid.txtar)', async () => {
    const { result, codes } = await run(txtarFiles(`${trivyDir}/valid.txtar`));
    expect(codes).toEqual([]);
    expect(result.packageSets?.map((s) => [s.type, s.class, s.filePath])).toEqual([
      ['dpkg', 'os-pkgs', 'var/lib/dpkg/status'],
    ]);
    const byName = new Map(packagesOf(result).map((p) => [p.name, p]));
    // From Trivy's dpkg_test.go ("valid" case).
    expect(byName.get('adduser')).toEqual({
      id: 'adduser@3.116ubuntu1',
      name: 'adduser',
      version: '3.116ubuntu1',
      srcName: 'adduser',
      srcVersion: '3.116ubuntu1',
      dependsOn: ['debconf@1.5.66', 'passwd@1:4.5-1ubuntu1'],
      maintainer: 'Ubuntu Core Developers <ubuntu-devel-discuss@lists.ubuntu.com>',
      arch: 'all',
    });
    expect(byName.get('apt')?.dependsOn).toEqual([
      'adduser@3.116ubuntu1',
      'gpgv@2.2.4-1ubuntu1.1',
      'libapt-pkg5.0@1.6.3ubuntu0.1',
      'libc6@2.27-3ubuntu1',
      'libgcc1@1:8-20180414-1ubuntu2',
      'libgnutls30@3.5.18-1ubuntu1',
      'libseccomp2@2.3.1-2.1ubuntu4',
      'libstdc++6@8-20180414-1ubuntu2',
      'ubuntu-keyring@2018.02.28',
    ]);
    expect(byName.get('diffutils')).toMatchObject({ epoch: 1, srcEpoch: 1, version: '3.6', release: '1' });
    expect(byName.get('libattr1')).toMatchObject({
      srcName: 'attr',
      srcEpoch: 1,
      dependsOn: ['libc6@2.27-3ubuntu1'],
    });
    // bsdutils has `Source: util-linux (2.31.1-0.4ubuntu3.1)`: the source version carries no epoch.
    expect(byName.get('bsdutils')).toMatchObject({ epoch: 1, srcName: 'util-linux', srcVersion: '2.31.1' });
    expect(byName.get('bsdutils')?.srcEpoch).toBeUndefined();
    expect(byName.get('base-files')?.dependsOn).toBeUndefined();
    // git is `deinstall ok config-files`.
    expect(byName.has('git')).toBe(false);
  });

  it('takes digests from the available file of the same layer (digest.txtar)', async () => {
    const { result } = await run(txtarFiles(`${trivyDir}/digest.txtar`));
    const byName = new Map(packagesOf(result).map((p) => [p.name, p]));
    expect(byName.get('tar')?.digest).toBe(
      'sha256:bd8e963c6edcf1c806df97cd73560794c347aa94b9aaaf3b88eea585bb2d2f3c',
    );
    // available lists sed 4.7-1, the status file sed 4.4-2: no digest.
    expect(byName.get('sed')?.digest).toBeUndefined();
    // The available file is not a package set of its own.
    expect(result.packageSets?.map((s) => s.filePath)).toEqual(['var/lib/dpkg/status']);
  });

  it('reads md5sums.txtar (no extracted expectation) like Trivy', async () => {
    const archive = parseTxtar(readFileSync(`${trivyDir}/md5sums.txtar`, 'utf8'));
    expect(archive.files.map((f) => f.name)).toContain('var/lib/dpkg/info/tar.md5sums');
    const files = archive.files.filter((f) => analyzer.required(f.name, { size: 0, mode: 0o644 }));
    expect(files.map((f) => f.name)).toEqual(['var/lib/dpkg/status']);
    const { result } = await run(files.map((f) => fileOf(f.name, f.data)));
    expect(packagesOf(result).map(asTrivy)).toEqual([
      {
        ID: 'tar@1.29b-2',
        Name: 'tar',
        Version: '1.29b',
        Release: '2',
        Arch: 'amd64',
        SrcName: 'tar',
        SrcVersion: '1.29b',
        SrcRelease: '2',
      },
    ]);
  });

  it('warns about the broken paragraphs of corrupsed.txtar and keeps the rest', async () => {
    const { result, codes } = await run(txtarFiles(`${trivyDir}/corrupsed.txtar`));
    expect(packagesOf(result).map((p) => p.name)).toEqual([
      'libgcc1',
      'libpam-modules-bin',
      'libpam-runtime',
      'makedev',
    ]);
    // brokenPackageWithNoVersion… has no Version; invalidpkg has version `1:5.#`.
    expect(codes.sort()).toEqual(['DPKG_INVALID_VERSION', 'DPKG_MISSING_FIELD']);
  });
});

describe('os/dpkg against osv-scanner fixtures', () => {
  // osv-scanner names each entry by its source package and source version (dpkgOsvView in
  // testing/os-conformance.ts). The expected divergence (malformed_status, Trivy's rules, which
  // Palisade follows) is in testing/fixture-divergences.ts.
  it('reports the source packages osv-scanner expects', async () => {
    const report = await osFixtureSuite(analyzer, 'osv-scanner');
    expect([report.total, report.divergent.length]).toEqual([6, 1]);
    expect(report.failures).toEqual([]);
    // One case per fixture file.
    expect(report.total + report.divergent.length).toBe(readdirSync(osvDir).length);
  });

  it('reads malformed_status the way Trivy does', async () => {
    const { result, codes } = await run([analyzerFile(`${osvDir}/malformed_status`, 'var/lib/dpkg/status')]);
    expect(packagesOf(result).map((p) => p.id)).toEqual(['libc6@2.31-13+deb11u5']);
    expect(codes).toContain('DPKG_PARAGRAPH_REJECTED');
    expect(codes).toContain('DPKG_MISSING_FIELD');
  });
});

describe('os/dpkg', () => {
  it('reads distroless status.d entries as one package set each and skips their md5sums', async () => {
    const para = (name: string, version: string, extra = ''): string =>
      `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\n${extra}Maintainer: Someone <a@b>\n`;
    const files = [
      fileOf('var/lib/dpkg/status.d/base', para('base-files', '12.4+deb12u5')),
      fileOf(
        'var/lib/dpkg/status.d/libc6',
        para('libc6', '2.36-9+deb12u4', 'Source: glibc\nDepends: base-files\n'),
      ),
      fileOf('var/lib/dpkg/status.d/libc6.md5sums', 'd41d8cd98f00b204e9800998ecf8427e  usr/lib/x.so\n'),
    ];
    expect(files.map((f) => analyzer.required(f.path, { size: 1, mode: 0o644 }))).toEqual([
      true,
      true,
      false,
    ]);
    expect(analyzer.required('var/lib/dpkg/status.d/sub/x', { size: 1, mode: 0o644 })).toBe(false);
    const { result } = await run(files.filter((f) => analyzer.required(f.path, { size: 1, mode: 0o644 })));
    expect(result.packageSets?.map((s) => [s.filePath, s.packages.map((p) => p.id)])).toEqual([
      ['var/lib/dpkg/status.d/base', ['base-files@12.4+deb12u5']],
      ['var/lib/dpkg/status.d/libc6', ['libc6@2.36-9+deb12u4']],
    ]);
    // Dependencies resolve within one file only, as in Trivy.
    expect(result.packageSets?.[1]?.packages[0]?.dependsOn).toBeUndefined();
    expect(result.packageSets?.[1]?.packages[0]).toMatchObject({
      srcName: 'glibc',
      srcVersion: '2.36',
      srcRelease: '9+deb12u4',
    });
  });

  it('keeps one entry per id for multi-arch copies, the later paragraph winning', async () => {
    const text =
      'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 2.36-9\n\n' +
      'Package: libc6\nStatus: install ok installed\nArchitecture: i386\nMulti-Arch: same\nVersion: 2.36-9\n\n' +
      'Package: libfoo\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\nDepends: libc6:any, libc6 (>= 2.34)\n';
    const { result } = await run([fileOf('var/lib/dpkg/status', text)]);
    const pkgs = packagesOf(result);
    expect(pkgs.map((p) => [p.id, p.arch])).toEqual([
      ['libc6@2.36-9', 'i386'],
      ['libfoo@1.0', 'amd64'],
    ]);
    // `libc6:any` is not resolved (as in Trivy); `libc6 (>= 2.34)` is.
    expect(pkgs[1]?.dependsOn).toEqual(['libc6@2.36-9']);
  });

  it('decides installation from the Status field', () => {
    const table: [string, boolean][] = [
      ['install ok installed', true],
      ['hold ok installed', true],
      ['install ok half-installed', true],
      ['install ok unpacked', true],
      ['install reinstreq half-installed', true],
      ['', true],
      ['deinstall ok config-files', false],
      ['purge ok not-installed', false],
      ['deinstall ok installed', false],
      ['install ok not-installed', false],
      ['install ok config-files', false],
    ];
    for (const [status, want] of table) expect(isInstalled(status), status).toBe(want);
  });

  it('splits Depends like Trivy', () => {
    expect(parseDepends('passwd, debconf (>= 0.5) | debconf-2.0, libc6 (>= 2.4)')).toEqual([
      'passwd',
      'debconf',
      'debconf-2.0',
      'libc6',
    ]);
    expect(parseDepends('a, a (>= 1), b|a')).toEqual(['a', 'b']);
  });

  it('parses the Source field with and without a version', async () => {
    const text =
      'Package: a\nStatus: install ok installed\nVersion: 1:2.0-3\nSource: src-a (4:5.0-6)\n\n' +
      'Package: b\nStatus: install ok installed\nVersion: 7.0\nSource: src-b\n\n' +
      'Package: c\nStatus: install ok installed\nVersion: 8.0-1\n';
    const { result } = await run([fileOf('var/lib/dpkg/status', text)]);
    expect(packagesOf(result).map(asTrivy)).toEqual([
      {
        ID: 'a@1:2.0-3',
        Name: 'a',
        Version: '2.0',
        Release: '3',
        Epoch: 1,
        SrcName: 'src-a',
        SrcVersion: '5.0',
        SrcRelease: '6',
        SrcEpoch: 4,
      },
      { ID: 'b@7.0', Name: 'b', Version: '7.0', SrcName: 'src-b', SrcVersion: '7.0' },
      {
        ID: 'c@8.0-1',
        Name: 'c',
        Version: '8.0',
        Release: '1',
        SrcName: 'c',
        SrcVersion: '8.0',
        SrcRelease: '1',
      },
    ]);
  });

  it('never throws on hostile input and reports what it skipped', async () => {
    const inputs = [
      '',
      '\n\n\n',
      ' leading continuation\nPackage: x\n',
      'Package: x\nVersion: 1.0\nStatus: install ok installed\nBad\u0001: y\n',
      'Package: x\nVersion: 1.0\nSource: (\n',
      'Package: x\r\nVersion: 1.0\r\n\r\nPackage: y\r\nVersion: 2.0\r\n',
      'Package: ' + 'x'.repeat(100_000) + '\nVersion: 1\n',
      '\u0000\u0001\u0002',
      Array.from({ length: 200 }, (_, i) => `Package: p${i}\nVersion: bad version\n`).join('\n'),
    ];
    for (const input of inputs) {
      const ctx = testContext();
      const out = await analyzer.analyze([fileOf('var/lib/dpkg/status', input)], ctx);
      expect(out.packageSets).toHaveLength(1);
      expect(ctx.diagnostics.items.length).toBeLessThanOrEqual(51);
    }
    const { result } = await run([fileOf('var/lib/dpkg/status', inputs[5] as string)]);
    expect(packagesOf(result).map((p) => p.id)).toEqual(['x@1.0', 'y@2.0']);
  });
});

// dpkg itself is the reference for which paragraphs are packages and what
// their source package is. When this machine has dpkg, its status database is
// copied to a scratch directory and read by both dpkg-query and the analyzer.
const hostStatus = '/var/lib/dpkg/status';
const hasDpkg = existsSync(hostStatus) && existsSync('/usr/bin/dpkg-query');

describe.skipIf(!hasDpkg)('os/dpkg against dpkg-query on a real status database', () => {
  it('lists the installed packages, architectures and source packages dpkg-query lists', async () => {
    const admin = mkdtempSync(join(tmpdir(), 'palisade-dpkg-'));
    try {
      copyFileSync(hostStatus, join(admin, 'status'));
      mkdirSync(join(admin, 'updates'));
      mkdirSync(join(admin, 'info'));
      const rows = execFileSync(
        'dpkg-query',
        [
          `--admindir=${admin}`,
          '-W',
          '-f=${db:Status-Abbrev}|${Package}|${Version}|${Architecture}|${source:Package}|${source:Version}\n',
        ],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      )
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('|'));
      // Status-Abbrev is want + state: keep what the analyzer keeps, i.e. drop wanted-removed
      // (`r`, `p`) and not-installed / config-files states (`n`, `c`); dpkg-query -W lists those too.
      const installed = rows.filter((r) => !/^[rp]/.test(r[0] ?? '') && !/^.[nc]/.test(r[0] ?? ''));
      const want = installed.map(
        ([, name, version, arch, src, srcVersion]) => `${name}@${version} ${arch} ${src} ${srcVersion}`,
      );

      const { result, codes } = await run([analyzerFile(join(admin, 'status'), 'var/lib/dpkg/status')]);
      const got = packagesOf(result).map((p) => {
        const srcFull = `${p.srcEpoch ? `${p.srcEpoch}:` : ''}${p.srcVersion}${p.srcRelease ? `-${p.srcRelease}` : ''}`;
        return `${p.id} ${p.arch} ${p.srcName} ${srcFull}`;
      });
      const missing = want.filter((w) => !got.includes(w));
      const extra = got.filter((g) => !want.includes(g));
      console.log(
        `dpkg vs dpkg-query: ${want.length - missing.length}/${want.length} installed packages match, ${extra.length} extra` +
          (missing.length + extra.length
            ? `\n  missing ${missing.join(', ')}\n  extra ${extra.join(', ')}`
            : ''),
      );
      expect(codes).toEqual([]);
      expect(want.length).toBeGreaterThan(0);
      expect(missing).toEqual([]);
      expect(extra).toEqual([]);
    } finally {
      rmSync(admin, { recursive: true, force: true });
    }
  });
});
