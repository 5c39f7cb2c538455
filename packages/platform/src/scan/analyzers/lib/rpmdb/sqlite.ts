/**
 * Reads rpm's SQLite package database (`rpmdb.sqlite`, rpm ≥ 4.16: Fedora,
 * RHEL 9, CBL-Mariner/Azure Linux): table `Packages(hnum INTEGER PRIMARY KEY,
 * blob BLOB)`, one header blob per row.
 *
 * SQLite needs a real file, so the bytes are written to a private directory
 * under the scan's scratch directory and opened read-only. rpm keeps the
 * database in WAL mode: committed transactions that were not checkpointed yet
 * live only in `rpmdb.sqlite-wal`, so when the image has one it is written
 * beside the copy and SQLite applies it (frames that fail the WAL's own
 * checksums, and a WAL with a damaged header, are ignored). The image's
 * `-shm` is never used: SQLite rebuilds the index from the WAL.
 *
 * Hostile input: the file is opened read-only with `trusted_schema=OFF`;
 * `Packages` must be a real table (not a view, whose query could run
 * unbounded) and `blob` a stored column (not a generated one).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DbRecord } from './records.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function isSqlite(buf: Buffer): boolean {
  return buf.length >= 16 && buf.subarray(0, 16).equals(SQLITE_MAGIC);
}

interface ColumnInfo {
  name: string;
  hidden: number;
}

export async function readSqlite(
  buf: Buffer,
  wal: Buffer | undefined,
  scratchDir: string,
  signal?: AbortSignal,
): Promise<DbRecord[]> {
  if (!isSqlite(buf)) return [{ kind: 'problem', message: 'not an SQLite database' }];
  const dir = await mkdtemp(join(scratchDir, 'rpmdb-'));
  const file = join(dir, 'rpmdb.sqlite');
  try {
    await writeFile(file, buf);
    if (wal && wal.length > 0) await writeFile(`${file}-wal`, wal);
    return readFile(file, signal);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function readFile(file: string, signal?: AbortSignal): DbRecord[] {
  const out: DbRecord[] = [];
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('trusted_schema = OFF');
    db.pragma('query_only = ON');
    const kind = db
      .prepare<[], { type: string }>("SELECT type FROM sqlite_schema WHERE lower(name) = 'packages'")
      .get();
    if (!kind) return [{ kind: 'problem', message: 'the database has no Packages table' }];
    if (kind.type !== 'table')
      return [{ kind: 'problem', message: `Packages is a ${kind.type}, not a table` }];
    const columns = db.prepare<[], ColumnInfo>('PRAGMA table_xinfo(Packages)').all();
    for (const want of ['hnum', 'blob']) {
      const col = columns.find((c) => c.name.toLowerCase() === want);
      if (!col) return [{ kind: 'problem', message: `the Packages table has no ${want} column` }];
      if (col.hidden !== 0) return [{ kind: 'problem', message: `Packages.${want} is not a stored column` }];
    }
    const rows = db
      .prepare<[], { hnum: unknown; blob: unknown }>('SELECT hnum, CAST(blob AS BLOB) AS blob FROM Packages')
      .iterate();
    for (const row of rows) {
      if (signal?.aborted) break;
      const ref = `hnum ${String(row.hnum)}`;
      if (Buffer.isBuffer(row.blob)) out.push({ kind: 'blob', blob: row.blob, ref });
      else out.push({ kind: 'problem', message: `${ref}: blob is NULL` });
    }
  } catch (err) {
    // SQLITE_NOTADB, SQLITE_CORRUPT… : keep what was read before the error.
    out.push({ kind: 'problem', message: `SQLite: ${err instanceof Error ? err.message : String(err)}` });
  } finally {
    db?.close();
  }
  return out;
}
