/**
 * Lists the packages of an rpm database in any of its three backends,
 * recognised by content (as go-rpmdb does), not by file name.
 */
import { bdbByteOrder, readBerkeleyDb } from './bdb.js';
import type { RpmPackageInfo } from './header.js';
import { readPackageInfo } from './header.js';
import { isNdb, readNdb } from './ndb.js';
import type { DbRecord } from './records.js';
import { isSqlite, readSqlite } from './sqlite.js';

export type { RpmPackageInfo } from './header.js';

export type RpmDbFormat = 'sqlite' | 'ndb' | 'bdb';

export function detectFormat(buf: Buffer): RpmDbFormat | undefined {
  if (isSqlite(buf)) return 'sqlite';
  if (isNdb(buf)) return 'ndb';
  if (bdbByteOrder(buf)) return 'bdb';
  return undefined;
}

export interface RpmDbProblem {
  /** DB: the database structure; HEADER: one package record. */
  code: 'RPMDB_UNKNOWN_FORMAT' | 'RPMDB_CORRUPT' | 'RPM_HEADER_INVALID';
  message: string;
}

export interface RpmDbListing {
  format?: RpmDbFormat;
  packages: RpmPackageInfo[];
  problems: RpmDbProblem[];
}

export interface ReadOptions {
  /** Content of the `-wal` file beside an SQLite database. */
  wal?: Buffer;
  scratchDir: string;
  signal?: AbortSignal;
}

export async function listPackages(buf: Buffer, opts: ReadOptions): Promise<RpmDbListing> {
  const format = detectFormat(buf);
  if (!format) {
    return {
      packages: [],
      problems: [{ code: 'RPMDB_UNKNOWN_FORMAT', message: 'not a BerkeleyDB, NDB or SQLite rpm database' }],
    };
  }
  let records: Iterable<DbRecord>;
  if (format === 'sqlite') records = await readSqlite(buf, opts.wal, opts.scratchDir, opts.signal);
  else if (format === 'ndb') records = readNdb(buf, opts.signal);
  else records = readBerkeleyDb(buf, opts.signal);

  const packages: RpmPackageInfo[] = [];
  const problems: RpmDbProblem[] = [];
  for (const r of records) {
    if (r.kind === 'problem') {
      problems.push({ code: 'RPMDB_CORRUPT', message: r.message });
      continue;
    }
    const parsed = readPackageInfo(r.blob);
    if (!parsed.ok) {
      problems.push({ code: 'RPM_HEADER_INVALID', message: `${r.ref}: ${parsed.error}` });
      continue;
    }
    for (const w of parsed.warnings) {
      problems.push({ code: 'RPM_HEADER_INVALID', message: `${r.ref} (${parsed.pkg.name}): ${w}` });
    }
    packages.push(parsed.pkg);
  }
  return { format, packages, problems };
}
