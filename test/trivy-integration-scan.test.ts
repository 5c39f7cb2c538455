/**
 * Trivy's integration cases, scanned by Palisade: for every case of
 * ../shared/data/scan/trivy-integration/golden-index.json whose input is here
 * (repository fixtures, SBOMs), the inventory and the detector run against
 * Trivy's own fixture DB (converted to OSV by testing/trivy-db-fixture.ts) and
 * the findings are compared with Trivy's golden JSON on (target, vulnerability
 * ID, package name, installed version, fixed version, severity).
 *
 * The pass rate is printed per case and overall with every mismatch; known
 * divergences are the data table DIVERGENCES (a listed case must still
 * differ, so the list cannot go stale). Image cases, whose .tar.gz inputs were
 * not copied into the data set, are counted as "input unavailable" and listed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InventoryReport } from '@palisade/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nullLogger } from '../packages/platform/src/core/logger.js';
import { readSbom } from '../packages/platform/src/scan/artifact/sbom.js';
import { buildDatabase } from '../packages/platform/src/scan/db/import.js';
import { AdvisoryStore } from '../packages/platform/src/scan/db/store.js';
import { detectVulnerabilities } from '../packages/platform/src/scan/detect/index.js';
import {
  buildReport,
  inventoryDirectory,
  withoutDevDependencies,
} from '../packages/platform/src/scan/inventory.js';
import { sharedData } from '../packages/platform/src/testing/shared-data.js';
import { readTrivyFixtureDb, writeOsvSources } from '../packages/platform/src/testing/trivy-db-fixture.js';

const ROOT = sharedData('scan/trivy-integration/integration');

interface IndexEntry {
  test_file: string;
  case: string;
  input: string | null;
  golden: string;
  args: Record<string, string>;
}

/**
 * Cases that differ from Trivy's golden output, with the reason. Keyed by
 * `<test file>: <case>`.
 */
const DIVERGENCES: Readonly<Record<string, string>> = {
  'sbom_test.go: centos7 cyclonedx':
    "CentOS 7: Trivy matches it with Red Hat's CPE/content-set data; OSV has no ecosystem a CentOS release maps onto, so OS packages are not checked",
  'sbom_test.go: centos7 spdx tag-value':
    'CentOS 7 (as above); and the SPDX tag-value format is not read by the SBOM reader',
  'sbom_test.go: centos7 spdx json':
    "CentOS 7: Trivy matches it with Red Hat's CPE/content-set data; OSV has no ecosystem for it",
  'sbom_test.go: centos7 in in-toto attestation':
    "CentOS 7 (as above); the in-toto attestation's SBOM is not unwrapped by the SBOM reader",
  'sbom_test.go: minikube KBOM':
    'Kubernetes components: Trivy has its own k8s advisory feed; OSV has no Kubernetes ecosystem (k8s advisories are Go modules there)',
  'repo_test.go: gomod with local VEX file':
    'VEX suppression is not part of the detector (the suppression stage applies it); the detector reports the suppressed finding',
  'repo_test.go: gomod with VEX repository':
    'VEX repositories are not read; the detector reports the suppressed finding',
  'client_server_test.go: scan package-lock.json with severity from `ubuntu` in client/server mode':
    "--vuln-severity-source ubuntu picks Ubuntu's rating from Trivy's merged vendor table; an OSV record carries its own database's rating only",
  'repo_test.go: npm with severity from ubuntu':
    "--vuln-severity-source ubuntu picks Ubuntu's rating from Trivy's merged vendor table; an OSV record carries its own database's rating only",
  'config_test.go: skip files':
    'the skip-files setting comes from a trivy.yaml config file the golden index does not carry; the skipped submodule is scanned',
  'repo_test.go: bun':
    'no bun.lock analyzer in the inventory yet (the package is not found, so nothing is matched)',
  'repo_test.go: pylock': 'no pylock.toml analyzer in the inventory yet',
  'repo_test.go: sbt': 'no build.sbt.lock analyzer in the inventory yet',
  'repo_test.go: conan': 'no conan.lock analyzer in the inventory yet',
  'repo_test.go: swift': 'no Package.resolved analyzer in the inventory yet',
  'repo_test.go: cocoapods':
    'no Podfile.lock analyzer, and OSV has no CocoaPods ecosystem (Trivy maps the pod to its GitHub Swift advisory)',
  'repo_test.go: pubspec.lock': 'no pubspec.lock analyzer in the inventory yet',
  'repo_test.go: mix.lock': 'no mix.lock analyzer in the inventory yet',
};

/** Cases that are not vulnerability scans of a readable input, with why. */
function notApplicable(e: IndexEntry): string | undefined {
  const a = e.args;
  const scanner = a['scanner'] ?? a['scanners'] ?? '';
  if (e.test_file.includes('convert_test')) return 'converts an existing report (no scan)';
  if (/Misconfig|license|"config"/.test(scanner)) return `not a vulnerability scan (${scanner})`;
  if (
    (a['format'] ?? a['Format'] ?? '"json"').replace(/"/g, '') !== 'json' &&
    !/FormatJSON/.test(a['Format'] ?? '')
  )
    return `output format ${a['format'] ?? a['Format']} (format fidelity is another suite's)`;
  if (!e.golden.endsWith('.json.golden')) return 'not a JSON golden';
  return undefined;
}

function inputOf(e: IndexEntry): string | undefined {
  if (e.input) return e.input;
  const raw = e.args['Input'] ?? e.args['Target'];
  return raw?.replace(/^"|"$/g, '');
}

interface Finding {
  target: string;
  id: string;
  pkg: string;
  installed: string;
  fixed: string;
  severity: string;
}

const key = (f: Finding): string =>
  `${f.target} | ${f.id} | ${f.pkg} | ${f.installed} | ${f.fixed} | ${f.severity}`;

function goldenFindings(path: string): Finding[] {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as {
    Results?: {
      Target: string;
      Vulnerabilities?: {
        VulnerabilityID: string;
        PkgName: string;
        InstalledVersion: string;
        FixedVersion?: string;
        Severity: string;
      }[];
    }[];
  };
  return (doc.Results ?? []).flatMap((r) =>
    (r.Vulnerabilities ?? []).map((v) => ({
      target: r.Target,
      id: v.VulnerabilityID,
      pkg: v.PkgName,
      installed: v.InstalledVersion,
      fixed: v.FixedVersion ?? '',
      severity: v.Severity,
    })),
  );
}

function unquote(s: string | undefined): string | undefined {
  return s?.replace(/^"|"$/g, '');
}

function listArg(s: string | undefined): string[] {
  if (!s) return [];
  return [...s.matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
}

let dbDir: string;
let store: AdvisoryStore;
let skippedBuckets: string[] = [];

beforeAll(async () => {
  dbDir = mkdtempSync(join(tmpdir(), 'palisade-trivy-db-'));
  const db = readTrivyFixtureDb(join(ROOT, 'testdata/fixtures/db'));
  skippedBuckets = db.skippedBuckets;
  const inputs = writeOsvSources(join(dbDir, 'src'), db.sources).map((s) => ({
    name: s.name,
    kind: 'dir' as const,
    path: s.path,
  }));
  await buildDatabase({ dbPath: join(dbDir, 'db.sqlite'), inputs, fresh: true });
  store = AdvisoryStore.open(join(dbDir, 'db.sqlite'));
});

afterAll(() => {
  store?.close();
  if (dbDir) rmSync(dbDir, { recursive: true, force: true });
});

async function inventoryFor(e: IndexEntry, input: string): Promise<InventoryReport> {
  const host = join(ROOT, input);
  let inv: InventoryReport;
  if (input.includes('fixtures/sbom/')) {
    const sbom = await readSbom(host);
    inv = buildReport({ ...sbom.artifact, name: input }, sbom.os, sbom.packageSets, sbom.diagnostics.items);
  } else {
    const skipDirs = listArg(e.args['skipDirs']).map((d) => d.slice(input.replace(/\/$/, '').length + 1));
    const kind = unquote(e.args['command']) === 'rootfs' ? 'rootfs' : 'fs';
    inv = await inventoryDirectory(host, kind, input, {
      logger: nullLogger,
      ...(skipDirs.length > 0 ? { skipDirs } : {}),
    });
  }
  const skipFiles = listArg(e.args['skipFiles']).map((f) => f.slice(input.replace(/\/$/, '').length + 1));
  if (skipFiles.length > 0)
    inv = { ...inv, results: inv.results.filter((r) => !skipFiles.includes(r.target)) };
  const devDeps = unquote(e.args['includeDevDeps']) === 'true';
  return devDeps ? inv : withoutDevDependencies(inv);
}

const index = JSON.parse(readFileSync(join(ROOT, '..', 'golden-index.json'), 'utf8')) as IndexEntry[];

describe('Trivy integration cases: findings against the golden files', () => {
  it('agrees with every case whose input is here, except the listed divergences', async () => {
    const unavailable: string[] = [];
    const skipped: string[] = [];
    const lines: string[] = [];
    const mismatches: string[] = [];
    const unexpectedAgreement: string[] = [];
    let passed = 0;
    let compared = 0;
    let findingsTotal = 0;
    let findingsAgree = 0;
    const seen = new Set<string>();
    for (const e of index) {
      const name = `${e.test_file.replace(/^integration\//, '')}: ${e.case}`;
      const why = notApplicable(e);
      if (why) {
        skipped.push(`${name} (${why})`);
        continue;
      }
      const input = inputOf(e);
      if (!input || !existsSync(join(ROOT, input)) || input.endsWith('.tar.gz') || input.startsWith('http')) {
        unavailable.push(`${name} (${input ?? 'no input'})`);
        continue;
      }
      const dedupe = JSON.stringify([input, e.golden, e.args]);
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      let inv: InventoryReport | undefined;
      let error = '';
      try {
        inv = await inventoryFor(e, input);
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      const report = inv ? detectVulnerabilities(inv, store) : { results: [] };
      let got: Finding[] = report.results.flatMap((r) =>
        (r.vulnerabilities ?? []).map((v) => ({
          target: r.target,
          id: v.vulnerabilityId,
          pkg: v.pkgName,
          installed: v.installedVersion,
          fixed: v.fixedVersion ?? '',
          severity: v.severity,
        })),
      );
      // Filters Trivy applied for this case (--ignore-unfixed, --severity).
      if (unquote(e.args['IgnoreUnfixed']) === 'true') got = got.filter((f) => f.fixed !== '');
      const sev = listArg(e.args['Severity']);
      if (sev.length > 0) got = got.filter((f) => sev.includes(f.severity));
      const want = goldenFindings(join(ROOT, e.golden));
      const wantKeys = want.map(key).sort();
      const gotKeys = got.map(key).sort();
      const missing = wantKeys.filter((k) => !gotKeys.includes(k));
      const extra = gotKeys.filter((k) => !wantKeys.includes(k));
      const agree = missing.length === 0 && extra.length === 0 && error === '';
      const divergence = DIVERGENCES[name];
      findingsTotal += wantKeys.length;
      findingsAgree += wantKeys.length - missing.length;
      if (divergence) {
        lines.push(`  DIVERGES ${name}: ${divergence}`);
        if (agree) unexpectedAgreement.push(name);
        continue;
      }
      compared++;
      if (agree) passed++;
      lines.push(
        `  ${agree ? 'ok  ' : 'FAIL'} ${name}: ${wantKeys.length - missing.length}/${wantKeys.length} findings`,
      );
      if (error) mismatches.push(`${name}: input not read: ${error}`);
      for (const m of missing) mismatches.push(`${name}: missing  ${m}`);
      for (const x of extra) mismatches.push(`${name}: extra    ${x}`);
    }
    const pct = compared === 0 ? 0 : (100 * passed) / compared;
    console.log(
      [
        `Trivy integration (vulnerabilities): ${passed}/${compared} cases agree (${pct.toFixed(1)}%), ` +
          `${Object.keys(DIVERGENCES).length} listed divergences, ${findingsAgree}/${findingsTotal} golden findings found over all cases run (divergences included)`,
        ...lines,
        `mismatches (${mismatches.length}):`,
        ...mismatches.map((m) => `  ${m}`),
        `input unavailable (${unavailable.length}):`,
        ...unavailable.map((u) => `  ${u}`),
        `not applicable (${skipped.length}):`,
        ...skipped.map((s) => `  ${s}`),
        `fixture DB buckets not expressible as OSV: ${skippedBuckets.join(', ')}`,
      ].join('\n'),
    );
    expect(unexpectedAgreement, 'listed divergences that now agree: remove them from DIVERGENCES').toEqual(
      [],
    );
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(15);
  }, 120_000);
});
