/**
 * The detector: matches an inventory against the advisory store and returns
 * the scan report, one result per inventory result (same target, class and
 * type), each package's findings in it.
 *
 * Per package: the ecosystem (ecosystem.ts) and name pick the store's affected
 * entries; each entry's ranges are compiled once per (ecosystem, name) and
 * evaluated for the package's version (version/range.ts); the entries that
 * affect it are grouped by alias group, so one weakness published by several
 * databases (GHSA, PYSEC, GO, RUSTSEC…) is one finding: shown under its CVE
 * when the group has one, the other IDs as aliases, fixed versions and
 * severity merged from every matching record (the preferred record first).
 */
import type {
  DataSource,
  DetectedVulnerability,
  InventoryDiagnostic,
  InventoryReport,
  InventoryResult,
  Package,
  ScanReport,
  ScanResult,
} from '@palisade/api';
import { throwIfAborted } from '../../core/abort.js';
import { EntriesPackage, type IndexedEntry, type PackageAdvisories } from '../db/match-index.js';
import type { AdvisoryDetails, AffectedEntry, StoredAdvisory } from '../db/store.js';
import {
  AFFECTED_LISTED,
  evaluateEncoded,
  holdsIndexIn,
  ListedVersions,
  newRangeNotes,
  ParsedVersion,
  VersionRanks,
  type AffectedMatch,
  type RangeNotes,
} from '../version/range.js';
import { schemeForEcosystem, semverSchemeForEcosystem } from '../version/index.js';
import type { VersionScheme } from '../version/scheme.js';
import {
  advisoryName,
  advisoryVersion,
  distroVersion,
  osLookupKey,
  osvEcosystemForLangType,
  osvEcosystemsForOs,
} from './ecosystem.js';
import { renderFixedVersions, type FixedVersionMode } from './fixed.js';
import { chooseFromFacts, SEVERITY_LEVEL, type SeverityFacts } from './severity.js';
import type { FindingTemplate } from './template.js';
import { dataSourceOf, idRank, preferredId } from './sources.js';

/** What the detector needs of an advisory store (AdvisoryStore fits it). */
export interface AdvisoryLookup {
  advisoriesFor(ecosystem: string, name: string): readonly AffectedEntry[];
  /**
   * The package as the store's match index holds it (AdvisoryStore has one):
   * the same entries as advisoriesFor, precompiled. Without it the matcher
   * builds the same view from advisoriesFor.
   */
  packageAdvisories?(ecosystem: string, name: string): PackageAdvisories | undefined;
  /** packageAdvisories for many names at once (one query); names without advisories are absent. */
  packagesAdvisories?(ecosystem: string, names: Iterable<string>): Map<string, PackageAdvisories>;
  /** The whole record, for details and references; without it findings carry what the lookup returns. */
  advisory?(id: string): StoredAdvisory | undefined;
  /**
   * What details need of a record (its description, references and database_specific), without its affected
   * packages: read instead of `advisory` when the lookup has it (AdvisoryStore has).
   */
  advisoryDetails?(id: string): AdvisoryDetails | undefined;
  /** advisoryDetails for many IDs at once (one query); IDs without a record are absent. */
  advisoriesDetails?(ids: readonly string[]): Map<string, AdvisoryDetails>;
}

export interface DetectOptions {
  /** Fixed versions shown: every patched version of the advisory (`all`, as Trivy) or those ending the matching ranges. */
  fixedVersions?: FixedVersionMode;
  /** Read each matched advisory's description, references and CWE IDs (default true when the store can). */
  details?: boolean;
  /** Copy each result's packages into the report (Trivy's --list-all-pkgs). */
  includePackages?: boolean;
  /** Report creation time (default now). */
  now?: Date;
  signal?: AbortSignal;
  /** Database metadata to carry into the report. */
  database?: ScanReport['database'];
  /** Filled with counts as the detection runs. */
  stats?: DetectStats;
  /**
   * A matcher to reuse across scans: it keeps every package it has looked up (parsed entries, version lists,
   * finding templates), so a later scan costs only the evaluation. Without one, the scan makes its own, which
   * holds the text of the batch of packages it works on and parses only the package it matches (see
   * Matcher.release and Matcher.forget).
   */
  matcher?: Matcher;
}

export interface DetectStats {
  packages: number;
  /** Packages whose ecosystem has an OSV mapping (looked up). */
  lookedUp: number;
  /** Packages without a version, skipped. */
  withoutVersion: number;
  /** Affected entries evaluated. */
  evaluated: number;
  /** Entries whose answer was neither yes nor no (unknown ordering, unparsable version, only GIT ranges). */
  undecided: number;
  findings: number;
  notes: RangeNotes;
}

export function newDetectStats(): DetectStats {
  return {
    packages: 0,
    lookedUp: 0,
    withoutVersion: 0,
    evaluated: 0,
    undecided: 0,
    findings: 0,
    notes: newRangeNotes(),
  };
}

/** A matched entry with its finding template, built on its first match and kept. */
interface CompiledEntry {
  advisoryId: string;
  groupId: string;
  source: string;
  /** Its package and index there, for the template. */
  pkg: PackageAdvisories;
  i: number;
  /** The template, read on first use (templateOf). */
  t: FindingTemplate | undefined;
  /** The finding's data source and primary URL when this record comes first (built when needed). */
  dataSource?: DataSource;
  primaryUrl?: string;
  /**
   * Its fixed versions joined: with the source and ID, the key under which the same record seen twice (under
   * two spellings of one ecosystem, or listed twice for a package) counts once (built when needed).
   */
  fixes?: string;
}

interface Hit {
  c: CompiledEntry;
  fixed: string[];
}

/** An ecosystem's orderings: its own (list 0 of a package) and SemVer's (list 1, when it differs). */
type Schemes = readonly [VersionScheme | undefined, VersionScheme | undefined];

/**
 * One package's advisories, made ready for evaluation on its first match
 * (prepare): a batch looked up at once stays as the store's text until then.
 */
interface CompiledPackage {
  pkg: PackageAdvisories;
  schemes: Schemes;
  /** False until prepare has filled lists and distinctIds. */
  ready: boolean;
  /** The package's sorted version lists (db/match-index.ts), when it has any. */
  lists: [ListedVersions | undefined, ListedVersions | undefined];
  /** Per entry: built on its first match. */
  full: (CompiledEntry | undefined)[];
  /** No two entries have the same advisory ID (so none has the same key as another). */
  distinctIds: boolean;
}

/** True when no two entries have the same advisory ID. */
function distinctIds(entries: readonly IndexedEntry[]): boolean {
  if (entries.length > 16) return new Set(entries.map((e) => e[0])).size === entries.length;
  for (let i = 1; i < entries.length; i++)
    for (let j = 0; j < i; j++)
      if ((entries[i] as IndexedEntry)[0] === (entries[j] as IndexedEntry)[0]) return false;
  return true;
}

/** An entry's finding template, read from its package on first use. */
const templateOf = (c: CompiledEntry): FindingTemplate => (c.t ??= c.pkg.template(c.i));

/** The fixes part of an entry's key (built when needed: only for an entry whose source and ID repeat). */
const fixesOf = (c: CompiledEntry): string => (c.fixes ??= templateOf(c)[2].join(','));

/**
 * Takes an entry unless one with the same key (source, ID and fixes) was taken: looked up by its ID (no key
 * string built), the fixes compared only when the ID and source repeat.
 */
function take(taken: Map<string, CompiledEntry[]>, c: CompiledEntry): boolean {
  const same = taken.get(c.advisoryId);
  if (same === undefined) {
    taken.set(c.advisoryId, [c]);
    return true;
  }
  for (let j = 0; j < same.length; j++) {
    const o = same[j] as CompiledEntry;
    if (o.source === c.source && fixesOf(o) === fixesOf(c)) return false;
  }
  same.push(c);
  return true;
}

const NO_LISTS: [undefined, undefined] = [undefined, undefined];

/** A package's advisories, to be prepared on first match; null when there are none. */
function compilePackage(schemes: Schemes, pkg: PackageAdvisories | undefined): CompiledPackage | null {
  if (!pkg) return null;
  return { pkg, schemes, ready: false, lists: NO_LISTS, full: [], distinctIds: true };
}

/** Parses what evaluation reads of a package: its entries and version lists. */
function prepare(p: CompiledPackage): void {
  const { pkg, schemes } = p;
  const v = pkg.versions();
  if (v)
    p.lists = [
      new ListedVersions(schemes[0], v[0], v[1]),
      v[2] === undefined ? undefined : new ListedVersions(schemes[1], v[2].length, v[2]),
    ];
  p.distinctIds = distinctIds(pkg.entries);
  p.ready = true;
}

/** Longest name or version looked up; longer ones are not package names (bounds the cache keys). */
const MAX_KEY = 1024;

/**
 * Matches (ecosystem, name, version) to findings. A package's entries are
 * fetched from the match index and their ranges compiled once per
 * (ecosystem, name) and kept, so a package that occurs in many lockfiles, and
 * every later scan with the same matcher, costs only the evaluation. What a
 * finding shows (summary, severity, aliases…) is read only for entries that
 * match.
 */
export class Matcher {
  private readonly store: AdvisoryLookup;
  /** Per ecosystem, per name (two maps: no key string is built per lookup). */
  private readonly byName = new Map<string, Map<string, CompiledPackage | null>>();
  private readonly details = new Map<string, AdvisoryDetails | null>();
  private readonly schemes = new Map<string, Schemes>();

  constructor(store: AdvisoryLookup) {
    this.store = store;
  }

  /** A package's compiled advisories (cached); undefined when none names it. */
  private compiled(ecosystem: string, name: string): CompiledPackage | undefined {
    const names = this.namesOf(ecosystem);
    let c = names.get(name);
    if (c === undefined) {
      let pkg: PackageAdvisories | undefined;
      if (this.store.packageAdvisories) pkg = this.store.packageAdvisories(ecosystem, name);
      else {
        const full = this.store.advisoriesFor(ecosystem, name);
        if (full.length > 0) pkg = new EntriesPackage(ecosystem, full);
      }
      c = compilePackage(this.schemesOf(ecosystem), pkg);
      names.set(name, c);
    }
    return c ?? undefined;
  }

  private schemesOf(ecosystem: string): Schemes {
    let s = this.schemes.get(ecosystem);
    if (!s) {
      const own = schemeForEcosystem(ecosystem);
      this.schemes.set(ecosystem, (s = [own, semverSchemeForEcosystem(ecosystem)]));
    }
    return s;
  }

  private namesOf(ecosystem: string): Map<string, CompiledPackage | null> {
    let names = this.byName.get(ecosystem);
    if (!names) this.byName.set(ecosystem, (names = new Map<string, CompiledPackage | null>()));
    return names;
  }

  /**
   * Forgets the packages looked up so far: their parsed entries, version lists
   * and finding templates (details read stay). The detector calls it
   * after each batch of an inventory's packages when it made the matcher
   * itself: what a scan keeps beyond the batch it works on survives
   * young-generation collections, which copy it, grow the young generation and
   * touch new pages (see docs/benchmarks.md, Matching). A matcher the caller
   * passes in is not asked to forget: a package looked up again costs only the
   * evaluation.
   */
  forget(): void {
    this.byName.clear();
  }

  /**
   * Forgets one name's advisories (in each of the ecosystems), once its
   * findings are built: the detector's own matcher keeps a batch as the store's
   * text (read in one query) and what one package parses lives only while it is
   * matched. A name seen again is looked up again.
   */
  release(ecosystems: readonly string[], name: string): void {
    for (let k = 0; k < ecosystems.length; k++) {
      const names = this.byName.get(ecosystems[k] as string);
      if (names?.get(name)) names.delete(name);
    }
  }

  /**
   * Looks up the names of one ecosystem not seen yet in one query, when the
   * store can (AdvisoryStore can): a large inventory then costs one query per
   * ecosystem instead of one per package with advisories.
   */
  prefetch(ecosystem: string, names: Iterable<string>): void {
    if (!this.store.packagesAdvisories) return;
    const cache = this.namesOf(ecosystem);
    const list = Array.isArray(names) ? (names as readonly string[]) : [...names];
    const missing: string[] = [];
    // Indexed loops, no Set: this runs once per name of a large inventory, mostly before it is optimized.
    for (let i = 0; i < list.length; i++) {
      const n = list[i] as string;
      if (n.length > MAX_KEY || cache.has(n)) continue;
      cache.set(n, null);
      missing.push(n);
    }
    if (missing.length === 0) return;
    let found: Map<string, PackageAdvisories>;
    try {
      found = this.store.packagesAdvisories(ecosystem, missing);
    } catch (err) {
      for (let i = 0; i < missing.length; i++) cache.delete(missing[i] as string);
      throw err;
    }
    const schemes = this.schemesOf(ecosystem);
    found.forEach((pkg, n) => cache.set(n, compilePackage(schemes, pkg)));
  }

  /** A matching entry of a package (built once per entry; its template read when first needed). */
  private full(p: CompiledPackage, i: number): CompiledEntry {
    let c = p.full[i];
    if (!c) {
      const e = p.pkg.entries[i] as IndexedEntry;
      c = { advisoryId: e[0], groupId: e[1], source: e[2], pkg: p.pkg, i, t: undefined };
      p.full[i] = c;
    }
    return c;
  }

  /** Affected entries that affect the version, grouped by alias group (in first-seen order); undefined when none. */
  match(
    ecosystems: readonly string[],
    name: string,
    version: string,
    stats: DetectStats,
  ): Map<string, Hit[]> | undefined {
    if (name.length > MAX_KEY || version.length > MAX_KEY) return undefined;
    // Most packages have no advisory: nothing is allocated for them.
    let groups: Map<string, Hit[]> | undefined;
    let taken: Map<string, CompiledEntry[]> | undefined;
    let parsed: ParsedVersion | undefined;
    for (let k = 0; k < ecosystems.length; k++) {
      const eco = ecosystems[k] as string;
      const p = this.compiled(eco, name);
      if (!p) continue;
      if (!p.ready) prepare(p);
      parsed ??= new ParsedVersion(version);
      const ranks = new VersionRanks(parsed, p.schemes, p.lists);
      const hasScheme = p.schemes[0] !== undefined;
      const main = p.lists[0];
      // The listed versions equal to this one: a run of the sorted list, or the index of an unparsable string.
      let lo = -1;
      let hi = -1;
      // How many matching entries have no template read yet.
      let unbuilt = 0;
      const { entries } = p.pkg;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i] as IndexedEntry;
        const listed = e[4];
        stats.evaluated++;
        let m: AffectedMatch;
        if (listed !== null && listed.length > 0 && main) {
          if (lo < 0) {
            if (ranks.locate(0)) {
              lo = ranks.from(0);
              hi = ranks.to(0);
            } else {
              const at = main.indexOfUnparsed(version);
              lo = at < 0 ? 0 : at;
              hi = at < 0 ? 0 : at + 1;
            }
          }
          m = holdsIndexIn(listed, lo, hi)
            ? AFFECTED_LISTED
            : evaluateEncoded(
                e[3],
                hasScheme,
                true,
                (listed[0] as number) < main.ordered,
                ranks,
                stats.notes,
              );
        } else m = evaluateEncoded(e[3], hasScheme, false, false, ranks, stats.notes);
        if (m.affected === 'unknown') stats.undecided++;
        if (m.affected !== true) continue;
        const c = this.full(p, i);
        if (c.t === undefined) unbuilt++;
        // One record listed twice for a package, or under two spellings of an ecosystem (`Ubuntu:22.04` and
        // `…:LTS`), counts once (per source, ID and fixes); with one ecosystem and distinct IDs none can repeat.
        if (ecosystems.length > 1 || !p.distinctIds) {
          taken ??= new Map();
          if (!take(taken, c)) continue;
        }
        groups ??= new Map();
        let g = groups.get(c.groupId);
        if (!g) groups.set(c.groupId, (g = []));
        g.push({ c, fixed: m.fixed });
      }
      // The templates are read when the findings are built: parsed one by one, or all at once when most match.
      if (unbuilt > 0 && p.pkg.expectTemplates) p.pkg.expectTemplates(unbuilt);
    }
    return groups;
  }

  /** A record's description, references and database_specific (kept for the matcher's life), or undefined. */
  detailsOf(id: string): AdvisoryDetails | undefined {
    let d = this.details.get(id);
    if (d === undefined) {
      if (this.store.advisoryDetails) d = this.store.advisoryDetails(id) ?? null;
      else {
        const rec = this.store.advisory?.(id)?.record;
        d = rec ? detailsOfRecord(rec) : null;
      }
      this.details.set(id, d);
    }
    return d ?? undefined;
  }

  /**
   * Reads the details of the IDs not read yet in one query, when the store can
   * (AdvisoryStore can): the detector asks once per batch of packages.
   */
  prefetchDetails(ids: readonly string[]): void {
    if (!this.store.advisoriesDetails) return;
    const missing: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      if (this.details.has(id)) continue;
      this.details.set(id, null);
      missing.push(id);
    }
    if (missing.length === 0) return;
    let found: Map<string, AdvisoryDetails>;
    try {
      found = this.store.advisoriesDetails(missing);
    } catch (err) {
      for (let i = 0; i < missing.length; i++) this.details.delete(missing[i] as string);
      throw err;
    }
    found.forEach((d, id) => this.details.set(id, d));
  }

  get canReadDetails(): boolean {
    return typeof this.store.advisoryDetails === 'function' || typeof this.store.advisory === 'function';
  }
}

interface PackageView {
  pkg: Package;
  /** Name and version to look up. */
  name: string;
  version: string;
  /** Version shown as installed. */
  installed: string;
}

/** True when an object has an own enumerable key (without building the key list). */
function hasKeys(o: object): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true;
  return false;
}

const byPreference = (a: Hit, b: Hit): number =>
  idRank(a.c.advisoryId) - idRank(b.c.advisoryId) ||
  (a.c.advisoryId < b.c.advisoryId ? -1 : a.c.advisoryId > b.c.advisoryId ? 1 : 0);

/**
 * Builds one finding from the hits of one alias group, from their templates
 * (detect/template.ts): the ID, aliases and fixed versions of one record as the
 * template has them, of several merged, the severity chosen from the scored
 * vectors and ratings the templates hold.
 */
/** A finding whose details are added once its batch is done, with the IDs of its records in preference order. */
interface PendingDetails {
  v: DetectedVulnerability;
  ids: string[];
}

export function buildFinding(
  view: PackageView,
  hits: readonly Hit[],
  opts: {
    fixedVersions: FixedVersionMode;
    details: boolean;
    matcher?: Matcher;
    /** Where to leave the finding for its details (added by addPendingDetails); without it they are added now. */
    pending?: PendingDetails[];
  },
): DetectedVulnerability {
  // The preferred record first: GHSA, then the language databases, then others; by ID within a database.
  const ordered = hits.length === 1 ? hits : [...hits].sort(byPreference);
  const first = (ordered[0] as Hit).c;
  let id: string;
  let aliases: string[];
  if (ordered.length === 1) {
    const t = templateOf(first);
    id = t[0];
    aliases = t[1].slice();
  } else {
    const matchedIds = [...new Set(ordered.map((h) => h.c.advisoryId))];
    // Every ID of the group: a template's shown ID and aliases are the group's IDs.
    const group = new Set(matchedIds);
    for (const h of ordered) {
      const t = templateOf(h.c);
      group.add(t[0]);
      for (const a of t[1]) group.add(a);
    }
    const groupIds = [...group];
    id = preferredId(matchedIds, groupIds);
    aliases = groupIds.filter((x) => x !== id).sort();
  }
  // Indexed loops, no closures or iterators: this runs once per finding, mostly before it is optimized.
  const n = ordered.length;
  const lists: (readonly string[])[] = new Array<readonly string[]>(n);
  const facts: SeverityFacts[] = new Array<SeverityFacts>(n);
  for (let i = 0; i < n; i++) {
    const h = ordered[i] as Hit;
    const t = templateOf(h.c);
    lists[i] = opts.fixedVersions === 'all' ? t[2] : h.fixed;
    facts[i] = { sourceId: t[3], scored: t[4], own: t[5] };
  }
  const fixed = renderFixedVersions(lists);
  const sev = chooseFromFacts(facts);
  const v: DetectedVulnerability = {
    vulnerabilityId: id,
    pkgName: view.pkg.name,
    installedVersion: view.installed,
    status: fixed === undefined ? 'affected' : 'fixed',
    severity: sev.severity,
    dataSource: (first.dataSource ??= dataSourceOf(first.advisoryId, first.source)),
    primaryUrl:
      (first.primaryUrl ??= `https://osv.dev/vulnerability/${encodeURIComponent(first.advisoryId)}`),
  };
  if (aliases.length > 0) v.aliases = aliases;
  if (view.pkg.id !== undefined) v.pkgId = view.pkg.id;
  if (view.pkg.filePath !== undefined) v.pkgPath = view.pkg.filePath;
  if (view.pkg.purl !== undefined) v.purl = view.pkg.purl;
  if (fixed !== undefined) v.fixedVersion = fixed;
  if (view.pkg.layer) v.layer = view.pkg.layer;
  if (sev.severitySource !== undefined) v.severitySource = sev.severitySource;
  if (hasKeys(sev.vendorSeverity)) v.vendorSeverity = sev.vendorSeverity;
  if (hasKeys(sev.cvss)) v.cvss = sev.cvss;
  let title: string | null = null;
  let published: string | undefined;
  let modified = templateOf(first)[8];
  for (let i = 0; i < n; i++) {
    const t = templateOf((ordered[i] as Hit).c);
    if (!title && t[6]) title = t[6];
    if (published === undefined && t[7] !== null) published = t[7];
    if (t[8] > modified) modified = t[8];
  }
  if (title) v.title = title;
  if (published !== undefined) v.publishedDate = published;
  v.lastModifiedDate = modified;
  if (opts.details && opts.matcher) {
    const ids: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) ids[i] = (ordered[i] as Hit).c.advisoryId;
    if (opts.pending) opts.pending.push({ v, ids });
    else addDetails(v, ids, opts.matcher);
  }
  return v;
}

/** Adds the details of a batch's findings, read in one query. */
function addPendingDetails(pending: readonly PendingDetails[], matcher: Matcher): void {
  const all: string[] = [];
  for (let i = 0; i < pending.length; i++) {
    const { ids } = pending[i] as PendingDetails;
    for (let j = 0; j < ids.length; j++) all.push(ids[j] as string);
  }
  matcher.prefetchDetails(all);
  for (let i = 0; i < pending.length; i++) {
    const p = pending[i] as PendingDetails;
    addDetails(p.v, p.ids, matcher);
  }
}

/** What details read of a whole record (a lookup without advisoryDetails). */
function detailsOfRecord(rec: StoredAdvisory['record']): AdvisoryDetails {
  const d: AdvisoryDetails = {};
  if (rec.details !== undefined) d.details = rec.details;
  if (rec.references !== undefined) d.references = rec.references;
  if (rec.database_specific !== undefined) d.databaseSpecific = rec.database_specific;
  return d;
}

/** Description, references, CWE IDs and the advisory URL of a finding's records (IDs in preference order). */
function addDetails(v: DetectedVulnerability, ids: readonly string[], matcher: Matcher): void {
  const refs: string[] = [];
  const cwes = new Set<string>();
  for (let i = 0; i < ids.length; i++) {
    const rec = matcher.detailsOf(ids[i] as string);
    if (!rec) continue;
    if (v.description === undefined && rec.details) v.description = rec.details;
    for (const r of rec.references ?? []) if (!refs.includes(r.url)) refs.push(r.url);
    const ds = rec.databaseSpecific as { cwe_ids?: unknown } | undefined;
    if (ds && Array.isArray(ds.cwe_ids)) for (const c of ds.cwe_ids) if (typeof c === 'string') cwes.add(c);
    const advisoryRef = rec.references?.find((r) => r.type === 'ADVISORY')?.url;
    if (advisoryRef && i === 0) v.primaryUrl = advisoryRef;
  }
  if (refs.length > 0) v.references = refs;
  if (cwes.size > 0) v.cweIds = [...cwes].sort();
}

const order = (x: string | undefined, y: string | undefined): number => {
  const p = x ?? '';
  const q = y ?? '';
  return p < q ? -1 : p > q ? 1 : 0;
};

/** The package part of compareFindings: name, path, installed version. */
function comparePackage(a: DetectedVulnerability, b: DetectedVulnerability): number {
  return (
    order(a.pkgName, b.pkgName) ||
    order(a.pkgPath, b.pkgPath) ||
    order(a.installedVersion, b.installedVersion)
  );
}

/** The rest of compareFindings: severity (highest first), ID. */
function compareInPackage(a: DetectedVulnerability, b: DetectedVulnerability): number {
  return (
    SEVERITY_LEVEL[b.severity] - SEVERITY_LEVEL[a.severity] || order(a.vulnerabilityId, b.vulnerabilityId)
  );
}

/** Trivy's order: package, path, installed version, severity (highest first), ID. */
export function compareFindings(a: DetectedVulnerability, b: DetectedVulnerability): number {
  return comparePackage(a, b) || compareInPackage(a, b);
}

/**
 * Sorts the findings of one package by compareInPackage, stably: a short run
 * (most packages have a few findings) by insertion sort over the severity
 * levels and IDs read once per finding, instead of reading them from the
 * findings (whose shapes vary with their optional fields) at every comparison.
 */
function sortInPackage(run: DetectedVulnerability[]): void {
  const n = run.length;
  if (n > 16) {
    run.sort(compareInPackage);
    return;
  }
  const levels: number[] = new Array<number>(n);
  const ids: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const v = run[i] as DetectedVulnerability;
    levels[i] = SEVERITY_LEVEL[v.severity];
    ids[i] = v.vulnerabilityId;
  }
  for (let i = 1; i < n; i++) {
    const v = run[i] as DetectedVulnerability;
    const level = levels[i] as number;
    const id = ids[i] as string;
    let j = i - 1;
    // Move right every earlier finding that compareInPackage puts after this one (strictly: stable).
    for (; j >= 0; j--) {
      const l = levels[j] as number;
      if (!(l < level || (l === level && id < (ids[j] as string)))) break;
      run[j + 1] = run[j] as DetectedVulnerability;
      levels[j + 1] = l;
      ids[j + 1] = ids[j] as string;
    }
    run[j + 1] = v;
    levels[j + 1] = level;
    ids[j + 1] = id;
  }
}

/**
 * The findings of a result, given as runs (each the findings of one package,
 * already sorted by sortInPackage), sorted as a stable sort by compareFindings
 * of their concatenation would, in far fewer comparisons: the runs are sorted
 * by package, the runs of equal packages joined (in their order) and sorted
 * again by severity and ID.
 */
function sortFindings(runs: DetectedVulnerability[][]): DetectedVulnerability[] {
  if (runs.length === 0) return [];
  runs.sort((a, b) => comparePackage(a[0] as DetectedVulnerability, b[0] as DetectedVulnerability));
  const out: DetectedVulnerability[] = [];
  for (let i = 0; i < runs.length;) {
    let joined = runs[i] as DetectedVulnerability[];
    let j = i + 1;
    for (; j < runs.length; j++) {
      const next = runs[j] as DetectedVulnerability[];
      if (comparePackage(joined[0] as DetectedVulnerability, next[0] as DetectedVulnerability) !== 0) break;
      joined = joined.concat(next);
    }
    if (j > i + 1) joined.sort(compareInPackage);
    for (let k = 0; k < joined.length; k++) out.push(joined[k] as DetectedVulnerability);
    i = j;
  }
  return out;
}

/**
 * Packages looked up per batch (one query per ecosystem). The detector's own
 * matcher holds a batch as the rows' text, parses a package only when it
 * matches it and forgets it once its findings are built (Matcher.release), and
 * forgets the batch at its end (Matcher.forget). What a scan holds beyond that
 * survives young-generation collections, which copy it, grow the young
 * generation and touch new pages: ~15 µs per first touch on a Firecracker VM
 * (docs/benchmarks.md, Matching). 128 rows of an errata distribution are about
 * 0.3 MiB of text; 512 parsed at once were 2 MiB.
 */
export const MATCH_BATCH = 128;

/** Matches every package of an inventory; see the module comment. */
export function detectVulnerabilities(
  inventory: InventoryReport,
  store: AdvisoryLookup,
  options: DetectOptions = {},
): ScanReport {
  const matcher = options.matcher ?? new Matcher(store);
  // A matcher of this scan alone forgets each batch; one passed in keeps what it read for the next scan.
  const forget = options.matcher === undefined;
  const stats = options.stats ?? newDetectStats();
  const fixedVersions = options.fixedVersions ?? 'all';
  const details = (options.details ?? true) && matcher.canReadDetails;
  const diagnostics: InventoryDiagnostic[] = [...inventory.diagnostics];
  // Details are read once per batch, for all its findings in one query.
  const pending: PendingDetails[] = [];
  const findingOptions = { fixedVersions, details, matcher, pending };
  const results: ScanResult[] = [];

  for (const r of inventory.results) {
    throwIfAborted(options.signal);
    const lookup = lookupFor(inventory, r, diagnostics);
    const runs: DetectedVulnerability[][] = [];
    let withoutVersion = 0;
    stats.packages += r.packages.length;
    // In batches: one query per ecosystem and batch, and (with a matcher of this scan) nothing read for a
    // batch outlives it. Indexed loops, no iterators: these run once per package, mostly before the code is
    // optimized.
    const ecosystems = lookup?.ecosystems ?? [];
    const packages = lookup ? r.packages : [];
    const views: PackageView[] = [];
    const names: string[] = [];
    for (let start = 0; start < packages.length; start += MATCH_BATCH) {
      const end = Math.min(packages.length, start + MATCH_BATCH);
      views.length = 0;
      names.length = 0;
      for (let i = start; i < end; i++) {
        const view = (lookup as ResultLookup).view(packages[i] as Package);
        if (view) {
          views.push(view);
          names.push(view.name);
        } else withoutVersion++;
      }
      if (views.length > 1)
        for (let k = 0; k < ecosystems.length; k++) matcher.prefetch(ecosystems[k] as string, names);
      for (let i = 0; i < views.length; i++) {
        const view = views[i] as PackageView;
        stats.lookedUp++;
        const groups = matcher.match(ecosystems, view.name, view.version, stats);
        if (groups) {
          const run: DetectedVulnerability[] = [];
          groups.forEach((hits) => run.push(buildFinding(view, hits, findingOptions)));
          if (run.length > 1) sortInPackage(run);
          runs.push(run);
        }
        if (forget) matcher.release(ecosystems, view.name);
      }
      if (pending.length > 0) {
        addPendingDetails(pending, matcher);
        pending.length = 0;
      }
      if (forget) matcher.forget();
    }
    if (withoutVersion > 0) {
      stats.withoutVersion += withoutVersion;
      diagnostics.push({
        code: 'DETECT_NO_VERSION',
        severity: 'info',
        message: `${withoutVersion} package(s) without a version were not checked for vulnerabilities`,
        file: r.target,
      });
    }
    const sorted = sortFindings(runs);
    stats.findings += sorted.length;
    const out: ScanResult = { target: r.target, class: r.class, type: r.type, vulnerabilities: sorted };
    if (options.includePackages) out.packages = r.packages;
    results.push(out);
  }
  if (stats.undecided > 0) {
    const n = stats.notes;
    diagnostics.push({
      code: 'DETECT_UNDECIDED',
      severity: 'info',
      message:
        `${stats.undecided} advisory range evaluation(s) could not decide (GIT ranges skipped: ${n.gitRangesSkipped}, ` +
        `unparsable events: ${n.unparsableEvents}, unparsable versions: ${n.unparsableVersions}, ` +
        `unknown range types: ${n.unknownRangeTypes}, ecosystems without an ordering: ${n.unknownEcosystems}); ` +
        'they are not reported as vulnerable',
    });
  }
  const report: ScanReport = {
    schemaVersion: 1,
    createdAt: (options.now ?? new Date()).toISOString(),
    artifact: inventory.artifact,
    results,
    diagnostics,
  };
  if (inventory.os) report.os = inventory.os;
  if (options.database) report.database = options.database;
  return report;
}

interface ResultLookup {
  ecosystems: string[];
  view(pkg: Package): PackageView | undefined;
}

function lookupFor(
  inventory: InventoryReport,
  r: InventoryResult,
  diagnostics: InventoryDiagnostic[],
): ResultLookup | undefined {
  if (r.class === 'os-pkgs') {
    const os = inventory.os;
    const osl = os ? osvEcosystemsForOs(os) : undefined;
    if (!osl) {
      if (r.packages.length > 0)
        diagnostics.push({
          code: 'DETECT_OS_UNSUPPORTED',
          severity: 'warning',
          message: os
            ? `no OSV advisories cover ${os.family} ${os.name}: its ${r.packages.length} OS package(s) were not checked`
            : `the operating system was not detected: ${r.packages.length} OS package(s) were not checked`,
          file: r.target,
        });
      return undefined;
    }
    return {
      ecosystems: osl.ecosystems,
      view(pkg) {
        if (!pkg.version) return undefined;
        const key = osLookupKey(pkg, osl.by);
        return {
          pkg,
          name: key.name,
          version: key.version,
          installed: distroVersion(pkg.version, pkg.release, pkg.epoch),
        };
      },
    };
  }
  const eco = osvEcosystemForLangType(r.type);
  if (!eco) {
    if (r.packages.length > 0)
      diagnostics.push({
        code: 'DETECT_ECOSYSTEM_UNSUPPORTED',
        severity: 'info',
        message: `no OSV ecosystem for ${r.type} packages: ${r.packages.length} package(s) were not checked`,
        file: r.target,
      });
    return undefined;
  }
  return {
    ecosystems: [eco],
    view(pkg) {
      if (!pkg.version) return undefined;
      const name = advisoryName(eco, pkg.name);
      return { pkg, name, version: advisoryVersion(eco, name, pkg.version), installed: pkg.version };
    },
  };
}
