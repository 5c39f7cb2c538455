/**
 * JUnit XML as Trivy's contrib/junit.tpl writes it: per target a test suite
 * with one failing test case per vulnerability (`[SEVERITY] ID`, class name
 * `package-version`, the title as message and the description as body),
 * followed by the target's (here always empty) misconfiguration suite, so CI
 * systems that read Trivy's JUnit files read ours the same way.
 */
import type { ScanReport, ScanResult } from '@palisade/api';

/** Go's template escapeXML (encoding/xml EscapeText). */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"'\t\n\r]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&#34;';
      case "'":
        return '&#39;';
      case '\t':
        return '&#x9;';
      case '\n':
        return '&#xA;';
      default:
        return '&#xD;';
    }
  });
}

function properties(r: ScanResult): string {
  if (!r.type) return '';
  return `        <properties>\n            <property name="type" value="${escapeXml(r.type)}"></property>\n        </properties>\n`;
}

export function scanJunit(report: ScanReport): string {
  let out = '<?xml version="1.0" ?>\n<testsuites name="trivy">\n';
  for (const r of report.results) {
    const vulns = r.vulnerabilities ?? [];
    const name = escapeXml(r.target);
    out += `    <testsuite tests="${vulns.length}" failures="${vulns.length}" name="${name}" errors="0" skipped="0" time="">\n`;
    out += properties(r);
    for (const v of vulns) {
      out += `        <testcase classname="${escapeXml(`${v.pkgName}-${v.installedVersion}`)}" name="[${v.severity}] ${escapeXml(v.vulnerabilityId)}" time="">\n`;
      out += `            <failure message="${escapeXml(v.title ?? '')}" type="description">${escapeXml(v.description ?? '')}</failure>\n`;
      out += '        </testcase>\n';
    }
    out += '    </testsuite>\n';
    out += `    <testsuite tests="0" failures="0" name="${name}" errors="0" skipped="0" time="">\n`;
    out += properties(r);
    out += '    </testsuite>\n';
  }
  return `${out}</testsuites>\n`;
}
