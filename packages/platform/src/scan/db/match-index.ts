/**
 * The match index: one row per (ecosystem, normalized package name) holding,
 * precompiled at import, exactly what the matcher reads for that package, and
 * one row per ecosystem with its indexed names. A scan then costs one indexed
 * query per package that has advisories and a set lookup for every other one,
 * and parses only what decides a match; see docs/vulndb.md ("Match index").
 *
 * A package row has three JSON columns:
 *
 * - `entries`: per live affected entry (withdrawn records and the losing copy of
 *   a record held by two sources already left out, as `advisoriesFor` does),
 *   `[id, groupId, source, ranges, listed, templateAt]`: `ranges` compiled and encoded
 *   (version/range.ts, EncodedRange: each event a number pointing into the
 *   package's version lists, events already sorted; null when the record
 *   states none), `listed` the entry's `versions` as ascending indices into
 *   the first version list (or null when it has none), `templateAt` where
 *   the entry's template starts in `findings`;
 * - `versions`: the package's version lists, `[ordered, strings]` or
 *   `[ordered, strings, semver]`. `strings` holds the distinct strings of
 *   every entry's `versions` list and of every event of its evaluated ranges
 *   in the ecosystem's ordering (version/index.ts): the first `ordered` of them
 *   parse and are sorted by it, the rest do not parse and can only be equal as
 *   strings (listed versions only). `semver`, when present, holds the event
 *   versions of SEMVER ranges of an ecosystem ordered otherwise, sorted by
 *   SemVer. The matcher places an installed version in a list by binary search
 *   (parsing the few versions it visits) and then compares indices: no event
 *   is parsed, no range sorted at scan time. Null when the package has neither
 *   listed versions nor event versions;
 * - `findings`: per entry, its finding template (detect/template.ts): what a
 *   finding shows that depends on the record alone (the ID and aliases it is
 *   shown under, every fixed version, the CVSS vectors already scored, the
 *   record's own rating, summary, dates), parsed only for entries that match:
 *   one at a time from its offset when few of a package's entries match, the
 *   whole column at once when most do.
 *
 * The sorted lists and the encoded ranges depend on the comparators, the
 * templates on the severity choice: a change to either that alters what is
 * stored needs a SCHEMA_VERSION bump, so old files are rebuilt.
 */
import type Database from 'better-sqlite3';
import { schemeForEcosystem, semverSchemeForEcosystem } from '../version/index.js';
import { compileRanges, encodeRanges, type CompiledRanges, type EncodedRange } from '../version/range.js';
import type { VersionScheme } from '../version/scheme.js';
import { findingTemplate, type FindingTemplate } from '../detect/template.js';
import type { OsvRange, OsvSeverity } from './osv.js';

/** One entry of a package row's `entries` column. */
export type IndexedEntry = [
  id: string,
  groupId: string,
  source: string,
  ranges: EncodedRange[] | null,
  listed: number[] | null,
  /** Where the entry's template starts in the `findings` column (index rows only; see IndexedPackage.template). */
  templateAt?: number,
];

/** A package row's `versions` column (see the module comment). */
export type IndexedVersions =
  [ordered: number, versions: string[]] | [ordered: number, versions: string[], semver: string[]];

/** Row of the build query: the affected row and its record's columns, in the package index's order. */
type BuildRow = [
  ecosystem: string,
  name: string,
  id: string,
  groupId: string,
  source: string,
  modified: string,
  published: string | null,
  summary: string | null,
  severity: string | null,
  recordDatabaseSpecific: string | null,
  packageName: string,
  purl: string | null,
  ranges: string | null,
  versions: string | null,
  affectedSeverity: string | null,
  ecosystemSpecific: string | null,
  databaseSpecific: string | null,
  withdrawn: number,
];

/**
 * The rows of one package that a lookup returns: withdrawn records left out,
 * and a record held by two sources (a multi-ecosystem record in two all.zip
 * files) counted once, from the copy with the later `modified` (the first in
 * index order on a tie), even when that copy is withdrawn.
 */
export function liveRows<R extends readonly unknown[]>(
  rows: readonly R[],
  id: (r: R) => string,
  source: (r: R) => string,
  modified: (r: R) => string,
  withdrawn: (r: R) => boolean,
): R[] {
  let winner: Map<string, R> | undefined;
  if (rows.length > 1) {
    const seen = new Map<string, R>();
    for (const r of rows) {
      const prev = seen.get(id(r));
      if (!prev) seen.set(id(r), r);
      else if (source(prev) !== source(r)) {
        winner ??= new Map();
        const best = winner.get(id(r)) ?? prev;
        winner.set(id(r), modified(r) > modified(best) ? r : best);
      }
    }
  }
  const out: R[] = [];
  for (const r of rows) {
    if (withdrawn(r)) continue;
    const w = winner?.get(id(r));
    if (w && source(w) !== source(r)) continue;
    out.push(r);
  }
  return out;
}

/** Distinct version strings, the versions of the ordering first and sorted by it (ties by string), then the rest. */
export function orderVersions(
  strings: Iterable<string>,
  scheme: VersionScheme | undefined,
): [ordered: number, versions: string[]] {
  const parsed: { s: string; v: unknown }[] = [];
  const rest: string[] = [];
  for (const s of new Set(strings)) {
    const v = scheme?.parse(s);
    if (v === undefined) rest.push(s);
    else parsed.push({ s, v });
  }
  if (scheme) parsed.sort((a, b) => scheme.compare(a.v, b.v) || (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  rest.sort();
  return [parsed.length, [...parsed.map((p) => p.s), ...rest]];
}

/** What one entry of a package is encoded from. */
export interface EntryInput {
  ranges: readonly OsvRange[] | null;
  versions: readonly string[] | null;
}

/** One package's entries encoded for the index: per entry its ranges and listed indices, and the version lists. */
export interface EncodedPackage {
  ranges: (EncodedRange[] | null)[];
  listed: (number[] | null)[];
  versions: IndexedVersions | null;
}

/**
 * Encodes a package's entries (see the module comment): the ranges compiled
 * as the OSV evaluation compiles them (version/range.ts), their event
 * versions and the listed versions gathered into the sorted lists, every
 * event and listed version replaced by its index.
 */
export function encodePackage(ecosystem: string, entries: readonly EntryInput[]): EncodedPackage {
  const scheme = schemeForEcosystem(ecosystem);
  const semverScheme = semverSchemeForEcosystem(ecosystem);
  const listOf = (s: VersionScheme): 0 | 1 => (s === scheme ? 0 : 1);
  const compiled: CompiledRanges[] = [];
  const main: string[] = [];
  const semver: string[] = [];
  for (const e of entries) {
    if (e.versions) for (const v of e.versions) main.push(v);
    const c = compileRanges(e.ranges ?? undefined, ecosystem);
    compiled.push(c);
    for (const r of c.ranges)
      if (r.kind === 'ok')
        for (const ev of [...r.events, ...r.limits])
          if (ev.at !== undefined) (listOf(r.scheme) === 0 ? main : semver).push(ev.raw);
  }
  let versions: IndexedVersions | null = null;
  const index: [Map<string, number>, Map<string, number>] = [
    new Map<string, number>(),
    new Map<string, number>(),
  ];
  if (main.length > 0 || semver.length > 0) {
    const ordered = orderVersions(main, scheme);
    ordered[1].forEach((s, i) => index[0].set(s, i));
    if (semver.length > 0) {
      const sv = orderVersions(semver, semverScheme);
      sv[1].forEach((s, i) => index[1].set(s, i));
      versions = [ordered[0], ordered[1], sv[1]];
    } else versions = ordered;
  }
  const indexOf = (list: 0 | 1, raw: string): number => index[list].get(raw) as number;
  return {
    ranges: entries.map((e, i) =>
      e.ranges === null ? null : encodeRanges(compiled[i] as CompiledRanges, listOf, indexOf),
    ),
    listed: entries.map((e) =>
      e.versions === null
        ? null
        : [...new Set(e.versions.map((s) => index[0].get(s) as number))].sort((a, b) => a - b),
    ),
    versions,
  };
}

/**
 * Fills `match_packages` and `match_names` from `affected`, `advisories` and
 * the alias groups (`groups`: id → group key). Run inside the import's
 * transaction, after every source is in and the groups are set.
 */
export function buildMatchIndex(db: Database.Database, groups: ReadonlyMap<string, string>): number {
  const members = new Map<string, string[]>();
  for (const [id, g] of groups) {
    const m = members.get(g);
    if (m) m.push(id);
    else members.set(g, [id]);
  }
  for (const m of members.values()) m.sort();
  const NO_ALIASES: readonly string[] = [];
  const aliasesOf = (id: string, groupId: string): readonly string[] => {
    const m = members.get(groupId);
    return !m || m.length <= 1 ? NO_ALIASES : m.filter((x) => x !== id);
  };

  // One ecosystem at a time (rows are read whole: the connection cannot write while a query iterates).
  const ecosystems = db
    .prepare('SELECT DISTINCT ecosystem FROM affected ORDER BY ecosystem')
    .pluck()
    .all() as string[];
  const rowsOf = db
    .prepare(
      `SELECT f.ecosystem, f.name, a.id, a.group_id, a.source, a.modified, a.published, a.summary, a.severity,
              a.database_specific, f.package, f.purl, f.ranges, f.versions, f.severity, f.ecosystem_specific,
              f.database_specific, f.withdrawn
         FROM affected f JOIN advisories a ON a.rowid = f.advisory
        WHERE f.ecosystem = ?
        ORDER BY f.ecosystem, f.name, f.advisory, f.ord`,
    )
    .raw();
  const insPackage = db.prepare(
    'INSERT INTO match_packages (ecosystem, name, entries, versions, findings) VALUES (?, ?, ?, ?, ?)',
  );
  const insNames = db.prepare('INSERT INTO match_names (ecosystem, names) VALUES (?, ?)');

  let packages = 0;
  let names: string[] = [];
  let ecosystem: string | undefined;
  let name: string | undefined;
  let group: BuildRow[] = [];

  const flushPackage = (): void => {
    if (ecosystem === undefined || name === undefined) return;
    const live = liveRows(
      group,
      (r) => r[2],
      (r) => r[4],
      (r) => r[5],
      (r) => r[17] !== 0,
    );
    group = [];
    if (live.length === 0) return;
    const inputs = live.map((r): EntryInput => ({
      ranges: r[12] === null ? null : (JSON.parse(r[12]) as OsvRange[]),
      versions: r[13] === null ? null : (JSON.parse(r[13]) as string[]),
    }));
    const enc = encodePackage(ecosystem, inputs);
    const entries: string[] = [];
    const findings: string[] = [];
    // Where each template starts in the findings column (after its `[` and the commas before it).
    let at = 1;
    live.forEach((r, i) => {
      const template = JSON.stringify(
        findingTemplate({
          advisoryId: r[2],
          aliases: aliasesOf(r[2], r[3]),
          source: r[4],
          modified: r[5],
          published: r[6] ?? undefined,
          summary: r[7] ?? undefined,
          severity: r[8] === null ? [] : (JSON.parse(r[8]) as OsvSeverity[]),
          recordDatabaseSpecific: r[9] === null ? undefined : JSON.parse(r[9]),
          ranges: (inputs[i] as EntryInput).ranges ?? [],
          affectedSeverity: r[14] === null ? undefined : (JSON.parse(r[14]) as OsvSeverity[]),
        }),
      );
      const entry: IndexedEntry = [
        r[2],
        r[3],
        r[4],
        enc.ranges[i] as EncodedRange[] | null,
        enc.listed[i] as number[] | null,
        at,
      ];
      entries.push(JSON.stringify(entry));
      findings.push(template);
      at += template.length + 1;
    });
    insPackage.run(
      ecosystem,
      name,
      `[${entries.join(',')}]`,
      enc.versions === null ? null : JSON.stringify(enc.versions),
      `[${findings.join(',')}]`,
    );
    names.push(name);
    packages++;
  };
  const flushEcosystem = (): void => {
    if (ecosystem !== undefined && names.length > 0) insNames.run(ecosystem, JSON.stringify(names));
    names = [];
  };

  for (const eco of ecosystems)
    for (const r of rowsOf.all(eco) as BuildRow[]) {
      if (r[0] !== ecosystem || r[1] !== name) {
        flushPackage();
        if (r[0] !== ecosystem) {
          flushEcosystem();
          ecosystem = r[0];
        }
        name = r[1];
      }
      group.push(r);
    }
  flushPackage();
  flushEcosystem();
  return packages;
}

/**
 * One package's advisories as the matcher reads them: the entries' match
 * fields eagerly, the listed versions and the finding templates on demand.
 */
export interface PackageAdvisories {
  /** The ecosystem as stored (the one looked up). */
  readonly ecosystem: string;
  readonly entries: readonly IndexedEntry[];
  /** The distinct listed versions of every entry (see the module comment); undefined when none lists any. */
  versions(): IndexedVersions | undefined;
  /** The finding template of entry `i` (detect/template.ts). */
  template(i: number): FindingTemplate;
  /** Says that `n` templates not asked for yet are about to be (lets a view parse them all at once). */
  expectTemplates?(n: number): void;
}

/** The fields of a store's AffectedEntry (store.ts re-exports it under that name). */
export interface AffectedEntryFields {
  advisoryId: string;
  /** Key of the advisory's alias group (the same for every ID of one weakness). */
  groupId: string;
  /** The other IDs of the group (CVE, GHSA, PYSEC, GO, RUSTSEC…), sorted. */
  aliases: readonly string[];
  /** The import source the record came from (e.g. `Go`, `AlmaLinux`). */
  source: string;
  modified: string;
  published?: string;
  summary?: string;
  /** The record's severity entries (CVSS vectors, Ubuntu priorities). */
  severity: readonly OsvSeverity[];
  /** The record's top-level database_specific (e.g. GHSA severity). */
  recordDatabaseSpecific?: unknown;
  /** The package as the record names it. */
  ecosystem: string;
  packageName: string;
  purl?: string;
  ranges: readonly OsvRange[];
  versions: readonly string[];
  /** Per-package severity, when the record gives one. */
  affectedSeverity?: readonly OsvSeverity[];
  ecosystemSpecific?: unknown;
  databaseSpecific?: unknown;
}

/** A match index row, parsed part by part as the matcher needs it. */
export class IndexedPackage implements PackageAdvisories {
  readonly ecosystem: string;
  private entriesText: string | null;
  private entriesParsed: IndexedEntry[] | undefined;
  private versionsText: string | null;
  private versionsParsed: IndexedVersions | undefined;
  private findingsText: string;
  private findingsParsed: FindingTemplate[] | undefined;
  /** Templates parsed one at a time, by entry. */
  private some: FindingTemplate[] | undefined;

  constructor(ecosystem: string, entries: string, versions: string | null, findings: string) {
    this.ecosystem = ecosystem;
    this.entriesText = entries;
    this.versionsText = versions;
    this.findingsText = findings;
  }

  /** Parsed on first use: a batch of rows read at once is held as text until each package is matched. */
  get entries(): readonly IndexedEntry[] {
    if (this.entriesText !== null) {
      this.entriesParsed = JSON.parse(this.entriesText) as IndexedEntry[];
      this.entriesText = null;
    }
    return this.entriesParsed as IndexedEntry[];
  }

  versions(): IndexedVersions | undefined {
    if (this.versionsText !== null) {
      this.versionsParsed = JSON.parse(this.versionsText) as IndexedVersions;
      this.versionsText = null;
    }
    return this.versionsParsed;
  }

  template(i: number): FindingTemplate {
    if (this.findingsParsed) return this.findingsParsed[i] as FindingTemplate;
    let t = this.some?.[i];
    if (t === undefined) {
      const start = (this.entries[i] as IndexedEntry)[5] as number;
      const next = this.entries[i + 1];
      const end = (next === undefined ? this.findingsText.length : (next[5] as number)) - 1;
      t = JSON.parse(this.findingsText.slice(start, end)) as FindingTemplate;
      (this.some ??= [])[i] = t;
    }
    return t;
  }

  expectTemplates(n: number): void {
    // Most entries wanted: one parse of the whole column costs less than many small ones.
    if (this.findingsParsed || n * 2 <= this.entries.length) return;
    this.findingsParsed = JSON.parse(this.findingsText) as FindingTemplate[];
    this.findingsText = '';
    this.some = undefined;
  }
}

/**
 * The same view over entries a lookup gave in full (an AdvisoryLookup without
 * a match index): encoded here (encodePackage) instead of at import.
 */
export class EntriesPackage implements PackageAdvisories {
  readonly ecosystem: string;
  readonly entries: readonly IndexedEntry[];
  private readonly full: readonly AffectedEntryFields[];
  private readonly lists: IndexedVersions | undefined;
  private readonly templates: FindingTemplate[] = [];

  constructor(ecosystem: string, full: readonly AffectedEntryFields[]) {
    this.ecosystem = ecosystem;
    this.full = full;
    const enc = encodePackage(
      ecosystem,
      full.map((e) => ({ ranges: e.ranges, versions: e.versions.length === 0 ? null : e.versions })),
    );
    this.lists = enc.versions ?? undefined;
    this.entries = full.map((e, i): IndexedEntry => [
      e.advisoryId,
      e.groupId,
      e.source,
      enc.ranges[i] as EncodedRange[] | null,
      enc.listed[i] as number[] | null,
    ]);
  }

  versions(): IndexedVersions | undefined {
    return this.lists;
  }

  template(i: number): FindingTemplate {
    return (this.templates[i] ??= findingTemplate(this.full[i] as AffectedEntryFields));
  }
}
