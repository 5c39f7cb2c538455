/**
 * The shared target syntax of `palisade sbom` and `palisade scan`:
 *   image <ref>      a registry reference, or docker-archive:/oci:/oci-archive: paths, or a local tar/layout path
 *   image --input F  an image tar (docker save or OCI archive), as Trivy's --input
 *   rootfs <dir>     an unpacked root file system (installed packages)
 *   fs <dir>         a source tree (lockfiles and manifests)
 *   sbom <file>      a CycloneDX or SPDX JSON SBOM
 */
import { resolve } from 'node:path';
import type { InventoryReport } from '@palisade/api';
import { PalisadeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Settings } from '../config/settings.js';
import { openImage } from '../scan/artifact/image/resolve.js';
import { readSbom } from '../scan/artifact/sbom.js';
import type { LayerCache } from '../scan/cache/layer-cache.js';
import { analyzersFor, buildReport, inventoryDirectory, inventoryImage } from '../scan/inventory.js';
import type { InventoryOptions, ProgressSink } from '../scan/inventory.js';
import type { Analyzer } from '../scan/analyzers/types.js';

export const TARGET_KINDS = ['image', 'rootfs', 'fs', 'sbom'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export interface InventoryRequest {
  kind: string;
  target: string | undefined;
  input?: string | undefined;
  settings: Settings;
  cwd: string;
  logger: Logger;
  cache: LayerCache;
  skipDirs?: string[];
  progress?: ProgressSink | undefined;
  signal?: AbortSignal | undefined;
  /** Analyzers run beside the defaults for the target kind (e.g. the secret analyzer). */
  extraAnalyzers?: readonly Analyzer[];
  /** Receives the per-layer analysis before the layers are merged. */
  onLayers?: InventoryOptions['onLayers'];
}

export async function inventoryOf(req: InventoryRequest): Promise<InventoryReport> {
  const target = req.input ?? req.target;
  if (!(TARGET_KINDS as readonly string[]).includes(req.kind)) {
    throw new PalisadeError('E_USAGE', `unknown target kind '${req.kind}'`, {
      hint: `use one of: ${TARGET_KINDS.join(', ')}`,
    });
  }
  if (!target) throw new PalisadeError('E_USAGE', `missing target: palisade <command> ${req.kind} <target>`);
  const extra = req.extraAnalyzers ?? [];
  const common = {
    logger: req.logger,
    ...(req.progress ? { progress: req.progress } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
    ...(req.onLayers ? { onLayers: req.onLayers } : {}),
  };
  const withExtra = (kind: 'image' | 'fs' | 'rootfs'): { analyzers?: Analyzer[] } =>
    extra.length > 0 ? { analyzers: [...analyzersFor(kind), ...extra] } : {};
  switch (req.kind as TargetKind) {
    case 'image': {
      const s = req.settings;
      const ref = req.input ? resolve(req.cwd, req.input) : target;
      const source = await openImage(ref, {
        cwd: req.cwd,
        platform: s.platform,
        logger: req.logger,
        insecure: s.insecure,
        ...(s.username ? { username: s.username } : {}),
        ...(s.password ? { password: s.password } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      });
      try {
        return await inventoryImage(source, { ...common, ...withExtra('image'), cache: req.cache });
      } finally {
        await source.close();
      }
    }
    case 'rootfs':
    case 'fs':
      return inventoryDirectory(resolve(req.cwd, target), req.kind as 'fs' | 'rootfs', target, {
        ...common,
        ...withExtra(req.kind as 'fs' | 'rootfs'),
        ...(req.skipDirs ? { skipDirs: req.skipDirs } : {}),
      });
    case 'sbom': {
      const sbom = await readSbom(resolve(req.cwd, target));
      return buildReport(
        { ...sbom.artifact, name: target },
        sbom.os,
        sbom.packageSets,
        sbom.diagnostics.items,
      );
    }
  }
}
