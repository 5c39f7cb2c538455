/**
 * The scan report in Trivy's own JSON schema (SchemaVersion 2, PascalCase
 * fields, `Results[].Vulnerabilities[]`…), for tools that import Trivy's JSON:
 * DefectDojo's Trivy parser, Dependency-Track's and GitLab's importers, scripts
 * written against `trivy --format json`. Field order follows Trivy's Go structs;
 * empty fields are left out as Go's `omitempty` does. What our model does not
 * carry (image config, layer sizes, vendor advisory IDs, finding fingerprints)
 * is absent; docs/scan-formats.md lists it.
 */
import type {
  CvssScore,
  DetectedVulnerability,
  Package,
  ScanReport,
  ScanResult,
  SecretFinding,
  SuppressedFinding,
} from '@palisade/api';
import { TOOL_VERSION } from './sbom-common.js';

type Json = Record<string, unknown>;

export interface TrivyJsonOptions {
  /** Written as `Trivy.Version`. */
  toolVersion?: string;
  /** Written as `ReportID` when given (Trivy writes a UUIDv7). */
  reportId?: string;
  /** `ArtifactType` for SBOM inputs: `cyclonedx` (default) or `spdx`. */
  sbomFormat?: 'cyclonedx' | 'spdx';
}

/** Drops undefined, empty strings, empty arrays and empty objects, as Go's omitempty does for these kinds. */
function compact(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === '' || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

function layer(l: { digest?: string; diffId: string } | undefined): Json | undefined {
  return l ? compact({ Digest: l.digest, DiffID: l.diffId }) : undefined;
}

function cvss(c: Record<string, CvssScore> | undefined): Json | undefined {
  if (!c) return undefined;
  const out: Json = {};
  for (const [src, s] of Object.entries(c)) {
    out[src] = compact({
      V2Vector: s.v2Vector,
      V3Vector: s.v3Vector,
      V40Vector: s.v40Vector,
      V2Score: s.v2Score || undefined,
      V3Score: s.v3Score || undefined,
      V40Score: s.v40Score || undefined,
    });
  }
  return out;
}

export function trivyVulnerability(v: DetectedVulnerability): Json {
  return compact({
    VulnerabilityID: v.vulnerabilityId,
    PkgID: v.pkgId,
    PkgName: v.pkgName,
    PkgPath: v.pkgPath,
    PkgIdentifier: compact({ PURL: v.purl }),
    InstalledVersion: v.installedVersion,
    FixedVersion: v.fixedVersion,
    Status: v.status === 'unknown' ? undefined : v.status,
    Layer: layer(v.layer),
    SeveritySource: v.severitySource,
    PrimaryURL: v.primaryUrl,
    DataSource: v.dataSource
      ? compact({ ID: v.dataSource.id, Name: v.dataSource.name, URL: v.dataSource.url })
      : undefined,
    Title: v.title,
    Description: v.description,
    Severity: v.severity,
    CweIDs: v.cweIds,
    VendorSeverity: v.vendorSeverity,
    CVSS: cvss(v.cvss),
    References: v.references,
    PublishedDate: v.publishedDate,
    LastModifiedDate: v.lastModifiedDate,
  });
}

function trivyPackage(p: Package): Json {
  return compact({
    ID: p.id,
    Name: p.name,
    Identifier: compact({ PURL: p.purl }),
    Version: p.version,
    Release: p.release,
    Epoch: p.epoch || undefined,
    Arch: p.arch,
    Dev: p.dev,
    SrcName: p.srcName,
    SrcVersion: p.srcVersion,
    SrcRelease: p.srcRelease,
    SrcEpoch: p.srcEpoch || undefined,
    Licenses: p.licenses,
    Maintainer: p.maintainer,
    Modularitylabel: p.modularitylabel,
    Indirect: p.relationship === 'indirect' || undefined,
    Relationship: p.relationship,
    DependsOn: p.dependsOn,
    Layer: layer(p.layer),
    FilePath: p.filePath,
    Digest: p.digest,
    Locations: p.locations?.map((l) => ({ StartLine: l.startLine, EndLine: l.endLine })),
  });
}

export function trivySecret(s: SecretFinding): Json {
  const lines = s.code?.lines ?? [];
  return compact({
    RuleID: s.ruleId,
    Category: s.category,
    Severity: s.severity,
    Title: s.title,
    StartLine: s.startLine,
    EndLine: s.endLine,
    Code: {
      Lines: lines.map((l, i) => ({
        Number: l.number,
        Content: l.content,
        IsCause: l.isCause,
        Annotation: '',
        Truncated: false,
        ...(l.content !== '' ? { Highlighted: l.content } : {}),
        FirstCause: l.isCause && lines[i - 1]?.isCause !== true,
        LastCause: l.isCause && lines[i + 1]?.isCause !== true,
      })),
    },
    Match: s.match,
    Layer: layer(s.layer),
  });
}

function modified(m: SuppressedFinding): Json {
  return {
    Type: m.type,
    Status: m.status,
    Statement: m.statement,
    Source: m.source,
    Finding:
      m.type === 'vulnerability'
        ? trivyVulnerability(m.finding as DetectedVulnerability)
        : trivySecret(m.finding as SecretFinding),
  };
}

function trivyResult(r: ScanResult): Json {
  return compact({
    Target: r.target,
    Class: r.class,
    Type: r.type,
    Packages: r.packages?.map(trivyPackage),
    Vulnerabilities: r.vulnerabilities?.map(trivyVulnerability),
    Secrets: r.secrets?.map(trivySecret),
    ExperimentalModifiedFindings: r.suppressed?.map(modified),
  });
}

function artifactType(report: ScanReport, opts: TrivyJsonOptions): string {
  switch (report.artifact.type) {
    case 'container_image':
      return 'container_image';
    case 'sbom':
      return opts.sbomFormat ?? 'cyclonedx';
    default:
      return 'filesystem';
  }
}

/** The report as a Trivy JSON object (see trivyJson for the text). */
export function toTrivyReport(report: ScanReport, opts: TrivyJsonOptions = {}): Json {
  const a = report.artifact;
  // fanal's OS struct writes Family and Name even when empty.
  const os = report.os
    ? { Family: report.os.family, Name: report.os.name, ...(report.os.eosl ? { EOSL: true } : {}) }
    : undefined;
  const metadata = compact({
    OS: os,
    ImageID: a.imageId,
    DiffIDs: a.diffIds,
    RepoTags: a.repoTags,
    RepoDigests: a.repoDigests,
  });
  return compact({
    SchemaVersion: 2,
    Trivy: { Version: opts.toolVersion ?? TOOL_VERSION },
    ReportID: opts.reportId,
    CreatedAt: report.createdAt,
    ArtifactName: a.name,
    ArtifactType: artifactType(report, opts),
    Metadata: metadata,
    Results: report.results.map(trivyResult),
  });
}

/** Trivy's JSON (SchemaVersion 2), two-space indent as `trivy --format json` writes it. */
export function trivyJson(report: ScanReport, opts: TrivyJsonOptions = {}): string {
  return `${JSON.stringify(toTrivyReport(report, opts), null, 2)}\n`;
}
