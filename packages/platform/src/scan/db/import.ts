/**
 * Builds the advisory database from OSV sources: `all.zip` files (read entry
 * by entry, zip-file.ts), directories of JSON records, single record files.
 *
 * The new database is written to a temporary file beside the old one and
 * renamed over it only when complete, so an import that fails (a corrupt zip,
 * a full disk, Ctrl-C, a crash) leaves the previous database as it was.
 * Sources of the previous database that the import does not replace are
 * copied over, so `db import extra.zip` adds to what `db update` fetched.
 * Malformed records are skipped, counted per source and listed (first 1,000)
 * with their entry names; the import goes on.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { PalisadeError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { nullLogger } from '../../core/logger.js';
import type { ProgressSink } from '../inventory.js';
import { aliasGroups } from './aliases.js';
import { buildMatchIndex } from './match-index.js';
import { acquireWriterLock, removeStaleTemps, tempPath } from './lock.js';
import { normalizePackageName } from './normalize.js';
import type { OsvRecord } from './osv.js';
import { parseOsv, OSV_LIMITS } from './osv.js';
import { ADVISORY_TABLES, INDEXES_SQL, SCHEMA_VERSION, SOURCE_TABLES, TABLES_SQL } from './schema.js';
import { databaseError } from './store.js';
import type { ZipLimits } from './zip-file.js';
import { ZipFile } from './zip-file.js';

export type SourceKind = 'zip' | 'dir' | 'file' | 'download';

export interface SourceInput {
  /** Source name: one per ecosystem zip (`Go`, `PyPI`…); an import replaces the source of that name. */
  name: string;
  kind: SourceKind;
  /** Local file or directory to read. */
  path: string;
  /** Where it came from, for `db info` (a URL for downloads); defaults to `path`. */
  origin?: string;
  /** HTTP validators and digest of a download, kept for the next conditional request. */
  http?: { etag?: string | undefined; lastModified?: string | undefined; sha256?: string; bytes?: number };
}

export interface SourceStats {
  name: string;
  kind: SourceKind;
  origin: string;
  /** JSON entries read. */
  entries: number;
  /** Advisories stored (duplicates within the source counted once). */
  records: number;
  withdrawn: number;
  skipped: number;
  duplicates: number;
  /** The first skipped entries with their reasons. */
  skippedEntries: { entry: string; reason: string }[];
}

export interface BuildOptions {
  dbPath: string;
  inputs: readonly SourceInput[];
  /** Start from an empty database instead of keeping the previous file's other sources. */
  fresh?: boolean;
  logger?: Logger;
  progress?: ProgressSink | undefined;
  signal?: AbortSignal | undefined;
  zipLimits?: Partial<ZipLimits>;
  /** Damage inside a zip (CRC, DEFLATE) fails the build instead of skipping the entry (downloads). */
  strictArchives?: boolean;
  /** Carried-over sources that an update just found unchanged: their check time is set to now. */
  checked?: readonly string[];
  /** Upper bound on the database file (SQLite max_page_count); over it the build fails as on a full disk. */
  maxDatabaseBytes?: number;
  busyTimeoutMs?: number;
  now?: () => Date;
  /** Set when the caller already holds the writer lock (db update). */
  lockHeld?: boolean;
}

export interface BuildResult {
  dbPath: string;
  sources: SourceStats[];
  /** Sources copied from the previous database. */
  kept: string[];
  /** Why the previous database could not be kept, when it could not. */
  previousUnusable?: string;
  advisories: number;
  affected: number;
  aliasGroups: number;
  wallMs: number;
}

const SKIPPED_LISTED = 1000;
const YIELD_EVERY = 256;
const MAX_DIR_FILES = 5_000_000;
const MAX_DIR_DEPTH = 32;

/** Names a source after its path: `<Ecosystem>/all.zip` is `<Ecosystem>`, `x.zip` is `x`, a directory its name. */
export function sourceFromPath(path: string): SourceInput {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new PalisadeError('E_NOT_FOUND', `cannot read ${path}: ${errorMessage(err)}`, { cause: err });
  }
  if (st.isDirectory()) return { name: basename(path.replace(/\/+$/, '')) || path, kind: 'dir', path };
  const base = basename(path);
  if (/\.json$/i.test(base)) return { name: base.replace(/\.json$/i, ''), kind: 'file', path };
  const name = base === 'all.zip' ? basename(dirname(path)) : base.replace(/\.zip$/i, '');
  return { name, kind: 'zip', path };
}

interface Entry {
  name: string;
  bytes: number;
  read(): { ok: true; data: Uint8Array } | { ok: false; reason: string; archive: boolean };
}

interface EntrySource {
  /** Bytes to read in all, for the progress bar. */
  total: number;
  entries(): Iterable<Entry>;
  close(): void;
}

function openZip(input: SourceInput, limits: Partial<ZipLimits> | undefined): EntrySource {
  const zip = ZipFile.open(input.path, limits);
  return {
    total: zip.fileSize,
    *entries(): Iterable<Entry> {
      for (const e of zip.entries) {
        if (e.name.endsWith('/') || !/\.json$/i.test(e.name)) continue;
        yield {
          name: e.name,
          bytes: e.compressedSize,
          read: () => {
            const r = zip.read(e);
            return r.ok ? r : { ok: false, reason: `${r.reason}: ${r.message}`, archive: true };
          },
        };
      }
    },
    close: () => zip.close(),
  };
}

function listJsonFiles(root: string): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > MAX_DIR_DEPTH) return;
    const names = readdirSync(dir).sort();
    for (const n of names) {
      const p = join(dir, n);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p, depth + 1);
      else if (st.isFile() && /\.json$/i.test(n)) {
        if (out.length >= MAX_DIR_FILES)
          throw new PalisadeError('E_LIMIT', `${root} holds more than ${MAX_DIR_FILES} JSON files`);
        out.push({ path: p, size: st.size });
      }
    }
  };
  walk(root, 0);
  return out;
}

function openFiles(input: SourceInput): EntrySource {
  const files =
    input.kind === 'dir'
      ? listJsonFiles(input.path)
      : [{ path: input.path, size: statSync(input.path).size }];
  const root = input.kind === 'dir' ? input.path : dirname(input.path);
  const entries: Entry[] = files.map((f) => ({
    name: relative(root, f.path),
    bytes: f.size,
    read: () => {
      if (f.size > OSV_LIMITS.recordBytes)
        return { ok: false, reason: `file is ${f.size} bytes, over the limit`, archive: false };
      try {
        return { ok: true, data: readFileSync(f.path) };
      } catch (err) {
        return { ok: false, reason: `unreadable: ${errorMessage(err)}`, archive: false };
      }
    },
  }));
  return { total: files.reduce((s, f) => s + f.size, 0), entries: () => entries, close: () => undefined };
}

function openSource(input: SourceInput, limits: Partial<ZipLimits> | undefined): EntrySource {
  return input.kind === 'zip' || input.kind === 'download' ? openZip(input, limits) : openFiles(input);
}

function abortIfNeeded(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new PalisadeError('E_ABORTED', 'import was cancelled; the previous database is unchanged', {
      cause: signal.reason,
    });
}

const str = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

class Writer {
  private readonly insAdvisory: Database.Statement;
  private readonly insText: Database.Statement;
  private readonly insAffected: Database.Statement;
  private readonly insEdge: Database.Statement;
  private readonly insLink: Database.Statement;
  private readonly delAdvisory: Database.Statement;
  private readonly delAffected: Database.Statement;
  private readonly delText: Database.Statement;
  private readonly delEdges: Database.Statement;
  private readonly delLinks: Database.Statement;
  /** id → (rowid, modified) for the source being imported, to resolve duplicates. */
  private seen = new Map<string, { rowid: number; modified: string; withdrawn: boolean }>();

  constructor(private readonly db: Database.Database) {
    this.insAdvisory = db.prepare(
      `INSERT INTO advisories (source, id, schema_version, modified, published, withdrawn, summary,
         severity, database_specific, aliases, upstream, related)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insText = db.prepare(
      'INSERT INTO advisory_text (advisory, details, refs, credits) VALUES (?, ?, ?, ?)',
    );
    this.insAffected = db.prepare(
      `INSERT INTO affected (ecosystem, name, advisory, ord, package, purl, ranges, versions, severity,
         ecosystem_specific, database_specific, withdrawn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insEdge = db.prepare('INSERT INTO alias_edges (source, id, alias) VALUES (?, ?, ?)');
    this.insLink = db.prepare('INSERT INTO links (source, id, kind, target) VALUES (?, ?, ?, ?)');
    this.delAdvisory = db.prepare('DELETE FROM advisories WHERE rowid = ?');
    this.delAffected = db.prepare('DELETE FROM affected WHERE advisory = ?');
    this.delText = db.prepare('DELETE FROM advisory_text WHERE advisory = ?');
    this.delEdges = db.prepare('DELETE FROM alias_edges WHERE source = ? AND id = ?');
    this.delLinks = db.prepare('DELETE FROM links WHERE source = ? AND id = ?');
  }

  startSource(): void {
    this.seen = new Map();
  }

  /** Stores a record; returns 'duplicate' when an equal or newer copy of the id was already stored. */
  put(source: string, rec: OsvRecord): 'stored' | 'replaced' | 'duplicate' {
    const prev = this.seen.get(rec.id);
    let outcome: 'stored' | 'replaced' = 'stored';
    if (prev) {
      if (!(rec.modified > prev.modified)) return 'duplicate';
      this.delAffected.run(prev.rowid);
      this.delText.run(prev.rowid);
      this.delAdvisory.run(prev.rowid);
      this.delEdges.run(source, rec.id);
      this.delLinks.run(source, rec.id);
      outcome = 'replaced';
    }
    const withdrawn = rec.withdrawn !== undefined && rec.withdrawn !== '';
    const info = this.insAdvisory.run(
      source,
      rec.id,
      rec.schema_version ?? null,
      rec.modified,
      rec.published ?? null,
      withdrawn ? rec.withdrawn : null,
      rec.summary ?? null,
      str(rec.severity),
      str(rec.database_specific),
      str(rec.aliases),
      str(rec.upstream),
      str(rec.related),
    );
    const rowid = Number(info.lastInsertRowid);
    if (rec.details !== undefined || rec.references || rec.credits)
      this.insText.run(rowid, rec.details ?? null, str(rec.references), str(rec.credits));
    let ord = 0;
    for (const a of rec.affected ?? []) {
      ord++;
      if (!a.package) continue;
      const { ecosystem, name } = a.package;
      this.insAffected.run(
        ecosystem,
        normalizePackageName(ecosystem, name),
        rowid,
        ord,
        name,
        a.package.purl ?? null,
        str(a.ranges),
        str(a.versions),
        str(a.severity),
        str(a.ecosystem_specific),
        str(a.database_specific),
        withdrawn ? 1 : 0,
      );
    }
    for (const alias of new Set(rec.aliases ?? []))
      if (alias !== rec.id) this.insEdge.run(source, rec.id, alias);
    for (const kind of ['upstream', 'related'] as const)
      for (const t of new Set(rec[kind] ?? [])) if (t !== rec.id) this.insLink.run(source, rec.id, kind, t);
    this.seen.set(rec.id, { rowid, modified: rec.modified, withdrawn });
    return outcome;
  }

  withdrawnCount(): number {
    let n = 0;
    for (const s of this.seen.values()) if (s.withdrawn) n++;
    return n;
  }

  recordCount(): number {
    return this.seen.size;
  }
}

/** Inspects the previous database: which sources it has, or why it cannot be kept. */
function previousSources(
  dbPath: string,
  busyTimeoutMs: number,
): { sources: string[] } | { unusable: string } {
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    const v = (
      db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined
    )?.value;
    if (Number(v) !== SCHEMA_VERSION)
      return { unusable: `it has schema version ${v ?? 'none'}, not ${SCHEMA_VERSION}` };
    const sources = (db.prepare('SELECT name FROM sources').all() as { name: string }[]).map((r) => r.name);
    return { sources };
  } catch (err) {
    const mapped = databaseError(err, dbPath, 'reading');
    if (mapped.code === 'E_DB_LOCKED') throw mapped;
    return { unusable: errorMessage(err) };
  } finally {
    db?.close();
  }
}

function fsyncPath(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // best effort: some file systems refuse fsync on directories
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function buildError(err: unknown, dbPath: string, tmp: string): PalisadeError {
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC')
    return new PalisadeError(
      'E_IO',
      `no space left while building the advisory database in ${dirname(tmp)}; the previous database is unchanged`,
      { cause: err, hint: `free space there, or put the database elsewhere with --db-path` },
    );
  if (err instanceof PalisadeError) return err;
  return databaseError(err, dbPath, 'building');
}

/**
 * Imports `inputs` into a new database file and swaps it in atomically. The
 * sources of the previous file that are not re-imported are kept (unless
 * `fresh`); a previous file that is damaged or from another schema version is
 * not kept, and the result says why.
 */
export async function buildDatabase(opts: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const log = opts.logger ?? nullLogger;
  const now = (opts.now ?? (() => new Date()))().toISOString();
  const names = new Set<string>();
  for (const i of opts.inputs) {
    if (names.has(i.name))
      throw new PalisadeError('E_USAGE', `two inputs would both be the source '${i.name}'`, {
        hint: 'import one zip per ecosystem (the source is named after the zip or its directory)',
      });
    names.add(i.name);
  }
  const dir = dirname(opts.dbPath);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new PalisadeError('E_IO', `cannot create ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  const lock = opts.lockHeld ? undefined : acquireWriterLock(opts.dbPath);
  const tmp = tempPath(opts.dbPath, 'tmp');
  let db: Database.Database | undefined;
  try {
    removeStaleTemps(opts.dbPath);
    let kept: string[] = [];
    let previousUnusable: string | undefined;
    if (!opts.fresh && existsSync(opts.dbPath)) {
      const prev = previousSources(opts.dbPath, opts.busyTimeoutMs ?? 5000);
      if ('unusable' in prev) {
        previousUnusable = prev.unusable;
        log.info(
          { path: opts.dbPath, reason: prev.unusable },
          'previous advisory database cannot be kept; building from the given sources only',
        );
      } else kept = prev.sources.filter((s) => !names.has(s));
    }

    db = new Database(tmp);
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('cache_size = -65536');
    db.pragma('temp_store = MEMORY');
    if (opts.maxDatabaseBytes !== undefined) {
      const page = Number(db.pragma('page_size', { simple: true }));
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(opts.maxDatabaseBytes / page))}`);
    }
    db.exec(TABLES_SQL);

    if (kept.length > 0) {
      db.prepare('ATTACH DATABASE ? AS prev').run(opts.dbPath);
      db.exec('BEGIN');
      const keptJson = JSON.stringify(kept);
      for (const t of SOURCE_TABLES) {
        const col = t === 'sources' ? 'name' : 'source';
        db.prepare(
          `INSERT INTO main.${t} SELECT * FROM prev.${t} WHERE ${col} IN (SELECT value FROM json_each(?))`,
        ).run(keptJson);
      }
      for (const t of ADVISORY_TABLES)
        db.prepare(
          `INSERT INTO main.${t} SELECT x.* FROM prev.${t} x JOIN prev.advisories a ON a.rowid = x.advisory
            WHERE a.source IN (SELECT value FROM json_each(?))`,
        ).run(keptJson);
      db.exec('COMMIT');
      db.exec('DETACH DATABASE prev');
      if (opts.checked && opts.checked.length > 0)
        db.prepare('UPDATE sources SET checked_at = ? WHERE name IN (SELECT value FROM json_each(?))').run(
          now,
          JSON.stringify(opts.checked),
        );
    }

    db.exec('BEGIN');
    const writer = new Writer(db);
    const stats: SourceStats[] = [];
    const insSkipped = db.prepare('INSERT INTO skipped (source, entry, reason) VALUES (?, ?, ?)');
    for (const input of opts.inputs) {
      abortIfNeeded(opts.signal);
      const src = openSource(input, opts.zipLimits);
      const st: SourceStats = {
        name: input.name,
        kind: input.kind,
        origin: input.origin ?? input.path,
        entries: 0,
        records: 0,
        withdrawn: 0,
        skipped: 0,
        duplicates: 0,
        skippedEntries: [],
      };
      let newest = '';
      writer.startSource();
      opts.progress?.start(`import ${input.name}`, src.total);
      try {
        for (const e of src.entries()) {
          if (++st.entries % YIELD_EVERY === 0) {
            await yieldToLoop();
            abortIfNeeded(opts.signal);
          }
          opts.progress?.advance(e.bytes);
          const got = e.read();
          const parsed = got.ok ? parseOsv(got.data) : undefined;
          if (!got.ok || !parsed?.ok) {
            const reason = !got.ok ? got.reason : parsed && !parsed.ok ? parsed.reason : 'unreadable';
            if (!got.ok && got.archive && opts.strictArchives)
              throw new PalisadeError(
                'E_ARCHIVE_TRUNCATED',
                `${input.origin ?? input.path}: entry ${e.name} is damaged (${reason})`,
                {
                  hint: 'the download is corrupt; run the update again',
                },
              );
            st.skipped++;
            if (st.skippedEntries.length < SKIPPED_LISTED) {
              st.skippedEntries.push({ entry: e.name, reason });
              insSkipped.run(input.name, e.name, reason);
            }
            if (st.skipped <= 20)
              log.debug({ source: input.name, entry: e.name, reason }, 'skipped a malformed OSV record');
            continue;
          }
          const rec = parsed.record;
          const outcome = writer.put(input.name, rec);
          if (outcome !== 'stored') st.duplicates++;
          if (rec.modified > newest) newest = rec.modified;
        }
      } finally {
        src.close();
        opts.progress?.done();
      }
      st.records = writer.recordCount();
      st.withdrawn = writer.withdrawnCount();
      if (st.skipped > 20)
        log.debug({ source: input.name, skipped: st.skipped }, 'malformed OSV records skipped in all');
      db.prepare(
        `INSERT INTO sources (name, kind, origin, entries, records, withdrawn, skipped, duplicates, newest_modified,
           imported_at, checked_at, etag, last_modified, sha256, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        st.name,
        st.kind,
        st.origin,
        st.entries,
        st.records,
        st.withdrawn,
        st.skipped,
        st.duplicates,
        newest || null,
        now,
        now,
        input.http?.etag ?? null,
        input.http?.lastModified ?? null,
        input.http?.sha256 ?? null,
        input.http?.bytes ?? null,
      );
      stats.push(st);
    }
    abortIfNeeded(opts.signal);

    // Alias groups over every record (kept and new) and every alias they state.
    const ids = db.prepare('SELECT DISTINCT id FROM advisories').pluck().all() as string[];
    const edges = db.prepare('SELECT id, alias FROM alias_edges').raw().all() as [string, string][];
    const groups = aliasGroups(ids, edges);
    const insGroup = db.prepare('INSERT INTO alias_groups (id, group_id) VALUES (?, ?)');
    for (const [id, g] of groups) insGroup.run(id, g);
    db.exec(
      'UPDATE advisories SET group_id = (SELECT g.group_id FROM alias_groups g WHERE g.id = advisories.id)',
    );
    db.exec(INDEXES_SQL);
    buildMatchIndex(db, groups);
    const setMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    setMeta.run('schema_version', String(SCHEMA_VERSION));
    setMeta.run('built_at', now);
    setMeta.run('checked_at', now);
    setMeta.run('builder', 'palisade');
    db.exec('COMMIT');
    const count = (sql: string): number => db?.prepare(sql).pluck().get() as number;
    const result: BuildResult = {
      dbPath: opts.dbPath,
      sources: stats,
      kept,
      advisories: count('SELECT COUNT(*) FROM advisories'),
      affected: count('SELECT COUNT(*) FROM affected'),
      aliasGroups: count('SELECT COUNT(DISTINCT group_id) FROM alias_groups'),
      wallMs: 0,
    };
    if (previousUnusable !== undefined) result.previousUnusable = previousUnusable;
    db.pragma('journal_mode = DELETE');
    db.close();
    db = undefined;

    fsyncPath(tmp);
    // A journal left by an interrupted in-place write of the old file must not be applied to the new one.
    rmSync(`${opts.dbPath}-journal`, { force: true });
    renameSync(tmp, opts.dbPath);
    fsyncPath(dir);
    result.wallMs = Date.now() - started;
    log.info(
      { path: opts.dbPath, advisories: result.advisories, ms: result.wallMs },
      'advisory database built',
    );
    return result;
  } catch (err) {
    throw buildError(err, opts.dbPath, tmp);
  } finally {
    try {
      db?.close();
    } catch {
      // closing a failed build: the file is removed next
    }
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-journal`, { force: true });
    lock?.release();
  }
}

/** Marks sources as checked now without rebuilding (an update that found nothing new). */
export function markChecked(
  dbPath: string,
  sources: readonly string[],
  now: Date,
  busyTimeoutMs = 5000,
): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { fileMustExist: true, timeout: busyTimeoutMs });
    const at = now.toISOString();
    db.transaction(() => {
      db?.prepare('UPDATE sources SET checked_at = ? WHERE name IN (SELECT value FROM json_each(?))').run(
        at,
        JSON.stringify(sources),
      );
      db?.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('checked_at', ?)").run(at);
    })();
  } catch (err) {
    throw databaseError(err, dbPath, 'updating');
  } finally {
    db?.close();
  }
}
