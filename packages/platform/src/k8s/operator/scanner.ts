/**
 * The in-process image scan the operator's workers run: the same stages as `palisade scan image`
 * (artifact → analyzers → applier → detect; secrets in the same pass) on a registry reference
 * pinned by digest, with the credentials of the workload's pull secrets. Suppression and
 * enrichment are per-user choices of the CLI and are not applied to reports.
 */
import type { InventoryReport, ScanReport, ScanResult } from '@palisade/api';
import type { Logger } from '../../core/logger.js';
import { purlFor } from '../../report/purl.js';
import { openImage } from '../../scan/artifact/image/resolve.js';
import type { LayerCache } from '../../scan/cache/layer-cache.js';
import { AdvisoryStore } from '../../scan/db/index.js';
import { detectVulnerabilities } from '../../scan/detect/index.js';
import { analyzersFor, inventoryImage, withoutDevDependencies } from '../../scan/inventory.js';
import { applySecretLayers, defaultScanner, secretAnalyzer } from '../../scan/secret/index.js';

export interface ImageScanRequest {
  /** `registry/repo@sha256:…` */
  reference: string;
  digest: string;
  username?: string;
  password?: string;
  signal?: AbortSignal;
}

export interface ImageScanResult {
  report: ScanReport;
  /** The advisory database build the report was matched against ('' without vuln scanning). */
  dbBuiltAt: string;
}

/** What the operator needs from a scanner; tests wrap the real one to count calls. */
export interface ImageScanner {
  scan(req: ImageScanRequest): Promise<ImageScanResult>;
}

export interface PipelineScannerOptions {
  /** The advisory database file (opened per scan: `palisade db update` may replace it). */
  dbPath: string;
  scanners: ReadonlySet<'vuln' | 'secret'>;
  cache: LayerCache;
  logger: Logger;
  platform?: string;
  insecure?: boolean;
  /** Keep every package in the result (for SbomReports), not only the vulnerable ones. */
  includePackages?: boolean;
}

/** Reads the current database build without keeping the file open. */
export function databaseBuild(dbPath: string): { builtAt: string; checkedAt: string } {
  const store = AdvisoryStore.open(dbPath);
  try {
    const info = store.build();
    return { builtAt: info.builtAt, checkedAt: info.checkedAt };
  } finally {
    store.close();
  }
}

export class PipelineScanner implements ImageScanner {
  constructor(private readonly opts: PipelineScannerOptions) {}

  async scan(req: ImageScanRequest): Promise<ImageScanResult> {
    // A signal per scan, linked to the caller's for the scan's duration only: listeners the
    // pipeline leaves on it die with the scan instead of piling up on the operator's long-lived
    // signal (bench:operator saw 1,500 of them after 1,000 scans, and the memory they held).
    const parent = req.signal;
    if (!parent) return await this.scanWith(req);
    const scope = new AbortController();
    const onAbort = (): void => scope.abort(parent.reason);
    if (parent.aborted) scope.abort(parent.reason);
    else parent.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.scanWith({ ...req, signal: scope.signal });
    } finally {
      parent.removeEventListener('abort', onAbort);
    }
  }

  private async scanWith(req: ImageScanRequest): Promise<ImageScanResult> {
    const o = this.opts;
    const log = o.logger.child({ component: 'operator-scan', digest: req.digest });
    let secretResults: ScanResult[] = [];
    const secrets = o.scanners.has('secret');
    const source = await openImage(req.reference, {
      logger: log,
      ...(o.platform ? { platform: o.platform } : {}),
      ...(o.insecure ? { insecure: true } : {}),
      ...(req.username !== undefined ? { username: req.username, password: req.password ?? '' } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
    });
    let inventory: InventoryReport;
    try {
      inventory = await inventoryImage(source, {
        logger: log,
        cache: o.cache,
        ...(req.signal ? { signal: req.signal } : {}),
        ...(secrets
          ? {
              analyzers: [...analyzersFor('image'), secretAnalyzer(defaultScanner(), { kind: 'image' })],
              onLayers: (layers) => {
                secretResults = applySecretLayers(layers);
              },
            }
          : {}),
      });
    } finally {
      await source.close();
    }
    const shown = withPurls(withoutDevDependencies(inventory));
    let report: ScanReport;
    let dbBuiltAt = '';
    if (o.scanners.has('vuln')) {
      const store = AdvisoryStore.open(o.dbPath);
      try {
        const info = store.build();
        dbBuiltAt = info.builtAt;
        report = detectVulnerabilities(shown, store, {
          database: {
            builtAt: info.builtAt,
            checkedAt: info.checkedAt,
            sources: info.sources.map((s) => s.name),
          },
          ...(o.includePackages ? { includePackages: true } : {}),
          ...(req.signal ? { signal: req.signal } : {}),
        });
      } finally {
        store.close();
      }
    } else {
      report = {
        schemaVersion: 1,
        createdAt: new Date().toISOString(),
        artifact: shown.artifact,
        ...(shown.os ? { os: shown.os } : {}),
        results: o.includePackages
          ? shown.results.map((r) => ({
              target: r.target,
              class: r.class,
              type: r.type,
              packages: r.packages,
            }))
          : [],
        diagnostics: [...shown.diagnostics],
      };
    }
    if (secretResults.length > 0) report = { ...report, results: [...report.results, ...secretResults] };
    return { report, dbBuiltAt };
  }
}

/** Purls on every package, so findings carry them (as `palisade scan` does). */
function withPurls(inv: InventoryReport): InventoryReport {
  return {
    ...inv,
    results: inv.results.map((r) => ({
      ...r,
      packages: r.packages.map((p) => {
        if (p.purl !== undefined) return p;
        const purl = purlFor(p, r.class, r.type, inv.os);
        return purl === undefined ? p : { ...p, purl };
      }),
    })),
  };
}
