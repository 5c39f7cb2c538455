/**
 * Builders from a scan result (ScanReport) to Trivy Operator's report objects, one per workload
 * container: VulnerabilityReport and ExposedSecretReport with Trivy Operator's names, labels,
 * ownerReferences and summary counts (see naming.ts). Pure functions: the operator writes what
 * they return.
 *
 * Size cap: etcd refuses objects over its request limit (1.5 MiB by default), and an image with
 * thousands of findings can exceed it. A report whose JSON is larger than `maxBytes` keeps its
 * summary (counts of every finding) and the most severe findings that fit (severity, then CVSS
 * score, then ID), and records the cut in the annotations `palisade.dev/truncated: "true"` and
 * `palisade.dev/findings-kept: "<kept>/<total>"` (the CRD prunes unknown fields under `.report`,
 * so the mark lives in metadata). See docs/crds.md.
 */
import type {
  DetectedVulnerability,
  ExposedSecretItem,
  ExposedSecretReport,
  ScanReport,
  SecretFinding,
  Severity,
  VulnerabilityItem,
  VulnerabilityReport,
} from '@palisade/api';
import { PalisadeError } from '../../core/errors.js';
import { parseReference } from '../../scan/artifact/registry/reference.js';
import {
  ANNOTATION_FINDINGS_KEPT,
  ANNOTATION_TRUNCATED,
  LABEL_CONTAINER_NAME,
  LABEL_MANAGED_BY,
  LABEL_RESOURCE_SPEC_HASH,
  containerReportName,
  workloadLabels,
} from './naming.js';

/** The workload (the Pod's controller, or the Pod itself) a report belongs to. */
export interface WorkloadRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}

export interface ContainerReportOptions {
  workload: WorkloadRef;
  container: string;
  /** The image as the Pod spec names it (`nginx:1.25`, `ghcr.io/x/y@sha256:…`). */
  image: string;
  /** Resolved manifest digest, when known (Pod status or registry); else the scan's. */
  imageDigest?: string;
  /** Value of the `resource-spec-hash` label (the operator's hash of the Pod spec). */
  resourceSpecHash?: string;
  scanner?: { name: string; vendor: string; version: string };
  /** Report time; default now. */
  now?: Date;
  /** Largest JSON size of the object, bytes; default 1,000,000 (below etcd's 1.5 MiB with room for metadata and managedFields). */
  maxBytes?: number;
}

export const DEFAULT_MAX_REPORT_BYTES = 1_000_000;
export const DEFAULT_SCANNER = { name: 'Palisade', vendor: 'Palisade', version: '0.1.0' };

export const VULNERABILITY_REPORT_API = { group: 'aquasecurity.github.io', version: 'v1alpha1' } as const;

const SEVERITY_RANK: Record<Severity, number> = { CRITICAL: 4, HIGH: 3, MEDIUM: 2, LOW: 1, UNKNOWN: 0 };

interface ImageFields {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
}

/** Registry, repository, tag and digest as Trivy Operator fills `report.registry`/`report.artifact`. */
export function imageFields(image: string, digest?: string): ImageFields {
  const ref = parseReference(image);
  // go-containerregistry (which Trivy Operator uses) names Docker Hub `index.docker.io`.
  const registry = ref.domain === 'docker.io' ? 'index.docker.io' : ref.domain;
  return {
    registry,
    repository: ref.path,
    tag: ref.tagImplied && ref.digest ? '' : (ref.tag ?? ''),
    digest: digest ?? ref.digest ?? '',
  };
}

/** Name, labels, annotations and ownerReference of a per-container report (any of the three kinds). */
export function reportMetadata(o: ContainerReportOptions): VulnerabilityReport['metadata'] {
  const { labels, annotations } = workloadLabels(o.workload);
  labels[LABEL_CONTAINER_NAME] = o.container;
  labels[LABEL_MANAGED_BY] = 'palisade';
  if (o.resourceSpecHash) labels[LABEL_RESOURCE_SPEC_HASH] = o.resourceSpecHash;
  return {
    name: containerReportName(o.workload.kind, o.workload.name, o.container),
    namespace: o.workload.namespace,
    labels,
    ...(Object.keys(annotations).length ? { annotations } : {}),
    ownerReferences: [
      {
        apiVersion: o.workload.apiVersion,
        kind: o.workload.kind,
        name: o.workload.name,
        uid: o.workload.uid,
        controller: true,
        // As Trivy Operator: no extra RBAC needed under OwnerReferencesPermissionEnforcement.
        blockOwnerDeletion: false,
      },
    ],
  };
}

function scoreOf(v: DetectedVulnerability): number | undefined {
  const src = v.severitySource;
  const pick = (k: string | undefined): number | undefined => {
    const c = k ? v.cvss?.[k] : undefined;
    return c?.v3Score ?? c?.v40Score ?? c?.v2Score;
  };
  return (
    pick(src) ??
    pick('nvd') ??
    Object.keys(v.cvss ?? {})
      .map(pick)
      .find((x) => x !== undefined)
  );
}

function vulnerabilityItem(
  v: DetectedVulnerability,
  target: string,
  cls: string,
  type?: string,
): VulnerabilityItem {
  const item: VulnerabilityItem = {
    vulnerabilityID: v.vulnerabilityId,
    resource: v.pkgName,
    installedVersion: v.installedVersion,
    fixedVersion: v.fixedVersion ?? '',
    publishedDate: v.publishedDate ?? '',
    lastModifiedDate: v.lastModifiedDate ?? '',
    severity: v.severity,
    title: v.title ?? '',
    target,
    class: cls,
  };
  if (type) item.packageType = type;
  if (v.pkgPath) item.packagePath = v.pkgPath;
  if (v.purl) item.packagePURL = v.purl;
  if (v.primaryUrl) item.primaryLink = v.primaryUrl;
  if (v.references?.length) item.links = v.references;
  if (v.description) item.description = v.description;
  const score = scoreOf(v);
  if (score !== undefined) item.score = score;
  if (v.severitySource) item.cvsssource = v.severitySource;
  if (v.cvss) {
    const cvss: NonNullable<VulnerabilityItem['cvss']> = {};
    for (const [k, c] of Object.entries(v.cvss)) {
      const e: NonNullable<VulnerabilityItem['cvss']>[string] = {};
      if (c.v2Score !== undefined) e.V2Score = c.v2Score;
      if (c.v2Vector !== undefined) e.V2Vector = c.v2Vector;
      if (c.v3Score !== undefined) e.V3Score = c.v3Score;
      if (c.v3Vector !== undefined) e.V3Vector = c.v3Vector;
      if (c.v40Score !== undefined) e.V40Score = c.v40Score;
      if (c.v40Vector !== undefined) e.V40Vector = c.v40Vector;
      cvss[k] = e;
    }
    item.cvss = cvss;
  }
  return item;
}

function bySeverity<T extends { severity: string; score?: number | undefined }>(
  id: (x: T) => string,
): (a: T, b: T) => number {
  return (a, b) =>
    (SEVERITY_RANK[b.severity as Severity] ?? 0) - (SEVERITY_RANK[a.severity as Severity] ?? 0) ||
    (b.score ?? -1) - (a.score ?? -1) ||
    (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);
}

function byteLength(x: unknown): number {
  return Buffer.byteLength(JSON.stringify(x), 'utf8');
}

/**
 * Keeps the longest prefix of `items` (already sorted most severe first) such that the object with
 * that list stays within `maxBytes`; marks the cut in the annotations.
 */
function capFindings<R extends { metadata: { annotations?: Record<string, string> } }, I>(
  obj: R,
  items: I[],
  set: (r: R, list: I[]) => void,
  maxBytes: number,
): void {
  set(obj, items);
  if (byteLength(obj) <= maxBytes) return;
  const total = items.length;
  const mark = (kept: number): void => {
    obj.metadata.annotations = {
      ...(obj.metadata.annotations ?? {}),
      [ANNOTATION_TRUNCATED]: 'true',
      [ANNOTATION_FINDINGS_KEPT]: `${kept}/${total}`,
    };
  };
  // Base size (no items, with the mark), then add item sizes until the budget is spent.
  mark(total);
  set(obj, []);
  let size = byteLength(obj);
  let kept = 0;
  for (const it of items) {
    const s = byteLength(it) + 1; // the comma
    if (size + s > maxBytes) break;
    size += s;
    kept++;
  }
  if (kept === 0 && size > maxBytes)
    throw new PalisadeError('E_LIMIT', `report metadata alone is larger than ${maxBytes} bytes`);
  mark(kept);
  set(obj, items.slice(0, kept));
}

/** Builds the VulnerabilityReport of one workload container from a scan result. */
export function buildVulnerabilityReport(scan: ScanReport, o: ContainerReportOptions): VulnerabilityReport {
  const img = imageFields(o.image, o.imageDigest ?? scan.artifact.digest);
  const items: VulnerabilityItem[] = [];
  const summary = { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 };
  for (const r of scan.results) {
    for (const v of r.vulnerabilities ?? []) {
      items.push(vulnerabilityItem(v, r.target, r.class, r.type));
      if (v.severity === 'CRITICAL') summary.criticalCount++;
      else if (v.severity === 'HIGH') summary.highCount++;
      else if (v.severity === 'MEDIUM') summary.mediumCount++;
      else if (v.severity === 'LOW') summary.lowCount++;
      else summary.unknownCount++;
    }
  }
  items.sort(
    bySeverity<VulnerabilityItem>((x) => `${x.vulnerabilityID}\u0000${x.resource}\u0000${x.target ?? ''}`),
  );
  const report: VulnerabilityReport = {
    apiVersion: `${VULNERABILITY_REPORT_API.group}/${VULNERABILITY_REPORT_API.version}`,
    kind: 'VulnerabilityReport',
    metadata: reportMetadata(o),
    report: {
      updateTimestamp: (o.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      scanner: o.scanner ?? DEFAULT_SCANNER,
      registry: { server: img.registry },
      artifact: { repository: img.repository, tag: img.tag, ...(img.digest ? { digest: img.digest } : {}) },
      os: {
        ...(scan.os?.family ? { family: scan.os.family } : {}),
        ...(scan.os?.name ? { name: scan.os.name } : {}),
        ...(scan.os?.eosl !== undefined ? { eosl: scan.os.eosl } : {}),
      },
      summary,
      vulnerabilities: [],
    },
  };
  capFindings(
    report,
    items,
    (r, list) => (r.report.vulnerabilities = list),
    o.maxBytes ?? DEFAULT_MAX_REPORT_BYTES,
  );
  return report;
}

type SecretSeverity = ExposedSecretItem['severity'];

function secretSeverity(s: Severity): SecretSeverity {
  // The ExposedSecretReport CRD has no UNKNOWN; Trivy's secret rules always carry a severity.
  return s === 'UNKNOWN' ? 'LOW' : s;
}

function secretItem(s: SecretFinding, target: string): ExposedSecretItem {
  return {
    target,
    ruleID: s.ruleId,
    title: s.title,
    category: s.category,
    severity: secretSeverity(s.severity),
    match: s.match,
  };
}

/** Builds the ExposedSecretReport of one workload container from a scan result. */
export function buildExposedSecretReport(scan: ScanReport, o: ContainerReportOptions): ExposedSecretReport {
  const img = imageFields(o.image, o.imageDigest ?? scan.artifact.digest);
  const items: ExposedSecretItem[] = [];
  const summary = { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0 };
  for (const r of scan.results) {
    for (const s of r.secrets ?? []) {
      const it = secretItem(s, r.target);
      items.push(it);
      if (it.severity === 'CRITICAL') summary.criticalCount++;
      else if (it.severity === 'HIGH') summary.highCount++;
      else if (it.severity === 'MEDIUM') summary.mediumCount++;
      else summary.lowCount++;
    }
  }
  items.sort(bySeverity<ExposedSecretItem>((x) => `${x.ruleID}\u0000${x.target}\u0000${x.match}`));
  const report: ExposedSecretReport = {
    apiVersion: `${VULNERABILITY_REPORT_API.group}/${VULNERABILITY_REPORT_API.version}`,
    kind: 'ExposedSecretReport',
    metadata: reportMetadata(o),
    report: {
      updateTimestamp: (o.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      scanner: o.scanner ?? DEFAULT_SCANNER,
      registry: { server: img.registry },
      artifact: { repository: img.repository, tag: img.tag, ...(img.digest ? { digest: img.digest } : {}) },
      summary,
      secrets: [],
    },
  };
  capFindings(report, items, (r, list) => (r.report.secrets = list), o.maxBytes ?? DEFAULT_MAX_REPORT_BYTES);
  return report;
}
