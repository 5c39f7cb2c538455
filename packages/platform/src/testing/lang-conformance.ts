/**
 * Test support for the analyzers' conformance suites: reads the upstream
 * expectations in ../shared/data in place (Trivy's parser tests, osv-scanner's
 * lockfile tests, go-rpmdb's database tests), says which analyzer handles each
 * case and how it is checked (LANG_FORMATS here, OS_FORMATS in os-conformance.ts),
 * and runs and reports a table of cases. Used by the per-analyzer tests (each
 * its own slice) and by the aggregate suite test/inventory-fixtures.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Package, PackageSet } from '@palisade/api';
import type { Diagnostic } from '../core/diagnostics.js';
import { analyzerFile, sharedData, testContext } from './shared-data.js';
import { divergencesOf } from './fixture-divergences.js';
import type { Analyzer, AnalyzerFile } from '../scan/analyzers/types.js';
import { goModPackages, parseGoModFile, parseGoSum } from '../scan/analyzers/lib/go-mod.js';
import type { GoModOptions } from '../scan/analyzers/lib/go-mod.js';
import { parseRequirements } from '../scan/analyzers/lang/pip-requirements.js';

export interface TrivyExpectedPackage {
  ID?: string;
  Name?: string;
  Version?: string;
  Relationship?: string;
  Dev?: boolean;
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
 * Scores cases whose problems are known. `divergences` names cases known to
 * differ, with a reason; they are reported but not counted. A listed
 * divergence that turns out to agree, or names no case, is a failure, so the
 * list cannot go stale.
 */
export function scoreSuite(
  cases: readonly { name: string; problems: readonly string[] }[],
  divergences: Readonly<Record<string, string>> = {},
): SuiteReport {
  const report: SuiteReport = { total: 0, passed: 0, failures: [], divergent: [] };
  for (const c of cases) {
    const problems = [...c.problems];
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
  return report;
}

export function percent(passed: number, total: number): string {
  return `${(total === 0 ? 100 : (100 * passed) / total).toFixed(1)}%`;
}

/** The pass rate, every failing case and every known divergence with its reason, as lines. */
export function suiteLines(title: string, report: SuiteReport): string[] {
  const lines = [
    `${title}: ${report.passed}/${report.total} agree (${percent(report.passed, report.total)}), ${report.divergent.length} known divergences`,
  ];
  for (const f of report.failures) lines.push(`  FAIL ${f.name}: ${f.problems.join('; ')}`);
  for (const d of report.divergent)
    lines.push(`  known divergence ${d.name} (${d.reason}): ${d.problems.join('; ')}`);
  return lines;
}

function problemsOf(run: () => string[]): string[] {
  try {
    return run();
  } catch (err) {
    return [`threw: ${(err as Error).message}`];
  }
}

/** Runs a table of cases (see scoreSuite), prints the pass rate and every failing case, and returns the report. */
export function runSuite(
  title: string,
  cases: readonly { name: string; run: () => string[] }[],
  divergences: Readonly<Record<string, string>> = {},
): SuiteReport {
  const report = scoreSuite(
    cases.map((c) => ({ name: c.name, problems: problemsOf(c.run) })),
    divergences,
  );
  console.log(suiteLines(title, report).join('\n'));
  return report;
}

// --- The upstream expectations and the formats that claim them ---------------------------------

/** Where an expectation comes from: osv-scanner's lockfile tests, Trivy's parser and analyzer tests, go-rpmdb's tests. */
export type FixtureSource = 'osv-scanner' | 'trivy' | 'go-rpmdb';

/** Each source's folder under ../shared/data/scan. */
export const SOURCE_DIRS: Readonly<Record<FixtureSource, string>> = {
  'osv-scanner': 'osv-scanner-lockfile',
  trivy: 'trivy-fixtures',
  'go-rpmdb': 'go-rpmdb',
};

/** go-rpmdb's PackageInfo for one package, the fields the scanner reads. */
export interface RpmdbExpectedPackage {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch: string;
  sourceRpm: string;
  license: string;
  vendor: string;
  sigmd5: string;
}

interface CaseBase {
  /**
   * The fixture's path under ../shared/data/scan, with `#<test or case>` added only where one
   * fixture has several cases: the key of fixture-divergences.ts.
   */
  key: string;
  /** The fixture, relative to its source's folder. */
  fixture: string;
  /** The upstream test (and for Trivy its case name) that states the expectation. */
  test: string;
}

export type UpstreamCase =
  | (CaseBase & { source: 'osv-scanner'; parser: string; packages: OsvExpectedPackage[] })
  /** `case`: the name of the case in Trivy's table test (null where the test has one case per fixture). */
  | (CaseBase & { source: 'trivy'; case: string | null; packages: TrivyExpectedPackage[] })
  /** `complete`: the test lists every package of the database; otherwise it looks these up. */
  | (CaseBase & { source: 'go-rpmdb'; complete: boolean; packages: RpmdbExpectedPackage[] });

function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(sharedData('scan', ...parts), 'utf8')) as T;
}

function keyOf(source: FixtureSource, fixture: string, variant?: string): string {
  return `${SOURCE_DIRS[source]}/${fixture}${variant === undefined ? '' : `#${variant}`}`;
}

/** go-rpmdb's PackageInfo as its tests write it (rpmdb_test.go: libuuid, curl). */
export interface GoRpmdbPackage {
  Epoch?: number;
  Name: string;
  Version: string;
  Release: string;
  Arch: string;
  SourceRpm: string;
  License: string;
  Vendor: string;
  SigMD5: string;
  Provides: string[];
  Requires: string[];
}

function goRpmdbCases(): UpstreamCase[] {
  const lookup = (dir: string, db: string): UpstreamCase => {
    const doc = readJson<{ source: string; expected: GoRpmdbPackage }>(
      'go-rpmdb',
      dir,
      'expected-package.json',
    );
    const e = doc.expected;
    return {
      source: 'go-rpmdb',
      key: keyOf('go-rpmdb', `${dir}/${db}`),
      fixture: `${dir}/${db}`,
      test: `${doc.source} (looks up ${e.Name})`,
      complete: false,
      packages: [
        {
          name: e.Name,
          version: e.Version,
          release: e.Release,
          ...(e.Epoch !== undefined ? { epoch: e.Epoch } : {}),
          arch: e.Arch,
          sourceRpm: e.SourceRpm,
          license: e.License,
          vendor: e.Vendor,
          sigmd5: e.SigMD5,
        },
      ],
    };
  };
  const sle = readJson<(Omit<RpmdbExpectedPackage, 'epoch'> & { epoch: number | null })[]>(
    'go-rpmdb',
    'sle15-bci',
    'expected-packages.json',
  );
  return [
    lookup('libuuid', 'Packages'),
    {
      source: 'go-rpmdb',
      key: keyOf('go-rpmdb', 'sle15-bci/Packages.db'),
      fixture: 'sle15-bci/Packages.db',
      test: 'knqyf263/go-rpmdb pkg/rpmdb_testcase_test.go SLE15WithNDB (every package)',
      complete: true,
      packages: sle.map(({ epoch, ...p }) => ({
        name: p.name,
        version: p.version,
        release: p.release,
        ...(epoch !== null ? { epoch } : {}),
        arch: p.arch,
        sourceRpm: p.sourceRpm,
        license: p.license,
        vendor: p.vendor,
        sigmd5: p.sigmd5,
      })),
    },
    lookup('cbl-mariner-2.0', 'rpmdb.sqlite'),
  ];
}

let upstreamCache: UpstreamCase[] | undefined;

/**
 * Every expectation of osv-scanner-lockfile/expected.json, trivy-fixtures/expected-packages.json
 * and the go-rpmdb fixtures, in file order.
 */
export function upstreamCases(): readonly UpstreamCase[] {
  if (upstreamCache) return upstreamCache;
  const out: UpstreamCase[] = [];
  const osv = readJson<Record<string, { parser: string; test: string; packages: OsvExpectedPackage[] }[]>>(
    'osv-scanner-lockfile',
    'expected.json',
  );
  for (const [fixture, entries] of Object.entries(osv)) {
    for (const e of entries) {
      const variant = entries.length > 1 ? e.test.slice(e.test.lastIndexOf(':') + 1) : undefined;
      out.push({ source: 'osv-scanner', key: keyOf('osv-scanner', fixture, variant), fixture, ...e });
    }
  }
  const trivy = readJson<
    Record<string, { case: string | null; test: string; packages: TrivyExpectedPackage[] }[]>
  >('trivy-fixtures', 'expected-packages.json');
  for (const [fixture, entries] of Object.entries(trivy)) {
    for (const e of entries) {
      const variant = entries.length > 1 ? (e.case ?? '') : undefined;
      out.push({
        source: 'trivy',
        key: keyOf('trivy', fixture, variant),
        fixture,
        test: e.case === null ? e.test : `${e.test}: ${e.case}`,
        case: e.case,
        packages: e.packages,
      });
    }
  }
  out.push(...goRpmdbCases());
  upstreamCache = out;
  return out;
}

/**
 * How one analyzer is checked against the upstream cases it claims: osv-scanner cases by
 * parser name, Trivy cases by fixture folder, go-rpmdb cases by flag.
 */
export interface FormatSpec {
  analyzer: string;
  /** What users call the format, with the file it reads. */
  format: string;
  osvParsers?: readonly string[];
  /** Fixture folders under trivy-fixtures (prefixes). */
  trivyDirs?: readonly string[];
  goRpmdb?: boolean;
  /** The problems of one case (empty when it agrees). */
  check(analyzer: Analyzer, c: UpstreamCase): Promise<string[]>;
}

export function claims(spec: FormatSpec, c: UpstreamCase): boolean {
  switch (c.source) {
    case 'osv-scanner':
      return spec.osvParsers?.includes(c.parser) ?? false;
    case 'trivy':
      return spec.trivyDirs?.some((d) => c.fixture.startsWith(d)) ?? false;
    case 'go-rpmdb':
      return spec.goRpmdb ?? false;
  }
}

/** Runs every case, in order, and scores them against the analyzer's known divergences. */
export async function scoreCases(
  spec: FormatSpec,
  analyzer: Analyzer,
  cases: readonly UpstreamCase[],
  divergences: Readonly<Record<string, string>>,
): Promise<SuiteReport> {
  const results: { name: string; problems: string[] }[] = [];
  for (const c of cases) {
    let problems: string[];
    try {
      problems = await spec.check(analyzer, c);
    } catch (err) {
      problems = [`threw: ${(err as Error).message}`];
    }
    results.push({ name: c.key, problems });
  }
  return scoreSuite(results, divergences);
}

/**
 * The per-analyzer conformance suite: every case of one source (optionally only fixtures under
 * `under`) that the analyzer's format claims, checked, printed and scored against its known
 * divergences from fixture-divergences.ts.
 */
export async function fixtureSuite(
  formats: readonly FormatSpec[],
  analyzer: Analyzer,
  source: FixtureSource,
  under = '',
): Promise<SuiteReport> {
  const spec = formats.find((f) => f.analyzer === analyzer.name);
  if (!spec) throw new Error(`no conformance format for ${analyzer.name}`);
  const cases = upstreamCases().filter(
    (c) => c.source === source && c.fixture.startsWith(under) && claims(spec, c),
  );
  const divergences = divergencesOf(analyzer.name, keyOf(source, under));
  const report = await scoreCases(spec, analyzer, cases, divergences);
  console.log(suiteLines(`${source} ${analyzer.name}${under ? ` (${under})` : ''}`, report).join('\n'));
  return report;
}

// --- Running an analyzer on test input ----------------------------------------------------------

/** A file with the given content as an analyzer input. */
export function textFile(path: string, content: string | Buffer, mode = 0o644): AnalyzerFile {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  return { path, content: buf, size: buf.length, mode };
}

export interface AnalyzerRun {
  sets: PackageSet[];
  diagnostics: Diagnostic[];
}

/** Runs an analyzer over files as one group, with a fresh context. */
export async function analyze(analyzer: Analyzer, files: readonly AnalyzerFile[]): Promise<AnalyzerRun> {
  const ctx = testContext();
  const result = await analyzer.analyze(files, ctx);
  return { sets: result.packageSets ?? [], diagnostics: ctx.diagnostics.items };
}

/**
 * For analyzers that answer synchronously: their package sets (each must be of `type`) and the
 * codes of their diagnostics.
 */
export function analyzeNow(
  analyzer: Analyzer,
  files: readonly AnalyzerFile[],
  type: string,
): { sets: PackageSet[]; diagnostics: string[] } {
  const ctx = testContext();
  const result = analyzer.analyze(files, ctx);
  if (result instanceof Promise) throw new Error(`${analyzer.name} answers asynchronously: use analyze()`);
  const sets = result.packageSets ?? [];
  for (const s of sets)
    if (s.type !== type) throw new Error(`${analyzer.name}: package set type ${s.type} ≠ ${type}`);
  return { sets, diagnostics: ctx.diagnostics.items.map((d) => d.code) };
}

/** The packages an analyzer finds in a host file read under the in-tree `path` (its first package set). */
export async function fixturePackages(
  analyzer: Analyzer,
  hostPath: string,
  path: string,
): Promise<Package[]> {
  return (await analyze(analyzer, [analyzerFile(hostPath, path)])).sets[0]?.packages ?? [];
}

/**
 * Runs an analyzer on the files of a fixture and returns its packages with the problems of the
 * package sets themselves: a set per input file at most, of the format's type, for that file.
 */
export async function analyzeFixture(
  analyzer: Analyzer,
  files: readonly AnalyzerFile[],
  type: string,
): Promise<AnalyzerRun & { packages: Package[]; problems: string[] }> {
  const run = await analyze(analyzer, files);
  const problems: string[] = [];
  const paths = new Set(files.map((f) => f.path));
  const seen = new Set<string>();
  for (const s of run.sets) {
    if (s.type !== type) problems.push(`package set type ${s.type} ≠ ${type}`);
    if (!paths.has(s.filePath)) problems.push(`package set for ${s.filePath}, not an input file`);
    if (seen.has(s.filePath)) problems.push(`several package sets for ${s.filePath}`);
    seen.add(s.filePath);
  }
  return { ...run, packages: run.sets.flatMap((s) => s.packages), problems };
}

// --- The language formats ----------------------------------------------------------------------

const PARSER = 'pkg/dependency/parser/';

interface LockfileOptions {
  analyzer: string;
  format: string;
  /** The in-tree path the fixture is read under. */
  path: string;
  /** The package set type the analyzer gives. */
  type: string;
  osvParser?: string;
  trivyDir?: string;
  /** What of our packages osv-scanner would list (it never reports the project itself, for one). */
  osvView?: (pkgs: Package[]) => { name: string; version: string }[];
  /** Checks beyond name@version, where osv-scanner's expectation states more (dev groups). */
  osvExtra?: (got: Package[], want: OsvExpectedPackage[]) => string[];
  /** Trivy's fixtures are well-formed: no diagnostics expected. */
  trivyClean?: boolean;
}

/** A lockfile format: the fixture is read by the analyzer under one in-tree path. */
function lockfileFormat(o: LockfileOptions): FormatSpec {
  return {
    analyzer: o.analyzer,
    format: o.format,
    ...(o.osvParser !== undefined ? { osvParsers: [o.osvParser] } : {}),
    ...(o.trivyDir !== undefined ? { trivyDirs: [PARSER + o.trivyDir] } : {}),
    async check(analyzer, c) {
      if (c.source === 'go-rpmdb') return [`${o.analyzer} does not read rpm databases`];
      const host = c.source === 'trivy' ? trivyFixture(c.fixture) : osvFixture(c.fixture);
      const got = await analyzeFixture(analyzer, [analyzerFile(host, o.path)], o.type);
      const problems = [...got.problems];
      if (c.source === 'trivy') {
        if (o.trivyClean)
          for (const d of got.diagnostics) problems.push(`diagnostic ${d.code}: ${d.message}`);
        problems.push(...compareWithTrivy(got.packages, c.packages));
      } else {
        problems.push(...compareNameVersions(o.osvView?.(got.packages) ?? got.packages, c.packages));
        problems.push(...(o.osvExtra?.(got.packages, c.packages) ?? []));
      }
      return problems;
    },
  };
}

/** osv-scanner's `dev` group is our dev flag: checked package by package. */
function osvDevFlags(got: Package[], want: OsvExpectedPackage[]): string[] {
  const problems: string[] = [];
  for (const w of want) {
    const g = got.find((p) => p.name === w.name && p.version === w.version);
    const wantDev = (w.depGroups ?? []).includes('dev');
    if (g && (g.dev ?? false) !== wantDev) problems.push(`${w.name}: dev ${g.dev} ≠ ${wantDev}`);
  }
  return problems;
}

/** osv-scanner's `dev` group is our dev flag: compared as a multiset of names marked dev or not. */
function osvDevNames(got: Package[], want: OsvExpectedPackage[]): string[] {
  const label = (name: string, dev: boolean) => ({ name: dev ? `${name} (dev)` : name, version: '' });
  return compareNameVersions(
    got.map((p) => label(p.name, p.dev === true)),
    want.map((p) => label(p.name, (p.depGroups ?? []).includes('dev'))),
  );
}

const notRoot = (pkgs: Package[]) => pkgs.filter((p) => p.relationship !== 'root');

/**
 * Trivy's go.mod parser tests that run the parser with options its analyzer does not use:
 * `replace: false` (the analyzer always applies replace directives) and stdlib from the
 * toolchain line (only at Trivy's comprehensive detection priority). These are checked on the
 * library, which takes the same options; the other cases go through the analyzer.
 */
const GOMOD_PARSER_OPTIONS: Readonly<Record<string, GoModOptions>> = {
  'no replace': { replace: false },
  'normal with stdlib': { stdlib: true },
};

const gomodLockfile = lockfileFormat({
  analyzer: 'lang/gomod',
  format: 'Go modules (go.mod)',
  path: 'app/go.mod',
  type: 'gomod',
  osvParser: 'ParseGoLock',
  trivyDir: 'golang/mod/',
  trivyClean: true,
  // osv-scanner writes Go versions without the `v` and does not report the main module.
  osvView: (pkgs) => notRoot(pkgs).map((p) => ({ name: p.name, version: p.version.replace(/^v/, '') })),
});

const gomodFormat: FormatSpec = {
  ...gomodLockfile,
  format: 'Go modules (go.mod, go.sum)',
  trivyDirs: [`${PARSER}golang/mod/`, `${PARSER}golang/sum/`],
  async check(analyzer, c) {
    if (c.source !== 'trivy') return gomodLockfile.check(analyzer, c);
    const text = readFileSync(trivyFixture(c.fixture), 'utf8');
    if (c.fixture.startsWith(`${PARSER}golang/sum/`)) {
      // The extracted expectations list module names; Trivy's analyzer reads go.sum only beside a go.mod.
      return compareNameVersions(
        parseGoSum(text).map((p) => ({ name: p.name, version: '' })),
        c.packages.map((p) => ({ name: p.Name ?? '', version: '' })),
      );
    }
    const options = GOMOD_PARSER_OPTIONS[c.case ?? ''];
    if (options === undefined) return gomodLockfile.check(analyzer, c);
    const f = parseGoModFile(text);
    return [
      ...f.errors.map((e) => `parse error: ${JSON.stringify(e)}`),
      ...compareWithTrivy(goModPackages(f, options), c.packages),
    ];
  },
};

/**
 * Trivy's pip parser cases run with its "comprehensive" detection priority (minimum versions
 * of ranges); the analyzer uses the default precise mode, so these are checked on the parser.
 */
const PIP_MIN_VERSION_CASES = new Set([`${PARSER}python/pip/testdata/requirements_compatible.txt`]);

const pipLockfile = lockfileFormat({
  analyzer: 'lang/pip-requirements',
  format: 'pip (requirements.txt)',
  path: 'requirements.txt',
  type: 'pip',
  osvParser: 'ParseRequirementsTxt',
  trivyDir: 'python/pip/',
});

const pipFormat: FormatSpec = {
  ...pipLockfile,
  async check(analyzer, c) {
    if (c.source !== 'trivy' || !PIP_MIN_VERSION_CASES.has(c.fixture)) return pipLockfile.check(analyzer, c);
    const text = new TextDecoder().decode(readFileSync(trivyFixture(c.fixture)));
    return compareWithTrivy(parseRequirements(text, { useMinVersion: true }).packages, c.packages);
  },
};

/** The language analyzers and the upstream cases each one is checked against. */
export const LANG_FORMATS: readonly FormatSpec[] = [
  lockfileFormat({
    analyzer: 'lang/npm-lock',
    format: 'npm (package-lock.json)',
    path: 'package-lock.json',
    type: 'npm',
    osvParser: 'ParseNpmLock',
    trivyDir: 'nodejs/npm/',
  }),
  lockfileFormat({
    analyzer: 'lang/yarn-lock',
    format: 'Yarn (yarn.lock)',
    path: 'yarn.lock',
    type: 'yarn',
    osvParser: 'ParseYarnLock',
    trivyDir: 'nodejs/yarn/',
  }),
  lockfileFormat({
    analyzer: 'lang/pnpm-lock',
    format: 'pnpm (pnpm-lock.yaml)',
    path: 'pnpm-lock.yaml',
    type: 'pnpm',
    osvParser: 'ParsePnpmLock',
    trivyDir: 'nodejs/pnpm/',
  }),
  lockfileFormat({
    analyzer: 'lang/poetry-lock',
    format: 'Poetry (poetry.lock)',
    path: 'poetry.lock',
    type: 'poetry',
    osvParser: 'ParsePoetryLock',
    trivyDir: 'python/poetry/',
  }),
  lockfileFormat({
    analyzer: 'lang/pipenv-lock',
    format: 'Pipenv (Pipfile.lock)',
    path: 'Pipfile.lock',
    type: 'pipenv',
    osvParser: 'ParsePipenvLock',
    trivyDir: 'python/pipenv/',
  }),
  lockfileFormat({
    analyzer: 'lang/uv-lock',
    format: 'uv (uv.lock)',
    path: 'uv.lock',
    type: 'uv',
    trivyDir: 'python/uv/',
  }),
  pipFormat,
  lockfileFormat({
    analyzer: 'lang/pdm-lock',
    format: 'PDM (pdm.lock)',
    path: 'pdm.lock',
    type: 'pdm',
    osvParser: 'ParsePdmLock',
    osvExtra: osvDevFlags,
  }),
  lockfileFormat({
    analyzer: 'lang/nuget-lock',
    format: 'NuGet (packages.lock.json)',
    path: 'packages.lock.json',
    type: 'nuget',
    osvParser: 'ParseNuGetLock',
    trivyDir: 'nuget/lock/',
  }),
  lockfileFormat({
    analyzer: 'lang/cargo-lock',
    format: 'Cargo (Cargo.lock)',
    path: 'Cargo.lock',
    type: 'cargo',
    osvParser: 'ParseCargoLock',
    trivyDir: 'rust/cargo/',
    trivyClean: true,
  }),
  lockfileFormat({
    analyzer: 'lang/composer-lock',
    format: 'Composer (composer.lock)',
    path: 'composer.lock',
    type: 'composer',
    osvParser: 'ParseComposerLock',
    trivyDir: 'php/composer/',
    osvExtra: osvDevNames,
  }),
  lockfileFormat({
    analyzer: 'lang/bundler',
    format: 'Bundler (Gemfile.lock)',
    path: 'Gemfile.lock',
    type: 'bundler',
    osvParser: 'ParseGemfileLock',
    trivyDir: 'ruby/bundler/',
  }),
  gomodFormat,
  lockfileFormat({
    analyzer: 'lang/pom',
    format: 'Maven (pom.xml)',
    path: 'pom.xml',
    type: 'pom',
    osvParser: 'ParseMavenLock',
    // osv-scanner never reports the scanned project; Trivy reports it as the root package.
    osvView: notRoot,
  }),
  lockfileFormat({
    analyzer: 'lang/gradle-lock',
    format: 'Gradle (gradle.lockfile)',
    path: 'gradle.lockfile',
    type: 'gradle',
    osvParser: 'ParseGradleLock',
  }),
  lockfileFormat({
    analyzer: 'lang/gradle-verification-metadata',
    format: 'Gradle (verification-metadata.xml)',
    path: 'gradle/verification-metadata.xml',
    type: 'gradle',
    osvParser: 'ParseGradleVerificationMetadata',
  }),
];

/** The lang analyzer's own slice of the upstream cases (see fixtureSuite). */
export function langFixtureSuite(
  analyzer: Analyzer,
  source: FixtureSource,
  under = '',
): Promise<SuiteReport> {
  return fixtureSuite(LANG_FORMATS, analyzer, source, under);
}

/**
 * The analyzer's package sets for a Trivy integration repository (its files as the runner hands
 * them: only those the analyzer requires) and their differences from Trivy's golden report.
 */
export async function integrationProblems(
  analyzer: Analyzer,
  repo: string,
  golden = repo,
  opts: { includeDev?: boolean } = {},
): Promise<{ problems: string[]; diagnostics: Diagnostic[] }> {
  const files = integrationRepoFiles(repo).filter((f) => analyzer.required(f.path, f));
  const { sets, diagnostics } = await analyze(analyzer, files);
  return { problems: compareWithGolden(sets, integrationGolden(golden), opts), diagnostics };
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
