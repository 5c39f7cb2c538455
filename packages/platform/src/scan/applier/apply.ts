/**
 * The applier stage (Trivy: fanal applier). It folds per-layer analyzer
 * results into one inventory: whiteouts and opaque directories of a layer
 * remove the package sets that lower layers found below those paths, a set
 * found again at the same file in a higher layer replaces the lower one, and
 * each package is attributed to the lowest layer in which it appeared
 * unchanged (so a package is blamed on the layer that installed it, not on
 * the layer that last rewrote the package database).
 */
import type { LayerRef, OSInfo, Package, PackageSet } from '@palisade/api';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { AnalyzerOutput } from '../analyzers/run.js';
import { pickOS } from '../analyzers/lib/os-merge.js';

export interface AppliedLayer {
  diffId: string;
  digest?: string;
  /** Analyzer outputs in analyzer-list order. */
  outputs: ReadonlyMap<string, AnalyzerOutput>;
  whiteouts: readonly string[];
  opaqueDirs: readonly string[];
}

export interface AppliedInventory {
  os?: OSInfo;
  packageSets: PackageSet[];
  diagnostics: Diagnostic[];
}

/** True when `path` is `root` or lies below it. */
export function isUnder(path: string, root: string): boolean {
  if (root === '') return true;
  return path === root || (path.length > root.length && path.startsWith(root) && path[root.length] === '/');
}

function removedBy(path: string, layer: AppliedLayer): boolean {
  for (const w of layer.whiteouts) if (isUnder(path, w)) return true;
  for (const d of layer.opaqueDirs) if (path !== d && isUnder(path, d)) return true;
  return false;
}

function pkgKey(p: Package): string {
  return `${p.name}\u0000${p.version}\u0000${p.release ?? ''}\u0000${p.epoch ?? ''}\u0000${p.arch ?? ''}\u0000${p.filePath ?? ''}`;
}

interface Held {
  set: PackageSet;
  firstLayer: Map<string, LayerRef>;
}

export function applyLayers(layers: readonly AppliedLayer[]): AppliedInventory {
  const sets = new Map<string, Held>();
  const osCandidates: { analyzer: string; os: OSInfo }[] = [];
  const diagnostics: Diagnostic[] = [];

  for (const layer of layers) {
    const ref: LayerRef = layer.digest
      ? { digest: layer.digest, diffId: layer.diffId }
      : { diffId: layer.diffId };
    if (layer.whiteouts.length > 0 || layer.opaqueDirs.length > 0) {
      for (const [key, held] of sets) if (removedBy(held.set.filePath, layer)) sets.delete(key);
    }
    for (const [analyzer, out] of layer.outputs) {
      diagnostics.push(...out.diagnostics);
      if (out.result.os) osCandidates.push({ analyzer, os: out.result.os });
      for (const set of out.result.packageSets ?? []) {
        const key = `${analyzer}\u0000${set.type}\u0000${set.filePath}`;
        const prev = sets.get(key);
        const firstLayer = new Map<string, LayerRef>();
        const packages = set.packages.map((p) => {
          const k = pkgKey(p);
          const layerOf = prev?.firstLayer.get(k) ?? ref;
          firstLayer.set(k, layerOf);
          return { ...p, layer: layerOf };
        });
        sets.set(key, { set: { ...set, packages }, firstLayer });
      }
    }
  }

  const out: AppliedInventory = { packageSets: [...sets.values()].map((h) => h.set), diagnostics };
  const os = pickOS(osCandidates);
  if (os) out.os = os;
  return out;
}
