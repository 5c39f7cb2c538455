/**
 * Rules loading conformance:
 *  1. every upstream rules file (falcosecurity/rules, the k8saudit plugin's
 *     rules) loads and compiles with zero errors; counts are printed;
 *  2. Falco's rule-validation tests (falco/test/falco_tests*.yaml, the cases
 *     with validate_rules_file) reproduce the expected error and warning codes,
 *     item types/names and messages. Pass rate and every failure are printed;
 *     known divergences come from testdata/falco-divergences.json with a reason.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../packages/platform/src/testing/shared-data.js';
import { loadRules } from '../packages/platform/src/runtime/rules/loader.js';
import type { LoadMessage } from '../packages/platform/src/runtime/rules/result.js';
import { formatLoadMessage } from '../packages/platform/src/runtime/rules/result.js';
import divergences from '../packages/platform/src/runtime/testdata/falco-divergences.json' with { type: 'json' };

const falco = sharedData('conformance', 'falco');
const read = (p: string): { name: string; content: string } => ({
  name: p,
  content: readFileSync(p, 'utf8'),
});

describe('upstream rules files load and compile', () => {
  const sets: [string, string[]][] = [
    ['falco_rules.yaml', ['rules/falco_rules.yaml']],
    ['falco-incubating_rules.yaml', ['rules/falco_rules.yaml', 'rules/falco-incubating_rules.yaml']],
    ['falco-sandbox_rules.yaml', ['rules/falco_rules.yaml', 'rules/falco-sandbox_rules.yaml']],
    ['falco-deprecated_rules.yaml', ['rules/falco_rules.yaml', 'rules/falco-deprecated_rules.yaml']],
    ['application_rules.yaml', ['rules/application_rules.yaml']],
    [
      'all syscall rules together',
      [
        'rules/falco_rules.yaml',
        'rules/falco-incubating_rules.yaml',
        'rules/falco-sandbox_rules.yaml',
        'rules/falco-deprecated_rules.yaml',
        'rules/application_rules.yaml',
      ],
    ],
    ['k8s_audit_rules.yaml', ['k8saudit/k8s_audit_rules.yaml']],
    [
      'k8s_audit_rules.yaml + GKE overrides',
      ['k8saudit/k8s_audit_rules.yaml', 'k8saudit/k8s_audit_rules_gke.yaml'],
    ],
    [
      'fixture-era falco_rules 1.0.1 + k8saudit rules 0.6.0',
      [
        'k8saudit-fixtures/falco_rules.falco-rules-1.0.1.yaml',
        'k8saudit-fixtures/k8s_audit_rules.plugin-v0.6.0.yaml',
      ],
    ],
  ];
  // every file in the two folders is in some set above
  it('lists every upstream file', () => {
    const all = [
      ...readdirSync(join(falco, 'rules')).map((f) => `rules/${f}`),
      ...readdirSync(join(falco, 'k8saudit'))
        .filter((f) => f.includes('rules'))
        .map((f) => `k8saudit/${f}`),
    ];
    const covered = new Set(sets.flatMap(([, f]) => f));
    expect(all.filter((f) => !covered.has(f))).toEqual([]);
  });
  it.each(sets)('%s', (_n, files) => {
    const r = loadRules(files.map((f) => read(join(falco, f))));
    const errors = r.results.flatMap((x) => x.errors).map(formatLoadMessage);
    console.log(
      `${files.join(' + ')}: ${r.counts.rules} rules, ${r.counts.macros} macros, ${r.counts.lists} lists`,
    );
    expect(errors).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.counts.macros).toBeGreaterThan(0);
  });
  it('compiles a non-trivial number of rules from the main files', () => {
    const r = loadRules([read(join(falco, 'rules/falco_rules.yaml'))]);
    expect(r.counts.rules).toBeGreaterThan(20);
    const k = loadRules([read(join(falco, 'k8saudit/k8s_audit_rules.yaml'))]);
    expect(k.counts.rules).toBeGreaterThan(30);
  });
});

interface ExpectedMessage {
  item_type: string;
  item_name: string;
  code: string;
  message?: string;
  message_contains?: string;
}

interface LegacyCase {
  name: string;
  files: string[];
  errors: ExpectedMessage[];
  warnings: ExpectedMessage[];
  okFiles: string[];
}

function legacyCases(): LegacyCase[] {
  const dir = join(falco, 'falco-legacy-tests');
  const out: LegacyCase[] = [];
  for (const f of ['falco_tests.yaml', 'falco_tests_exceptions.yaml', 'falco_tests_plugins.yaml']) {
    const doc = parse(readFileSync(join(dir, f), 'utf8'), { uniqueKeys: false, logLevel: 'silent' }) as {
      trace_files: Record<string, Record<string, unknown>>;
    };
    for (const [name, c] of Object.entries(doc.trace_files)) {
      const raw = c['validate_rules_file'] as string[] | string | undefined;
      if (!raw) continue;
      const files = Array.isArray(raw) ? raw : [raw];
      out.push({
        name: `${f}: ${name}`,
        files: files.map((p) => join(dir, p)),
        errors: (c['validate_errors'] as ExpectedMessage[] | undefined) ?? [],
        warnings: (c['validate_warnings'] as ExpectedMessage[] | undefined) ?? [],
        okFiles: (c['validate_ok'] as string[] | undefined) ?? [],
      });
    }
  }
  return out;
}

function matches(exp: ExpectedMessage, got: LoadMessage): boolean {
  if (exp.code !== got.code || exp.item_type !== got.itemType || exp.item_name !== got.itemName) return false;
  if (exp.message !== undefined) return got.message === exp.message;
  if (exp.message_contains !== undefined) return got.message.includes(exp.message_contains);
  return true;
}

function runLegacy(c: LegacyCase): string[] {
  const problems: string[] = [];
  const files = c.files.flatMap((f) =>
    statSync(f).isDirectory()
      ? readdirSync(f)
          .sort()
          .map((x) => join(f, x))
      : [f],
  );
  for (const f of files) if (!existsSync(f)) problems.push(`missing ${f}`);
  const r = loadRules(files.map(read));
  const errors = r.results.flatMap((x) => x.errors);
  const warnings = r.results.flatMap((x) => x.warnings);
  for (const e of c.errors)
    if (!errors.some((g) => matches(e, g)))
      problems.push(
        `missing error ${e.code} [${e.item_type} '${e.item_name}'] ${e.message ?? e.message_contains ?? ''}; got: ${errors.map(formatLoadMessage).join(' | ') || 'no errors'}`,
      );
  for (const w of c.warnings)
    if (!warnings.some((g) => matches(w, g)))
      problems.push(
        `missing warning ${w.code} [${w.item_type} '${w.item_name}'] ${w.message ?? ''}; got: ${warnings.map(formatLoadMessage).join(' | ') || 'no warnings'}`,
      );
  if (c.errors.length === 0 && !r.ok)
    problems.push(`unexpected errors: ${errors.map(formatLoadMessage).join(' | ')}`);
  if (c.errors.length > 0 && r.ok) problems.push('expected the load to fail');
  for (const ok of c.okFiles) {
    const res = r.results.find((x) => x.file.endsWith(`/${ok}`));
    if (!res || !res.ok) problems.push(`expected ${ok} to validate OK`);
  }
  return problems;
}

describe("Falco's rule-validation tests", () => {
  const cases = legacyCases();
  const known = new Map(divergences.legacy.map((d) => [d.case, d.reason]));
  const results = cases.map((c) => ({ c, problems: runLegacy(c) }));
  const failed = results.filter((r) => r.problems.length > 0);
  const passed = results.length - failed.length;
  console.log(
    `falco rule-validation conformance: ${passed}/${results.length} cases pass (${((100 * passed) / results.length).toFixed(1)}%)`,
  );
  for (const f of failed)
    console.log(
      `  FAIL ${f.c.name}${known.has(f.c.name) ? ` (known divergence: ${known.get(f.c.name)})` : ''}: ${f.problems.join('; ')}`,
    );

  it('found the validation cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });
  it.each(results.map((r) => [r.c.name, r] as const))('%s', (_n, r) => {
    if (known.has(r.c.name)) {
      expect(r.problems.length).toBeGreaterThan(0);
      return;
    }
    expect(r.problems).toEqual([]);
  });
});
