/**
 * Test support for the language analyzers' conformance suites: reads the
 * upstream expectations in ../shared/data in place (Trivy's parser tests and
 * osv-scanner's lockfile tests) and compares them with what an analyzer found.
 * Not an analyzer (the leading `_` keeps it out of the analyzer list).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Package, PackageSet } from '@palisade/api';
import { sharedData } from './shared-data.js';
import type { AnalyzerFile } from '../scan/analyzers/types.js';

export interface TrivyExpectedPackage {
  ID?: string;
  Name?: string;
  Version?: string;
  Relationship?: string;
  Dev?: boolean;
}

export interface TrivyCase {
  /** Fixture path relative to scan/trivy-fixtures. */
  fixture: string;
  name: string;
  packages: TrivyExpectedPackage[];
}

let trivyCache: Record<string, { case: string | null; packages: TrivyExpectedPackage[] }[]> | undefined;

/** Trivy parser test cases whose fixture path contains `dir` (e.g. `parser/nodejs/npm/`). */
export function trivyCases(dir: string): TrivyCase[] {
  trivyCache ??= JSON.parse(
    readFileSync(sharedData('scan', 'trivy-fixtures', 'expected-packages.json'), 'utf8'),
  ) as typeof trivyCache;
  const out: TrivyCase[] = [];
  for (const [fixture, cases] of Object.entries(trivyCache ?? {})) {
    if (!fixture.includes(dir)) continue;
    for (const c of cases) out.push({ fixture, name: c.case ?? fixture, packages: c.packages });
  }
  return out;
}

export function trivyFixture(fixture: string): string {
  return sharedData('scan', 'trivy-fixtures', fixture);
}

const RELATIONSHIPS: Record<string, string> = {
  RelationshipUnknown: 'unknown',
  RelationshipRoot: 'root',
  RelationshipWorkspace: 'workspace',
  RelationshipDirect: 'direct',
  RelationshipIndirect: 'indirect',
};

function describe(p: TrivyExpectedPackage): string {
  return p.ID ?? `${p.Name ?? '?'}@${p.Version ?? ''}`;
}

/**
 * Differences between what Trivy's test expects and what we found: every
 * expected package must be found (by ID when the expectation has one, else by
 * name and, when stated, version) with the same value for each field the expectation
 * states, and nothing else may be found.
 */
export function compareWithTrivy(got: readonly Package[], want: readonly TrivyExpectedPackage[]): string[] {
  const problems: string[] = [];
  const left = [...got];
  for (const w of want) {
    const i = left.findIndex((g) =>
      w.ID !== undefined
        ? g.id === w.ID
        : g.name === w.Name && (w.Version === undefined || g.version === w.Version),
    );
    if (i < 0) {
      problems.push(`missing ${describe(w)}`);
      continue;
    }
    const g = left.splice(i, 1)[0] as Package;
    if (w.Name !== undefined && g.name !== w.Name)
      problems.push(`${describe(w)}: name ${g.name} ≠ ${w.Name}`);
    if (w.Version !== undefined && g.version !== w.Version)
      problems.push(`${describe(w)}: version ${g.version} ≠ ${w.Version}`);
    if (w.Relationship !== undefined) {
      const want = RELATIONSHIPS[w.Relationship] ?? w.Relationship;
      const have = g.relationship ?? 'unknown';
      if (have !== want) problems.push(`${describe(w)}: relationship ${have} ≠ ${want}`);
    }
    if (w.Dev !== undefined && (g.dev ?? false) !== w.Dev)
      problems.push(`${describe(w)}: dev ${g.dev} ≠ ${w.Dev}`);
  }
  for (const g of left) problems.push(`unexpected ${g.id ?? `${g.name}@${g.version}`}`);
  return problems;
}

export interface OsvExpectedPackage {
  name: string;
  version: string;
  depGroups?: string[];
  commit?: string;
}

export interface OsvCase {
  fixture: string;
  test: string;
  packages: OsvExpectedPackage[];
}

let osvCache: Record<string, { parser: string; test: string; packages: OsvExpectedPackage[] }[]> | undefined;

/** osv-scanner lockfile test cases for one of its parsers (e.g. `ParseNpmLock`). */
export function osvCases(parser: string): OsvCase[] {
  osvCache ??= JSON.parse(
    readFileSync(sharedData('scan', 'osv-scanner-lockfile', 'expected.json'), 'utf8'),
  ) as typeof osvCache;
  const out: OsvCase[] = [];
  for (const [fixture, cases] of Object.entries(osvCache ?? {})) {
    for (const c of cases) if (c.parser === parser) out.push({ fixture, test: c.test, packages: c.packages });
  }
  return out;
}

export function osvFixture(fixture: string): string {
  return sharedData('scan', 'osv-scanner-lockfile', fixture);
}

/** Differences between the name@version multisets (osv-scanner's semantics differ elsewhere). */
export function compareNameVersions(
  got: readonly { name: string; version: string }[],
  want: readonly { name: string; version: string }[],
): string[] {
  const key = (p: { name: string; version: string }): string => `${p.name}@${p.version}`;
  const counts = new Map<string, number>();
  for (const w of want) counts.set(key(w), (counts.get(key(w)) ?? 0) + 1);
  for (const g of got) counts.set(key(g), (counts.get(key(g)) ?? 0) - 1);
  const problems: string[] = [];
  for (const [k, n] of [...counts].sort()) {
    if (n > 0) problems.push(`missing ${k}${n > 1 ? ` ×${n}` : ''}`);
    if (n < 0) problems.push(`unexpected ${k}${n < -1 ? ` ×${-n}` : ''}`);
  }
  return problems;
}

export interface SuiteReport {
  total: number;
  passed: number;
  failures: { name: string; problems: string[] }[];
  divergent: { name: string; reason: string; problems: string[] }[];
}

/**
 * Runs a table of cases, prints the pass rate and every failing case, and
 * returns the report. `divergences` names cases known to differ, with a
 * reason; they are run and reported but not counted as failures. A listed
 * divergence that turns out to agree is reported as a failure, so the list
 * cannot go stale.
 */
export function runSuite(
  title: string,
  cases: readonly { name: string; run: () => string[] }[],
  divergences: Readonly<Record<string, string>> = {},
): SuiteReport {
  const report: SuiteReport = { total: 0, passed: 0, failures: [], divergent: [] };
  for (const c of cases) {
    let problems: string[];
    try {
      problems = c.run();
    } catch (err) {
      problems = [`threw: ${(err as Error).message}`];
    }
    const reason = divergences[c.name];
    if (reason !== undefined) {
      if (problems.length === 0)
        report.failures.push({
          name: c.name,
          problems: ['listed as a divergence but agrees: remove it from the list'],
        });
      else report.divergent.push({ name: c.name, reason, problems });
      continue;
    }
    report.total++;
    if (problems.length === 0) report.passed++;
    else report.failures.push({ name: c.name, problems });
  }
  for (const name of Object.keys(divergences)) {
    if (!cases.some((c) => c.name === name))
      report.failures.push({ name, problems: ['listed as a divergence but no such case'] });
  }
  const pct = report.total === 0 ? 100 : (100 * report.passed) / report.total;
  const lines = [
    `${title}: ${report.passed}/${report.total} agree (${pct.toFixed(1)}%), ${report.divergent.length} known divergences`,
  ];
  for (const f of report.failures) lines.push(`  FAIL ${f.name}: ${f.problems.join('; ')}`);
  for (const d of report.divergent)
    lines.push(`  known divergence ${d.name} (${d.reason}): ${d.problems.join('; ')}`);
  console.log(lines.join('\n'));
  return report;
}

const INTEGRATION = ['scan', 'trivy-integration', 'integration', 'testdata'];

/** Every file of a Trivy integration repo fixture (`fixtures/repo/<name>`), with paths relative to it. */
export function integrationRepoFiles(name: string): AnalyzerFile[] {
  const root = sharedData(...INTEGRATION, 'fixtures', 'repo', name);
  const out: AnalyzerFile[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const host = join(dir, e.name);
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(host, path);
      else if (e.isFile()) {
        const content = readFileSync(host);
        out.push({ path, content, size: content.length, mode: statSync(host).mode & 0o7777 });
      }
    }
  };
  walk(root, '');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface GoldenPackage {
  ID?: string;
  Name: string;
  Version?: string;
  Relationship?: string;
  Dev?: boolean;
  DependsOn?: string[];
  Licenses?: string[];
  Locations?: { StartLine: number; EndLine: number }[];
}

export interface GoldenResult {
  Target: string;
  Type?: string;
  Class: string;
  Packages?: GoldenPackage[];
}

/** The lang-pkgs results of a Trivy integration golden file (`testdata/<name>.json.golden`). */
export function integrationGolden(name: string): GoldenResult[] {
  const doc = JSON.parse(readFileSync(sharedData(...INTEGRATION, `${name}.json.golden`), 'utf8')) as {
    Results?: GoldenResult[];
  };
  return (doc.Results ?? []).filter((r) => r.Class === 'lang-pkgs');
}

/**
 * Differences between Trivy's report and our package sets, package by
 * package and field by field (id, name, version, relationship, dev,
 * dependsOn, licenses, locations), in Trivy's order. Dev packages are left
 * out unless `includeDev`, as Trivy's report does by default (the report
 * stage's job, emulated here).
 */
export function compareWithGolden(
  sets: readonly PackageSet[],
  golden: readonly GoldenResult[],
  opts: { includeDev?: boolean } = {},
): string[] {
  const problems: string[] = [];
  if (sets.length !== golden.length) problems.push(`${sets.length} package sets ≠ ${golden.length} results`);
  for (const want of golden) {
    const got = sets.find((s) => s.filePath === want.Target);
    if (!got) {
      problems.push(`no package set for ${want.Target}`);
      continue;
    }
    if (want.Type !== undefined && got.type !== want.Type)
      problems.push(`${want.Target}: type ${got.type} ≠ ${want.Type}`);
    // Trivy's scanner stage (excludeDevDeps): drop dev packages, and drop them from the
    // dependsOn of root and workspace packages.
    const devIds = new Set(got.packages.filter((p) => p.dev).map((p) => p.id));
    const pkgs = got.packages
      .filter((p) => opts.includeDev || !p.dev)
      .map((p) =>
        opts.includeDev || (p.relationship !== 'root' && p.relationship !== 'workspace') || !p.dependsOn
          ? p
          : { ...p, dependsOn: p.dependsOn.filter((d) => !devIds.has(d)) },
      );
    const wantPkgs = want.Packages ?? [];
    const view = (p: Package) =>
      JSON.stringify({
        id: p.id ?? null,
        name: p.name,
        version: p.version,
        relationship: p.relationship === 'unknown' ? null : (p.relationship ?? null),
        dev: p.dev ?? false,
        dependsOn: p.dependsOn ?? [],
        licenses: p.licenses ?? [],
        locations: p.locations ?? [],
      });
    const viewWant = (w: GoldenPackage) =>
      JSON.stringify({
        id: w.ID ?? null,
        name: w.Name,
        version: w.Version ?? '',
        relationship: w.Relationship ?? null,
        dev: w.Dev ?? false,
        dependsOn: w.DependsOn ?? [],
        licenses: w.Licenses ?? [],
        locations: (w.Locations ?? []).map((l) => ({ startLine: l.StartLine, endLine: l.EndLine })),
      });
    const a = pkgs.map(view);
    const b = wantPkgs.map(viewWant);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] !== b[i])
        problems.push(`${want.Target} #${i}: got ${a[i] ?? 'nothing'}, Trivy ${b[i] ?? 'nothing'}`);
    }
  }
  return problems;
}
