/**
 * Kyverno CEL policy conformance: runs the `.kyverno-test/kyverno-test.yaml` files of the CEL policy
 * folders (*-cel, *-vpol, *-mpol, *-gpol …) under ../shared/data/conformance/kyverno-policies through
 * the CEL evaluators (policy/celpolicy), counts expectations per policy × rule × resource, prints the
 * pass rate per policy type and overall, and lists every failing case. Known divergences are data
 * (kyverno-cel-conformance.divergences.json) with a reason each; the test fails when an unlisted case
 * fails or a listed case starts passing.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCelTestFile, type CelTestCase } from '../packages/platform/src/policy/celpolicy/testrun.js';

const here = dirname(fileURLToPath(import.meta.url));
const data = resolve(here, '../../shared/data/conformance/kyverno-policies');
const CEL_FOLDER = /-(cel|vpol|mpol|gpol|ivpol|dpol)$/;

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (!statSync(p).isDirectory() || name.startsWith('.')) continue;
    const t = join(p, '.kyverno-test', 'kyverno-test.yaml');
    if (existsSync(t)) out.push(t);
    else out.push(...findTests(p));
  }
  return out.sort();
}

const DIVERGENCES = JSON.parse(
  readFileSync(join(here, 'kyverno-cel-conformance.divergences.json'), 'utf8'),
) as {
  cases: Record<string, string>;
};

describe('Kyverno CEL policy conformance', () => {
  it('reproduces the expected results of kyverno test for CEL policies', async () => {
    expect(existsSync(data), `missing ${data}`).toBe(true);
    const files = readdirSync(data)
      .filter((d) => CEL_FOLDER.test(d))
      .flatMap((d) => findTests(join(data, d)));
    const cases: Array<CelTestCase & { file: string }> = [];
    for (const f of files) {
      for (const c of await runCelTestFile(f))
        cases.push({ ...c, file: relative(data, dirname(dirname(f))) });
    }
    const byType = new Map<string, { pass: number; total: number }>();
    for (const c of cases) {
      const t = byType.get(c.policyType) ?? { pass: 0, total: 0 };
      t.total++;
      if (c.ok) t.pass++;
      byType.set(c.policyType, t);
    }
    const pass = cases.filter((c) => c.ok).length;
    const pct = (a: number, b: number): string => (b ? ((100 * a) / b).toFixed(1) : '0.0');
    const lines = [
      `kyverno CEL conformance: ${pass}/${cases.length} expectations (${pct(pass, cases.length)}%) over ${files.length} test files`,
    ];
    for (const [k, v] of [...byType].sort())
      lines.push(`  ${k}: ${v.pass}/${v.total} (${pct(v.pass, v.total)}%)`);
    const failing = cases.filter((c) => !c.ok);
    lines.push(`failing cases (${failing.length}):`);
    const key = (c: CelTestCase & { file: string }): string =>
      `${c.file}/${c.policy}/${c.rule}/${c.kind}/${c.resource}`;
    for (const c of failing)
      lines.push(
        `  ${key(c)}: ${c.reason}${DIVERGENCES.cases[key(c)] ? `  [known: ${DIVERGENCES.cases[key(c)]}]` : ''}`,
      );
    console.log(lines.join('\n'));
    expect(cases.length).toBeGreaterThan(500);
    const unexpected = failing.map(key).filter((k) => !(k in DIVERGENCES.cases));
    const fixed = Object.keys(DIVERGENCES.cases).filter((k) => cases.some((c) => c.ok && key(c) === k));
    expect(fixed, 'listed divergences that now pass: remove them from the table').toEqual([]);
    expect(unexpected, 'failing cases not in the divergence table').toEqual([]);
  }, 300_000);
});
