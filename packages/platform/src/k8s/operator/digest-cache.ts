/**
 * The operator's record of finished scans, in SQLite under the cache directory: one row per
 * image digest, advisory database build (its `builtAt`) and scanner set, holding the gzipped
 * ScanReport and when it was made. A restarted operator finds every finished scan here and does
 * not repeat it; a new database build makes the old rows stale (they are still used to keep
 * reports in place until the rescan finishes) and `prune` removes rows of older builds.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type { ScanReport } from '@palisade/api';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

const SCHEMA = 1;

export interface CachedScan {
  digest: string;
  dbBuiltAt: string;
  scanners: string;
  scannedAt: number;
  report: ScanReport;
}

export interface CachedScanMeta {
  dbBuiltAt: string;
  scannedAt: number;
}

export class DigestCache {
  private readonly db: Database.Database;
  private readonly getRow: Database.Statement<
    [string, string, string],
    { report: Buffer; scanned_at: number }
  >;
  private readonly getLatest: Database.Statement<
    [string, string],
    { report: Buffer; scanned_at: number; db_built_at: string }
  >;
  private readonly metaRows: Database.Statement<
    [string],
    { digest: string; db_built_at: string; scanned_at: number }
  >;
  private readonly putRow: Database.Statement<[string, string, string, number, Buffer]>;

  private constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: 5000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version !== 0 && version !== SCHEMA) {
      this.db.exec('DROP TABLE IF EXISTS scans');
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS scans (
        digest TEXT NOT NULL, db_built_at TEXT NOT NULL, scanners TEXT NOT NULL,
        scanned_at INTEGER NOT NULL, report BLOB NOT NULL,
        PRIMARY KEY (digest, scanners, db_built_at));
    `);
    this.db.pragma(`user_version = ${SCHEMA}`);
    this.getRow = this.db.prepare(
      'SELECT report, scanned_at FROM scans WHERE digest = ? AND scanners = ? AND db_built_at = ?',
    );
    this.getLatest = this.db.prepare(
      'SELECT report, scanned_at, db_built_at FROM scans WHERE digest = ? AND scanners = ? ORDER BY scanned_at DESC LIMIT 1',
    );
    this.metaRows = this.db.prepare(
      'SELECT digest, db_built_at, scanned_at FROM scans WHERE scanners = ? ORDER BY scanned_at',
    );
    this.putRow = this.db.prepare(
      'INSERT OR REPLACE INTO scans (digest, db_built_at, scanners, scanned_at, report) VALUES (?, ?, ?, ?, ?)',
    );
  }

  /** Opens the file; an unreadable one is moved out of the way (a cache never stops the operator). */
  static open(path: string, logger: Logger): DigestCache {
    try {
      return new DigestCache(path);
    } catch (err) {
      logger.warn({ path, err: errorMessage(err) }, 'scan result cache unreadable; starting a new one');
      for (const p of [path, `${path}-wal`, `${path}-shm`]) rmSync(p, { force: true });
      return new DigestCache(path);
    }
  }

  /** The result for this digest and database build, if scanned. */
  get(digest: string, scanners: string, dbBuiltAt: string): CachedScan | undefined {
    const row = this.getRow.get(digest, scanners, dbBuiltAt);
    if (!row) return undefined;
    return { digest, dbBuiltAt, scanners, scannedAt: row.scanned_at, report: decode(row.report) };
  }

  /** The newest result for this digest, whatever the database build. */
  latest(digest: string, scanners: string): CachedScan | undefined {
    const row = this.getLatest.get(digest, scanners);
    if (!row) return undefined;
    return {
      digest,
      dbBuiltAt: row.db_built_at,
      scanners,
      scannedAt: row.scanned_at,
      report: decode(row.report),
    };
  }

  /** digest → newest (build, time) of every stored result. */
  index(scanners: string): Map<string, CachedScanMeta> {
    const out = new Map<string, CachedScanMeta>();
    for (const r of this.metaRows.iterate(scanners))
      out.set(r.digest, { dbBuiltAt: r.db_built_at, scannedAt: r.scanned_at });
    return out;
  }

  put(scan: CachedScan): void {
    this.putRow.run(
      scan.digest,
      scan.dbBuiltAt,
      scan.scanners,
      scan.scannedAt,
      gzipSync(Buffer.from(JSON.stringify(scan.report))),
    );
  }

  /** Removes rows of other builds for digests that have a row of `dbBuiltAt`; returns how many. */
  prune(scanners: string, dbBuiltAt: string): number {
    return this.db
      .prepare(
        `DELETE FROM scans WHERE scanners = ? AND db_built_at != ? AND digest IN
           (SELECT digest FROM scans WHERE scanners = ? AND db_built_at = ?)`,
      )
      .run(scanners, dbBuiltAt, scanners, dbBuiltAt).changes;
  }

  /** Removes rows of digests no workload runs any more, keeping `keep`. */
  forgetExcept(keep: ReadonlySet<string>): number {
    const all = this.db.prepare('SELECT DISTINCT digest FROM scans').pluck().all() as string[];
    const del = this.db.prepare('DELETE FROM scans WHERE digest = ?');
    let n = 0;
    this.db.transaction(() => {
      for (const d of all) if (!keep.has(d)) n += del.run(d).changes;
    })();
    return n;
  }

  close(): void {
    this.db.close();
  }
}

function decode(b: Buffer): ScanReport {
  return JSON.parse(gunzipSync(b).toString('utf8')) as ScanReport;
}
