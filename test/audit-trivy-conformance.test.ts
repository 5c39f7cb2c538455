/**
 * Trivy's own examples for its Kubernetes checks: every `good` manifest must pass the
 * check it belongs to and every `bad` one must fail it (checks/kubernetes/*.yaml of
 * trivy-checks), plus the older allowed/denied fixtures (testdata-legacy). Prints the
 * pass rate, every failing case and the checks with examples we do not implement.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AUDIT_DIVERGENCES } from './audit-divergences.js';
import { sharedData } from '../packages/platform/src/testing/shared-data.js';
import {
  allChecks,
  compileChecks,
  auditObjects,
  readManifests,
  matchesId,
} from '../packages/platform/src/audit/index.js';

const root = sharedData('conformance/cis/trivy-checks');
interface Meta {
  id: string;
  source_file: string;
}
const meta = JSON.parse(readFileSync(join(root, 'ksv-checks.json'), 'utf8')) as Meta[];
const byFile = new Map(
  meta.map((m) => [
    m.source_file
      .split('/')
      .pop()
      ?.replace(/\.rego$/, '') ?? '',
    m.id,
  ]),
);

interface Case {
  check: string;
  name: string;
  expect: 'pass' | 'fail';
  text: string;
}

function exampleCases(): Case[] {
  const out: Case[] = [];
  for (const f of readdirSync(join(root, 'examples')).sort()) {
    const doc = parse(readFileSync(join(root, 'examples', f), 'utf8')) as {
      kubernetes?: { good?: string[]; bad?: string[] };
    };
    const check = byFile.get(f.replace(/\.yaml$/, '')) ?? f;
    (doc.kubernetes?.good ?? []).forEach((text, i) =>
      out.push({ check, name: `examples/${f} good[${i}]`, expect: 'pass', text }),
    );
    (doc.kubernetes?.bad ?? []).forEach((text, i) =>
      out.push({ check, name: `examples/${f} bad[${i}]`, expect: 'fail', text }),
    );
  }
  return out;
}

function legacyCases(): Case[] {
  const out: Case[] = [];
  const dir = join(root, 'testdata-legacy');
  for (const base of [dir, join(dir, 'optional')]) {
    for (const d of readdirSync(base).sort()) {
      if (!/^KSV\d+$/.test(d)) continue;
      for (const [file, expect] of [
        ['allowed.yaml', 'pass'],
        ['denied.yaml', 'fail'],
      ] as const) {
        const p = join(base, d, file);
        if (existsSync(p))
          out.push({
            check: d,
            name: `testdata-legacy/${base === dir ? '' : 'optional/'}${d}/${file}`,
            expect,
            text: readFileSync(p, 'utf8'),
          });
      }
    }
  }
  return out;
}

function evaluate(c: Case): { outcome: 'pass' | 'fail' | 'unimplemented'; detail: string } {
  const check = allChecks().find((k) => matchesId(k, c.check));
  if (!check) return { outcome: 'unimplemented', detail: '' };
  const compiled = compileChecks({ ids: [check.id] });
  const { objects, diagnostics } = readManifests(c.text, c.name);
  const results = auditObjects(compiled, objects)
    .flatMap((r) => r.results)
    .filter((r) => r.checkId === check.id);
  const failed = results.filter((r) => !r.success);
  const diag = diagnostics.items
    .filter((d) => d.severity === 'error')
    .map((d) => d.message)
    .join('; ');
  return {
    outcome: failed.length > 0 ? 'fail' : 'pass',
    detail: `${results.length} result(s)${diag ? `, ${diag}` : ''}: ${failed.flatMap((r) => r.messages).join(' | ')}`,
  };
}

function runSuite(
  label: string,
  suite: 'trivy-examples' | 'trivy-legacy',
  cases: Case[],
): { rate: number; failures: string[]; stale: string[] } {
  const known = new Map(AUDIT_DIVERGENCES.filter((d) => d.suite === suite).map((d) => [d.case, d.reason]));
  const diverged = new Set<string>();
  let ok = 0;
  let total = 0;
  const failures: string[] = [];
  const unimplemented = new Set<string>();
  for (const c of cases) {
    const r = evaluate(c);
    if (r.outcome === 'unimplemented') {
      unimplemented.add(c.check);
      continue;
    }
    total++;
    if (r.outcome === c.expect) ok++;
    else if (known.has(c.name)) {
      diverged.add(c.name);
      console.log(`  known divergence ${c.name}: ${known.get(c.name)}`);
    } else failures.push(`${c.check} ${c.name}: expected ${c.expect}, got ${r.outcome} (${r.detail})`);
  }
  const rate = total === 0 ? 0 : ok / total;
  console.log(
    `${label}: ${ok}/${total} agree (${(rate * 100).toFixed(1)}%); checks not implemented: ${unimplemented.size} [${[...unimplemented].join(', ')}]`,
  );
  for (const f of failures) console.log(`  FAIL ${f}`);
  const stale = [...known.keys()].filter((k) => !diverged.has(k));
  return { rate, failures, stale };
}

describe("Trivy's Kubernetes check examples", () => {
  it('every good example passes and every bad example fails its check (100%)', () => {
    const cases = exampleCases();
    expect(cases.length).toBeGreaterThan(70);
    const { failures, stale } = runSuite('trivy-checks examples', 'trivy-examples', cases);
    expect(failures).toEqual([]);
    expect(stale).toEqual([]);
  });

  it('the legacy allowed/denied fixtures agree (100%)', () => {
    const cases = legacyCases();
    expect(cases.length).toBeGreaterThan(60);
    const { failures, stale } = runSuite('trivy-checks testdata-legacy', 'trivy-legacy', cases);
    expect(failures).toEqual([]);
    expect(stale).toEqual([]);
  });
});
