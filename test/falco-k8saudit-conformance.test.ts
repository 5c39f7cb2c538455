/**
 * Conformance with Falco's own k8s audit tests (falco/test/falco_k8s_audit_tests.yaml,
 * normalized in ../shared/data/conformance/falco/k8saudit-fixtures/expectations.json):
 * each case loads its rules files in order, replays its audit trace and must
 * reproduce Falco's detection (yes/no), the priority and the count per rule.
 * Prints the pass rate and every failure; known divergences come from
 * testdata/falco-divergences.json, each with a reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../packages/platform/src/testing/shared-data.js';
import { loadRules } from '../packages/platform/src/runtime/rules/loader.js';
import { formatLoadMessage } from '../packages/platform/src/runtime/rules/result.js';
import { Engine } from '../packages/platform/src/runtime/engine.js';
import { decodeAuditEvents } from '../packages/platform/src/runtime/sources/k8saudit.js';
import divergences from '../packages/platform/src/runtime/testdata/falco-divergences.json' with { type: 'json' };

interface Case {
  name: string;
  trace_file: string;
  rules_files: { path: string }[];
  detect: boolean;
  detect_level: string | null;
  detect_counts: Record<string, number>;
  enable_source: string;
}

const dir = sharedData('conformance', 'falco', 'k8saudit-fixtures');
const cases = JSON.parse(readFileSync(join(dir, 'expectations.json'), 'utf8')) as Case[];
/** A listed divergence: the case name and why it differs. */
interface Divergence {
  case: string;
  reason: string;
}
const known = new Map((divergences.k8saudit as Divergence[]).map((d) => [d.case, d.reason]));

function run(c: Case): string[] {
  const problems: string[] = [];
  const loaded = loadRules(
    c.rules_files.map((f) => ({ name: f.path, content: readFileSync(join(dir, f.path), 'utf8') })),
  );
  if (!loaded.ok) {
    for (const r of loaded.results) for (const e of r.errors) problems.push(`load: ${formatLoadMessage(e)}`);
    return problems;
  }
  const engine = new Engine(loaded.rules, { sources: [c.enable_source] });
  const { events, problems: bad } = decodeAuditEvents(readFileSync(join(dir, c.trace_file), 'utf8'));
  for (const b of bad) problems.push(`trace line ${b.at}: ${b.reason}`);
  const counts: Record<string, number> = {};
  const levels = new Set<string>();
  for (const e of events)
    for (const m of engine.process(e)) {
      counts[m.rule.name] = (counts[m.rule.name] ?? 0) + 1;
      levels.add(m.rule.priority.toUpperCase() === 'INFORMATIONAL' ? 'INFO' : m.rule.priority.toUpperCase());
    }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (c.detect && total === 0) problems.push('expected a detection, got none');
  if (!c.detect && total > 0) problems.push(`expected no detection, got ${JSON.stringify(counts)}`);
  if (c.detect && c.detect_level && !levels.has(c.detect_level))
    problems.push(`expected priority ${c.detect_level}, got ${[...levels].join(',') || 'none'}`);
  for (const [rule, n] of Object.entries(c.detect_counts))
    if ((counts[rule] ?? 0) !== n)
      problems.push(`rule '${rule}': expected ${n} detections, got ${counts[rule] ?? 0}`);
  return problems;
}

describe('Falco k8s audit fixtures', () => {
  const results = cases.map((c) => ({ c, problems: run(c) }));
  const failed = results.filter((r) => r.problems.length > 0);
  const passed = results.length - failed.length;
  console.log(
    `k8saudit conformance: ${passed}/${results.length} cases pass (${((100 * passed) / results.length).toFixed(1)}%)`,
  );
  for (const f of failed)
    console.log(
      `  FAIL ${f.c.name}${known.has(f.c.name) ? ' (known divergence)' : ''}: ${f.problems.join('; ')}`,
    );

  it.each(results.map((r) => [r.c.name, r] as const))('%s', (_n, r) => {
    if (known.has(r.c.name)) {
      // a listed divergence must still be one; remove it from the table once fixed
      expect(r.problems.length).toBeGreaterThan(0);
      return;
    }
    expect(r.problems).toEqual([]);
  });

  it('covers every case in expectations.json', () => {
    expect(results.length).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });
});
