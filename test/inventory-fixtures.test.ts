/**
 * The inventory stage against every upstream fixture with an expectation: each entry of
 * osv-scanner-lockfile/expected.json, trivy-fixtures/expected-packages.json and the go-rpmdb
 * expectations in ../shared/data/scan. Each case goes to the analyzer whose format claims it
 * (LANG_FORMATS, OS_FORMATS: the same checks the per-analyzer tests run on their own slice),
 * read under a realistic in-tree or in-image path.
 *
 * Prints the overall and per-format pass rates, every failing case, every known divergence with
 * its reason (packages/platform/src/testing/fixture-divergences.ts) and every case of a format
 * we have no analyzer for ("unsupported", counted apart). Threshold: 100% of the supported cases
 * that are not known divergences; a known divergence must still differ.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzers } from '../packages/platform/src/scan/analyzers/index.js';
import {
  BEHAVIOUR_DIVERGENCES,
  FIXTURE_DIVERGENCES,
} from '../packages/platform/src/testing/fixture-divergences.js';
import type {
  FixtureSource,
  FormatSpec,
  SuiteReport,
  UpstreamCase,
} from '../packages/platform/src/testing/lang-conformance.js';
import {
  claims,
  LANG_FORMATS,
  percent,
  scoreCases,
  SOURCE_DIRS,
  upstreamCases,
} from '../packages/platform/src/testing/lang-conformance.js';
import { OS_FORMATS } from '../packages/platform/src/testing/os-conformance.js';

const FORMATS: readonly FormatSpec[] = [...LANG_FORMATS, ...OS_FORMATS];

/** Formats of the upstream data that Palisade has no analyzer for (Trivy reads the first six). */
const UNSUPPORTED: readonly { format: string; osvParsers?: string[]; trivyDirs?: string[] }[] = [
  { format: 'Conan (conan.lock)', osvParsers: ['ParseConanLock'] },
  { format: 'Dart pub (pubspec.lock)', osvParsers: ['ParsePubspecLock'] },
  { format: 'Elixir Mix / Hex (mix.lock)', osvParsers: ['ParseMixLock'] },
  { format: 'Conda (environment.yml)', trivyDirs: ['pkg/dependency/parser/conda/'] },
  { format: 'Julia (Manifest.toml)', trivyDirs: ['pkg/dependency/parser/julia/'] },
  { format: 'Bun (bun.lock)', trivyDirs: ['pkg/dependency/parser/nodejs/bun/'] },
  { format: 'R renv (renv.lock)', osvParsers: ['ParseRenvLock'] },
];

function unsupportedFormat(c: UpstreamCase): string[] {
  return UNSUPPORTED.filter((u) =>
    c.source === 'osv-scanner'
      ? (u.osvParsers?.includes(c.parser) ?? false)
      : c.source === 'trivy' && (u.trivyDirs?.some((d) => c.fixture.startsWith(d)) ?? false),
  ).map((u) => u.format);
}

interface FormatResult {
  spec: FormatSpec;
  cases: UpstreamCase[];
  report: SuiteReport;
  bySource: Map<FixtureSource, SuiteReport>;
}

const all = upstreamCases();
const allKeys = new Set(all.map((c) => c.key));
const results: FormatResult[] = [];
const unsupported = new Map<string, UpstreamCase[]>();
/** Cases no format or unsupported entry claims, or more than one does. */
const unmapped: string[] = [];
/** Divergences of hand-written expectations (not in the walked data), checked by per-analyzer suites. */
const elsewhere: { analyzer: string; key: string; reason: string }[] = [];

/** Divergences of the cases walked here; any other key must name a Trivy fixture without extracted expectations. */
function walkedDivergences(analyzer: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, reason] of Object.entries(FIXTURE_DIVERGENCES[analyzer] ?? {})) {
    if (allKeys.has(key) || !key.startsWith(`${SOURCE_DIRS.trivy}/`)) out[key] = reason;
    else elsewhere.push({ analyzer, key, reason });
  }
  return out;
}

beforeAll(async () => {
  const claimed = new Map<FormatSpec, UpstreamCase[]>();
  for (const c of all) {
    const specs = FORMATS.filter((f) => claims(f, c));
    const none = unsupportedFormat(c);
    if (specs.length + none.length !== 1) {
      unmapped.push(
        `${c.key} [${c.test}]: claimed by ${[...specs.map((s) => s.analyzer), ...none].join(', ') || 'nothing'}`,
      );
      continue;
    }
    const spec = specs[0];
    if (spec) claimed.set(spec, [...(claimed.get(spec) ?? []), c]);
    else for (const f of none) unsupported.set(f, [...(unsupported.get(f) ?? []), c]);
  }
  for (const analyzer of Object.keys(FIXTURE_DIVERGENCES)) {
    if (!FORMATS.some((f) => f.analyzer === analyzer))
      unmapped.push(`divergences listed for ${analyzer}, which has no format`);
  }
  for (const spec of FORMATS) {
    const analyzer = analyzers.find((a) => a.name === spec.analyzer);
    if (!analyzer) throw new Error(`${spec.analyzer} is not a registered analyzer`);
    const cases = claimed.get(spec) ?? [];
    const divergences = walkedDivergences(spec.analyzer);
    const report = await scoreCases(spec, analyzer, cases, divergences);
    const bySource = new Map<FixtureSource, SuiteReport>();
    for (const source of ['osv-scanner', 'trivy', 'go-rpmdb'] as const) {
      const sub = cases.filter((c) => c.source === source);
      if (sub.length === 0) continue;
      const names = new Set(sub.map((c) => c.key));
      const failures = report.failures.filter((f) => names.has(f.name));
      const divergent = report.divergent.filter((d) => names.has(d.name));
      const total = sub.length - divergent.length;
      bySource.set(source, { total, passed: total - failures.length, failures, divergent });
    }
    results.push({ spec, cases, report, bySource });
  }
  console.log(summary().join('\n'));
}, 300_000);

function summary(): string[] {
  const total = results.reduce((n, r) => n + r.report.total, 0);
  const passed = results.reduce((n, r) => n + r.report.passed, 0);
  const divergent = results.reduce((n, r) => n + r.report.divergent.length, 0);
  const unsupportedCount = [...unsupported.values()].reduce((n, l) => n + l.length, 0);
  const lines = [
    `Inventory fixture conformance: ${passed}/${total} supported cases agree (${percent(passed, total)}), ` +
      `${divergent} known divergences, ${unsupportedCount} unsupported cases in ${unsupported.size} formats, ` +
      `${unmapped.length} unmapped (of ${all.length} upstream cases)`,
    `By source: ${(['osv-scanner', 'trivy', 'go-rpmdb'] as const)
      .map((source) => {
        const reps = results.flatMap((r) => r.bySource.get(source) ?? []);
        const t = reps.reduce((n, rep) => n + rep.total, 0);
        const p = reps.reduce((n, rep) => n + rep.passed, 0);
        return `${source} ${p}/${t} (${percent(p, t)})`;
      })
      .join(', ')}`,
    'Per format (agreeing/counted; known divergences are not counted):',
  ];
  for (const r of results) {
    const sources = [...r.bySource].map(([s, rep]) => `${s} ${rep.passed}/${rep.total}`).join(', ');
    lines.push(
      `  ${r.spec.analyzer} — ${r.spec.format}: ${r.report.passed}/${r.report.total} (${percent(r.report.passed, r.report.total)})` +
        ` [${sources}]${r.report.divergent.length ? `, ${r.report.divergent.length} known divergences` : ''}`,
    );
  }
  const failures = results.flatMap((r) =>
    r.report.failures.map((f) => ({ ...f, analyzer: r.spec.analyzer })),
  );
  lines.push(`Failing cases: ${failures.length + unmapped.length}`);
  for (const f of failures) lines.push(`  FAIL ${f.analyzer} ${f.name}: ${f.problems.join('; ')}`);
  for (const u of unmapped) lines.push(`  UNMAPPED ${u}`);
  lines.push(`Known divergences: ${divergent}`);
  for (const r of results)
    for (const d of r.report.divergent)
      lines.push(`  ${r.spec.analyzer} ${d.name}: ${d.reason}\n      differs: ${d.problems.join('; ')}`);
  if (elsewhere.length) {
    lines.push(
      `Known divergences of hand-written expectations (checked by the per-analyzer suites): ${elsewhere.length}`,
    );
    for (const e of elsewhere) lines.push(`  ${e.analyzer} ${e.key}: ${e.reason}`);
  }
  const behaviour = Object.entries(BEHAVIOUR_DIVERGENCES).flatMap(([a, list]) =>
    list.map((d) => ({ a, ...d })),
  );
  lines.push(`Deliberate differences no upstream fixture states: ${behaviour.length}`);
  for (const b of behaviour) lines.push(`  ${b.a}: ${b.what} — ${b.reason} (${b.test})`);
  lines.push(`Unsupported (no analyzer): ${unsupportedCount} cases in ${unsupported.size} formats`);
  for (const [format, cases] of unsupported) {
    lines.push(`  ${format}: ${cases.length} cases`);
    for (const c of cases) lines.push(`    ${c.key} [${c.test}]`);
  }
  return lines;
}

describe('inventory analyzers against every upstream fixture expectation', () => {
  it('claims every upstream case exactly once: by one analyzer format, or as an unsupported format', () => {
    expect(unmapped).toEqual([]);
    const counted =
      results.reduce((n, r) => n + r.cases.length, 0) +
      [...unsupported.values()].reduce((n, l) => n + l.length, 0);
    expect(counted).toBe(all.length);
    // The data sets as described in ../shared/README.md and their PROVENANCE.md.
    expect(all.filter((c) => c.source === 'osv-scanner')).toHaveLength(233);
    expect(all.filter((c) => c.source === 'trivy')).toHaveLength(81);
    expect(all.filter((c) => c.source === 'go-rpmdb')).toHaveLength(3);
  });

  it('agrees on 100% of the supported cases that are not known divergences; each known divergence still differs', () => {
    for (const r of results) {
      expect(r.report.failures, r.spec.analyzer).toEqual([]);
      expect(r.cases.length, `${r.spec.analyzer} claims no upstream case`).toBeGreaterThan(0);
    }
    const total = results.reduce((n, r) => n + r.report.total, 0);
    expect(results.reduce((n, r) => n + r.report.passed, 0)).toBe(total);
  });

  it('lists the unsupported formats, each with its cases, apart from the pass rate', () => {
    expect([...unsupported.keys()].sort()).toEqual(UNSUPPORTED.map((u) => u.format).sort());
    for (const [format, cases] of unsupported) expect(cases.length, format).toBeGreaterThan(0);
  });
});
