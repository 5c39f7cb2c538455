/**
 * CycloneDX 1.6 with vulnerabilities: the inventory writer's components and
 * dependencies (report/cyclonedx.ts), plus one `vulnerabilities[]` entry per
 * vulnerability ID with ratings, CWEs, advisories, recommendation and `affects`
 * linking the components by bom-ref, as Trivy's CycloneDX marshaler builds them.
 * Findings a VEX statement marked not affected carry an `analysis`.
 */
import type {
  DetectedVulnerability,
  InventoryReport,
  InventoryResult,
  Package,
  ScanReport,
  SuppressedFinding,
} from '@palisade/api';
import { inventoryCycloneDX } from './cyclonedx.js';
import { flatten } from './sbom-common.js';

type Json = Record<string, unknown>;

/** A package for a vulnerability whose result lists no packages (scans without --list-all-pkgs). */
function packageOf(v: DetectedVulnerability): Package {
  const p: Package = { name: v.pkgName, version: v.installedVersion };
  if (v.pkgId) p.id = v.pkgId;
  if (v.purl) p.purl = v.purl;
  if (v.pkgPath) p.filePath = v.pkgPath;
  return p;
}

function fullVersion(p: Package): string {
  let s = p.version;
  if (p.release) s = `${s}-${p.release}`;
  if (p.epoch) s = `${p.epoch}:${s}`;
  return s;
}

const CDX_SEVERITY: Record<string, string> = {
  LOW: 'low',
  MEDIUM: 'medium',
  HIGH: 'high',
  CRITICAL: 'critical',
};
const vendorSeverity = (n: number | undefined) =>
  CDX_SEVERITY[['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'][n ?? 0] ?? ''] ?? 'unknown';

function nvdSeverityV2(score: number): string {
  if (score < 4) return 'info';
  return score < 7 ? 'medium' : 'high';
}

/** Trivy's ratings: per source with a severity, its CVSS v2/v3/v4 ratings if any, else a severity-only rating. */
export function ratings(v: DetectedVulnerability): Json[] {
  const out: { source: string; method: string; score?: number; vector: string; json: Json }[] = [];
  for (const [src, sev] of Object.entries(v.vendorSeverity ?? {})) {
    const c = v.cvss?.[src];
    if (!c) {
      out.push({
        source: src,
        method: '',
        vector: '',
        json: { source: { name: src }, severity: vendorSeverity(sev) },
      });
      continue;
    }
    const add = (method: string, score: number | undefined, vector: string | undefined, severity: string) => {
      const json: Json = { source: { name: src }, score: score ?? 0, severity, method };
      if (vector) json['vector'] = vector;
      out.push({ source: src, method, score: score ?? 0, vector: vector ?? '', json });
    };
    if (c.v2Score || c.v2Vector)
      add(
        'CVSSv2',
        c.v2Score,
        c.v2Vector,
        src === 'nvd' ? nvdSeverityV2(c.v2Score ?? 0) : vendorSeverity(sev),
      );
    if (c.v3Score || c.v3Vector)
      add(
        c.v3Vector?.startsWith('CVSS:3.1') ? 'CVSSv31' : 'CVSSv3',
        c.v3Score,
        c.v3Vector,
        vendorSeverity(sev),
      );
    if (c.v40Score || c.v40Vector) add('CVSSv4', c.v40Score, c.v40Vector, vendorSeverity(sev));
  }
  out.sort((a, b) => {
    if (a.source !== b.source) return a.source < b.source ? -1 : 1;
    if (a.method !== b.method) return a.method < b.method ? -1 : 1;
    if (a.score !== undefined && b.score !== undefined && a.score !== b.score) return a.score - b.score;
    return a.vector < b.vector ? -1 : a.vector > b.vector ? 1 : 0;
  });
  return out.map((r) => r.json);
}

const JUSTIFICATIONS: Record<string, string> = {
  component_not_present: 'code_not_present',
  vulnerable_code_not_present: 'code_not_present',
  vulnerable_code_not_in_execute_path: 'code_not_reachable',
  vulnerable_code_cannot_be_controlled_by_adversary: 'requires_environment',
  inline_mitigations_already_exist: 'protected_by_mitigating_control',
};

function analysis(s: SuppressedFinding): Json {
  const a: Json = { state: 'not_affected' };
  const just = Object.keys(JUSTIFICATIONS).find((k) => s.statement.includes(k));
  if (just) a['justification'] = JUSTIFICATIONS[just];
  a['detail'] = `${s.statement} (${s.source})`;
  return a;
}

function vulnerability(v: DetectedVulnerability, ref: string): Json {
  const out: Json = { id: v.vulnerabilityId };
  if (v.dataSource)
    out['source'] = { name: v.dataSource.id, ...(v.dataSource.url ? { url: v.dataSource.url } : {}) };
  out['ratings'] = ratings(v);
  if (v.cweIds) {
    out['cwes'] = v.cweIds
      .map((c) => Number.parseInt(c.toLowerCase().replace(/^cwe-/, ''), 10))
      .filter((n) => Number.isInteger(n) && n >= 0);
  }
  if (v.description) out['description'] = v.description;
  if (v.fixedVersion) out['recommendation'] = `Upgrade ${v.pkgName} to version ${v.fixedVersion}`;
  const advisories = [...new Set([v.primaryUrl ?? '', ...(v.references ?? [])])].filter((u) => u !== '');
  if (advisories.length > 0) out['advisories'] = advisories.map((url) => ({ url }));
  if (v.publishedDate) out['published'] = v.publishedDate.replace(/Z$/, '+00:00');
  if (v.lastModifiedDate) out['updated'] = v.lastModifiedDate.replace(/Z$/, '+00:00');
  out['affects'] = [{ ref, versions: [{ version: v.installedVersion, status: 'affected' }] }];
  return out;
}

export function toScanCycloneDX(report: ScanReport): Json {
  // The inventory the components come from: listed packages, else the vulnerable ones.
  const results: InventoryResult[] = report.results
    .filter((r) => r.class !== 'secret')
    .map((r) => {
      const listed = r.packages ?? [];
      const fromVulns: Package[] = [];
      const seen = new Set<string>();
      if (listed.length === 0) {
        for (const v of [...(r.vulnerabilities ?? []), ...(r.suppressed ?? []).map((s) => s.finding)]) {
          if (!('vulnerabilityId' in v)) continue;
          const key = `${v.pkgId ?? ''}\u0000${v.pkgName}\u0000${v.installedVersion}\u0000${v.pkgPath ?? ''}`;
          if (seen.has(key)) continue;
          seen.add(key);
          fromVulns.push(packageOf(v));
        }
      }
      return {
        target: r.target,
        class: r.class === 'os-pkgs' ? 'os-pkgs' : 'lang-pkgs',
        type: r.type ?? '',
        packages: listed.length > 0 ? listed : fromVulns,
      };
    });
  const inv: InventoryReport = {
    schemaVersion: 1,
    createdAt: report.createdAt,
    artifact: report.artifact,
    results,
    diagnostics: [],
    ...(report.os ? { os: { family: report.os.family, name: report.os.name } } : {}),
  };
  const bom = JSON.parse(inventoryCycloneDX(inv)) as Json;
  const flat = flatten(inv);
  const scanResults = report.results.filter((r) => r.class !== 'secret');
  const refFor = (ri: number, v: DetectedVulnerability): string | undefined => {
    const inResult = flat.filter((f) => f.result === results[ri]);
    const hit =
      (v.pkgId ? inResult.find((f) => f.pkg.id === v.pkgId) : undefined) ??
      inResult.find(
        (f) =>
          f.pkg.name === v.pkgName &&
          (f.pkg.version === v.installedVersion || fullVersion(f.pkg) === v.installedVersion) &&
          (v.pkgPath === undefined || f.pkg.filePath === undefined || f.pkg.filePath === v.pkgPath),
      ) ??
      (v.purl ? inResult.find((f) => f.purl === v.purl) : undefined);
    return hit?.ref;
  };
  const byId = new Map<string, Json>();
  const push = (v: DetectedVulnerability, ref: string, extra?: Json) => {
    const key = extra ? `${v.vulnerabilityId}\u0000suppressed` : v.vulnerabilityId;
    const existing = byId.get(key);
    if (existing) {
      (existing['affects'] as Json[]).push({
        ref,
        versions: [{ version: v.installedVersion, status: 'affected' }],
      });
      return;
    }
    byId.set(key, { ...vulnerability(v, ref), ...extra });
  };
  scanResults.forEach((r, ri) => {
    for (const v of r.vulnerabilities ?? []) {
      const ref = refFor(ri, v);
      if (ref) push(v, ref);
    }
    for (const s of r.suppressed ?? []) {
      if (s.type !== 'vulnerability' || s.status !== 'not_affected') continue;
      const v = s.finding as DetectedVulnerability;
      const ref = refFor(ri, v);
      if (ref) push(v, ref, { analysis: analysis(s) });
    }
  });
  const vulns = [...byId.values()].sort((a, b) => {
    const x = String(a['id']);
    const y = String(b['id']);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return { ...bom, vulnerabilities: vulns };
}

export function scanCycloneDX(report: ScanReport): string {
  return `${JSON.stringify(toScanCycloneDX(report), null, 2)}\n`;
}
