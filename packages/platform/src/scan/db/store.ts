/**
 * The advisory store, read side: opens the database file read-only and
 * answers the matcher's one hot question, "which advisories name this package
 * in this ecosystem", with a prepared statement over an index. Everything else
 * (one advisory in full, alias groups, upstream and related IDs, what the file
 * holds) is for reports and `palisade db info`.
 *
 * Opening fails with a coded error and a hint: E_NOT_FOUND (no file yet),
 * E_DB_LOCKED (another process holds a write lock), E_DB_CORRUPT (not a
 * database, or damaged), E_DB_SCHEMA (built by another Palisade version).
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { PalisadeError, errorMessage } from '../../core/errors.js';
import { normalizePackageName, packageNameNormalizer } from './normalize.js';
import type { OsvAffected, OsvRange, OsvRecord, OsvReference, OsvSeverity } from './osv.js';
import { IndexedPackage, type AffectedEntryFields, type PackageAdvisories } from './match-index.js';
import { SCHEMA_VERSION } from './schema.js';

export const REBUILD_HINT =
  'rebuild it with `palisade db update` (online) or `palisade db import <all.zip|dir>` (offline); both replace the file';

/** One affected package of one advisory, as the matcher needs it. */
export type AffectedEntry = AffectedEntryFields;

export interface StoredAdvisory {
  source: string;
  groupId: string;
  record: OsvRecord;
}

/**
 * What a finding shows of an advisory beyond its finding template: the
 * record's `details`, `references` and `database_specific` (for CWE IDs), of
 * the same copy `advisory` returns, without its affected packages.
 */
export interface AdvisoryDetails {
  details?: string;
  references?: OsvReference[];
  databaseSpecific?: unknown;
}

export interface SourceInfo {
  name: string;
  kind: string;
  origin: string;
  entries: number;
  records: number;
  withdrawn: number;
  skipped: number;
  duplicates: number;
  newestModified: string | undefined;
  importedAt: string;
  checkedAt: string;
  etag: string | undefined;
  lastModified: string | undefined;
  sha256: string | undefined;
  bytes: number | undefined;
}

export interface SkippedEntry {
  source: string;
  entry: string;
  reason: string;
}

/** When the database was built and last checked, and from what (DatabaseInfo without its counts). */
export interface DatabaseBuild {
  builtAt: string;
  /** The newest of build time and the last update check that found nothing new. */
  checkedAt: string;
  sources: SourceInfo[];
}

export interface DatabaseInfo extends DatabaseBuild {
  path: string;
  schemaVersion: number;
  /** Affected-package rows per ecosystem (withdrawn records excluded). */
  ecosystems: { ecosystem: string; packages: number; advisories: number }[];
  advisories: number;
  withdrawn: number;
  aliasGroups: number;
}

export interface OpenOptions {
  /** How long to wait for another process' write lock before E_DB_LOCKED. */
  busyTimeoutMs?: number;
}

/** Columns of the lookup, fetched as arrays (half the cost of row objects on a hot path). */
type AffectedRow = [
  id: string,
  groupId: string,
  source: string,
  modified: string,
  published: string | null,
  summary: string | null,
  severity: string | null,
  recordDatabaseSpecific: string | null,
  ecosystem: string,
  packageName: string,
  purl: string | null,
  ranges: string | null,
  versions: string | null,
  affectedSeverity: string | null,
  ecosystemSpecific: string | null,
  databaseSpecific: string | null,
  withdrawn: number,
];

interface AdvisoryRow {
  source: string;
  id: string;
  group_id: string;
  schema_version: string | null;
  modified: string;
  published: string | null;
  withdrawn: string | null;
  summary: string | null;
  details: string | null;
  severity: string | null;
  refs: string | null;
  credits: string | null;
  database_specific: string | null;
  aliases: string | null;
  upstream: string | null;
  related: string | null;
}

interface PackageRow {
  ecosystem: string;
  package: string;
  purl: string | null;
  ranges: string | null;
  versions: string | null;
  severity: string | null;
  ecosystem_specific: string | null;
  database_specific: string | null;
}

/** SQLite result codes that mean another connection holds a lock. */
const LOCKED = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_RECOVERY', 'SQLITE_BUSY_SNAPSHOT']);
const CORRUPT = new Set([
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR_SHORT_READ',
  // A journal left by an interrupted write that a read-only connection cannot roll back.
  'SQLITE_READONLY_ROLLBACK',
  'SQLITE_READONLY_RECOVERY',
]);

/** Maps a better-sqlite3 error on the database file to a coded error with a hint. */
export function databaseError(err: unknown, path: string, doing: string): PalisadeError {
  if (err instanceof PalisadeError) return err;
  const code = (err as { code?: unknown }).code;
  const c = typeof code === 'string' ? code : '';
  if (LOCKED.has(c))
    return new PalisadeError('E_DB_LOCKED', `the advisory database ${path} is locked by another process`, {
      cause: err,
      hint: 'another palisade process is writing it (a db update or import); wait for it to finish and retry',
    });
  if (CORRUPT.has(c) || c.startsWith('SQLITE_CORRUPT') || /no such table|malformed/i.test(errorMessage(err)))
    return new PalisadeError(
      'E_DB_CORRUPT',
      `the advisory database ${path} is damaged or not a Palisade database (${errorMessage(err)})`,
      { cause: err, hint: REBUILD_HINT },
    );
  if (c === 'SQLITE_FULL' || c.startsWith('SQLITE_IOERR'))
    return new PalisadeError('E_IO', `${doing} ${path} failed: ${errorMessage(err)}`, { cause: err });
  return new PalisadeError('E_INTERNAL', `${doing} ${path} failed: ${errorMessage(err)}`, { cause: err });
}

const NONE: readonly string[] = Object.freeze([]);
const NONE_SEVERITY: readonly OsvSeverity[] = Object.freeze([]);
const NONE_RANGES: readonly OsvRange[] = Object.freeze([]);

/** Lookups in one ecosystem before its name set is loaded. */
const KNOWN_NAMES_AFTER = 64;

function json<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T);
}

function detailsFrom(details: string | null, refs: string | null, ds: string | null): AdvisoryDetails {
  const out: AdvisoryDetails = {};
  if (details !== null) out.details = details;
  const references = json<OsvReference[]>(refs);
  if (references) out.references = references;
  if (ds !== null) out.databaseSpecific = JSON.parse(ds);
  return out;
}

export class AdvisoryStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly byPackage: Database.Statement<[string, string], unknown>;
  private readonly groupMembers: Database.Statement<[string], { id: string }>;
  private readonly detailsMany: Database.Statement<[string], unknown>;
  private readonly namesOf: Database.Statement<[string], string>;
  private readonly indexed: Database.Statement<[string, string], unknown>;
  private readonly indexedMany: Database.Statement<[string, string], unknown>;
  private readonly groupCache = new Map<string, readonly string[]>();
  /** Per ecosystem: how many lookups so far, then (past KNOWN_NAMES_AFTER) every indexed name. */
  private readonly lookups = new Map<string, number>();
  private readonly knownNames = new Map<string, ReadonlySet<string>>();

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
    this.byPackage = db.prepare(
      `SELECT a.id, a.group_id, a.source, a.modified, a.published, a.summary, a.severity,
              a.database_specific AS rdb, f.ecosystem, f.package, f.purl, f.ranges, f.versions,
              f.severity AS aseverity, f.ecosystem_specific, f.database_specific, f.withdrawn
         FROM affected f JOIN advisories a ON a.rowid = f.advisory
        WHERE f.ecosystem = ? AND f.name = ?`,
    );
    this.byPackage.raw(true);
    this.namesOf = db
      .prepare<[string], { names: string }>('SELECT names FROM match_names WHERE ecosystem = ?')
      .pluck() as unknown as Database.Statement<[string], string>;
    this.indexed = db.prepare(
      'SELECT entries, versions, findings FROM match_packages WHERE ecosystem = ? AND name = ?',
    );
    this.indexed.raw(true);
    this.indexedMany = db.prepare(
      `SELECT name, entries, versions, findings FROM match_packages
        WHERE ecosystem = ? AND name IN (SELECT value FROM json_each(?))`,
    );
    this.indexedMany.raw(true);
    this.groupMembers = db.prepare('SELECT id FROM alias_groups WHERE group_id = ? ORDER BY id');
    // The copy advisory() returns (the newest), its text columns only: each ID's rows newest first, the first
    // one kept.
    this.detailsMany = db.prepare(
      `SELECT a.id, t.details, t.refs, a.database_specific
         FROM advisories a LEFT JOIN advisory_text t ON t.advisory = a.rowid
        WHERE a.id IN (SELECT value FROM json_each(?)) ORDER BY a.id, a.modified DESC, a.rowid`,
    );
    this.detailsMany.raw(true);
  }

  /** Opens the database read-only; see the module comment for the errors. */
  static open(path: string, options: OpenOptions = {}): AdvisoryStore {
    if (!existsSync(path))
      throw new PalisadeError('E_NOT_FOUND', `no advisory database at ${path}`, {
        hint: 'create it with `palisade db update` (online) or `palisade db import <all.zip|dir>` (offline)',
      });
    let db: Database.Database | undefined;
    try {
      db = new Database(path, {
        readonly: true,
        fileMustExist: true,
        timeout: options.busyTimeoutMs ?? 5000,
      });
      // Lookups jump around the file: map it and keep more pages than the 2 MiB default.
      db.pragma('mmap_size = 268435456');
      db.pragma('cache_size = -32768');
      checkSchema(db, path);
      return new AdvisoryStore(path, db);
    } catch (err) {
      db?.close();
      throw databaseError(err, path, 'opening');
    }
  }

  close(): void {
    this.db.close();
  }

  private run<T>(doing: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw databaseError(err, this.path, doing);
    }
  }

  /** Alias group members of an ID (the ID itself included), sorted; [id] when it has no group. */
  aliasGroup(id: string): readonly string[] {
    return this.run('reading', () => {
      const row = this.db.prepare('SELECT group_id FROM alias_groups WHERE id = ?').get(id) as
        { group_id: string } | undefined;
      return row ? this.members(row.group_id) : [id];
    });
  }

  private members(groupId: string): readonly string[] {
    let m = this.groupCache.get(groupId);
    if (!m) {
      m = Object.freeze(this.groupMembers.all(groupId).map((r) => r.id));
      this.groupCache.set(groupId, m);
    }
    return m;
  }

  /**
   * Affected entries naming a package, withdrawn records excluded. The name is
   * normalized as the ecosystem defines (normalize.ts); the ecosystem is OSV's
   * string as stored, release included for distributions (`Debian:12`,
   * `AlmaLinux:9`, `Alpine:v3.20`). A record found in two sources is returned
   * once, from the source with the later `modified`.
   */
  advisoriesFor(ecosystem: string, name: string): AffectedEntry[] {
    return this.run('reading', () => {
      const key = normalizePackageName(ecosystem, name);
      if (!this.mayHave(ecosystem, key)) return [];
      const rows = this.byPackage.all(ecosystem, key) as AffectedRow[];
      if (rows.length === 0) return [];
      // A record held by two sources (a multi-ecosystem record in two all.zip files) counts once:
      // the copy with the later \`modified\` wins, even when that copy is withdrawn.
      let winner: Map<string, AffectedRow> | undefined;
      if (rows.length > 1) {
        const seen = new Map<string, AffectedRow>();
        for (const r of rows) {
          const prev = seen.get(r[0]);
          if (!prev) seen.set(r[0], r);
          else if (prev[2] !== r[2]) {
            winner ??= new Map();
            const best = winner.get(r[0]) ?? prev;
            winner.set(r[0], r[3] > best[3] ? r : best);
          }
        }
      }
      const out: AffectedEntry[] = [];
      for (const r of rows) {
        if (r[16] !== 0) continue;
        const w = winner?.get(r[0]);
        if (w && w[2] !== r[2]) continue;
        const id = r[0];
        const members = this.members(r[1]);
        const e: AffectedEntry = {
          advisoryId: id,
          groupId: r[1],
          aliases: members.length === 1 ? NONE : members.filter((m) => m !== id),
          source: r[2],
          modified: r[3],
          severity: r[6] === null ? NONE_SEVERITY : (JSON.parse(r[6]) as OsvSeverity[]),
          ecosystem: r[8],
          packageName: r[9],
          ranges: r[11] === null ? NONE_RANGES : (JSON.parse(r[11]) as OsvRange[]),
          versions: r[12] === null ? NONE : (JSON.parse(r[12]) as string[]),
        };
        if (r[4] !== null) e.published = r[4];
        if (r[5] !== null) e.summary = r[5];
        if (r[7] !== null) e.recordDatabaseSpecific = JSON.parse(r[7]);
        if (r[10] !== null) e.purl = r[10];
        if (r[13] !== null) e.affectedSeverity = JSON.parse(r[13]) as OsvSeverity[];
        if (r[14] !== null) e.ecosystemSpecific = JSON.parse(r[14]);
        if (r[15] !== null) e.databaseSpecific = JSON.parse(r[15]);
        out.push(e);
      }
      return out;
    });
  }

  /**
   * The match index's view of a package (db/match-index.ts): what the matcher
   * evaluates, parsed as needed; the same entries as advisoriesFor, in the same
   * order. Undefined when no advisory names the package.
   */
  packageAdvisories(ecosystem: string, name: string): PackageAdvisories | undefined {
    return this.run('reading', () => {
      const key = normalizePackageName(ecosystem, name);
      if (!this.mayHave(ecosystem, key)) return undefined;
      const row = this.indexed.get(ecosystem, key) as [string, string | null, string] | undefined;
      return row ? new IndexedPackage(ecosystem, row[0], row[1], row[2]) : undefined;
    });
  }

  /**
   * packageAdvisories for many names of one ecosystem, in one query: the names
   * that have advisories, each with its view. A large batch first loads the
   * ecosystem's indexed names (one row) and asks only for those it holds.
   */
  packagesAdvisories(ecosystem: string, names: Iterable<string>): Map<string, PackageAdvisories> {
    return this.run('reading', () => {
      // Indexed loops over arrays: this runs once per name of a large inventory, mostly before the code is
      // optimized, where every step of a for…of over a Map or Set allocates.
      const list = Array.isArray(names) ? (names as readonly string[]) : [...names];
      const out = new Map<string, PackageAdvisories>();
      if (list.length === 0) return out;
      let known = this.knownNames.get(ecosystem);
      if (!known && list.length > KNOWN_NAMES_AFTER) known = this.loadNames(ecosystem);
      const normalize = packageNameNormalizer(ecosystem);
      const keys: string[] = new Array<string>(list.length);
      const ask: string[] = [];
      for (let i = 0; i < list.length; i++) {
        const k = normalize(list[i] as string);
        keys[i] = k;
        if (!known || known.has(k)) ask.push(k);
      }
      if (ask.length === 0) return out;
      const byKey = new Map<string, PackageAdvisories>();
      const rows = this.indexedMany.all(ecosystem, JSON.stringify(ask)) as [
        string,
        string,
        string | null,
        string,
      ][];
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as [string, string, string | null, string];
        byKey.set(row[0], new IndexedPackage(ecosystem, row[1], row[2], row[3]));
      }
      for (let i = 0; i < list.length; i++) {
        const p = byKey.get(keys[i] as string);
        if (p) out.set(list[i] as string, p);
      }
      return out;
    });
  }

  /** The ecosystem's indexed names (one row of match_names), kept. */
  private loadNames(ecosystem: string): ReadonlySet<string> {
    const text = this.namesOf.get(ecosystem);
    const set = new Set(text === undefined ? [] : (JSON.parse(text) as string[]));
    this.knownNames.set(ecosystem, set);
    return set;
  }

  /**
   * False when the ecosystem has no advisory for the key. After a few lookups
   * in one ecosystem its indexed names are loaded once (one row of
   * match_names), so the many misses of a large inventory cost a set lookup
   * instead of a query.
   */
  private mayHave(ecosystem: string, key: string): boolean {
    const known = this.knownNames.get(ecosystem);
    if (known) return known.has(key);
    const n = (this.lookups.get(ecosystem) ?? 0) + 1;
    this.lookups.set(ecosystem, n);
    if (n > KNOWN_NAMES_AFTER) return this.loadNames(ecosystem).has(key);
    return true;
  }

  /** One advisory as an OSV record (the newest copy when two sources hold it), or undefined. */
  advisory(id: string): StoredAdvisory | undefined {
    return this.run('reading', () => {
      const row = this.db
        .prepare(
          `SELECT a.rowid AS rid, a.*, t.details, t.refs, t.credits
             FROM advisories a LEFT JOIN advisory_text t ON t.advisory = a.rowid
            WHERE a.id = ? ORDER BY a.modified DESC, a.rowid LIMIT 1`,
        )
        .get(id) as (AdvisoryRow & { rid: number }) | undefined;
      if (!row) return undefined;
      const pkgs = this.db
        .prepare(
          'SELECT ecosystem, package, purl, ranges, versions, severity, ecosystem_specific, database_specific FROM affected WHERE advisory = ? ORDER BY ord',
        )
        .all(row.rid) as PackageRow[];
      const rec: OsvRecord = { id: row.id, modified: row.modified };
      if (row.schema_version !== null) rec.schema_version = row.schema_version;
      if (row.published !== null) rec.published = row.published;
      if (row.withdrawn !== null) rec.withdrawn = row.withdrawn;
      const aliases = json<string[]>(row.aliases);
      if (aliases) rec.aliases = aliases;
      const upstream = json<string[]>(row.upstream);
      if (upstream) rec.upstream = upstream;
      const related = json<string[]>(row.related);
      if (related) rec.related = related;
      if (row.summary !== null) rec.summary = row.summary;
      if (row.details !== null) rec.details = row.details;
      const severity = json<OsvSeverity[]>(row.severity);
      if (severity) rec.severity = severity;
      if (pkgs.length > 0)
        rec.affected = pkgs.map((p) => {
          const a: OsvAffected = { package: { ecosystem: p.ecosystem, name: p.package } };
          if (p.purl !== null && a.package) a.package.purl = p.purl;
          const s = json<OsvSeverity[]>(p.severity);
          if (s) a.severity = s;
          const rs = json<OsvRange[]>(p.ranges);
          if (rs) a.ranges = rs;
          const vs = json<string[]>(p.versions);
          if (vs) a.versions = vs;
          if (p.ecosystem_specific !== null) a.ecosystem_specific = JSON.parse(p.ecosystem_specific);
          if (p.database_specific !== null) a.database_specific = JSON.parse(p.database_specific);
          return a;
        });
      const refs = json<OsvReference[]>(row.refs);
      if (refs) rec.references = refs;
      const credits = json<unknown[]>(row.credits);
      if (credits) rec.credits = credits;
      if (row.database_specific !== null) rec.database_specific = JSON.parse(row.database_specific);
      return { source: row.source, groupId: row.group_id, record: rec };
    });
  }

  /**
   * The description, references and database_specific of an advisory (the
   * copy `advisory` returns), or undefined: what a finding's details need,
   * without reading and parsing every affected package of the record.
   */
  advisoryDetails(id: string): AdvisoryDetails | undefined {
    return this.advisoriesDetails([id]).get(id);
  }

  /** advisoryDetails for many IDs in one query; IDs the store does not hold are absent. */
  advisoriesDetails(ids: readonly string[]): Map<string, AdvisoryDetails> {
    return this.run('reading', () => {
      const out = new Map<string, AdvisoryDetails>();
      if (ids.length === 0) return out;
      const rows = this.detailsMany.all(JSON.stringify(ids)) as [
        string,
        string | null,
        string | null,
        string | null,
      ][];
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as [string, string | null, string | null, string | null];
        if (!out.has(r[0])) out.set(r[0], detailsFrom(r[1], r[2], r[3]));
      }
      return out;
    });
  }

  /**
   * Upstream IDs of an advisory, transitively (OSV: upstream is transitive):
   * what it names as upstream, what those name, and so on, bounded.
   */
  upstreamOf(id: string, maxDepth = 8): string[] {
    return this.run('reading', () => {
      const stmt = this.db.prepare<[string], { target: string }>(
        "SELECT DISTINCT target FROM links WHERE id = ? AND kind = 'upstream'",
      );
      const seen = new Set<string>();
      let frontier = [id];
      for (let depth = 0; depth < maxDepth && frontier.length > 0; depth++) {
        const next: string[] = [];
        for (const f of frontier)
          for (const { target } of stmt.all(f))
            if (target !== id && !seen.has(target)) {
              seen.add(target);
              next.push(target);
            }
        frontier = next;
      }
      return [...seen].sort();
    });
  }

  /** IDs related to an advisory in either direction (OSV: related is symmetric, not transitive). */
  relatedOf(id: string): string[] {
    return this.run('reading', () => {
      const rows = this.db
        .prepare<[string, string], { other: string }>(
          `SELECT target AS other FROM links WHERE id = ? AND kind = 'related'
           UNION SELECT id AS other FROM links WHERE target = ? AND kind = 'related'`,
        )
        .all(id, id);
      return rows
        .map((r) => r.other)
        .filter((o) => o !== id)
        .sort();
    });
  }

  /** Advisories that name `id` as upstream or related (e.g. the ALSA records of a CVE). */
  downstreamOf(id: string): string[] {
    return this.run('reading', () =>
      this.db
        .prepare<[string], { id: string }>(
          "SELECT DISTINCT id FROM links WHERE target = ? AND kind = 'upstream' ORDER BY id",
        )
        .all(id)
        .map((r) => r.id),
    );
  }

  sources(): SourceInfo[] {
    return this.run('reading', () =>
      (this.db.prepare('SELECT * FROM sources ORDER BY name').all() as Record<string, unknown>[]).map(
        sourceFromRow,
      ),
    );
  }

  skipped(source?: string, limit = 100): SkippedEntry[] {
    return this.run('reading', () =>
      source === undefined
        ? (this.db
            .prepare('SELECT source, entry, reason FROM skipped ORDER BY rowid LIMIT ?')
            .all(limit) as SkippedEntry[])
        : (this.db
            .prepare('SELECT source, entry, reason FROM skipped WHERE source = ? ORDER BY rowid LIMIT ?')
            .all(source, limit) as SkippedEntry[]),
    );
  }

  meta(key: string): string | undefined {
    return this.run('reading', () => {
      const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
        { value: string } | undefined;
      return row?.value;
    });
  }

  /**
   * Build and check times and the sources: what a scan reports and checks for
   * staleness, without info()'s counts (which read whole tables: ~60 ms).
   */
  build(): DatabaseBuild {
    return this.run('reading', () => {
      const builtAt = this.meta('built_at') ?? '';
      const checkedAt = this.meta('checked_at') ?? builtAt;
      return { builtAt, checkedAt: checkedAt > builtAt ? checkedAt : builtAt, sources: this.sources() };
    });
  }

  /** build() and what is inside, counted (for `palisade db info`). */
  info(): DatabaseInfo {
    return this.run('reading', () => {
      const count = (sql: string): number => (this.db.prepare(sql).get() as { n: number }).n;
      const ecosystems = this.db
        .prepare(
          `SELECT ecosystem, COUNT(DISTINCT name) AS packages, COUNT(DISTINCT advisory) AS advisories
             FROM affected WHERE withdrawn = 0 GROUP BY ecosystem ORDER BY ecosystem`,
        )
        .all() as { ecosystem: string; packages: number; advisories: number }[];
      return {
        path: this.path,
        schemaVersion: Number(this.meta('schema_version')),
        ...this.build(),
        ecosystems,
        advisories: count('SELECT COUNT(*) AS n FROM advisories'),
        withdrawn: count('SELECT COUNT(*) AS n FROM advisories WHERE withdrawn IS NOT NULL'),
        aliasGroups: count('SELECT COUNT(DISTINCT group_id) AS n FROM alias_groups'),
      };
    });
  }

  /** SQLite's quick_check: 'ok' or the first problems found (reads the whole file). */
  check(): string[] {
    return this.run('checking', () =>
      (this.db.pragma('quick_check(20)') as { quick_check: string }[]).map((r) => r.quick_check),
    );
  }
}

function checkSchema(db: Database.Database, path: string): void {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
    { value: string } | undefined;
  const v = Number(row?.value);
  if (v !== SCHEMA_VERSION)
    throw new PalisadeError(
      'E_DB_SCHEMA',
      `the advisory database ${path} has schema version ${row?.value ?? 'none'}; this Palisade reads version ${SCHEMA_VERSION}`,
      { hint: REBUILD_HINT },
    );
}

function sourceFromRow(r: Record<string, unknown>): SourceInfo {
  const opt = (k: string): string | undefined => (typeof r[k] === 'string' ? r[k] : undefined);
  return {
    name: r['name'] as string,
    kind: r['kind'] as string,
    origin: r['origin'] as string,
    entries: r['entries'] as number,
    records: r['records'] as number,
    withdrawn: r['withdrawn'] as number,
    skipped: r['skipped'] as number,
    duplicates: r['duplicates'] as number,
    newestModified: opt('newest_modified'),
    importedAt: r['imported_at'] as string,
    checkedAt: r['checked_at'] as string,
    etag: opt('etag'),
    lastModified: opt('last_modified'),
    sha256: opt('sha256'),
    bytes: typeof r['bytes'] === 'number' ? r['bytes'] : undefined,
  };
}

/** Hours since the database was built or last found up to date. */
export function databaseAgeHours(info: Pick<DatabaseInfo, 'checkedAt'>, now: Date): number {
  const t = Date.parse(info.checkedAt);
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : (now.getTime() - t) / 3_600_000;
}
