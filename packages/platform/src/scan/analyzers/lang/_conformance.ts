/**
 * Test support for the language analyzers' conformance suites: reads the
 * upstream expectations in ../shared/data in place (Trivy's parser tests and
 * osv-scanner's lockfile tests) and compares them with what an analyzer found.
 * Not an analyzer (the leading `_` keeps it out of the analyzer list).
 */
import { readFileSync } from 'node:fs';
import type { Package } from '@palisade/api';
import { sharedData } from '../../../testing/shared-data.js';

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
 * name and version) with the same value for each field the expectation
 * states, and nothing else may be found.
 */
export function compareWithTrivy(got: readonly Package[], want: readonly TrivyExpectedPackage[]): string[] {
  const problems: string[] = [];
  const left = [...got];
  for (const w of want) {
    const i = left.findIndex((g) =>
      w.ID !== undefined ? g.id === w.ID : g.name === w.Name && g.version === (w.Version ?? ''),
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
