/**
 * Output of `palisade audit manifests`: a table, Palisade JSON, SARIF 2.1.0 (ruleId = check
 * ID, location = manifest file and line), JUnit XML, and Trivy Operator ConfigAuditReport
 * objects (one per audited object).
 */
import type { Diagnostic } from '../core/diagnostics.js';
import { formatLocation } from '../core/location.js';
import type { CheckMeta, ObjectResult, Severity } from './types.js';
import { SEVERITIES } from './types.js';

export interface AuditReport {
  results: ObjectResult[];
  diagnostics: Diagnostic[];
  checks: readonly CheckMeta[];
}

const target = (r: ObjectResult): string =>
  `${r.object.namespace ? `${r.object.namespace}/` : ''}${r.object.kind}/${r.object.name}`;

export function countBySeverity(report: AuditReport): Record<Severity, number> {
  const out = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 } as Record<Severity, number>;
  for (const r of report.results) for (const c of r.results) if (!c.success) out[c.severity]++;
  return out;
}

export function formatTable(report: AuditReport): string {
  const rows: string[][] = [['LOCATION', 'OBJECT', 'CHECK', 'SEVERITY', 'MESSAGE']];
  for (const r of report.results)
    for (const c of r.results)
      if (!c.success)
        rows.push([
          formatLocation({ ...r.object.location, ...(c.line !== undefined ? { line: c.line } : {}) }),
          target(r),
          c.checkId,
          c.severity,
          c.messages[0] ?? c.title,
        ]);
  const counts = countBySeverity(report);
  const summary = `${report.results.length} object(s) audited; failures: ${SEVERITIES.filter(
    (s) => s !== 'UNKNOWN',
  )
    .map((s) => `${s} ${counts[s]}`)
    .join(', ')}\n`;
  if (rows.length === 1) return summary;
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return (
    rows
      .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '))
      .join('\n') +
    '\n\n' +
    summary
  );
}

export function formatJson(report: AuditReport): string {
  return (
    JSON.stringify(
      {
        summary: countBySeverity(report),
        results: report.results.map((r) => ({
          ...r.object,
          checks: r.results,
        })),
        diagnostics: report.diagnostics,
      },
      null,
      2,
    ) + '\n'
  );
}

const SARIF_LEVEL: Record<Severity, string> = {
  CRITICAL: 'error',
  HIGH: 'error',
  MEDIUM: 'warning',
  LOW: 'note',
  UNKNOWN: 'note',
};
const SECURITY_SEVERITY: Record<Severity, string> = {
  CRITICAL: '9.5',
  HIGH: '8.0',
  MEDIUM: '5.5',
  LOW: '2.0',
  UNKNOWN: '0.0',
};

export function formatSarif(report: AuditReport, version = '0.1.0'): string {
  const used = new Set<string>();
  for (const r of report.results) for (const c of r.results) if (!c.success) used.add(c.checkId);
  const rules = report.checks.filter((c) => used.has(c.id));
  const index = new Map(rules.map((c, i) => [c.id, i]));
  const results = report.results.flatMap((r) =>
    r.results
      .filter((c) => !c.success)
      .map((c) => ({
        ruleId: c.checkId,
        ruleIndex: index.get(c.checkId) ?? 0,
        level: SARIF_LEVEL[c.severity],
        message: { text: `${target(r)}: ${c.messages.join('; ') || c.title}` },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: r.object.location.file.replace(/\\/g, '/'), uriBaseId: 'ROOTPATH' },
              region: { startLine: c.line ?? r.object.location.line ?? 1 },
            },
          },
        ],
      })),
  );
  return (
    JSON.stringify(
      {
        version: '2.1.0',
        $schema:
          'https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json',
        runs: [
          {
            tool: {
              driver: {
                name: 'Palisade',
                informationUri: 'https://github.com/palisade',
                version,
                rules: rules.map((c) => ({
                  id: c.id,
                  name: c.title,
                  shortDescription: { text: c.title },
                  fullDescription: { text: c.description },
                  help: {
                    text: `${c.description}\nRemediation: ${c.remediation}`,
                    markdown: `${c.description}\n\n**Remediation:** ${c.remediation}`,
                  },
                  defaultConfiguration: { level: SARIF_LEVEL[c.severity] },
                  properties: {
                    tags: ['security', 'misconfiguration', c.severity],
                    precision: 'very-high',
                    'security-severity': SECURITY_SEVERITY[c.severity],
                  },
                })),
              },
            },
            results,
            columnKind: 'utf16CodeUnits',
            originalUriBaseIds: { ROOTPATH: { uri: 'file:///' } },
          },
        ],
      },
      null,
      2,
    ) + '\n'
  );
}

const xml = (s: string): string =>
  s
    .replace(
      /[<>&"']/g,
      (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
    )
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

export function formatJunit(report: AuditReport): string {
  const suites = report.results.map((r) => {
    const failures = r.results.filter((c) => !c.success).length;
    const cases = r.results.map((c) => {
      const name = `[${c.severity}] ${c.checkId} ${c.title}`;
      if (c.success)
        return `    <testcase classname="${xml(target(r))}" name="${xml(name)}" time="0"></testcase>`;
      return `    <testcase classname="${xml(target(r))}" name="${xml(name)}" time="0">\n      <failure message="${xml(c.messages[0] ?? c.title)}" type="${c.severity}">${xml(
        `${formatLocation({ ...r.object.location, ...(c.line !== undefined ? { line: c.line } : {}) })}\n${c.messages.join('\n')}`,
      )}</failure>\n    </testcase>`;
    });
    return `  <testsuite tests="${r.results.length}" failures="${failures}" name="${xml(`${r.object.location.file} ${target(r)}`)}" errors="0" skipped="0" time="0">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="palisade audit">\n${suites.join('\n')}\n</testsuites>\n`;
}

/** Trivy Operator ConfigAuditReport objects (aquasecurity.github.io/v1alpha1), as a v1 List. */
export function formatConfigAuditReports(
  report: AuditReport,
  now: Date = new Date(),
  version = '0.1.0',
): string {
  const meta = new Map(report.checks.map((c) => [c.id, c]));
  const items = report.results.map((r) => {
    const sum = { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0 };
    for (const c of r.results) {
      if (c.success) continue;
      if (c.severity === 'CRITICAL') sum.criticalCount++;
      else if (c.severity === 'HIGH') sum.highCount++;
      else if (c.severity === 'MEDIUM') sum.mediumCount++;
      else if (c.severity === 'LOW') sum.lowCount++;
    }
    const kind = r.object.kind;
    return {
      apiVersion: 'aquasecurity.github.io/v1alpha1',
      kind: /Role|Binding/.test(kind) ? 'RbacAssessmentReport' : 'ConfigAuditReport',
      metadata: {
        name: `${kind.toLowerCase()}-${r.object.name}`.slice(0, 253),
        ...(r.object.namespace ? { namespace: r.object.namespace } : {}),
        labels: {
          'trivy-operator.resource.kind': kind,
          'trivy-operator.resource.name': r.object.name,
          ...(r.object.namespace ? { 'trivy-operator.resource.namespace': r.object.namespace } : {}),
        },
      },
      report: {
        updateTimestamp: now.toISOString(),
        scanner: { name: 'Palisade', vendor: 'Palisade', version },
        summary: sum,
        checks: r.results.map((c) => ({
          checkID: c.checkId,
          title: c.title,
          description: meta.get(c.checkId)?.description ?? '',
          severity: c.severity,
          category: 'Kubernetes Security Check',
          success: c.success,
          messages: c.messages,
          remediation: meta.get(c.checkId)?.remediation ?? '',
        })),
      },
    };
  });
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2) + '\n';
}
