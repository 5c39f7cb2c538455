/**
 * Test support for the OS package analyzers' conformance suites (dpkg, apk, rpm): how each reads
 * its upstream fixtures and how its packages compare with Trivy's, osv-scanner's and go-rpmdb's
 * expectations. The machinery (cases, scoring, printing) is in lang-conformance.ts.
 */
import { readFileSync } from 'node:fs';
import type { Package } from '@palisade/api';
import { parseTxtar } from '../scan/analyzers/lib/txtar.js';
import type { Analyzer, AnalyzerFile } from '../scan/analyzers/types.js';
import { analyzerFile, sharedData } from './shared-data.js';
import type { FixtureSource, FormatSpec, RpmdbExpectedPackage, SuiteReport } from './lang-conformance.js';
import {
  analyzeFixture,
  compareNameVersions,
  fixtureSuite,
  osvFixture,
  textFile,
  trivyFixture,
} from './lang-conformance.js';

export type TrivyOsPackage = Record<string, string | number>;

/** A dpkg or apk package in the shape of Trivy's JSON (PascalCase, zero values left out). */
export function asTrivy(p: Package): TrivyOsPackage {
  const out: TrivyOsPackage = {};
  const put = (k: string, v: string | number | undefined): void => {
    if (v !== undefined && v !== '' && v !== 0) out[k] = v;
  };
  put('ID', p.id);
  put('Name', p.name);
  put('Version', p.version);
  put('Release', p.release);
  put('Epoch', p.epoch);
  put('Arch', p.arch);
  put('SrcName', p.srcName);
  put('SrcVersion', p.srcVersion);
  put('SrcRelease', p.srcRelease);
  put('SrcEpoch', p.srcEpoch);
  return out;
}

// The fields Trivy's dpkg expectations were extracted with. SrcEpoch, Maintainer, DependsOn and
// Digest were not extracted, so dpkg.test.ts checks them by hand.
const DPKG_EXTRACTED_KEYS = [
  'ID',
  'Name',
  'Version',
  'Release',
  'Epoch',
  'Arch',
  'SrcName',
  'SrcVersion',
  'SrcRelease',
];

/** Differences between Trivy's expected dpkg packages and ours, keyed by ID. */
export function compareDpkgWithTrivy(expected: readonly TrivyOsPackage[], got: readonly Package[]): string[] {
  const problems: string[] = [];
  const ours = new Map(got.map((p) => [p.id ?? '', asTrivy(p)]));
  const wantIds = new Set(expected.map((e) => String(e['ID'])));
  for (const id of ours.keys()) if (!wantIds.has(id)) problems.push(`unexpected package ${id}`);
  for (const want of expected) {
    const id = String(want['ID']);
    const have = ours.get(id);
    if (!have) {
      problems.push(`missing package ${id}`);
      continue;
    }
    // An entry with a Name was extracted whole (absent keys mean zero values);
    // one without was extracted partially, so only its keys are compared.
    const keys = 'Name' in want ? DPKG_EXTRACTED_KEYS : Object.keys(want);
    for (const k of keys) {
      if (want[k] !== have[k]) problems.push(`${id}: ${k} = ${String(have[k])}, Trivy ${String(want[k])}`);
    }
  }
  return problems;
}

/** The files of a txtar fixture, as in an image layer, sorted by path. */
export function txtarFiles(hostPath: string): AnalyzerFile[] {
  return parseTxtar(readFileSync(hostPath, 'utf8'))
    .files.map((f) => textFile(f.name, f.data))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * osv-scanner reports one dpkg entry per paragraph, named by the SOURCE package and versioned by
 * the source version (`Source: util-linux (2.36.1-8+deb11u1)` → util-linux 2.36.1-8+deb11u1; no
 * version in Source → the binary's full Version). Ours maps to that as srcName and
 * [srcEpoch:]srcVersion[-srcRelease], compared as a set (osv-scanner keeps duplicates, Trivy's id
 * does not).
 */
export function dpkgOsvView(pkgs: readonly Package[]): { name: string; version: string }[] {
  const seen = new Map<string, { name: string; version: string }>();
  for (const p of pkgs) {
    const epoch = p.srcEpoch ? `${p.srcEpoch}:` : '';
    const release = p.srcRelease ? `-${p.srcRelease}` : '';
    const v = { name: p.srcName ?? p.name, version: `${epoch}${p.srcVersion ?? p.version}${release}` };
    seen.set(`${v.name} ${v.version}`, v);
  }
  return [...seen.values()];
}

function dedupe(list: readonly { name: string; version: string }[]): { name: string; version: string }[] {
  return [...new Map(list.map((p) => [`${p.name} ${p.version}`, p])).values()];
}

/** The apk fields Trivy's apk analyzer test states for every package. */
const APK_FIELDS: readonly [string, (p: Package) => string | undefined][] = [
  ['ID', (p) => p.id],
  ['Name', (p) => p.name],
  ['Version', (p) => p.version],
  ['Arch', (p) => p.arch],
  ['SrcName', (p) => p.srcName],
  ['SrcVersion', (p) => p.srcVersion],
];

function compareApkWithTrivy(expected: readonly TrivyOsPackage[], got: readonly Package[]): string[] {
  const problems: string[] = [];
  const ours = new Map(got.map((p) => [p.id, p]));
  for (const w of expected) {
    const p = ours.get(String(w['ID']));
    if (!p) {
      problems.push(`missing ${String(w['ID'])}`);
      continue;
    }
    for (const [k, get] of APK_FIELDS)
      if (get(p) !== w[k]) problems.push(`${String(w['ID'])}: ${k} ${get(p)} vs ${String(w[k])}`);
  }
  if (got.length !== expected.length) problems.push(`${got.length} packages, Trivy ${expected.length}`);
  return problems;
}

/** name-version-release.arch.rpm split from the right, as rpm names a source package file. */
function splitRpmFileName(file: string): { name: string; version: string; release: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.[^.]+\.rpm$/.exec(file);
  return m ? { name: m[1] ?? '', version: m[2] ?? '', release: m[3] ?? '' } : undefined;
}

/**
 * Differences between go-rpmdb's expectations and the rpm analyzer's packages, in the fields the
 * scanner reads: name, epoch, version, release and arch (the identity, compared as a multiset
 * when the test lists the whole database), the source package from SOURCERPM (source epoch =
 * epoch, as Trivy), the license, the vendor (Trivy's maintainer) and SIGMD5 (the digest).
 */
export function compareWithGoRpmdb(
  got: readonly Package[],
  want: readonly RpmdbExpectedPackage[],
  complete: boolean,
): string[] {
  const evr = (p: {
    epoch?: number | undefined;
    version: string;
    release?: string | undefined;
    arch?: string | undefined;
  }) => `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release ?? ''}.${p.arch ?? ''}`;
  const problems: string[] = [];
  if (complete)
    problems.push(
      ...compareNameVersions(
        got.map((p) => ({ name: p.name, version: evr(p) })),
        want.map((w) => ({ name: w.name, version: evr(w) })),
      ),
    );
  for (const w of want) {
    const g = got.find((p) => p.name === w.name && evr(p) === evr(w));
    if (!g) {
      if (!complete) problems.push(`missing ${w.name}@${evr(w)}`);
      continue;
    }
    const src = splitRpmFileName(w.sourceRpm);
    const expected: Record<string, unknown> = {
      srcName: src?.name,
      srcVersion: src?.version,
      srcRelease: src?.release,
      srcEpoch: src ? w.epoch : undefined,
      licenses: w.license ? [w.license] : undefined,
      maintainer: w.vendor || undefined,
      digest: w.sigmd5 ? `md5:${w.sigmd5}` : undefined,
    };
    for (const [k, v] of Object.entries(expected)) {
      const have = JSON.stringify(g[k as keyof Package]);
      if (have !== JSON.stringify(v)) problems.push(`${w.name}: ${k} ${have} ≠ ${JSON.stringify(v)}`);
    }
  }
  return problems;
}

/** Where each go-rpmdb database lives in an image. */
const RPMDB_PATHS: Readonly<Record<string, string>> = {
  'libuuid/Packages': 'var/lib/rpm/Packages',
  'sle15-bci/Packages.db': 'usr/lib/sysimage/rpm/Packages.db',
  'cbl-mariner-2.0/rpmdb.sqlite': 'var/lib/rpm/rpmdb.sqlite',
};

/** The OS package analyzers and the upstream cases each one is checked against. */
export const OS_FORMATS: readonly FormatSpec[] = [
  {
    analyzer: 'os/dpkg',
    format: 'dpkg (var/lib/dpkg/status)',
    osvParsers: ['ParseDpkgStatus'],
    trivyDirs: ['pkg/fanal/analyzer/pkg/dpkg/'],
    async check(analyzer, c) {
      if (c.source === 'trivy') {
        const got = await analyzeFixture(analyzer, txtarFiles(trivyFixture(c.fixture)), 'dpkg');
        return [...got.problems, ...compareDpkgWithTrivy(c.packages as TrivyOsPackage[], got.packages)];
      }
      if (c.source !== 'osv-scanner') return ['os/dpkg does not read rpm databases'];
      const got = await analyzeFixture(
        analyzer,
        [analyzerFile(osvFixture(c.fixture), 'var/lib/dpkg/status')],
        'dpkg',
      );
      return [...got.problems, ...compareNameVersions(dpkgOsvView(got.packages), dedupe(c.packages))];
    },
  },
  {
    analyzer: 'os/apk',
    format: 'apk (lib/apk/db/installed)',
    osvParsers: ['ParseApkInstalled'],
    trivyDirs: ['pkg/fanal/analyzer/pkg/apk/'],
    async check(analyzer, c) {
      if (c.source === 'go-rpmdb') return ['os/apk does not read rpm databases'];
      const host = c.source === 'trivy' ? trivyFixture(c.fixture) : osvFixture(c.fixture);
      const got = await analyzeFixture(analyzer, [analyzerFile(host, 'lib/apk/db/installed')], 'apk');
      if (c.source === 'trivy')
        return [...got.problems, ...compareApkWithTrivy(c.packages as TrivyOsPackage[], got.packages)];
      return [...got.problems, ...compareNameVersions(got.packages, c.packages)];
    },
  },
  {
    analyzer: 'os/rpm',
    format: 'rpm (Packages, Packages.db, rpmdb.sqlite)',
    goRpmdb: true,
    async check(analyzer, c) {
      if (c.source !== 'go-rpmdb') return ['os/rpm reads only rpm databases'];
      const path = RPMDB_PATHS[c.fixture];
      if (path === undefined) return [`no in-image path for ${c.fixture}`];
      const host = sharedData('scan', 'go-rpmdb', c.fixture);
      const files = [analyzerFile(host, path)];
      if (path.endsWith('.sqlite')) files.push(analyzerFile(`${host}-wal`, `${path}-wal`));
      const got = await analyzeFixture(analyzer, files, 'rpm');
      return [
        ...got.problems,
        ...got.diagnostics.map((d) => `diagnostic ${d.code}: ${d.message}`),
        ...compareWithGoRpmdb(got.packages, c.packages, c.complete),
      ];
    },
  },
];

/** The OS analyzer's own slice of the upstream cases (see fixtureSuite in lang-conformance.ts). */
export function osFixtureSuite(analyzer: Analyzer, source: FixtureSource): Promise<SuiteReport> {
  return fixtureSuite(OS_FORMATS, analyzer, source);
}
