/**
 * SbomReport of one workload container, as Trivy Operator writes it (pkg/sbomreport): the image's
 * CycloneDX BOM under `report.components`, `summary.componentsCount` = components + 1 (the
 * metadata component), `summary.dependenciesCount` = dependency entries, and the same name,
 * labels and ownerReference as the container's VulnerabilityReport.
 *
 * The BOM is Palisade's CycloneDX writer's (report/cyclonedx.ts) reduced to the fields the CRD
 * keeps (the apiserver prunes the rest), with its random bom-refs and serial number replaced by
 * UUIDs derived from the image digest, so the same scan yields the same object and the operator
 * does not rewrite it on every reconcile.
 *
 * Like Trivy Operator, no report is built for an image without packages.
 *
 * Size cap: a BOM larger than `maxBytes` keeps its summary (counts of the whole BOM) and the
 * first components that fit (the order of the BOM: operating system, its packages, then each
 * application and its packages), with the dependency entries among kept components; the cut is
 * marked with the same annotations as the other reports (`palisade.dev/findings-kept:
 * "<kept>/<total>"` counts components).
 */
import { createHash } from 'node:crypto';
import type { InventoryReport, InventoryResult, ScanReport, SbomReport } from '@palisade/api';
import { PalisadeError } from '../../core/errors.js';
import { inventoryCycloneDX } from '../../report/cyclonedx.js';
import type { ContainerReportOptions } from './builders.js';
import {
  DEFAULT_MAX_REPORT_BYTES,
  DEFAULT_SCANNER,
  VULNERABILITY_REPORT_API,
  imageFields,
  reportMetadata,
} from './builders.js';
import { ANNOTATION_FINDINGS_KEPT, ANNOTATION_TRUNCATED } from './naming.js';

type Bom = SbomReport['report']['components'];
type BomComponent = NonNullable<Bom['components']>[number];
type BomDependency = NonNullable<Bom['dependencies']>[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMPONENT_FIELDS = [
  'bom-ref',
  'group',
  'hashes',
  'licenses',
  'name',
  'properties',
  'purl',
  'supplier',
  'type',
  'version',
] as const;

/** A version-4-shaped UUID from a seed, so that the same image gets the same identifiers. */
function derivedUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x40;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function component(c: Record<string, unknown>, ref: (s: string) => string): BomComponent {
  const out: Record<string, unknown> = {};
  for (const k of COMPONENT_FIELDS) if (c[k] !== undefined) out[k] = c[k];
  if (typeof out['bom-ref'] === 'string') out['bom-ref'] = ref(out['bom-ref']);
  return out;
}

/** The CycloneDX BOM of a scan's packages in the CRD's shape; undefined without packages. */
export function sbomOf(scan: ScanReport, seed: string): Bom | undefined {
  const results: InventoryResult[] = [];
  for (const r of scan.results) {
    if (r.class === 'secret' || !r.packages || r.packages.length === 0) continue;
    results.push({
      target: r.target,
      class: r.class === 'os-pkgs' ? 'os-pkgs' : 'lang-pkgs',
      type: r.type ?? '',
      packages: r.packages,
    });
  }
  if (results.length === 0) return undefined;
  const inv: InventoryReport = {
    schemaVersion: 1,
    createdAt: scan.createdAt,
    artifact: scan.artifact,
    results,
    diagnostics: [],
    ...(scan.os ? { os: { family: scan.os.family, name: scan.os.name } } : {}),
  };
  const raw = JSON.parse(inventoryCycloneDX(inv)) as {
    bomFormat: string;
    specVersion: string;
    version?: number;
    metadata?: {
      timestamp?: string;
      tools?: { components?: Record<string, unknown>[] };
      component?: Record<string, unknown>;
    };
    components?: Record<string, unknown>[];
    dependencies?: { ref: string; dependsOn?: string[] }[];
  };
  const uuids = new Map<string, string>();
  const ref = (s: string): string => {
    if (!UUID.test(s)) return s;
    let u = uuids.get(s);
    if (!u) uuids.set(s, (u = derivedUuid(`${seed}\u0000${uuids.size}`)));
    return u;
  };
  const meta = raw.metadata ?? {};
  const bom: Bom = {
    bomFormat: raw.bomFormat,
    specVersion: raw.specVersion,
    serialNumber: `urn:uuid:${derivedUuid(`${seed}\u0000serial`)}`,
    version: raw.version ?? 1,
    metadata: {
      ...(meta.timestamp ? { timestamp: meta.timestamp } : {}),
      ...(meta.tools?.components
        ? { tools: { components: meta.tools.components.map((c) => component(c, ref)) } }
        : {}),
      ...(meta.component ? { component: component(meta.component, ref) } : {}),
    },
    components: (raw.components ?? []).map((c) => component(c, ref)),
    dependencies: (raw.dependencies ?? []).map((d): BomDependency => ({
      ref: ref(d.ref),
      dependsOn: (d.dependsOn ?? []).map(ref),
    })),
  };
  return bom;
}

/** The BOM with only its first `n` components and the dependencies among what is kept. */
function firstComponents(bom: Bom, n: number): Bom {
  const components = (bom.components ?? []).slice(0, n);
  const kept = new Set(components.map((c) => c['bom-ref']));
  const root = bom.metadata?.component?.['bom-ref'];
  if (root) kept.add(root);
  const dependencies = (bom.dependencies ?? [])
    .filter((d) => d.ref !== undefined && kept.has(d.ref))
    .map((d) => ({ ...d, dependsOn: (d.dependsOn ?? []).filter((x) => kept.has(x)) }));
  return { ...bom, components, dependencies };
}

function byteLength(x: unknown): number {
  return Buffer.byteLength(JSON.stringify(x), 'utf8');
}

/** Builds the SbomReport of one workload container; undefined when the image has no packages. */
export function buildSbomReport(scan: ScanReport, o: ContainerReportOptions): SbomReport | undefined {
  const img = imageFields(o.image, o.imageDigest ?? scan.artifact.digest);
  const bom = sbomOf(scan, img.digest || scan.artifact.digest || scan.artifact.name);
  if (!bom) return undefined;
  const total = bom.components?.length ?? 0;
  const report: SbomReport = {
    apiVersion: `${VULNERABILITY_REPORT_API.group}/${VULNERABILITY_REPORT_API.version}`,
    kind: 'SbomReport',
    metadata: reportMetadata(o),
    report: {
      updateTimestamp: (o.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      scanner: o.scanner ?? DEFAULT_SCANNER,
      registry: { server: img.registry },
      artifact: { repository: img.repository, tag: img.tag, ...(img.digest ? { digest: img.digest } : {}) },
      summary: { componentsCount: total + 1, dependenciesCount: bom.dependencies?.length ?? 0 },
      components: bom,
    },
  };
  const max = o.maxBytes ?? DEFAULT_MAX_REPORT_BYTES;
  if (byteLength(report) <= max) return report;
  const mark = (kept: number): void => {
    report.metadata = {
      ...report.metadata,
      annotations: {
        ...((report.metadata as { annotations?: Record<string, string> }).annotations ?? {}),
        [ANNOTATION_TRUNCATED]: 'true',
        [ANNOTATION_FINDINGS_KEPT]: `${kept}/${total}`,
      },
    };
  };
  // The largest prefix of components that fits (binary search: the size grows with the prefix).
  let lo = 0;
  let hi = total;
  const sizeWith = (n: number): number => {
    mark(n);
    report.report.components = firstComponents(bom, n);
    return byteLength(report);
  };
  if (sizeWith(0) > max)
    throw new PalisadeError('E_LIMIT', `SbomReport without components is larger than ${max} bytes`);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (sizeWith(mid) <= max) lo = mid;
    else hi = mid - 1;
  }
  sizeWith(lo);
  return report;
}
