/**
 * Shared pieces of the scan report writers: Trivy's finding order, severity
 * counts, and the report copy every writer works on.
 */
import type { DetectedVulnerability, ScanReport, ScanResult, Severity } from '@palisade/api';
import { SEVERITIES } from '@palisade/api';

/** 0 UNKNOWN … 4 CRITICAL; anything else counts as UNKNOWN. */
export function severityRank(s: string): number {
  const i = (SEVERITIES as readonly string[]).indexOf(s);
  return i < 0 ? 0 : i;
}

/** Byte-wise string order, as Go compares strings (JS `<` compares UTF-16 units, which differs above U+FFFF). */
export function goLess(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Trivy's vulnerability order (types.BySeverity): package name, installed version,
 * then the more severe first, then vulnerability ID, then package path.
 */
export function compareVulnerabilities(a: DetectedVulnerability, b: DetectedVulnerability): number {
  return (
    goLess(a.pkgName, b.pkgName) ||
    goLess(a.installedVersion, b.installedVersion) ||
    severityRank(b.severity) - severityRank(a.severity) ||
    goLess(a.vulnerabilityId, b.vulnerabilityId) ||
    goLess(a.pkgPath ?? '', b.pkgPath ?? '')
  );
}

/** A copy of the report with every result's vulnerabilities in Trivy's order. The input is not changed. */
export function sortScanReport(report: ScanReport): ScanReport {
  return {
    ...report,
    results: report.results.map((r) =>
      r.vulnerabilities ? { ...r, vulnerabilities: [...r.vulnerabilities].sort(compareVulnerabilities) } : r,
    ),
  };
}

export type SeverityCounts = Record<Severity, number>;

export function countSeverities(items: readonly { severity: string }[]): SeverityCounts {
  const c: SeverityCounts = { UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };
  for (const it of items) c[SEVERITIES[severityRank(it.severity)] ?? 'UNKNOWN']++;
  return c;
}

/** `Total: 3 (UNKNOWN: 0, LOW: 1, …)` over the severities shown (all five unless the user narrowed them). */
export function totalLine(items: readonly { severity: string }[], severities: readonly Severity[]): string {
  const c = countSeverities(items);
  const shown = SEVERITIES.filter((s) => severities.includes(s));
  const total = shown.reduce((n, s) => n + c[s], 0);
  return `Total: ${total} (${shown.map((s) => `${s}: ${c[s]}`).join(', ')})`;
}

/** Trivy's rootJarFromPath: the outermost .jar/.war/.par/.ear of a nested path, else the path. */
export function rootJarFromPath(path: string): string {
  const parts = path.split('/');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? '';
    const dot = p.lastIndexOf('.');
    const ext = dot >= 0 ? p.slice(dot) : '';
    if (['.jar', '.war', '.par', '.ear'].includes(ext)) return parts.slice(0, i + 1).join('/');
  }
  return path;
}

/** Result types whose packages come from many files (Trivy's AggregatingTypes). */
export const AGGREGATING_TYPES: readonly string[] = ['python-pkg', 'conda-pkg', 'gemspec', 'node-pkg', 'jar'];

export function isPackageResult(r: ScanResult): boolean {
  return r.class === 'os-pkgs' || r.class === 'lang-pkgs';
}
