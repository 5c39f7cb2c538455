/**
 * Test support: reads a Trivy JSON report (SchemaVersion 2, as in the
 * trivy-integration golden files) into our ScanReport, so the writers can be
 * checked by round trip against Trivy's own outputs. Whatever the model cannot
 * hold is named in `unsupported` rather than dropped silently.
 */
import type {
  ArtifactType,
  CvssScore,
  DetectedVulnerability,
  FixStatus,
  Package,
  ResultClass,
  ScanReport,
  ScanResult,
  SecretFinding,
  Severity,
  SuppressedFinding,
} from '@palisade/api';
import { SEVERITIES } from '@palisade/api';

type J = Record<string, unknown>;

const obj = (v: unknown): J => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const strs = (v: unknown): string[] | undefined => {
  const a = arr(v).filter((x): x is string => typeof x === 'string');
  return a.length > 0 ? a : undefined;
};

/** Keys that may hold undefined become optional keys without undefined (exactOptionalPropertyTypes). */
type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** Deletes undefined values, so optional fields stay absent. */
function def<T extends object>(o: T): Defined<T> {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function severity(v: unknown): Severity {
  return (SEVERITIES as readonly string[]).includes(v as string) ? (v as Severity) : 'UNKNOWN';
}

function layer(v: unknown): { digest?: string; diffId: string } | undefined {
  const l = obj(v);
  const diffId = str(l['DiffID']);
  if (!diffId && !str(l['Digest'])) return undefined;
  return def({ digest: str(l['Digest']), diffId: diffId ?? '' });
}

export function vulnerabilityFromTrivy(v: J): DetectedVulnerability {
  const cvssIn = obj(v['CVSS']);
  const cvss: Record<string, CvssScore> = {};
  for (const [src, s] of Object.entries(cvssIn)) {
    const c = obj(s);
    cvss[src] = def({
      v2Vector: str(c['V2Vector']),
      v2Score: num(c['V2Score']),
      v3Vector: str(c['V3Vector']),
      v3Score: num(c['V3Score']),
      v40Vector: str(c['V40Vector']),
      v40Score: num(c['V40Score']),
    });
  }
  const ds = obj(v['DataSource']);
  const vs = obj(v['VendorSeverity']);
  return def({
    vulnerabilityId: str(v['VulnerabilityID']) ?? '',
    pkgId: str(v['PkgID']),
    pkgName: str(v['PkgName']) ?? '',
    pkgPath: str(v['PkgPath']),
    purl: str(obj(v['PkgIdentifier'])['PURL']),
    installedVersion: str(v['InstalledVersion']) ?? '',
    fixedVersion: str(v['FixedVersion']),
    status: (str(v['Status']) ?? 'unknown') as FixStatus,
    layer: layer(v['Layer']),
    severity: severity(v['Severity']),
    severitySource: str(v['SeveritySource']),
    primaryUrl: str(v['PrimaryURL']),
    dataSource:
      str(ds['ID']) || str(ds['Name'])
        ? def({ id: str(ds['ID']) ?? '', name: str(ds['Name']) ?? '', url: str(ds['URL']) })
        : undefined,
    title: str(v['Title']),
    description: str(v['Description']),
    cweIds: strs(v['CweIDs']),
    vendorSeverity: Object.keys(vs).length > 0 ? (vs as Record<string, number>) : undefined,
    cvss: Object.keys(cvss).length > 0 ? cvss : undefined,
    references: strs(v['References']),
    publishedDate: str(v['PublishedDate']),
    lastModifiedDate: str(v['LastModifiedDate']),
  });
}

function packageFromTrivy(p: J): Package {
  const rel = str(p['Relationship']);
  return def({
    id: str(p['ID']),
    name: str(p['Name']) ?? '',
    version: str(p['Version']) ?? '',
    release: str(p['Release']),
    epoch: num(p['Epoch']),
    arch: str(p['Arch']),
    dev: p['Dev'] === true ? true : undefined,
    srcName: str(p['SrcName']),
    srcVersion: str(p['SrcVersion']),
    srcRelease: str(p['SrcRelease']),
    srcEpoch: num(p['SrcEpoch']),
    licenses: strs(p['Licenses']),
    maintainer: str(p['Maintainer']),
    modularitylabel: str(p['Modularitylabel']),
    relationship: rel as Package['relationship'],
    dependsOn: strs(p['DependsOn']),
    layer: layer(p['Layer']),
    filePath: str(p['FilePath']),
    digest: str(p['Digest']),
    locations: arr(p['Locations']).length
      ? arr(p['Locations']).map((l) => ({
          startLine: num(obj(l)['StartLine']) ?? 0,
          endLine: num(obj(l)['EndLine']) ?? 0,
        }))
      : undefined,
    purl: str(obj(p['Identifier'])['PURL']),
  });
}

export function secretFromTrivy(s: J): SecretFinding {
  const lines = arr(obj(s['Code'])['Lines']).map((l) => ({
    number: num(obj(l)['Number']) ?? 0,
    content: str(obj(l)['Content']) ?? '',
    isCause: obj(l)['IsCause'] === true,
  }));
  return def({
    ruleId: str(s['RuleID']) ?? '',
    category: str(s['Category']) ?? '',
    severity: severity(s['Severity']),
    title: str(s['Title']) ?? '',
    startLine: num(s['StartLine']) ?? 0,
    endLine: num(s['EndLine']) ?? 0,
    match: str(s['Match']) ?? '',
    code: lines.length > 0 ? { lines } : undefined,
    layer: layer(s['Layer']),
  });
}

const ARTIFACT_TYPES: Record<string, ArtifactType> = {
  container_image: 'container_image',
  filesystem: 'filesystem',
  repository: 'filesystem',
  vm: 'filesystem',
  cyclonedx: 'sbom',
  spdx: 'sbom',
};

export interface ConvertedTrivyReport {
  report: ScanReport;
  /** Parts of the Trivy report our model cannot hold, as JSON paths (e.g. `Results[2].Misconfigurations`). */
  unsupported: string[];
}

/** Converts a parsed Trivy JSON report. */
export function scanReportFromTrivy(doc: unknown): ConvertedTrivyReport {
  const d = obj(doc);
  const meta = obj(d['Metadata']);
  const unsupported: string[] = [];
  const results: ScanResult[] = [];
  arr(d['Results']).forEach((rv, i) => {
    const r = obj(rv);
    const cls = str(r['Class']) ?? '';
    for (const k of ['Misconfigurations', 'MisconfSummary', 'Licenses', 'CustomResources']) {
      if (k in r) unsupported.push(`Results[${i}].${k}`);
    }
    if (!['os-pkgs', 'lang-pkgs', 'secret'].includes(cls)) {
      unsupported.push(`Results[${i}] (class ${cls})`);
      return;
    }
    const suppressed: SuppressedFinding[] = arr(r['ExperimentalModifiedFindings']).map((mv) => {
      const m = obj(mv);
      const type = m['Type'] === 'secret' ? 'secret' : 'vulnerability';
      return {
        type,
        status: m['Status'] === 'not_affected' ? 'not_affected' : 'ignored',
        statement: str(m['Statement']) ?? '',
        source: str(m['Source']) ?? '',
        finding:
          type === 'secret' ? secretFromTrivy(obj(m['Finding'])) : vulnerabilityFromTrivy(obj(m['Finding'])),
      };
    });
    results.push(
      def({
        target: str(r['Target']) ?? '',
        class: cls as ResultClass,
        type: str(r['Type']),
        packages: 'Packages' in r ? arr(r['Packages']).map((p) => packageFromTrivy(obj(p))) : undefined,
        vulnerabilities:
          'Vulnerabilities' in r
            ? arr(r['Vulnerabilities']).map((v) => vulnerabilityFromTrivy(obj(v)))
            : undefined,
        secrets: 'Secrets' in r ? arr(r['Secrets']).map((s) => secretFromTrivy(obj(s))) : undefined,
        suppressed: suppressed.length > 0 ? suppressed : undefined,
      }),
    );
  });
  const os = obj(meta['OS']);
  const report: ScanReport = def({
    schemaVersion: 1 as const,
    createdAt: str(d['CreatedAt']) ?? '',
    artifact: def({
      name: str(d['ArtifactName']) ?? '',
      type: ARTIFACT_TYPES[str(d['ArtifactType']) ?? ''] ?? 'filesystem',
      imageId: str(meta['ImageID']),
      diffIds: strs(meta['DiffIDs']),
      repoTags: strs(meta['RepoTags']),
      repoDigests: strs(meta['RepoDigests']),
    }),
    os:
      'OS' in meta
        ? def({
            family: typeof os['Family'] === 'string' ? os['Family'] : '',
            name: typeof os['Name'] === 'string' ? os['Name'] : '',
            eosl: os['EOSL'] === true ? true : undefined,
          })
        : undefined,
    results,
    diagnostics: [],
  });
  return { report, unsupported };
}
