/**
 * Is a package version affected by one OSV `affected[]` entry? The OSV schema's
 * evaluation algorithm (https://ossf.github.io/osv-schema/#evaluation):
 *
 * - the version is affected when it is in the entry's `versions` list, or in
 *   one of its `ranges`;
 * - a range applies only below one of its `limit` events (none means no limit;
 *   a limit containing `*` is infinity);
 * - walking the range's events sorted by version, an `introduced` at or below
 *   the version makes it vulnerable, a `fixed` at or below it or a
 *   `last_affected` below it makes it not vulnerable; `introduced: "0"` sorts
 *   before every version.
 *
 * ECOSYSTEM ranges use the ecosystem's ordering (index.ts), SEMVER ranges SemVer
 * 2.0 precedence. GIT ranges (commit hashes) cannot be evaluated without the
 * repository: they are skipped and counted. The answer is 'unknown', not a
 * guess, when nothing decided it and something could not be evaluated (an
 * ecosystem without a known ordering, a version or an event that is not a
 * version of the ordering, a range type this code does not know, only GIT
 * ranges and no `versions` list).
 *
 * `compileAffected` parses and sorts an entry once for many evaluations.
 */
import { schemeForEcosystem, semverSchemeForEcosystem } from './index.js';
import type { VersionScheme } from './scheme.js';

/** One event of an OSV range (exactly one field is set in a valid record). */
export interface OsvRangeEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

/** What range evaluation reads of an OSV `affected[]` entry (the store's own record type fits it). */
export interface AffectedRanges {
  ranges?: readonly { type: string; events: readonly OsvRangeEvent[] }[];
  versions?: readonly string[];
}

export type Affectedness = boolean | 'unknown';

/** Counts of what evaluation had to pass over; add up across calls. */
export interface RangeNotes {
  /** GIT ranges skipped (commit ranges need the repository). */
  gitRangesSkipped: number;
  /** Ranges of a type other than ECOSYSTEM, SEMVER and GIT. */
  unknownRangeTypes: number;
  /** Ranges not evaluated because an event's version is not a version of the ordering. */
  unparsableEvents: number;
  /** Evaluations of a version that is not a version of the ordering. */
  unparsableVersions: number;
  /** Evaluations in an ecosystem without a known ordering. */
  unknownEcosystems: number;
}

export function newRangeNotes(): RangeNotes {
  return {
    gitRangesSkipped: 0,
    unknownRangeTypes: 0,
    unparsableEvents: 0,
    unparsableVersions: 0,
    unknownEcosystems: 0,
  };
}

export interface AffectedMatch {
  affected: Affectedness;
  /** The `fixed` events that end the intervals the version is in (empty when not affected or unfixed). */
  fixed: string[];
}

type Kind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

/** A parsed event; `at` is undefined for introduced "0" (before everything) and limits with `*` (infinity). */
interface Event<V> {
  kind: Kind;
  raw: string;
  at: V | undefined;
}

export type CompiledRange =
  | { kind: 'git' }
  | { kind: 'unknown-type' }
  | { kind: 'no-scheme' }
  | { kind: 'unparsable' }
  | { kind: 'ok'; scheme: VersionScheme; events: Event<unknown>[]; limits: Event<unknown>[] };

const KINDS: readonly Kind[] = ['introduced', 'fixed', 'last_affected', 'limit'];

function compileRange(
  range: { type: string; events: readonly OsvRangeEvent[] },
  ecosystemScheme: VersionScheme | undefined,
  semverScheme: VersionScheme,
): CompiledRange {
  const type = range.type.toUpperCase();
  if (type === 'GIT') return { kind: 'git' };
  if (type !== 'ECOSYSTEM' && type !== 'SEMVER') return { kind: 'unknown-type' };
  const scheme = type === 'SEMVER' ? semverScheme : ecosystemScheme;
  if (!scheme) return { kind: 'no-scheme' };
  const events: Event<unknown>[] = [];
  const limits: Event<unknown>[] = [];
  // Indexed loops and no sort of events already in order: this runs for every entry of a cold scan.
  for (let i = 0; i < range.events.length; i++) {
    const e = range.events[i] as OsvRangeEvent;
    for (let k = 0; k < KINDS.length; k++) {
      const kind = KINDS[k] as Kind;
      const raw = e[kind];
      if (typeof raw !== 'string') continue;
      let at: unknown;
      if (!((kind === 'introduced' && raw === '0') || (kind === 'limit' && raw.includes('*')))) {
        at = scheme.parse(raw);
        if (at === undefined) return { kind: 'unparsable' };
      }
      (kind === 'limit' ? limits : events).push({ kind, raw, at });
    }
  }
  // Sorted by version; "0" first; stable, so equal versions keep the record's order.
  const byVersion = (a: Event<unknown>, b: Event<unknown>): number => {
    if (a.at === undefined || b.at === undefined) return a.at === b.at ? 0 : a.at === undefined ? -1 : 1;
    return scheme.compare(a.at, b.at);
  };
  for (let i = 1; i < events.length; i++)
    if (byVersion(events[i - 1] as Event<unknown>, events[i] as Event<unknown>) > 0) {
      events.sort(byVersion);
      break;
    }
  return { kind: 'ok', scheme, events, limits };
}

/** One range, evaluated for a parsed version: vulnerable, and the fixed event that ends its interval. */
function evaluateRange(
  r: Extract<CompiledRange, { kind: 'ok' }>,
  v: unknown,
): { vulnerable: boolean; fixed?: string } {
  const { scheme } = r;
  if (r.limits.length > 0 && !r.limits.some((l) => l.at === undefined || scheme.compare(v, l.at) < 0)) {
    return { vulnerable: false };
  }
  let vulnerable = false;
  let i = 0;
  for (; i < r.events.length; i++) {
    const e = r.events[i] as Event<unknown>;
    const c = e.at === undefined ? 1 : scheme.compare(v, e.at);
    if (e.kind === 'introduced' && c >= 0) vulnerable = true;
    else if (e.kind === 'fixed' && c >= 0) vulnerable = false;
    else if (e.kind === 'last_affected' && c > 0) vulnerable = false;
  }
  if (!vulnerable) return { vulnerable };
  // The first fixed event above the version ends its interval.
  const fixed = r.events.find((e) => e.kind === 'fixed' && e.at !== undefined && scheme.compare(v, e.at) < 0);
  return fixed ? { vulnerable, fixed: fixed.raw } : { vulnerable };
}

export interface CompiledAffected {
  evaluate(version: string, notes?: RangeNotes): AffectedMatch;
}

/** An entry's ranges, parsed and sorted once (the `versions` list is kept apart: see ListedVersions). */
export interface CompiledRanges {
  /** The ecosystem's ordering; undefined when it has none. */
  scheme: VersionScheme | undefined;
  ranges: CompiledRange[];
}

/** Parses and sorts ranges once, for many versions. */
export function compileRanges(ranges: AffectedRanges['ranges'], ecosystem: string): CompiledRanges {
  const scheme = schemeForEcosystem(ecosystem);
  if (!ranges || ranges.length === 0) return { scheme, ranges: [] };
  const semverScheme = semverSchemeForEcosystem(ecosystem);
  return { scheme, ranges: ranges.map((r) => compileRange(r, scheme, semverScheme)) };
}

/**
 * One version as parsed by each ordering asked for, shared by the
 * evaluations of every entry of a package (a version is parsed once per
 * ordering, not once per advisory).
 */
export class ParsedVersion {
  readonly text: string;
  private readonly byScheme = new Map<VersionScheme, unknown>();

  constructor(text: string) {
    this.text = text;
  }

  get(scheme: VersionScheme): unknown {
    if (this.byScheme.has(scheme)) return this.byScheme.get(scheme);
    const v = scheme.parse(this.text);
    this.byScheme.set(scheme, v);
    return v;
  }
}

/**
 * The OSV evaluation of one entry once its `versions` list has been checked
 * for a version equal as a string (the caller returns affected then):
 * `listed` says whether the entry has a `versions` list at all,
 * `listedOrdered` whether it lists versions of the ecosystem's ordering, and
 * `equalListed` whether one of those equals the parsed version.
 */
export function evaluateCompiled(
  c: CompiledRanges,
  listed: boolean,
  listedOrdered: boolean,
  equalListed: (v: unknown) => boolean,
  version: ParsedVersion,
  notes?: RangeNotes,
): AffectedMatch {
  const { scheme } = c;
  if (!scheme && notes) notes.unknownEcosystems++;
  // Unparsable versions are counted once per ordering and evaluation (at most two orderings: ECOSYSTEM and SEMVER).
  let counted1: VersionScheme | undefined;
  let counted2: VersionScheme | undefined;
  const parse = (s: VersionScheme): unknown => {
    const p = version.get(s);
    if (p === undefined && notes && s !== counted1 && s !== counted2) {
      notes.unparsableVersions++;
      if (counted1 === undefined) counted1 = s;
      else counted2 = s;
    }
    return p;
  };
  let unknown = !listed && c.ranges.length === 0;
  if (scheme && listedOrdered) {
    const v = parse(scheme);
    if (v === undefined) unknown = true;
    else if (equalListed(v)) return { affected: true, fixed: [] };
  }
  let affectedBy = false;
  let fixed: string[] | undefined;
  let gitOnly = c.ranges.length > 0;
  for (const r of c.ranges) {
    if (r.kind !== 'git') gitOnly = false;
    switch (r.kind) {
      case 'git':
        if (notes) notes.gitRangesSkipped++;
        continue;
      case 'unknown-type':
        if (notes) notes.unknownRangeTypes++;
        unknown = true;
        continue;
      case 'no-scheme':
        unknown = true;
        continue;
      case 'unparsable':
        if (notes) notes.unparsableEvents++;
        unknown = true;
        continue;
      case 'ok': {
        const v = parse(r.scheme);
        if (v === undefined) {
          unknown = true;
          continue;
        }
        const result = evaluateRange(r, v);
        if (result.vulnerable) {
          affectedBy = true;
          if (result.fixed !== undefined) {
            fixed ??= [];
            if (!fixed.includes(result.fixed)) fixed.push(result.fixed);
          }
        }
      }
    }
  }
  if (affectedBy) return { affected: true, fixed: fixed ?? [] };
  // GIT ranges alone decide nothing; the versions list stands in for them when there is one.
  if (gitOnly && !listed) unknown = true;
  return { affected: unknown ? 'unknown' : false, fixed: [] };
}

/**
 * A package's listed versions as the match index keeps them (db/match-index.ts):
 * the first `ordered` are versions of the ordering sorted by it, the rest do
 * not parse. Finds the listed versions equal to an installed one by binary
 * search, parsing only the few it visits. Assumes the ordering is a total
 * order, which every comparator in this folder is (vectors.test.ts).
 */
export class ListedVersions {
  private readonly parsed: unknown[] = [];
  private unparsed: Map<string, number> | undefined;

  constructor(
    readonly scheme: VersionScheme | undefined,
    readonly ordered: number,
    readonly strings: readonly string[],
  ) {}

  private at(i: number): unknown {
    let p = this.parsed[i];
    if (p === undefined) {
      p = (this.scheme as VersionScheme).parse(this.strings[i] as string);
      this.parsed[i] = p;
    }
    return p;
  }

  /** [lo, hi): indices of the ordered versions equal to `v` (a version parsed by the scheme); empty when none. */
  equalRun(v: unknown): [number, number] {
    const scheme = this.scheme;
    if (!scheme || this.ordered === 0) return [0, 0];
    let lo = 0;
    let hi = this.ordered;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (scheme.compare(this.at(mid), v) < 0) lo = mid + 1;
      else hi = mid;
    }
    let end = lo;
    while (end < this.ordered && scheme.compare(this.at(end), v) === 0) end++;
    return [lo, end];
  }

  /** Index of a string among the versions that do not parse, or -1. */
  indexOfUnparsed(s: string): number {
    if (!this.unparsed) {
      this.unparsed = new Map();
      for (let i = this.ordered; i < this.strings.length; i++)
        this.unparsed.set(this.strings[i] as string, i);
    }
    return this.unparsed.get(s) ?? -1;
  }
}

/** Does an ascending index list hold an index in [lo, hi)? */
export function holdsIndexIn(list: readonly number[], lo: number, hi: number): boolean {
  if (lo >= hi) return false;
  let a = 0;
  let b = list.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if ((list[mid] as number) < lo) a = mid + 1;
    else b = mid;
  }
  return a < list.length && (list[a] as number) < hi;
}

/** Parses and sorts an `affected[]` entry's ranges once, for many versions. */
export function compileAffected(affected: AffectedRanges, ecosystem: string): CompiledAffected {
  const c = compileRanges(affected.ranges, ecosystem);
  const { scheme } = c;
  const listed = affected.versions ?? [];
  const listedSet = new Set(listed);
  const listedParsed = scheme ? listed.map((s) => scheme.parse(s)).filter((p) => p !== undefined) : [];
  const equalListed = (v: unknown): boolean =>
    listedParsed.some((p) => (scheme as VersionScheme).compare(v, p) === 0);

  return {
    evaluate(version: string, notes?: RangeNotes): AffectedMatch {
      if (listedSet.has(version)) return { affected: true, fixed: [] };
      return evaluateCompiled(
        c,
        listed.length > 0,
        listedParsed.length > 0,
        equalListed,
        new ParsedVersion(version),
        notes,
      );
    },
  };
}

/** Is the version affected by the entry (in the given OSV ecosystem)? See compileAffected for many versions. */
export function isAffected(
  version: string,
  affected: AffectedRanges,
  ecosystem: string,
  notes?: RangeNotes,
): Affectedness {
  return compileAffected(affected, ecosystem).evaluate(version, notes).affected;
}
