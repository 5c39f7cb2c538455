/**
 * The advisory database's tables. One SQLite file, written only by the
 * importer (into a temporary file that is then renamed over the old one) and
 * opened read-only by scans. Bump SCHEMA_VERSION on any change here: an
 * older file is then refused with a hint to rebuild it.
 *
 * - `advisories`: one row per (source, OSV id); short text fields as columns,
 *   lists and objects (severity, database_specific, aliases, upstream,
 *   related) as JSON. `group_id` is the record's alias group. The long parts
 *   (details, references, credits) are in `advisory_text`, so the rows the
 *   lookup joins stay small and close together.
 * - `affected`: one row per affected package of a record, clustered by
 *   (ecosystem, normalized name), so one package's rows share pages; ranges,
 *   versions and the record's own per-package fields as JSON for the matcher.
 *   Rows of withdrawn records are kept but flagged, and the lookup skips them.
 * - `alias_edges`: every (id, alias) pair as the records state them;
 *   `alias_groups` is the union-find over them (aliases.ts).
 * - `links`: `upstream` and `related` IDs, for lookups in both directions.
 * - `match_packages`, `match_names`: the match index (match-index.ts), built
 *   from the tables above at the end of every import: per package what the
 *   matcher reads, precompiled, with each entry's finding template (schema 3)
 *   and its ranges encoded against the package's sorted version lists, no
 *   version parsed or range sorted at scan time (schema 4); per ecosystem the
 *   names that have advisories.
 * - `sources`: what was imported from where, with counts and the HTTP
 *   validators of the last download; `skipped`: the first malformed entries
 *   of each source with the reason; `meta`: schema version and build time.
 */

export const SCHEMA_VERSION = 4;

/** Tables, created before the bulk load. */
export const TABLES_SQL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE sources (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  origin TEXT NOT NULL,
  entries INTEGER NOT NULL,
  records INTEGER NOT NULL,
  withdrawn INTEGER NOT NULL,
  skipped INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  newest_modified TEXT,
  imported_at TEXT NOT NULL,
  checked_at TEXT NOT NULL,
  etag TEXT,
  last_modified TEXT,
  sha256 TEXT,
  bytes INTEGER
) WITHOUT ROWID;
CREATE TABLE skipped (source TEXT NOT NULL, entry TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE advisories (
  rowid INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  id TEXT NOT NULL,
  group_id TEXT NOT NULL DEFAULT '',
  schema_version TEXT,
  modified TEXT NOT NULL,
  published TEXT,
  withdrawn TEXT,
  summary TEXT,
  severity TEXT,
  database_specific TEXT,
  aliases TEXT,
  upstream TEXT,
  related TEXT
);
CREATE TABLE advisory_text (advisory INTEGER PRIMARY KEY, details TEXT, refs TEXT, credits TEXT);
CREATE TABLE affected (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  advisory INTEGER NOT NULL,
  ord INTEGER NOT NULL,
  package TEXT NOT NULL,
  purl TEXT,
  ranges TEXT,
  versions TEXT,
  severity TEXT,
  ecosystem_specific TEXT,
  database_specific TEXT,
  withdrawn INTEGER NOT NULL,
  PRIMARY KEY (ecosystem, name, advisory, ord)
) WITHOUT ROWID;
CREATE INDEX affected_advisory ON affected(advisory);
CREATE TABLE alias_edges (source TEXT NOT NULL, id TEXT NOT NULL, alias TEXT NOT NULL);
CREATE INDEX alias_edges_source_id ON alias_edges(source, id);
CREATE TABLE alias_groups (id TEXT PRIMARY KEY, group_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE links (source TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL);
CREATE INDEX links_source_id ON links(source, id);
CREATE TABLE match_packages (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  entries TEXT NOT NULL,
  versions TEXT,
  findings TEXT NOT NULL,
  PRIMARY KEY (ecosystem, name)
) WITHOUT ROWID;
CREATE TABLE match_names (ecosystem TEXT PRIMARY KEY, names TEXT NOT NULL) WITHOUT ROWID;
`;

/** Indexes, created after the bulk load (faster than maintaining them row by row). */
export const INDEXES_SQL = `
CREATE UNIQUE INDEX advisories_source_id ON advisories(source, id);
CREATE INDEX advisories_id ON advisories(id);
CREATE INDEX alias_groups_group ON alias_groups(group_id);
CREATE INDEX links_id ON links(id, kind);
CREATE INDEX links_target ON links(target, kind);
`;

/** Tables copied row for row when an import keeps the other sources of the previous file: by source… */
export const SOURCE_TABLES = ['sources', 'skipped', 'advisories', 'alias_edges', 'links'] as const;
/** …and by the advisory rowid they belong to. */
export const ADVISORY_TABLES = ['affected', 'advisory_text'] as const;
