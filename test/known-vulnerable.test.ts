/**
 * Lockfiles pinned to versions with known advisories, scanned against the real
 * OSV data in ../shared/data/vulndb/osv (Go, PyPI, crates.io, AlmaLinux): the
 * detector finds those advisories, and the fixed versions are not reported.
 * Expected IDs were chosen by reading the zips (`unzip -p …/all.zip <entry>`);
 * the comments name the record and the range that makes each one apply.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InventoryReport, ScanReport } from '@palisade/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nullLogger } from '../packages/platform/src/core/logger.js';
import { buildDatabase, sourceFromPath } from '../packages/platform/src/scan/db/import.js';
import { AdvisoryStore } from '../packages/platform/src/scan/db/store.js';
import { detectVulnerabilities } from '../packages/platform/src/scan/detect/index.js';
import { inventoryDirectory } from '../packages/platform/src/scan/inventory.js';
import { sharedData } from '../packages/platform/src/testing/shared-data.js';

let dir: string;
let store: AdvisoryStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-known-vuln-'));
  const zips = ['Go', 'PyPI', 'crates.io', 'AlmaLinux'].map((e) =>
    sourceFromPath(sharedData('vulndb/osv', e, 'all.zip')),
  );
  await buildDatabase({ dbPath: join(dir, 'osv.sqlite'), inputs: zips, fresh: true });
  store = AdvisoryStore.open(join(dir, 'osv.sqlite'));
}, 120_000);

afterAll(() => {
  store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function scanTree(name: string, files: Record<string, string>): Promise<ScanReport> {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(root, f), text);
  const inv = await inventoryDirectory(root, 'fs', name, { logger: nullLogger });
  return detectVulnerabilities(inv, store);
}

/** `id pkg@version` of every finding, for readable failures. */
function found(report: ScanReport): string[] {
  return report.results.flatMap((r) =>
    (r.vulnerabilities ?? []).map((v) => `${v.vulnerabilityId} ${v.pkgName}@${v.installedVersion}`),
  );
}

function finding(report: ScanReport, id: string, pkg: string) {
  return report.results
    .flatMap((r) => r.vulnerabilities ?? [])
    .find((v) => v.vulnerabilityId === id && v.pkgName === pkg);
}

describe('known-vulnerable lockfiles against the real OSV data', () => {
  it('go.mod: golang.org/x/text v0.3.6 has GO-2021-0113, GO-2022-1059 and GO-2026-5970; v0.39.0 has none', async () => {
    const report = await scanTree('gomod', {
      'go.mod': ['module example.com/app', '', 'go 1.20', '', 'require golang.org/x/text v0.3.6', ''].join(
        '\n',
      ),
    });
    // GO-2021-0113 (introduced 0, fixed 0.3.7) aliases CVE-2021-38561; GO-2022-1059 (fixed 0.3.8) CVE-2022-32149;
    // GO-2026-5970 (fixed 0.39.0) CVE-2026-56852. GO-2020-0015 (fixed 0.3.3) does not apply.
    expect(found(report).sort()).toEqual([
      'CVE-2021-38561 golang.org/x/text@v0.3.6',
      'CVE-2022-32149 golang.org/x/text@v0.3.6',
      'CVE-2026-56852 golang.org/x/text@v0.3.6',
    ]);
    const v = finding(report, 'CVE-2021-38561', 'golang.org/x/text');
    expect(v?.aliases).toEqual(['GHSA-ppp9-7jff-5vj2', 'GO-2021-0113']);
    expect(v?.fixedVersion).toBe('0.3.7');
    expect(v?.status).toBe('fixed');
    expect(v?.title).toBe('Out-of-bounds read in golang.org/x/text/language');
    expect(v?.description).toMatch(/^Due to improper index calculation/);
    expect(v?.references).toContain('https://go.dev/cl/340830');
    // The Go database gives no severity (no vectors, no rating).
    expect(v?.severity).toBe('UNKNOWN');

    const fixed = await scanTree('gomod-fixed', {
      'go.mod': 'module example.com/app\n\ngo 1.20\n\nrequire golang.org/x/text v0.39.0\n',
    });
    expect(found(fixed)).toEqual([]);
  });

  it('Go standard library: stdlib from a binary at go1.4.2 has GO-2021-0159 (fixed 1.4.3)', () => {
    const inv: InventoryReport = {
      schemaVersion: 1,
      createdAt: '2026-01-01T00:00:00Z',
      artifact: { name: 'app', type: 'filesystem' },
      results: [
        {
          target: 'usr/local/bin/app',
          class: 'lang-pkgs',
          type: 'gobinary',
          packages: [{ name: 'stdlib', version: 'v1.4.2' }],
        },
      ],
      diagnostics: [],
    };
    const report = detectVulnerabilities(inv, store);
    const v = finding(report, 'CVE-2015-5739', 'stdlib');
    expect(v, found(report).join('\n')).toBeDefined();
    expect(v?.aliases).toContain('GO-2021-0159');
    expect(v?.installedVersion).toBe('v1.4.2');
  });

  it('requirements.txt: requests 2.19.1 has PYSEC-2018-28 and the later ones; 2.33.0 has none', async () => {
    const report = await scanTree('pip', { 'requirements.txt': 'requests==2.19.1\n' });
    // requests/PYSEC-2018-28 (ECOSYSTEM introduced 0, fixed 2.20.0; and a GIT range) = CVE-2018-18074;
    // PYSEC-2023-74 (2.3.0–2.31.0) = CVE-2023-32681; PYSEC-2026-1872 (fixed 2.32.4) = CVE-2024-47081;
    // PYSEC-2026-1873 (fixed 2.32.0) = CVE-2024-35195; PYSEC-2026-2275 (fixed 2.33.0) = CVE-2026-25645.
    // Not: PYSEC-2014-13/14 (fixed 2.3.0), PYSEC-2015-17 (2.1.0–2.6.0).
    expect(found(report).sort()).toEqual([
      'CVE-2018-18074 requests@2.19.1',
      'CVE-2023-32681 requests@2.19.1',
      'CVE-2024-35195 requests@2.19.1',
      'CVE-2024-47081 requests@2.19.1',
      'CVE-2026-25645 requests@2.19.1',
    ]);
    // PYSEC-2026-1872 has CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N: base 5.3 → MEDIUM.
    const v = finding(report, 'CVE-2024-47081', 'requests');
    expect(v?.severity).toBe('MEDIUM');
    expect(v?.cvss?.['pypa']?.v3Score).toBe(5.3);
    expect(v?.fixedVersion).toBe('2.32.4');

    const fixed = await scanTree('pip-fixed', { 'requirements.txt': 'Requests==2.33.0\n' });
    expect(found(fixed)).toEqual([]);
  });

  it('Cargo.lock: smallvec 0.6.9 has four RustSec advisories; 1.6.1 has none', async () => {
    const lock = (v: string): string =>
      [
        'version = 3',
        '',
        '[[package]]',
        'name = "smallvec"',
        `version = "${v}"`,
        'source = "registry+https://github.com/rust-lang/crates.io-index"',
        '',
      ].join('\n');
    const report = await scanTree('cargo', { 'Cargo.lock': lock('0.6.9') });
    // RUSTSEC-2018-0018 (fixed 0.6.13) = CVE-2018-25023; RUSTSEC-2019-0009 (0.6.5–0.6.10) = CVE-2019-15551;
    // RUSTSEC-2019-0012 (0.6.3–0.6.10) = CVE-2019-15554; RUSTSEC-2021-0003 (0.6.3–0.6.14, 1.0.0–1.6.1) = CVE-2021-25900.
    // Not RUSTSEC-2018-0003 (its 0.6 branch ends at 0.6.3).
    expect(found(report).sort()).toEqual([
      'CVE-2018-25023 smallvec@0.6.9',
      'CVE-2019-15551 smallvec@0.6.9',
      'CVE-2019-15554 smallvec@0.6.9',
      'CVE-2021-25900 smallvec@0.6.9',
    ]);
    const v = finding(report, 'CVE-2021-25900', 'smallvec');
    // Every patched version of the advisory, as Trivy shows them.
    expect(v?.fixedVersion).toBe('0.6.14, 1.6.1');
    // CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H: 9.8 → CRITICAL.
    expect(v?.severity).toBe('CRITICAL');
    expect(v?.severitySource).toBe('rustsec');

    const fixed = await scanTree('cargo-fixed', { 'Cargo.lock': lock('1.6.1') });
    expect(found(fixed)).toEqual([]);
  });

  it('AlmaLinux 8 rpm inventory: openssl-libs 1:1.1.1k-5.el8_5 and sudo 1.8.29-8.el8 have the ALSA errata that fix them', () => {
    const inv: InventoryReport = {
      schemaVersion: 1,
      createdAt: '2026-01-01T00:00:00Z',
      artifact: { name: 'alma8', type: 'container_image' },
      os: { family: 'alma', name: '8.5' },
      results: [
        {
          target: 'alma8 (alma 8.5)',
          class: 'os-pkgs',
          type: 'alma',
          packages: [
            {
              name: 'openssl-libs',
              version: '1.1.1k',
              release: '5.el8_5',
              epoch: 1,
              arch: 'x86_64',
              srcName: 'openssl',
              srcVersion: '1.1.1k',
              srcRelease: '5.el8_5',
              srcEpoch: 1,
            },
            {
              name: 'sudo',
              version: '1.8.29',
              release: '8.el8',
              srcName: 'sudo',
              srcVersion: '1.8.29',
              srcRelease: '8.el8',
            },
            // At the newest fix in the data (ALSA-2026:38503, fixed 1:1.1.1k-17.el8_6): nothing applies.
            { name: 'openssl', version: '1.1.1k', release: '17.el8_6', epoch: 1, srcName: 'openssl' },
          ],
        },
      ],
      diagnostics: [],
    };
    const report = detectVulnerabilities(inv, store);
    const ids = found(report);
    // ALSA-2022:1065 "Important: openssl security update", AlmaLinux:8 openssl-libs fixed 1:1.1.1k-6.el8_5.
    const v = finding(report, 'ALSA-2022:1065', 'openssl-libs');
    expect(v, ids.join('\n')).toBeDefined();
    expect(v?.installedVersion).toBe('1:1.1.1k-5.el8_5');
    expect(v?.fixedVersion).toBe('1:1.1.1k-6.el8_5');
    expect(v?.severity).toBe('HIGH');
    // ALSA-2023:0284 "Important: sudo security update", fixed 1.8.29-8.el8_7.1 (> 1.8.29-8.el8).
    expect(ids).toContain('ALSA-2023:0284 sudo@1.8.29-8.el8');
    // ALBA-2022:2080 is fixed at exactly 1.8.29-8.el8: the installed version is not affected.
    expect(ids).not.toContain('ALBA-2022:2080 sudo@1.8.29-8.el8');
    // ALSA-2026:38503 (fixed 1:1.1.1k-17.el8_6) applies to -5.el8_5, not to the package at -17.el8_6.
    expect(ids).toContain('ALSA-2026:38503 openssl-libs@1:1.1.1k-5.el8_5');
    expect(ids.filter((i) => i.includes(' openssl@'))).toEqual([]);
  });
});
