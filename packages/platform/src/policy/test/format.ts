/** Output of `palisade policy test`: a table, JSON, or JUnit XML with one testcase per expected result. */
import type { TestCase, TestFileResult } from './index.js';

export interface TestSummary {
  readonly pass: number;
  readonly fail: number;
  readonly total: number;
}

export function summarize(results: readonly TestFileResult[]): TestSummary {
  const cases = results.flatMap((r) => r.cases);
  const pass = cases.filter((c) => c.ok).length;
  return { pass, fail: cases.length - pass, total: cases.length };
}

function rows(table: string[][]): string {
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length))) ?? [];
  return table
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatTestTable(results: readonly TestFileResult[], failOnly = false): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`Test ${r.name || '(unnamed)'} (${r.file})`);
    for (const d of r.diagnostics) {
      const where = d.location
        ? `${d.location.file}${d.location.line ? `:${d.location.line}` : ''}${d.location.column ? `:${d.location.column}` : ''}: `
        : '';
      out.push(`  ${d.severity} ${d.code}: ${where}${d.message}`);
    }
    const table: string[][] = [['ID', 'POLICY', 'RULE', 'RESOURCE', 'RESULT', 'REASON']];
    r.cases.forEach((c, i) => {
      if (failOnly && c.ok) return;
      table.push([
        String(i + 1),
        c.policy,
        c.rule || '-',
        `${c.kind}/${c.resource}`,
        c.ok ? 'Pass' : 'Fail',
        c.reason,
      ]);
    });
    if (table.length > 1) out.push(rows(table).replace(/^/gm, '  '));
  }
  const s = summarize(results);
  out.push('', `Test Summary: ${s.pass} tests passed and ${s.fail} tests failed`);
  return `${out.join('\n')}\n`;
}

export function formatTestJson(results: readonly TestFileResult[]): string {
  return `${JSON.stringify({ summary: summarize(results), tests: results }, null, 2)}\n`;
}

function xml(s: string): string {
  return s
    .replace(
      /[<>&"']/g,
      (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string,
    )
    .replace(/[^\t\n\r\u0020-\uffff]/g, '');
}

function caseName(c: TestCase): string {
  return `${c.policy}/${c.rule || '-'}/${c.kind}/${c.resource}: ${c.expected}`;
}

export function formatTestJunit(results: readonly TestFileResult[]): string {
  const s = summarize(results);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="palisade policy test" tests="${s.total}" failures="${s.fail}">`,
  ];
  for (const r of results) {
    const fails = r.cases.filter((c) => !c.ok).length;
    out.push(
      `  <testsuite name="${xml(r.name)}" file="${xml(r.file)}" tests="${r.cases.length}" failures="${fails}">`,
    );
    for (const c of r.cases) {
      const open = `    <testcase classname="${xml(c.policy)}" name="${xml(caseName(c))}"`;
      if (c.ok) out.push(`${open}/>`);
      else {
        out.push(`${open}>`);
        out.push(`      <failure message="${xml(c.reason)}">${xml(c.message)}</failure>`);
        out.push('    </testcase>');
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
