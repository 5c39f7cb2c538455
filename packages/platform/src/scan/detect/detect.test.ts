import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InventoryReport, Package } from '@palisade/api';
import type { AdvisoryLookup } from './detect.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDatabase } from '../db/import.js';
import type { OsvRecord } from '../db/osv.js';
import { AdvisoryStore } from '../db/store.js';
import { writeOsvSources } from '../../testing/trivy-db-fixture.js';
import {
  advisoryName,
  advisoryVersion,
  chooseSeverity,
  compareCve,
  compareFindings,
  detectVulnerabilities,
  MATCH_BATCH,
  Matcher,
  newDetectStats,
  osLookupKey,
  osvEcosystemForLangType,
  osvEcosystemsForOs,
  preferredId,
  recordSeverity,
  renderFixedVersions,
  scoreVector,
  severityFromScore,
} from './index.js';

describe('OS release → OSV ecosystem', () => {
  const cases: [string, string, string, string[] | undefined][] = [
    ['Debian is named by its major release', 'debian', '12.5', ['Debian:12']],
    [
      'Ubuntu LTS releases carry the :LTS suffix (and the plain spelling is asked too)',
      'ubuntu',
      '22.04',
      ['Ubuntu:22.04:LTS', 'Ubuntu:22.04'],
    ],
    ['Ubuntu interim releases have no suffix', 'ubuntu', '23.10', ['Ubuntu:23.10']],
    ['an odd-year .04 Ubuntu is not LTS', 'ubuntu', '21.04', ['Ubuntu:21.04']],
    ['Alpine is v<major>.<minor>', 'alpine', '3.20.3', ['Alpine:v3.20']],
    ['AlmaLinux is its major release', 'alma', '9.3', ['AlmaLinux:9']],
    ['Rocky Linux is its major release, with a space', 'rocky', '8.9', ['Rocky Linux:8']],
    ['openSUSE Leap', 'opensuse-leap', '15.5', ['openSUSE:Leap 15.5']],
    ['SLES service packs', 'sles', '15.5', ['SUSE:Linux Enterprise Server 15 SP5']],
    ['Wolfi has no release', 'wolfi', '20230201', ['Wolfi']],
    ['Red Hat is not mapped (OSV keys it by product stream and repository)', 'redhat', '9.3', undefined],
    ['CentOS has no OSV ecosystem', 'centos', '7.9.2009', undefined],
    ['a release that is not a version is not guessed', 'debian', 'trixie/sid', undefined],
  ];
  it.each(cases)('%s', (_name, family, release, want) => {
    expect(osvEcosystemsForOs({ family, name: release })?.ecosystems).toEqual(want);
  });

  it('matches deb and apk by source package, errata RPM distributions by binary package', () => {
    expect(osvEcosystemsForOs({ family: 'debian', name: '12' })?.by).toBe('source');
    expect(osvEcosystemsForOs({ family: 'alpine', name: '3.20' })?.by).toBe('source');
    expect(osvEcosystemsForOs({ family: 'alma', name: '9' })?.by).toBe('binary');
    expect(osvEcosystemsForOs({ family: 'rocky', name: '9' })?.by).toBe('binary');
  });
});

describe('package set type → OSV ecosystem', () => {
  const cases: [string, string | undefined][] = [
    ['npm', 'npm'],
    ['yarn', 'npm'],
    ['pnpm', 'npm'],
    ['node-pkg', 'npm'],
    ['pip', 'PyPI'],
    ['poetry', 'PyPI'],
    ['pipenv', 'PyPI'],
    ['uv', 'PyPI'],
    ['python-pkg', 'PyPI'],
    ['gomod', 'Go'],
    ['gobinary', 'Go'],
    ['cargo', 'crates.io'],
    ['rustbinary', 'crates.io'],
    ['bundler', 'RubyGems'],
    ['gemspec', 'RubyGems'],
    ['composer', 'Packagist'],
    ['jar', 'Maven'],
    ['pom', 'Maven'],
    ['gradle', 'Maven'],
    ['nuget', 'NuGet'],
    ['dotnet-core', 'NuGet'],
    ['packages-props', 'NuGet'],
    ['conda-pkg', undefined],
  ];
  it.each(cases)('%s → %s', (type, eco) => {
    expect(osvEcosystemForLangType(type)).toBe(eco);
  });
});

describe('names and versions as advisories write them', () => {
  it('Maven group/artifact becomes group:artifact; group:artifact stays', () => {
    expect(advisoryName('Maven', 'org.apache.logging.log4j/log4j-core')).toBe(
      'org.apache.logging.log4j:log4j-core',
    );
    expect(advisoryName('Maven', 'org.apache.logging.log4j:log4j-core')).toBe(
      'org.apache.logging.log4j:log4j-core',
    );
  });
  it('npm scopes and Go module paths are kept as written', () => {
    expect(advisoryName('npm', '@babel/traverse')).toBe('@babel/traverse');
    expect(advisoryName('Go', 'github.com/Masterminds/goutils')).toBe('github.com/Masterminds/goutils');
  });
  it('the Go standard library version loses its go/v prefix and gains missing parts', () => {
    expect(advisoryVersion('Go', 'stdlib', 'v1.22.3')).toBe('1.22.3');
    expect(advisoryVersion('Go', 'stdlib', 'go1.21')).toBe('1.21.0');
    expect(advisoryVersion('Go', 'stdlib', 'go1.21rc2')).toBe('1.21.0-rc.2');
    expect(advisoryVersion('Go', 'golang.org/x/net', 'v0.1.0')).toBe('v0.1.0');
  });
  it('an OS package is looked up by source name at the full source version, epoch included', () => {
    const p: Package = {
      name: 'libssl3',
      version: '3.0.11',
      release: '1~deb12u2',
      srcName: 'openssl',
      srcVersion: '3.0.11',
      srcRelease: '1~deb12u2',
      srcEpoch: 1,
    };
    expect(osLookupKey(p, 'source')).toEqual({ name: 'openssl', version: '1:3.0.11-1~deb12u2' });
    expect(osLookupKey(p, 'binary')).toEqual({ name: 'libssl3', version: '3.0.11-1~deb12u2' });
    expect(osLookupKey({ name: 'musl', version: '1.2.4-r2' }, 'source')).toEqual({
      name: 'musl',
      version: '1.2.4-r2',
    });
  });
});

describe('fixed versions', () => {
  it('are comma-joined as Trivy writes them, first occurrence kept', () => {
    expect(renderFixedVersions([['6.0.3.1', '5.2.4.3'], ['5.2.4.3']])).toBe('6.0.3.1, 5.2.4.3');
    expect(renderFixedVersions([[], []])).toBeUndefined();
  });
});

describe('severity', () => {
  it('scores CVSS v3.1, v3.0, v4.0 and v2 vectors', () => {
    expect(
      scoreVector({ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' })?.score,
    ).toBe(9.8);
    expect(
      scoreVector({ type: 'CVSS_V3', score: 'CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:L' })?.score,
    ).toBe(3.3);
    expect(
      scoreVector({
        type: 'CVSS_V4',
        score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
      })?.score,
    ).toBe(9.3);
    expect(scoreVector({ type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' })?.score).toBe(7.5);
  });
  it('does not score malformed or incomplete vectors', () => {
    expect(scoreVector({ type: 'CVSS_V3', score: 'garbage' })).toBeUndefined();
    expect(scoreVector({ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N' })).toBeUndefined();
    expect(scoreVector({ type: 'CVSS_V3', score: 'CVSS:3.1/' + 'AV:N/'.repeat(200) })).toBeUndefined();
    expect(scoreVector({ type: 'Ubuntu', score: 'high' })).toBeUndefined();
  });
  it('maps scores by the CVSS table (v2 has no CRITICAL)', () => {
    expect(severityFromScore(9.0, 'v3')).toBe('CRITICAL');
    expect(severityFromScore(8.9, 'v3')).toBe('HIGH');
    expect(severityFromScore(4.0, 'v40')).toBe('MEDIUM');
    expect(severityFromScore(3.9, 'v3')).toBe('LOW');
    expect(severityFromScore(10, 'v2')).toBe('HIGH');
  });
  it('prefers a vector over the record rating, v3 over v4', () => {
    const c = chooseSeverity([
      {
        sourceId: 'ghsa',
        severity: [
          { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
          { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N' },
        ],
        recordDatabaseSpecific: { severity: 'CRITICAL' },
      },
    ]);
    expect(c).toMatchObject({ severity: 'MEDIUM', severitySource: 'ghsa', basis: 'cvss' });
    expect(c.vendorSeverity).toEqual({ ghsa: 4 });
    expect(c.cvss['ghsa']?.v3Score).toBe(5.3);
    expect(c.cvss['ghsa']?.v40Score).toBe(9.3);
  });
  it("falls back to the record's rating: GHSA MODERATE, Ubuntu priority, errata summary", () => {
    expect(
      recordSeverity({ sourceId: 'ghsa', severity: [], recordDatabaseSpecific: { severity: 'MODERATE' } }),
    ).toBe('MEDIUM');
    expect(recordSeverity({ sourceId: 'ubuntu', severity: [{ type: 'Ubuntu', score: 'negligible' }] })).toBe(
      'LOW',
    );
    expect(
      recordSeverity({ sourceId: 'alma', severity: [], summary: 'Important: openssl security update' }),
    ).toBe('HIGH');
    expect(chooseSeverity([{ sourceId: 'go', severity: [] }])).toMatchObject({
      severity: 'UNKNOWN',
      basis: 'none',
    });
  });
});

describe('preferred ID', () => {
  it('is a CVE of the group when there is one, lowest by year and number', () => {
    expect(
      preferredId(['RUSTSEC-2021-0003'], ['CVE-2021-25900', 'GHSA-43w2-9j62-hq99', 'RUSTSEC-2021-0003']),
    ).toBe('CVE-2021-25900');
    expect(preferredId(['GO-1'], ['CVE-2021-10000', 'CVE-2021-9999', 'GO-1'])).toBe('CVE-2021-9999');
    expect(compareCve('CVE-2020-99999', 'CVE-2021-1')).toBeLessThan(0);
  });
  it('is the GHSA, then the language database ID, when the group has no CVE', () => {
    expect(
      preferredId(['PYSEC-2024-1', 'GHSA-aaaa-bbbb-cccc'], ['GHSA-aaaa-bbbb-cccc', 'PYSEC-2024-1']),
    ).toBe('GHSA-aaaa-bbbb-cccc');
    expect(preferredId(['ALSA-2023:1405'], ['ALSA-2023:1405'])).toBe('ALSA-2023:1405');
  });
});

/** A store built from OSV records (per source), in a scratch directory removed with close(). */
async function storeOf(
  sources: ReadonlyMap<string, readonly OsvRecord[]>,
): Promise<{ store: AdvisoryStore; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-detect-'));
  const inputs = writeOsvSources(join(dir, 'src'), sources).map((s) => ({
    name: s.name,
    kind: 'dir' as const,
    path: s.path,
  }));
  await buildDatabase({ dbPath: join(dir, 'db.sqlite'), inputs, fresh: true });
  const store = AdvisoryStore.open(join(dir, 'db.sqlite'));
  return {
    store,
    close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('detectVulnerabilities over a real store', () => {
  let built: { store: AdvisoryStore; close(): void } | undefined;
  let store: AdvisoryStore;
  const rec = (r: Partial<OsvRecord> & { id: string }): OsvRecord => ({
    modified: '2024-01-01T00:00:00Z',
    ...r,
  });
  const records: Record<string, OsvRecord[]> = {
    PyPI: [
      // One weakness in two databases: one finding, under its CVE.
      rec({
        id: 'PYSEC-2024-1',
        aliases: ['CVE-2024-0001'],
        summary: 'pysec summary',
        affected: [
          {
            package: { ecosystem: 'PyPI', name: 'Some_Package' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2.0' }] }],
          },
        ],
      }),
      // Two branches: the finding shows both fixes.
      rec({
        id: 'PYSEC-2024-2',
        affected: [
          {
            package: { ecosystem: 'PyPI', name: 'some-package' },
            ranges: [
              { type: 'ECOSYSTEM', events: [{ introduced: '2.0.0' }, { fixed: '2.0.5' }] },
              { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.9' }] },
            ],
          },
        ],
      }),
    ],
    GHSA: [
      rec({
        id: 'GHSA-xxxx-yyyy-zzzz',
        aliases: ['CVE-2024-0001'],
        summary: 'ghsa summary',
        database_specific: { severity: 'HIGH', cwe_ids: ['CWE-79'] },
        affected: [
          {
            package: { ecosystem: 'PyPI', name: 'some.package' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '1.0.0' }, { fixed: '1.2.0' }] }],
          },
        ],
      }),
    ],
    Debian: [
      rec({
        id: 'DSA-1-1',
        aliases: ['CVE-2024-0002'],
        affected: [
          {
            package: { ecosystem: 'Debian:12', name: 'openssl' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.11-1~deb12u3' }] }],
          },
        ],
      }),
      // Unfixed: status affected, no fixed version.
      rec({
        id: 'DEBIAN-CVE-2024-0003',
        aliases: ['CVE-2024-0003'],
        affected: [
          {
            package: { ecosystem: 'Debian:12', name: 'openssl' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
          },
        ],
      }),
      // Only a GIT range: undecided, not reported.
      rec({
        id: 'DEBIAN-CVE-2024-0004',
        affected: [
          {
            package: { ecosystem: 'Debian:12', name: 'openssl' },
            ranges: [{ type: 'GIT', repo: 'https://x', events: [{ introduced: '0' }, { fixed: 'abc' }] }],
          },
        ],
      }),
    ],
  };

  beforeAll(async () => {
    built = await storeOf(new Map(Object.entries(records)));
    store = built.store;
  });
  afterAll(() => built?.close());

  const inventory = (pkgs: Package[], osPkgs: Package[] = []): InventoryReport => ({
    schemaVersion: 1,
    createdAt: '2026-01-01T00:00:00Z',
    artifact: { name: 'img', type: 'container_image' },
    os: { family: 'debian', name: '12.5' },
    results: [
      { target: 'img (debian 12.5)', class: 'os-pkgs', type: 'debian', packages: osPkgs },
      { target: 'requirements.txt', class: 'lang-pkgs', type: 'pip', packages: pkgs },
    ],
    diagnostics: [],
  });

  it('reports one finding per alias group, under the CVE, with every other ID as an alias', () => {
    const r = detectVulnerabilities(inventory([{ name: 'SOME-package', version: '1.1.0' }]), store);
    const vulns = r.results[1]?.vulnerabilities ?? [];
    expect(vulns.map((v) => v.vulnerabilityId)).toEqual(['CVE-2024-0001', 'PYSEC-2024-2']);
    const v = vulns[0];
    expect(v?.aliases).toEqual(['GHSA-xxxx-yyyy-zzzz', 'PYSEC-2024-1']);
    expect(v?.fixedVersion).toBe('1.2.0');
    expect(v?.status).toBe('fixed');
    // GHSA is the preferred record: its title and rating.
    expect(v?.title).toBe('ghsa summary');
    expect(v?.severity).toBe('HIGH');
    expect(v?.severitySource).toBe('ghsa');
    expect(v?.cweIds).toEqual(['CWE-79']);
    expect(v?.installedVersion).toBe('1.1.0');
  });

  it('shows every patched branch by default and only the matching ones when asked', () => {
    const inv = inventory([{ name: 'some-package', version: '1.0.0' }]);
    const all = detectVulnerabilities(inv, store).results[1]?.vulnerabilities ?? [];
    expect(all.find((v) => v.vulnerabilityId === 'PYSEC-2024-2')?.fixedVersion).toBe('2.0.5, 1.1.9');
    const matching =
      detectVulnerabilities(inv, store, { fixedVersions: 'matching' }).results[1]?.vulnerabilities ?? [];
    expect(matching.find((v) => v.vulnerabilityId === 'PYSEC-2024-2')?.fixedVersion).toBe('1.1.9');
  });

  it('does not report fixed versions, nor versions outside every range', () => {
    const r = detectVulnerabilities(
      inventory([
        { name: 'some-package', version: '1.2.0' },
        { name: 'some-package', version: '2.0.5' },
      ]),
      store,
    );
    expect(r.results[1]?.vulnerabilities).toEqual([]);
  });

  it('matches OS packages by source name and full version; unfixed ones are affected; GIT-only ranges are counted, not reported', () => {
    const stats = newDetectStats();
    const r = detectVulnerabilities(
      inventory(
        [],
        [
          {
            name: 'libssl3',
            version: '3.0.11',
            release: '1~deb12u2',
            srcName: 'openssl',
            srcVersion: '3.0.11',
            srcRelease: '1~deb12u2',
          },
        ],
      ),
      store,
      { stats },
    );
    const vulns = r.results[0]?.vulnerabilities ?? [];
    expect(
      vulns.map((v) => [v.vulnerabilityId, v.pkgName, v.installedVersion, v.fixedVersion, v.status]),
    ).toEqual([
      ['CVE-2024-0002', 'libssl3', '3.0.11-1~deb12u2', '3.0.11-1~deb12u3', 'fixed'],
      ['CVE-2024-0003', 'libssl3', '3.0.11-1~deb12u2', undefined, 'affected'],
    ]);
    expect(stats.undecided).toBe(1);
    expect(stats.notes.gitRangesSkipped).toBe(1);
    expect(r.diagnostics.map((d) => d.code)).toContain('DETECT_UNDECIDED');
  });

  it('reports OS packages of a distribution OSV does not cover as not checked, with a diagnostic', () => {
    const inv = inventory([], [{ name: 'bash', version: '4.2.46', release: '34.el7' }]);
    inv.os = { family: 'centos', name: '7.9.2009' };
    const r = detectVulnerabilities(inv, store);
    expect(r.results[0]?.vulnerabilities).toEqual([]);
    expect(r.diagnostics.find((d) => d.code === 'DETECT_OS_UNSUPPORTED')?.message).toMatch(
      /centos 7\.9\.2009/,
    );
  });

  it('orders findings as a stable sort by compareFindings, the same package listed twice included', () => {
    // Packages out of order, one of them twice (same name, path and version: its findings interleave by
    // severity and ID as one package's), one at two versions.
    const pkgs: Package[] = [
      { name: 'some.package', version: '1.1.0' },
      { name: 'Some_Package', version: '1.0.5' },
      { name: 'some-package', version: '2.0.1' },
      { name: 'some.package', version: '1.1.0' },
    ];
    const vulns = detectVulnerabilities(inventory(pkgs), store).results[1]?.vulnerabilities ?? [];
    // Each package's findings in the order the detector makes them, concatenated, then sorted plainly.
    const unsorted = pkgs.flatMap(
      (p) => detectVulnerabilities(inventory([p]), store).results[1]?.vulnerabilities ?? [],
    );
    expect(vulns.length).toBe(7);
    expect(vulns).toEqual([...unsorted].sort(compareFindings));
    expect(vulns.map((v) => `${v.pkgName} ${v.installedVersion} ${v.vulnerabilityId}`)).toEqual([
      'Some_Package 1.0.5 CVE-2024-0001',
      'Some_Package 1.0.5 PYSEC-2024-2',
      'some-package 2.0.1 PYSEC-2024-2',
      'some.package 1.1.0 CVE-2024-0001',
      'some.package 1.1.0 CVE-2024-0001',
      'some.package 1.1.0 PYSEC-2024-2',
      'some.package 1.1.0 PYSEC-2024-2',
    ]);
  });

  it('matches in batches: packages spread over many batches, one listed in several, find what they find alone', () => {
    // 3,000 packages (several batches of the detector), the vulnerable ones at the start, across batch
    // boundaries and at the end; a spelling listed in several batches is looked up again in each.
    const pkgs: Package[] = [];
    for (let i = 0; i < 3000; i++) pkgs.push({ name: `not-vulnerable-${i}`, version: '1.0.0' });
    expect(3000).toBeGreaterThan(4 * MATCH_BATCH);
    const vulnerable: [number, Package][] = [
      [0, { name: 'some-package', version: '1.1.0' }],
      [MATCH_BATCH - 1, { name: 'Some_Package', version: '1.0.5' }],
      [MATCH_BATCH, { name: 'some.package', version: '2.0.1' }],
      [1500, { name: 'some-package', version: '1.1.0' }],
      [2999, { name: 'some-package', version: '1.1.0' }],
    ];
    for (const [at, p] of vulnerable) pkgs[at] = p;
    const stats = newDetectStats();
    // The scan's own matcher forgets each batch's packages: a spelling seen in an earlier batch is read again.
    const vulns = detectVulnerabilities(inventory(pkgs), store, { stats }).results[1]?.vulnerabilities;
    const alone = vulnerable
      .flatMap(([, p]) => detectVulnerabilities(inventory([p]), store).results[1]?.vulnerabilities ?? [])
      .sort(compareFindings);
    expect(alone.length).toBe(2 + 2 + 1 + 2 + 2);
    expect(vulns).toEqual(alone);
    expect(stats.lookedUp).toBe(3000);
    // A matcher passed in keeps what it read, across batches and scans, and finds the same.
    const matcher = new Matcher(store);
    expect(detectVulnerabilities(inventory(pkgs), store, { matcher }).results[1]?.vulnerabilities).toEqual(
      alone,
    );
    expect(detectVulnerabilities(inventory(pkgs), store, { matcher }).results[1]?.vulnerabilities).toEqual(
      alone,
    );
  });

  it("a name listed twice in one batch is read again for its second listing (the scan's matcher keeps only text)", () => {
    // The detector's own matcher reads a batch in one query and forgets each package once its findings are
    // built; a name seen again in the batch is looked up alone. A matcher passed in reads it once.
    const calls = { batch: 0, single: 0 };
    const counting: AdvisoryLookup = {
      advisoriesFor: (e, n) => store.advisoriesFor(e, n),
      advisory: (id) => store.advisory(id),
      packageAdvisories: (e, n) => {
        calls.single++;
        return store.packageAdvisories(e, n);
      },
      packagesAdvisories: (e, ns) => {
        calls.batch++;
        return store.packagesAdvisories(e, ns);
      },
    };
    const pkgs: Package[] = [
      { name: 'some-package', version: '1.1.0' },
      { name: 'not-vulnerable', version: '1.0.0' },
      { name: 'some-package', version: '2.0.1' },
    ];
    const alone = pkgs
      .flatMap((p) => detectVulnerabilities(inventory([p]), store).results[1]?.vulnerabilities ?? [])
      .sort(compareFindings);
    expect(alone.length).toBe(3);
    expect(detectVulnerabilities(inventory(pkgs), counting).results[1]?.vulnerabilities).toEqual(alone);
    expect(calls).toEqual({ batch: 1, single: 1 });
    calls.batch = 0;
    calls.single = 0;
    const matcher = new Matcher(counting);
    expect(detectVulnerabilities(inventory(pkgs), counting, { matcher }).results[1]?.vulnerabilities).toEqual(
      alone,
    );
    expect(calls).toEqual({ batch: 1, single: 0 });
  });

  it('skips packages without a version and keeps the inventory results in order', () => {
    const r = detectVulnerabilities(inventory([{ name: 'some-package', version: '' }]), store);
    expect(r.results.map((x) => x.target)).toEqual(['img (debian 12.5)', 'requirements.txt']);
    expect(r.diagnostics.map((d) => d.code)).toContain('DETECT_NO_VERSION');
  });
});

describe('one record seen twice for a package', () => {
  let built: { store: AdvisoryStore; close(): void } | undefined;
  let store: AdvisoryStore;
  const ranges = (fixed: string) => [
    { type: 'ECOSYSTEM' as const, events: [{ introduced: '0' }, { fixed }] },
  ];
  const records: OsvRecord[] = [
    // The same record under both spellings of an Ubuntu LTS release, with the same fix.
    {
      id: 'UBUNTU-CVE-2024-1000',
      modified: '2024-01-01T00:00:00Z',
      aliases: ['CVE-2024-1000'],
      affected: [
        { package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'openssl' }, ranges: ranges('3.0.2-0ubuntu1.10') },
        { package: { ecosystem: 'Ubuntu:22.04', name: 'openssl' }, ranges: ranges('3.0.2-0ubuntu1.10') },
      ],
    },
    // One record listing the package twice in one ecosystem, with different fixes.
    {
      id: 'UBUNTU-CVE-2024-1001',
      modified: '2024-01-01T00:00:00Z',
      aliases: ['CVE-2024-1001'],
      affected: [
        { package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'openssl' }, ranges: ranges('3.0.2-0ubuntu1.12') },
        { package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'openssl' }, ranges: ranges('3.0.2-0ubuntu1.11') },
      ],
    },
  ];

  beforeAll(async () => {
    built = await storeOf(new Map([['Ubuntu', records]]));
    store = built.store;
  });
  afterAll(() => built?.close());

  it('gives one finding for a record under two spellings of the release, and both fixes of one listed twice', () => {
    const stats = newDetectStats();
    const r = detectVulnerabilities(
      {
        schemaVersion: 1,
        createdAt: '2026-01-01T00:00:00Z',
        artifact: { name: 'img', type: 'container_image' },
        os: { family: 'ubuntu', name: '22.04' },
        results: [
          {
            target: 'img (ubuntu 22.04)',
            class: 'os-pkgs',
            type: 'ubuntu',
            packages: [
              {
                name: 'libssl3',
                version: '3.0.2',
                release: '0ubuntu1.9',
                srcName: 'openssl',
                srcVersion: '3.0.2',
                srcRelease: '0ubuntu1.9',
              },
            ],
          },
        ],
        diagnostics: [],
      },
      store,
      { stats, fixedVersions: 'matching' },
    );
    const vulns = r.results[0]?.vulnerabilities ?? [];
    expect(vulns.map((v) => [v.vulnerabilityId, v.fixedVersion])).toEqual([
      ['CVE-2024-1000', '3.0.2-0ubuntu1.10'],
      ['CVE-2024-1001', '3.0.2-0ubuntu1.12, 3.0.2-0ubuntu1.11'],
    ]);
    // Both spellings were looked up: four entries evaluated.
    expect(stats.evaluated).toBe(4);
  });
});
