/**
 * Secrets of a whole artifact: the secret analyzer runs in the inventory
 * pipeline (one pass over each layer, results cached per layer under the
 * scanner's version), then applySecretLayers() folds the layers as Trivy's
 * applier does.
 *
 * Layers and deleted files: Trivy keeps secrets from every layer even when a
 * later layer deletes the file ("We must save secrets from all layers even
 * though they are removed in the upper layer"), because the lower layer and
 * the secret in it still ship with the image. We do the same: whiteouts and
 * opaque directories do not remove secret findings. When a later layer has
 * findings for the same file, they replace the earlier layer's findings of the
 * same rule; earlier findings of other rules are kept.
 */
import type { ScanResult, SecretFinding, InventoryDiagnostic } from '@palisade/api';
import type { AppliedLayer } from '../applier/apply.js';
import type { ImageSource } from '../artifact/types.js';
import type { InventoryOptions } from '../inventory.js';
import { inventoryDirectory, inventoryImage } from '../inventory.js';
import type { SecretAnalyzerOptions } from './analyzer.js';
import { secretAnalyzer } from './analyzer.js';
import type { SecretScanner } from './scanner.js';
import { defaultScanner } from './scanner.js';

export type SecretTarget =
  { kind: 'image'; source: ImageSource } | { kind: 'fs' | 'rootfs'; root: string; name: string };

export interface CollectOptions extends Omit<InventoryOptions, 'analyzers' | 'onLayers'> {
  /** Compiled rules; the built-in set when absent (see config.ts: scannerFromConfig). */
  scanner?: SecretScanner;
  maxFileSize?: number;
  maxFindingsPerFile?: number;
  configFile?: string;
}

export interface SecretCollection {
  /** One result per file with secrets, class `secret`, sorted by target. */
  results: ScanResult[];
  diagnostics: InventoryDiagnostic[];
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Folds per-layer secret results, Trivy's mergeSecrets semantics (see the module comment). */
export function applySecretLayers(layers: readonly AppliedLayer[]): ScanResult[] {
  const byFile = new Map<string, SecretFinding[]>();
  for (const layer of layers) {
    const ref = layer.digest ? { digest: layer.digest, diffId: layer.diffId } : { diffId: layer.diffId };
    for (const out of layer.outputs.values()) {
      for (const file of out.result.secrets ?? []) {
        const fresh = file.findings.map((f) => (layer.diffId ? { ...f, layer: ref } : f));
        const prev = byFile.get(file.filePath) ?? [];
        const ids = new Set(fresh.map((f) => f.ruleId));
        byFile.set(file.filePath, [...fresh, ...prev.filter((f) => !ids.has(f.ruleId))]);
      }
    }
  }
  return [...byFile.entries()]
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([target, secrets]) => ({ target, class: 'secret' as const, secrets }));
}

/** Scans every regular file of an image's layers, or of a directory tree, for secrets. */
export async function collectSecrets(target: SecretTarget, opts: CollectOptions): Promise<SecretCollection> {
  const scanner = opts.scanner ?? defaultScanner();
  const aopts: SecretAnalyzerOptions = { kind: target.kind };
  if (opts.maxFileSize !== undefined) aopts.maxFileSize = opts.maxFileSize;
  if (opts.maxFindingsPerFile !== undefined) aopts.maxFindingsPerFile = opts.maxFindingsPerFile;
  if (opts.configFile !== undefined) aopts.configFile = opts.configFile;
  let results: ScanResult[] = [];
  const inv: InventoryOptions = {
    ...opts,
    analyzers: [secretAnalyzer(scanner, aopts)],
    onLayers: (layers) => {
      results = applySecretLayers(layers);
    },
  };
  const report =
    target.kind === 'image'
      ? await inventoryImage(target.source, inv)
      : await inventoryDirectory(target.root, target.kind, target.name, inv);
  return { results, diagnostics: report.diagnostics };
}
