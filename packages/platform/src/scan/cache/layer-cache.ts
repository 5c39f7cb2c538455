/**
 * Per-layer analysis results in SQLite, keyed by layer diff ID and analyzer
 * name and version. A scan asks for every analyzer it runs; only when one is
 * missing (new layer, new analyzer, or a bumped analyzer version) is the
 * layer streamed again, and then only the missing analyzers run. Results are
 * written only after the layer's digests were verified.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../../core/logger.js';
import { errorMessage } from '../../core/errors.js';
import type { AnalyzerOutput } from '../analyzers/run.js';

/** Bump when the stored JSON shape changes; older rows are ignored. */
const SCHEMA_VERSION = 1;

export interface LayerMeta {
  whiteouts: string[];
  opaqueDirs: string[];
}

export interface CachedLayer {
  meta: LayerMeta | undefined;
  outputs: Map<string, AnalyzerOutput>;
}

export interface LayerCache {
  get(diffId: string, analyzers: readonly { name: string; version: number }[]): CachedLayer;
  put(
    diffId: string,
    meta: LayerMeta,
    outputs: ReadonlyMap<string, AnalyzerOutput>,
    versions: ReadonlyMap<string, number>,
  ): void;
  close(): void;
}

/** A cache that stores nothing (`--no-cache`). */
export const noLayerCache: LayerCache = {
  get: () => ({ meta: undefined, outputs: new Map() }),
  put: () => undefined,
  close: () => undefined,
};

export class SqliteLayerCache implements LayerCache {
  private readonly db: Database.Database;
  private readonly getMeta: Database.Statement<[string, number], { whiteouts: string; opaque: string }>;
  private readonly getResult: Database.Statement<[string, string, number, number], { output: string }>;
  private readonly putMeta: Database.Statement<[string, number, string, string, number]>;
  private readonly putResult: Database.Statement<[string, string, number, number, string, number]>;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: 5000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS layer_meta (
        diff_id TEXT NOT NULL, schema INTEGER NOT NULL, whiteouts TEXT NOT NULL, opaque TEXT NOT NULL,
        created_at INTEGER NOT NULL, PRIMARY KEY (diff_id, schema));
      CREATE TABLE IF NOT EXISTS layer_results (
        diff_id TEXT NOT NULL, analyzer TEXT NOT NULL, version INTEGER NOT NULL, schema INTEGER NOT NULL,
        output TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (diff_id, analyzer));
    `);
    this.getMeta = this.db.prepare(
      'SELECT whiteouts, opaque FROM layer_meta WHERE diff_id = ? AND schema = ?',
    );
    this.getResult = this.db.prepare(
      'SELECT output FROM layer_results WHERE diff_id = ? AND analyzer = ? AND version = ? AND schema = ?',
    );
    this.putMeta = this.db.prepare(
      'INSERT OR REPLACE INTO layer_meta (diff_id, schema, whiteouts, opaque, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.putResult = this.db.prepare(
      'INSERT OR REPLACE INTO layer_results (diff_id, analyzer, version, schema, output, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  /**
   * Opens the cache; a corrupt or unreadable file is moved aside and the scan
   * goes on (a cache must never be the reason a scan fails).
   */
  static open(path: string, logger: Logger): LayerCache {
    try {
      return new SqliteLayerCache(path);
    } catch (err) {
      logger.warn({ path, err: errorMessage(err) }, 'layer cache unreadable; starting a new one');
      try {
        rmSync(path, { force: true });
        rmSync(`${path}-wal`, { force: true });
        rmSync(`${path}-shm`, { force: true });
        return new SqliteLayerCache(path);
      } catch (err2) {
        logger.warn({ path, err: errorMessage(err2) }, 'layer cache disabled');
        return noLayerCache;
      }
    }
  }

  get(diffId: string, analyzers: readonly { name: string; version: number }[]): CachedLayer {
    const metaRow = this.getMeta.get(diffId, SCHEMA_VERSION);
    const outputs = new Map<string, AnalyzerOutput>();
    if (!metaRow) return { meta: undefined, outputs };
    for (const a of analyzers) {
      const row = this.getResult.get(diffId, a.name, a.version, SCHEMA_VERSION);
      if (row) outputs.set(a.name, JSON.parse(row.output) as AnalyzerOutput);
    }
    return {
      meta: {
        whiteouts: JSON.parse(metaRow.whiteouts) as string[],
        opaqueDirs: JSON.parse(metaRow.opaque) as string[],
      },
      outputs,
    };
  }

  put(
    diffId: string,
    meta: LayerMeta,
    outputs: ReadonlyMap<string, AnalyzerOutput>,
    versions: ReadonlyMap<string, number>,
  ): void {
    const now = Date.now();
    this.db.transaction(() => {
      this.putMeta.run(
        diffId,
        SCHEMA_VERSION,
        JSON.stringify(meta.whiteouts),
        JSON.stringify(meta.opaqueDirs),
        now,
      );
      for (const [name, out] of outputs) {
        this.putResult.run(diffId, name, versions.get(name) ?? 0, SCHEMA_VERSION, JSON.stringify(out), now);
      }
    })();
  }

  close(): void {
    this.db.close();
  }
}
