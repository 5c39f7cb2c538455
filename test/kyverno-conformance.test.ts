/**
 * Kyverno policy library conformance: runs every `.kyverno-test/kyverno-test.yaml` under
 * ../shared/data/conformance/kyverno-policies with `palisade policy test`'s runner, counts expectations
 * per policy × rule × resource, prints the pass rate overall and per policy type, and lists every
 * failing case. Known divergences are listed in KNOWN_DIVERGENCES with a reason; the test fails when a
 * case outside that table fails, or when a listed case starts passing (so the table stays true).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runTestFile, type TestCase } from '../packages/platform/src/policy/test/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const data = resolve(root, '../shared/data/conformance/kyverno-policies');

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (!statSync(p).isDirectory()) continue;
    const t = join(p, '.kyverno-test', 'kyverno-test.yaml');
    if (existsSync(t)) out.push(t);
    else if (!name.startsWith('.')) out.push(...findTests(p));
  }
  return out.sort();
}

interface Divergences {
  categories: Array<{ policyType?: string; messageIncludes?: string; reason: string }>;
  cases: Record<string, string>;
}
/** Known divergences (data, with reasons): whole unimplemented features, and single cases. */
const DIVERGENCES = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'kyverno-conformance.divergences.json'), 'utf8'),
) as Divergences;
const KNOWN_DIVERGENCES = DIVERGENCES.cases;

function categoryOf(c: TestCase): string | undefined {
  return DIVERGENCES.categories.find(
    (d) =>
      (d.policyType !== undefined && d.policyType === c.policyType) ||
      (d.messageIncludes !== undefined &&
        (c.message.includes(d.messageIncludes) || c.reason.includes(d.messageIncludes))),
  )?.reason;
}

describe('Kyverno policy library conformance', () => {
  it('reproduces the expected results of kyverno test', async () => {
    expect(existsSync(data), `missing ${data}: the shared conformance data`).toBe(true);
    const files = findTests(data);
    const cases: Array<TestCase & { file: string }> = [];
    for (const f of files) {
      const r = await runTestFile(f);
      for (const c of r.cases) cases.push({ ...c, file: relative(data, dirname(dirname(f))) });
    }
    const byType = new Map<string, { pass: number; total: number }>();
    for (const c of cases) {
      const cel =
        c.policyType === 'ClusterPolicy' && c.file.includes('-cel/')
          ? 'ClusterPolicy (CEL rules)'
          : c.policyType;
      const t = byType.get(cel) ?? { pass: 0, total: 0 };
      t.total++;
      if (c.ok) t.pass++;
      byType.set(cel, t);
    }
    const pass = cases.filter((c) => c.ok).length;
    const pct = (a: number, b: number): string => (b ? ((100 * a) / b).toFixed(1) : '0.0');
    const lines = [
      `kyverno conformance: ${pass}/${cases.length} expectations (${pct(pass, cases.length)}%) over ${files.length} test files`,
    ];
    for (const [k, v] of [...byType].sort())
      lines.push(`  ${k}: ${v.pass}/${v.total} (${pct(v.pass, v.total)}%)`);
    const failing = cases.filter((c) => !c.ok);
    lines.push(`failing cases (${failing.length}):`);
    for (const c of failing)
      lines.push(
        `  ${c.file} ${c.policy}/${c.rule} ${c.kind}/${c.resource}: ${c.reason}${c.message ? ` | ${c.message.slice(0, 200)}` : ''}`,
      );
    console.log(lines.join('\n'));
    const key = (c: TestCase & { file: string }): string =>
      `${c.file}/${c.policy}/${c.rule}/${c.kind}/${c.resource}`;
    const unexpected = failing.filter((c) => !(key(c) in KNOWN_DIVERGENCES) && !categoryOf(c)).map(key);
    const fixed = Object.keys(KNOWN_DIVERGENCES).filter((k) => cases.some((c) => c.ok && key(c) === k));
    expect(fixed, 'listed divergences that now pass: remove them from the table').toEqual([]);
    expect(unexpected, 'failing cases not in the divergence table').toEqual([]);
  });
});
