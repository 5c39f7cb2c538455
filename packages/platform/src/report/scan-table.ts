/**
 * The readable scan report, laid out as Trivy prints it when the output is not a
 * terminal: a "Report Summary" table of every target with its finding counts,
 * then per target a header, a `Total:` line by severity and a table of
 * vulnerabilities (rows in Trivy's order, repeated cells merged), and per file
 * with secrets the rule, severity, title and the redacted lines around the match.
 * Differences from Trivy are listed in docs/scan-formats.md.
 */
import type { DetectedVulnerability, ScanReport, ScanResult, SecretFinding, Severity } from '@palisade/api';
import { SEVERITIES } from '@palisade/api';
import {
  AGGREGATING_TYPES,
  goLess,
  isPackageResult,
  rootJarFromPath,
  sortScanReport,
  totalLine,
} from './scan-common.js';
import { renderTextTable } from './scan-text-table.js';

export interface ScanTableOptions {
  /** Severities counted in `Total:` lines (Trivy's --severity); all five by default. */
  severities?: readonly Severity[];
  /** Scanners the run used, for the summary's columns; `vuln` and `secret` by default. */
  scanners?: readonly ('vuln' | 'secret')[];
  /** Print the Report Summary table first (Trivy's default table mode). Default true. */
  summary?: boolean;
  /** List suppressed findings under each target (--show-suppressed). */
  showSuppressed?: boolean;
  /** Width of the secret section dividers; Trivy uses the terminal width, 40 when there is none. */
  width?: number;
}

function targetHeader(target: string): string {
  return `\n${target}\n${'='.repeat(Buffer.byteLength(target, 'utf8'))}\n`;
}

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i >= 0 ? p.slice(i + 1) : p;
}

function titleCell(v: DetectedVulnerability): string {
  let title = v.title || v.description || '';
  const words = title.split(' ');
  if (words.length >= 12) title = `${words.slice(0, 12).join(' ')}...`;
  if (v.primaryUrl) title = `${title}\n${v.primaryUrl}`;
  return title.trim();
}

function libraryCell(v: DetectedVulnerability): string {
  return v.pkgPath ? `${v.pkgName} (${basename(rootJarFromPath(v.pkgPath))})` : v.pkgName;
}

function vulnerabilityTable(vulns: DetectedVulnerability[]): string {
  return renderTextTable({
    headers: [
      'Library',
      'Vulnerability',
      'Severity',
      'Status',
      'Installed Version',
      'Fixed Version',
      'Title',
    ],
    rows: vulns.map((v) => [
      libraryCell(v),
      v.vulnerabilityId,
      v.severity,
      v.status,
      v.installedVersion,
      v.fixedVersion ?? '',
      titleCell(v),
    ]),
    autoMerge: true,
  });
}

function suppressedTable(r: ScanResult): string {
  const rows = (r.suppressed ?? [])
    .filter((s) => s.type === 'vulnerability')
    .map((s) => {
      const v = s.finding as DetectedVulnerability;
      return [libraryCell(v), v.vulnerabilityId, v.severity, s.status, s.statement, s.source];
    });
  if (rows.length === 0) return '';
  const head = `Suppressed Vulnerabilities (Total: ${rows.length})`;
  return `${targetHeader(head)}\n${renderTextTable({
    headers: ['Library', 'Vulnerability', 'Severity', 'Status', 'Statement', 'Source'],
    rows,
    autoMerge: true,
  })}`;
}

function renderVulnerabilities(
  r: ScanResult,
  severities: readonly Severity[],
  showSuppressed: boolean,
): string {
  const vulns = r.vulnerabilities ?? [];
  const target = r.class === 'lang-pkgs' ? `${r.target} (${r.type ?? ''})` : r.target;
  let s = targetHeader(target);
  s += `${totalLine(vulns, severities)}\n\n`;
  if (vulns.length > 0) s += vulnerabilityTable(vulns);
  if (showSuppressed) s += suppressedTable(r);
  return s;
}

function causeMarker(lines: NonNullable<SecretFinding['code']>['lines'], i: number): string {
  const line = lines[i];
  const first = line?.isCause === true && (i === 0 || lines[i - 1]?.isCause !== true);
  const last = line?.isCause === true && (i === lines.length - 1 || lines[i + 1]?.isCause !== true);
  if ((first && last) || lines.length === 1) return '[ ';
  if (first || i === 0) return '┌ ';
  if (last || i === lines.length - 1) return '└ ';
  return '│ ';
}

function renderSecrets(
  target: string,
  secrets: SecretFinding[],
  severities: readonly Severity[],
  width: number,
): string {
  if (secrets.length === 0) return '';
  const dbl = '═'.repeat(width);
  const sgl = '─'.repeat(width);
  let s = targetHeader(`${target} (secrets)`);
  s += `${totalLine(secrets, severities)}\n\n`;
  for (const f of secrets) {
    s += `${f.severity}: ${f.category} (${f.ruleId})\n${dbl}\n${f.title}\n${sgl}\n`;
    const lines = f.code?.lines ?? [];
    if (lines.length > 0) {
      let info = '';
      if (f.startLine > 0) {
        info = `:${f.startLine}`;
        if (f.endLine > f.startLine) info += `-${f.endLine}`;
      }
      const note = f.layer?.diffId
        ? ` (added in layer '${f.layer.diffId.replace(/^sha256:/, '').slice(0, 12)}')`
        : '';
      s += ` ${target}${info}${note}\n${sgl}\n`;
      lines.forEach((l, i) => {
        s += l.isCause
          ? `${String(l.number).padStart(4)} ${causeMarker(lines, i)}${l.content}\n`
          : `${String(l.number).padStart(4)}   ${l.content}\n`;
      });
      s += `${sgl}\n`;
    }
    s += '\n\n';
  }
  return s;
}

/** Trivy's summary splits results of aggregating types (jar, node-pkg…) into one row per package file. */
function summaryRows(
  results: ScanResult[],
): { target: string; type: string; vulns: number; secrets: number }[] {
  const rows: { target: string; type: string; vulns: number; secrets: number }[] = [];
  for (const r of results) {
    const type = r.class === 'secret' ? 'text' : (r.type ?? '');
    const vulnCount = isPackageResult(r) ? (r.vulnerabilities?.length ?? 0) : -1;
    const secretCount = r.class === 'secret' ? (r.secrets?.length ?? 0) : -1;
    if (isPackageResult(r) && AGGREGATING_TYPES.includes(r.type ?? '') && (r.packages?.length ?? 0) > 0) {
      const byFile = new Map<string, number>();
      for (const p of r.packages ?? []) byFile.set(rootJarFromPath(p.filePath ?? ''), 0);
      for (const v of r.vulnerabilities ?? []) {
        const k = rootJarFromPath(v.pkgPath ?? '');
        const n = byFile.get(k);
        if (n !== undefined) byFile.set(k, n + 1);
      }
      const split = [...byFile.entries()].map(([file, n]) => ({
        target: file || r.target,
        type,
        vulns: n,
        secrets: secretCount,
      }));
      split.sort((a, b) => goLess(a.target, b.target));
      rows.push(...split);
      continue;
    }
    rows.push({ target: r.target, type, vulns: vulnCount, secrets: secretCount });
  }
  return rows;
}

function renderSummary(report: ScanReport, scanners: readonly ('vuln' | 'secret')[]): string {
  const cols = scanners.map((s) => (s === 'vuln' ? 'Vulnerabilities' : 'Secrets'));
  const count = (n: number) => (n < 0 ? '-' : String(n));
  let rows = summaryRows(report.results).map((r) => [
    r.target,
    r.type,
    ...scanners.map((s) => count(s === 'vuln' ? r.vulns : r.secrets)),
  ]);
  const align = ['left' as const, 'center' as const, ...scanners.map(() => 'center' as const)];
  if (rows.length === 0) {
    rows = [Array<string>(cols.length + 2).fill('-')];
    align[0] = 'center';
  }
  const table = renderTextTable({
    headers: ['Target', 'Type', ...cols],
    rows,
    align,
    maxColumnWidth: 80,
  });
  return `\nReport Summary\n\n${table}Legend:\n- '-': Not scanned\n- '0': Clean (no security findings detected)\n\n`;
}

export function scanTable(input: ScanReport, opts: ScanTableOptions = {}): string {
  const report = sortScanReport(input);
  const severities = opts.severities ?? SEVERITIES;
  const scanners = opts.scanners ?? ['vuln', 'secret'];
  let out = opts.summary === false ? '' : renderSummary(report, scanners);
  for (const r of report.results) {
    if (isPackageResult(r)) {
      const empty =
        (r.vulnerabilities?.length ?? 0) === 0 &&
        (r.packages?.length ?? 0) === 0 &&
        (r.secrets?.length ?? 0) === 0 &&
        (r.suppressed?.length ?? 0) === 0;
      if (!(empty && r.class !== 'os-pkgs'))
        out += renderVulnerabilities(r, severities, opts.showSuppressed ?? false);
    }
    if (r.secrets && r.secrets.length > 0)
      out += renderSecrets(r.target, r.secrets, severities, opts.width ?? 40);
  }
  return out;
}
