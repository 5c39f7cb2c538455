/**
 * A readable table per result, like Trivy's: a header line naming the target,
 * then one row per package. Widths adapt to content; nothing is truncated
 * unless a terminal width is given.
 */
import type { InventoryReport, Package } from '@palisade/api';

function fullVersion(p: Package): string {
  let v = p.version;
  if (p.release) v = `${v}-${p.release}`;
  if (p.epoch) v = `${p.epoch}:${v}`;
  return v;
}

function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `│ ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' │ ')} │`;
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  return [
    rule('┌', '┬', '┐'),
    line(headers),
    rule('├', '┼', '┤'),
    ...rows.map(line),
    rule('└', '┴', '┘'),
  ].join('\n');
}

export function inventoryTable(report: InventoryReport): string {
  const out: string[] = [];
  const total = report.results.reduce((n, r) => n + r.packages.length, 0);
  out.push(`${report.artifact.name}: ${total} packages in ${report.results.length} result(s)`);
  if (report.os) out.push(`OS: ${report.os.family} ${report.os.name}`);
  for (const r of report.results) {
    out.push('');
    out.push(`${r.target} (${r.type})`);
    out.push('='.repeat(Math.min(80, r.target.length + r.type.length + 3)));
    out.push(`Total: ${r.packages.length}`);
    if (r.packages.length === 0) continue;
    const withSrc = r.class === 'os-pkgs';
    const withPath = r.packages.some((p) => p.filePath);
    const headers = ['Package', 'Version', ...(withSrc ? ['Source'] : []), ...(withPath ? ['Path'] : [])];
    const rows = r.packages.map((p) => [
      p.name,
      fullVersion(p),
      ...(withSrc ? [p.srcName && p.srcName !== p.name ? p.srcName : ''] : []),
      ...(withPath ? [p.filePath ?? ''] : []),
    ]);
    out.push(renderTable(headers, rows));
  }
  const warnings = report.diagnostics.filter((d) => d.severity !== 'info');
  if (warnings.length > 0) {
    out.push('');
    out.push(`${warnings.length} warning(s) while reading the artifact (see --format json for all):`);
    for (const d of warnings.slice(0, 10)) {
      out.push(`  ${d.code}: ${d.file ? `${d.file}${d.line ? `:${d.line}` : ''}: ` : ''}${d.message}`);
    }
  }
  return `${out.join('\n')}\n`;
}
