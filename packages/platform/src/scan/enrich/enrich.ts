/**
 * Fills `epss` and `kev` on findings whose ID or one of whose aliases is a
 * CVE (the first CVE in that order is looked up). Pure: returns a new report.
 */
import type { DetectedVulnerability, ScanReport } from '@palisade/api';
import type { EpssTable } from './epss.js';
import type { KevTable } from './kev.js';

export interface EnrichmentSources {
  epss?: EpssTable | undefined;
  kev?: KevTable | undefined;
}

export interface EnrichStats {
  findings: number;
  withCve: number;
  epss: number;
  kev: number;
}

const CVE = /^CVE-\d{4}-\d{4,}$/;

/** The CVE a finding is known by: its ID if a CVE, else its first CVE alias. */
export function cveOf(v: DetectedVulnerability): string | undefined {
  if (CVE.test(v.vulnerabilityId)) return v.vulnerabilityId;
  return v.aliases?.find((a) => CVE.test(a));
}

export function enrichFinding(v: DetectedVulnerability, src: EnrichmentSources): DetectedVulnerability {
  const cve = cveOf(v);
  if (!cve) return v;
  const e = src.epss?.get(cve);
  const k = src.kev?.get(cve);
  if (!e && !k) return v;
  const out: DetectedVulnerability = { ...v };
  if (e) {
    out.epss = { score: e.score, percentile: e.percentile };
    if (src.epss?.scoreDate) out.epss.date = src.epss.scoreDate;
  }
  if (k) out.kev = { ...k };
  return out;
}

export function enrich(
  report: ScanReport,
  src: EnrichmentSources,
): { report: ScanReport; stats: EnrichStats } {
  const stats: EnrichStats = { findings: 0, withCve: 0, epss: 0, kev: 0 };
  const results = report.results.map((r) => {
    if (!r.vulnerabilities) return r;
    return {
      ...r,
      vulnerabilities: r.vulnerabilities.map((v) => {
        stats.findings++;
        if (cveOf(v)) stats.withCve++;
        const out = enrichFinding(v, src);
        if (out.epss && src.epss) stats.epss++;
        if (out.kev && src.kev) stats.kev++;
        return out;
      }),
    };
  });
  return { report: { ...report, results }, stats };
}
