/** Output of `palisade benchmark node`: kube-bench's text layout, our JSON, and kube-bench's JSON. */
import type { NodeBenchmarkReport } from './runner.js';

/** kube-bench's text output: [STATE] id text per check, remediations for FAIL/WARN, summaries. */
export function formatBenchmarkTable(r: NodeBenchmarkReport): string {
  const out: string[] = [];
  out.push(
    `Benchmark ${r.benchmark}${r.kubeVersion ? ` (Kubernetes ${r.kubeVersion}, ${r.benchmarkSource})` : ''}`,
  );
  const running = r.components.filter((c) => c.running);
  out.push(
    `Detected: ${running.length ? [...new Set(running.map((c) => `${c.component}=${c.bin}${c.pid ? ` (pid ${c.pid})` : ''}`))].join(', ') : 'no component running'}`,
  );
  out.push('');
  for (const c of r.controls) {
    out.push(`[INFO] ${c.id} ${c.text}`);
    for (const g of c.groups) {
      out.push(`[INFO] ${g.id} ${g.text}`);
      for (const k of g.checks) out.push(`[${k.status}] ${k.id} ${k.text}`);
    }
    out.push('');
    const rem = c.groups.flatMap((g) => g.checks).filter((k) => k.status === 'FAIL' || k.status === 'WARN');
    if (rem.length) {
      out.push('== Remediations ' + c.nodeType + ' ==');
      for (const k of rem) {
        out.push(`${k.id} ${k.remediation.trim()}`);
        if (k.reason) out.push(`  reason: ${k.reason}`);
        out.push('');
      }
    }
    out.push(`== Summary ${c.nodeType} ==`);
    out.push(
      `${c.totals.pass} checks PASS`,
      `${c.totals.fail} checks FAIL`,
      `${c.totals.warn} checks WARN`,
      `${c.totals.info} checks INFO`,
      '',
    );
  }
  out.push('== Summary total ==');
  out.push(
    `${r.totals.pass} checks PASS`,
    `${r.totals.fail} checks FAIL`,
    `${r.totals.warn} checks WARN`,
    `${r.totals.info} checks INFO`,
    '',
  );
  return out.join('\n');
}

export function formatBenchmarkJson(r: NodeBenchmarkReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** kube-bench's `--json` document: { Controls: [...], Totals: {...} } with its field names. */
export function formatKubeBenchJson(r: NodeBenchmarkReport): string {
  const doc = {
    Controls: r.controls.map((c) => ({
      id: c.id,
      version: c.version,
      detected_version: c.detectedVersion,
      text: c.text,
      node_type: c.nodeType,
      tests: c.groups.map((g) => ({
        section: g.id,
        type: '',
        pass: g.pass,
        fail: g.fail,
        warn: g.warn,
        info: g.info,
        desc: g.text,
        results: g.checks.map((k) => ({
          test_number: k.id,
          test_desc: k.text,
          audit: k.audit,
          AuditEnv: k.auditEnv,
          AuditConfig: k.auditConfig,
          type: k.type,
          remediation: k.remediation,
          test_info: [k.remediation],
          status: k.status,
          actual_value: k.actualValue,
          scored: k.scored,
          IsMultiple: k.isMultiple,
          expected_result: k.expectedResult,
          ...(k.reason ? { reason: k.reason } : {}),
        })),
      })),
      total_pass: c.totals.pass,
      total_fail: c.totals.fail,
      total_warn: c.totals.warn,
      total_info: c.totals.info,
    })),
    Totals: {
      total_pass: r.totals.pass,
      total_fail: r.totals.fail,
      total_warn: r.totals.warn,
      total_info: r.totals.info,
    },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
