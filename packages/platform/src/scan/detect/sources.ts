/**
 * Which database an advisory comes from, told by its ID prefix (OSV IDs are
 * `<DB>-<id>`, https://ossf.github.io/osv-schema/#id-modified-fields). The short
 * id keys vendorSeverity and cvss in findings, as Trivy's data-source ids do.
 */
import type { DataSource } from '@palisade/api';

interface Known {
  prefix: string;
  source: DataSource;
}

const KNOWN: readonly Known[] = [
  {
    prefix: 'GHSA-',
    source: { id: 'ghsa', name: 'GitHub Security Advisory', url: 'https://github.com/advisories' },
  },
  { prefix: 'GO-', source: { id: 'go', name: 'Go Vulnerability Database', url: 'https://pkg.go.dev/vuln/' } },
  {
    prefix: 'PYSEC-',
    source: {
      id: 'pypa',
      name: 'Python Packaging Advisory Database',
      url: 'https://github.com/pypa/advisory-database',
    },
  },
  {
    prefix: 'RUSTSEC-',
    source: { id: 'rustsec', name: 'RustSec Advisory Database', url: 'https://rustsec.org/advisories/' },
  },
  {
    prefix: 'ALSA-',
    source: { id: 'alma', name: 'AlmaLinux Product Errata', url: 'https://errata.almalinux.org/' },
  },
  {
    prefix: 'ALBA-',
    source: { id: 'alma', name: 'AlmaLinux Product Errata', url: 'https://errata.almalinux.org/' },
  },
  {
    prefix: 'RLSA-',
    source: { id: 'rocky', name: 'Rocky Linux Errata', url: 'https://errata.rockylinux.org/' },
  },
  {
    prefix: 'RHSA-',
    source: { id: 'redhat', name: 'Red Hat Security Data', url: 'https://access.redhat.com/security/' },
  },
  {
    prefix: 'DSA-',
    source: {
      id: 'debian',
      name: 'Debian Security Tracker',
      url: 'https://security-tracker.debian.org/tracker/',
    },
  },
  {
    prefix: 'DLA-',
    source: {
      id: 'debian',
      name: 'Debian Security Tracker',
      url: 'https://security-tracker.debian.org/tracker/',
    },
  },
  {
    prefix: 'DTSA-',
    source: {
      id: 'debian',
      name: 'Debian Security Tracker',
      url: 'https://security-tracker.debian.org/tracker/',
    },
  },
  {
    prefix: 'DEBIAN-',
    source: {
      id: 'debian',
      name: 'Debian Security Tracker',
      url: 'https://security-tracker.debian.org/tracker/',
    },
  },
  {
    prefix: 'USN-',
    source: { id: 'ubuntu', name: 'Ubuntu CVE Tracker', url: 'https://ubuntu.com/security/notices' },
  },
  {
    prefix: 'UBUNTU-',
    source: { id: 'ubuntu', name: 'Ubuntu CVE Tracker', url: 'https://ubuntu.com/security/cves' },
  },
  {
    prefix: 'ALPINE-',
    source: { id: 'alpine', name: 'Alpine Secdb', url: 'https://secdb.alpinelinux.org/' },
  },
  {
    prefix: 'SUSE-',
    source: { id: 'suse', name: 'SUSE Security Advisories', url: 'https://www.suse.com/support/security/' },
  },
  {
    prefix: 'openSUSE-',
    source: { id: 'suse', name: 'SUSE Security Advisories', url: 'https://www.suse.com/support/security/' },
  },
  {
    prefix: 'MAL-',
    source: {
      id: 'ossf-malicious',
      name: 'OpenSSF Malicious Packages',
      url: 'https://github.com/ossf/malicious-packages',
    },
  },
  {
    prefix: 'CVE-',
    source: { id: 'nvd', name: 'National Vulnerability Database', url: 'https://nvd.nist.gov/vuln/detail/' },
  },
];

/** The data source of an advisory ID; an unknown prefix gives the prefix itself (lower-case) as the id. */
export function dataSourceOf(advisoryId: string, importSource: string): DataSource {
  // Indexed: this runs once per matched record, mostly before it is optimized (no iterator objects).
  for (let i = 0; i < KNOWN.length; i++) {
    const k = KNOWN[i] as Known;
    if (advisoryId.startsWith(k.prefix)) return k.source;
  }
  const dash = advisoryId.indexOf('-');
  const id = dash > 0 ? advisoryId.slice(0, dash).toLowerCase() : importSource.toLowerCase();
  return { id, name: importSource };
}

/** Preference among IDs of one weakness when none is a CVE: GHSA, then the language databases, then the rest. */
const ID_PREFERENCE = ['GHSA-', 'GO-', 'PYSEC-', 'RUSTSEC-'];

export function idRank(id: string): number {
  for (let i = 0; i < ID_PREFERENCE.length; i++) if (id.startsWith(ID_PREFERENCE[i] as string)) return i;
  return ID_PREFERENCE.length;
}

const CVE_RE = /^CVE-(\d{4})-(\d+)$/;

/** Orders CVE IDs by year, then number (CVE-2021-9999 before CVE-2021-10000). */
export function compareCve(a: string, b: string): number {
  const ma = CVE_RE.exec(a);
  const mb = CVE_RE.exec(b);
  if (!ma || !mb) return a < b ? -1 : a > b ? 1 : 0;
  const na = ma[2] as string;
  const nb = mb[2] as string;
  // Digit strings of one length order as their code points (no locale collation: it was 2% of a cold scan).
  return Number(ma[1]) - Number(mb[1]) || na.length - nb.length || (na < nb ? -1 : na > nb ? 1 : 0);
}

export function isCve(id: string): boolean {
  return CVE_RE.test(id);
}

/**
 * The ID a finding is shown under: a CVE of the group when there is one (the
 * lowest by year and number), else the
 * matched advisory IDs by preference (GHSA, GO, PYSEC, RUSTSEC, then others in
 * code-point order).
 */
export function preferredId(matchedIds: readonly string[], groupIds: readonly string[]): string {
  // The lowest CVE: compareCve is a total order on CVE IDs, so the minimum is the first of the sorted list.
  let cve: string | undefined;
  for (let i = 0; i < groupIds.length; i++) {
    const id = groupIds[i] as string;
    if (isCve(id) && (cve === undefined || compareCve(id, cve) < 0)) cve = id;
  }
  if (cve) return cve;
  const sorted = [...matchedIds].sort((a, b) => idRank(a) - idRank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return sorted[0] ?? groupIds[0] ?? '';
}
