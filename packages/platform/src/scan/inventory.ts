/**
 * The inventory pipeline: artifact → analyzers → applier → results.
 * `inventoryImage` streams each image layer once (only when the layer cache
 * lacks a result for some analyzer), `inventoryDirectory` treats a tree as a
 * single layer. Both return the same InventoryReport.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, Transform } from 'node:stream';
import type {
  ArtifactInfo,
  InventoryDiagnostic,
  InventoryReport,
  InventoryResult,
  OSInfo,
  PackageSet,
} from '@palisade/api';
import { throwIfAborted } from '../core/abort.js';
import type { Diagnostic } from '../core/diagnostics.js';
import { Diagnostics } from '../core/diagnostics.js';
import type { Logger } from '../core/logger.js';
import { walkDirectory } from './artifact/directory.js';
import { openLayerTar } from './artifact/layer.js';
import { walkTar } from './artifact/tar-walk.js';
import { DEFAULT_WALK_LIMITS } from './artifact/limits.js';
import type { ImageSource, WalkLimits } from './artifact/types.js';
import { analyzers as allAnalyzers } from './analyzers/index.js';
import { LayerAnalysis } from './analyzers/run.js';
import type { Analyzer, TargetKind } from './analyzers/types.js';
import type { AppliedLayer } from './applier/apply.js';
import { applyLayers } from './applier/apply.js';
import type { LayerCache } from './cache/layer-cache.js';
import { noLayerCache } from './cache/layer-cache.js';

/** Receives progress of long work; the CLI draws a bar from it on a terminal. */
export interface ProgressSink {
  start(label: string, total: number): void;
  advance(bytes: number): void;
  done(): void;
}

export interface InventoryOptions {
  logger: Logger;
  cache?: LayerCache;
  analyzers?: readonly Analyzer[];
  signal?: AbortSignal;
  limits?: Partial<WalkLimits>;
  progress?: ProgressSink;
  /** For directory targets: directories not descended into. */
  skipDirs?: readonly string[];
  /** Receives the per-layer analyzer outputs before they are folded (scan/secret reads its results here). */
  onLayers?: (layers: readonly AppliedLayer[]) => void;
}

export function analyzersFor(kind: TargetKind, list: readonly Analyzer[] = allAnalyzers): Analyzer[] {
  return list.filter((a) => a.targets.includes(kind));
}

function withScratch<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-scan-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

function counting(progress: ProgressSink | undefined): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      progress?.advance(chunk.length);
      cb(null, chunk);
    },
  });
}

export async function inventoryImage(source: ImageSource, opts: InventoryOptions): Promise<InventoryReport> {
  const list = analyzersFor('image', opts.analyzers);
  const cache = opts.cache ?? noLayerCache;
  const limits = { ...DEFAULT_WALK_LIMITS, ...opts.limits };
  const versions = new Map(list.map((a) => [a.name, a.version]));
  const log = opts.logger.child({ component: 'inventory' });
  const applied: AppliedLayer[] = [];
  const extra = new Diagnostics();

  await withScratch(async (scratchDir) => {
    for (const [i, layer] of source.layers.entries()) {
      throwIfAborted(opts.signal);
      const cached = cache.get(layer.diffId, list);
      const missing = list.filter((a) => !cached.outputs.has(a.name));
      if (cached.meta && missing.length === 0) {
        log.debug({ layer: layer.diffId }, 'layer from cache');
        applied.push({
          diffId: layer.diffId,
          digest: layer.digest,
          outputs: ordered(list, cached.outputs),
          ...cached.meta,
        });
        continue;
      }
      const analysis = new LayerAnalysis(missing, {
        logger: log,
        scratchDir,
        layer: layer.diffId,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      opts.progress?.start(`layer ${i + 1}/${source.layers.length}`, layer.size ?? 0);
      const blob = await source.openLayer(i, opts.signal);
      // pipeline(), not pipe(): a failing blob (digest mismatch, truncation, network error)
      // must fail the walk instead of leaving it waiting. The source verifies the blob's own
      // digest; the layer stage verifies the diff ID of the uncompressed tar.
      const counted = pipeline(blob, counting(opts.progress), () => undefined);
      const tar = openLayerTar(
        counted,
        { diffId: layer.diffId, verifiedDigest: layer.digest },
        limits,
        opts.signal,
      );
      await walkTar(tar, analysis.visit, {
        limits,
        layer: layer.diffId,
        diagnostics: extra,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      opts.progress?.done();
      const result = await analysis.finish();
      // Reached only when the walk completed and the digests verified: safe to cache.
      cache.put(
        layer.diffId,
        { whiteouts: result.whiteouts, opaqueDirs: result.opaqueDirs },
        result.outputs,
        versions,
      );
      const outputs = new Map([...cached.outputs, ...result.outputs]);
      applied.push({
        diffId: layer.diffId,
        digest: layer.digest,
        outputs: ordered(list, outputs),
        whiteouts: result.whiteouts,
        opaqueDirs: result.opaqueDirs,
      });
    }
  });

  opts.onLayers?.(applied);
  const inv = applyLayers(applied);
  return buildReport(source.info, inv.os, inv.packageSets, [...inv.diagnostics, ...extra.items]);
}

function ordered<T>(list: readonly Analyzer[], outputs: ReadonlyMap<string, T>): Map<string, T> {
  const out = new Map<string, T>();
  for (const a of list) {
    const o = outputs.get(a.name);
    if (o !== undefined) out.set(a.name, o);
  }
  return out;
}

export async function inventoryDirectory(
  root: string,
  kind: 'fs' | 'rootfs',
  name: string,
  opts: InventoryOptions,
): Promise<InventoryReport> {
  const list = analyzersFor(kind, opts.analyzers);
  const log = opts.logger.child({ component: 'inventory' });
  return withScratch(async (scratchDir) => {
    const analysis = new LayerAnalysis(list, {
      logger: log,
      scratchDir,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    await walkDirectory(root, analysis.visit, {
      ...(opts.skipDirs ? { skipDirs: opts.skipDirs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const result = await analysis.finish();
    const layers: AppliedLayer[] = [{ diffId: '', outputs: result.outputs, whiteouts: [], opaqueDirs: [] }];
    opts.onLayers?.(layers);
    const inv = applyLayers(layers);
    const artifact: ArtifactInfo = { name, type: kind === 'fs' ? 'filesystem' : 'rootfs' };
    return buildReport(artifact, inv.os, stripLayers(inv.packageSets), inv.diagnostics);
  });
}

function stripLayers(sets: PackageSet[]): PackageSet[] {
  return sets.map((s) => ({ ...s, packages: s.packages.map(({ layer: _layer, ...p }) => p) }));
}

/** Individually installed packages of these types are reported together, as Trivy does. */
const AGGREGATED: Record<string, string> = {
  'node-pkg': 'Node.js',
  'python-pkg': 'Python',
  gemspec: 'Ruby',
  jar: 'Java',
  'conda-pkg': 'Conda',
};

export function osTarget(artifactName: string, os: OSInfo | undefined): string {
  return os ? `${artifactName} (${os.family} ${os.name})` : artifactName;
}

/** Plain code-point order, as Go's sort.Strings (Trivy) and without ICU's cost (localeCompare). */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePackages(a: { name: string; version: string; filePath?: string }, b: typeof a): number {
  return (
    byCodePoint(a.name, b.name) ||
    byCodePoint(a.version, b.version) ||
    byCodePoint(a.filePath ?? '', b.filePath ?? '')
  );
}

export function buildReport(
  artifact: ArtifactInfo,
  os: OSInfo | undefined,
  sets: readonly PackageSet[],
  diagnostics: readonly Diagnostic[],
): InventoryReport {
  const results: InventoryResult[] = [];
  const osPkgs = sets.filter((s) => s.class === 'os-pkgs');
  if (osPkgs.length > 0 || os) {
    const packages = osPkgs.flatMap((s) => s.packages).sort(comparePackages);
    results.push({
      target: osTarget(artifact.name, os),
      class: 'os-pkgs',
      type: os?.family ?? osPkgs[0]?.type ?? 'unknown',
      packages,
    });
  }
  const byAggregate = new Map<string, InventoryResult>();
  const lang = sets
    .filter((s) => s.class === 'lang-pkgs')
    .sort((a, b) => byCodePoint(a.filePath, b.filePath) || byCodePoint(a.type, b.type));
  for (const s of lang) {
    const agg = AGGREGATED[s.type];
    if (agg) {
      let r = byAggregate.get(s.type);
      if (!r) {
        r = { target: agg, class: 'lang-pkgs', type: s.type, packages: [] };
        byAggregate.set(s.type, r);
      }
      r.packages.push(...s.packages.map((p) => (p.filePath ? p : { ...p, filePath: s.filePath })));
      continue;
    }
    if (s.packages.length === 0) continue;
    results.push({
      target: s.filePath,
      class: 'lang-pkgs',
      type: s.type,
      packages: [...s.packages].sort(comparePackages),
    });
  }
  for (const r of byAggregate.values()) {
    r.packages.sort(comparePackages);
    results.push(r);
  }
  const report: InventoryReport = {
    schemaVersion: 1,
    createdAt: new Date().toISOString(),
    artifact,
    results,
    diagnostics: diagnostics.map(toInventoryDiagnostic),
  };
  if (os) report.os = os;
  return report;
}

function toInventoryDiagnostic(d: Diagnostic): InventoryDiagnostic {
  const out: InventoryDiagnostic = { code: d.code, severity: d.severity, message: d.message };
  if (d.location?.file) out.file = d.location.file;
  if (d.location?.layer) out.layer = d.location.layer;
  if (d.location?.line !== undefined) out.line = d.location.line;
  return out;
}

/**
 * Drops development-only packages (npm devDependencies, poetry dev groups…) and the references
 * to them, as Trivy does unless --include-dev-deps is given.
 */
export function withoutDevDependencies(report: InventoryReport): InventoryReport {
  const results = report.results.map((r) => {
    if (!r.packages.some((p) => p.dev)) return r;
    const dropped = new Set(r.packages.filter((p) => p.dev).map((p) => p.id ?? `${p.name}@${p.version}`));
    const packages = r.packages
      .filter((p) => !p.dev)
      .map((p) =>
        p.dependsOn?.some((d) => dropped.has(d))
          ? { ...p, dependsOn: p.dependsOn.filter((d) => !dropped.has(d)) }
          : p,
      );
    return { ...r, packages };
  });
  return { ...report, results };
}
