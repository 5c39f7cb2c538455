/**
 * Conformance against Trivy's integration goldens: each case takes the
 * findings of a golden produced *without* a filter (the pre-filter report),
 * converts them to a ScanReport, applies the same options Trivy's test passed
 * and compares the kept findings with the golden Trivy produced *with* them.
 * This proves that the filters select the same findings from the same input;
 * it does not run a scan (the detector has its own conformance suite).
 * The options per case come from Trivy's integration tests (golden-index.json
 * and, for IgnoreIDs, which golden-index does not record, the test source).
 */
import { readFileSync } from 'node:fs';
import type {
  DetectedVulnerability,
  FixStatus,
  Package,
  ScanReport,
  ScanResult,
  Severity,
} from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/shared-data.js';
import type { SuppressOptions } from './filter.js';
import { suppressFindings } from './filter.js';
import { parseIgnoreFile } from './ignorefile.js';
import { readOpenVex } from './openvex.js';

const TD = ['scan', 'trivy-integration', 'integration', 'testdata'];

interface TrivyVuln {
  VulnerabilityID: string;
  PkgID?: string;
  PkgName: string;
  PkgPath?: string;
  PkgIdentifier?: { PURL?: string };
  InstalledVersion: string;
  FixedVersion?: string;
  Status?: string;
  Severity: string;
}
interface TrivyReport {
  ArtifactName: string;
  Results?: { Target: string; Class: string; Type?: string; Vulnerabilities?: TrivyVuln[] }[];
}

function golden(name: string): TrivyReport {
  return JSON.parse(readFileSync(sharedData(...TD, name), 'utf8')) as TrivyReport;
}

/** A ScanReport holding the golden's findings, field by field. */
function toReport(g: TrivyReport): ScanReport {
  return {
    schemaVersion: 1,
    createdAt: '2024-01-01T00:00:00Z',
    artifact: { name: g.ArtifactName, type: 'filesystem' },
    diagnostics: [],
    results: (g.Results ?? []).map((r): ScanResult => ({
      target: r.Target,
      class: r.Class === 'os-pkgs' ? 'os-pkgs' : 'lang-pkgs',
      ...(r.Type ? { type: r.Type } : {}),
      vulnerabilities: (r.Vulnerabilities ?? []).map((v): DetectedVulnerability => ({
        vulnerabilityId: v.VulnerabilityID,
        pkgName: v.PkgName,
        installedVersion: v.InstalledVersion,
        status: (v.Status ?? 'unknown') as FixStatus,
        severity: v.Severity as Severity,
        ...(v.PkgID ? { pkgId: v.PkgID } : {}),
        ...(v.PkgPath ? { pkgPath: v.PkgPath } : {}),
        ...(v.PkgIdentifier?.PURL ? { purl: v.PkgIdentifier.PURL } : {}),
        ...(v.FixedVersion ? { fixedVersion: v.FixedVersion } : {}),
      })),
    })),
  };
}

function keysOfGolden(g: TrivyReport): string[] {
  return (g.Results ?? [])
    .flatMap((r) =>
      (r.Vulnerabilities ?? []).map(
        (v) => `${r.Target} ${v.VulnerabilityID} ${v.PkgName}@${v.InstalledVersion}`,
      ),
    )
    .sort();
}

function keysOfReport(r: ScanReport): string[] {
  return r.results
    .flatMap((x) =>
      (x.vulnerabilities ?? []).map(
        (v) => `${x.target} ${v.vulnerabilityId} ${v.pkgName}@${v.installedVersion}`,
      ),
    )
    .sort();
}

/** go.mod of fixtures/repo/gomod: every require is a dependency of the root module (Trivy's go.mod parser for go >= 1.17). */
function gomodGraph(report: ScanReport): ScanReport {
  const gomod = readFileSync(sharedData(...TD, 'fixtures', 'repo', 'gomod', 'go.mod'), 'utf8');
  const reqs = [...gomod.matchAll(/^\s+(\S+) (v\S+)/gm)].map((m) => ({
    name: m[1] as string,
    version: m[2] as string,
  }));
  const deps: Package[] = reqs.map((r) => ({
    id: `${r.name}@${r.version}`,
    name: r.name,
    version: r.version,
    purl: `pkg:golang/${r.name}@${r.version.replace('+', '%2B')}`,
    relationship: 'direct',
  }));
  const root: Package = {
    id: 'github.com/testdata/testdata',
    name: 'github.com/testdata/testdata',
    version: '',
    purl: 'pkg:golang/github.com/testdata/testdata',
    relationship: 'root',
    dependsOn: deps.map((d) => d.id as string),
  };
  return {
    ...report,
    results: report.results.map((r) => (r.target === 'go.mod' ? { ...r, packages: [root, ...deps] } : r)),
  };
}

interface Case {
  name: string;
  input: string;
  expected: string;
  options: () => Promise<SuppressOptions> | SuppressOptions;
  prepare?: (r: ScanReport) => ScanReport;
}

const CASES: Case[] = [
  {
    name: 'alpine 3.9 with high and critical severity',
    input: 'alpine-39.json.golden',
    expected: 'alpine-39-high-critical.json.golden',
    options: () => ({ ignoreUnfixed: true, severities: ['HIGH', 'CRITICAL'] }),
  },
  {
    name: 'alpine 3.9 with .trivyignore',
    input: 'alpine-39.json.golden',
    expected: 'alpine-39-ignore-cveids.json.golden',
    options: () => ({
      ignore: [parseIgnoreFile('CVE-2019-1549\nCVE-2019-14697\n', '.trivyignore').ignore],
    }),
  },
  {
    name: 'centos 7 with --ignore-unfixed',
    input: 'centos-7.json.golden',
    expected: 'centos-7-ignore-unfixed.json.golden',
    options: () => ({ ignoreUnfixed: true }),
  },
  {
    name: 'centos 7 with medium severity',
    input: 'centos-7.json.golden',
    expected: 'centos-7-medium.json.golden',
    options: () => ({ ignoreUnfixed: true, severities: ['MEDIUM'] }),
  },
  {
    name: 'debian buster with --ignore-unfixed',
    input: 'debian-buster.json.golden',
    expected: 'debian-buster-ignore-unfixed.json.golden',
    options: () => ({ ignoreUnfixed: true }),
  },
  {
    name: 'ubuntu 18.04 with --ignore-unfixed',
    input: 'ubuntu-1804.json.golden',
    expected: 'ubuntu-1804-ignore-unfixed.json.golden',
    options: () => ({ ignoreUnfixed: true }),
  },
  {
    name: 'gomod with local VEX file',
    input: 'gomod.json.golden',
    expected: 'gomod-vex.json.golden',
    prepare: gomodGraph,
    options: async () => ({
      vex: [(await readOpenVex(sharedData(...TD, 'fixtures', 'vex', 'file', 'openvex.json'))).document],
    }),
  },
];

describe("filters reproduce Trivy's filtered goldens from the unfiltered ones", () => {
  const failures: string[] = [];
  let passed = 0;
  for (const c of CASES) {
    it(c.name, async () => {
      const input = toReport(golden(c.input));
      const before = keysOfReport(input);
      const { report } = suppressFindings(c.prepare ? c.prepare(input) : input, await c.options());
      const got = keysOfReport(report);
      const want = keysOfGolden(golden(c.expected));
      // The case must filter something, or it proves nothing.
      expect(want.length).toBeLessThan(before.length);
      if (JSON.stringify(got) === JSON.stringify(want)) passed++;
      else failures.push(`${c.name}: got ${got.join('; ')} want ${want.join('; ')}`);
      expect(got).toEqual(want);
    });
  }
  it('prints the pass rate', () => {
    console.log(`trivy filter goldens: ${passed}/${CASES.length} pass`);
    for (const f of failures) console.log(`  FAIL ${f}`);
    expect(passed).toBe(CASES.length);
  });
});
