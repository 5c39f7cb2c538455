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

/**
 * Ranges as the match index stores them (db/match-index.ts): compiled at
 * import, every event's version replaced by its index in one of the package's
 * sorted version lists, so a scan neither parses nor sorts events: it places
 * the installed version in the list once (a binary search) and compares
 * indices. A range that is never evaluated is a number (RANGE_GIT…); an
 * evaluated one is `[list, ...codes]`, `list` 0 for the list in the
 * ecosystem's ordering and 1 for the SemVer list (SEMVER ranges of an
 * ecosystem ordered otherwise), then its events in evaluation order (sorted
 * by version, stable) and its limits, each `(index + 1) * 4 + kind`
 * (kind: ENCODED_KINDS; index -1 for introduced "0" and limits with `*`).
 */
export type EncodedRange = number | number[];

export const RANGE_GIT = 0;
export const RANGE_UNKNOWN_TYPE = 1;
export const RANGE_NO_SCHEME = 2;
export const RANGE_UNPARSABLE = 3;

const K_INTRODUCED = 0;
const K_FIXED = 1;
const K_LAST_AFFECTED = 2;
const K_LIMIT = 3;
const KIND_CODE: Readonly<Record<Kind, number>> = {
  introduced: K_INTRODUCED,
  fixed: K_FIXED,
  last_affected: K_LAST_AFFECTED,
  limit: K_LIMIT,
};

/**
 * Encodes compiled ranges (see EncodedRange). `listOf` gives the list of a
 * range's ordering (0 or 1), `indexOf` the index of an event's version string
 * in that list (every version string of an evaluated range must be in it).
 */
export function encodeRanges(
  c: CompiledRanges,
  listOf: (scheme: VersionScheme) => 0 | 1,
  indexOf: (list: 0 | 1, raw: string) => number,
): EncodedRange[] {
  return c.ranges.map((r): EncodedRange => {
    switch (r.kind) {
      case 'git':
        return RANGE_GIT;
      case 'unknown-type':
        return RANGE_UNKNOWN_TYPE;
      case 'no-scheme':
        return RANGE_NO_SCHEME;
      case 'unparsable':
        return RANGE_UNPARSABLE;
      case 'ok': {
        const list = listOf(r.scheme);
        const code = (e: Event<unknown>): number =>
          (e.at === undefined ? 0 : indexOf(list, e.raw) + 1) * 4 + KIND_CODE[e.kind];
        return [list, ...r.events.map(code), ...r.limits.map(code)];
      }
    }
  });
}

/**
 * Where one installed version falls in a package's sorted version lists
 * (list 0: the ecosystem's ordering, list 1: SemVer), found on first use:
 * `[lo, hi)` are the indices of the list's versions equal to it.
 */
export class VersionRanks {
  /** Per list: 0 not located yet, 1 located, 2 not a version of the list's ordering. */
  private readonly state = [0, 0];
  private readonly lo = [0, 0];
  private readonly hi = [0, 0];

  constructor(
    readonly version: ParsedVersion,
    private readonly schemes: readonly [VersionScheme | undefined, VersionScheme | undefined],
    private readonly lists: readonly [ListedVersions | undefined, ListedVersions | undefined],
  ) {}

  /** False when the version is not a version of the list's ordering. */
  locate(list: 0 | 1): boolean {
    const st = this.state[list];
    if (st !== 0) return st === 1;
    const scheme = this.schemes[list];
    const v = scheme ? this.version.get(scheme) : undefined;
    if (v === undefined) {
      this.state[list] = 2;
      return false;
    }
    const l = this.lists[list];
    if (l) {
      const run = l.equalRun(v);
      this.lo[list] = run[0];
      this.hi[list] = run[1];
    }
    this.state[list] = 1;
    return true;
  }

  /** After locate(list) gave true: [lo, hi) of the versions equal to the installed one. */
  from(list: 0 | 1): number {
    return this.lo[list] as number;
  }
  to(list: 0 | 1): number {
    return this.hi[list] as number;
  }

  /** The version string at an index of a list. */
  raw(list: 0 | 1, index: number): string {
    return (this.lists[list] as ListedVersions).strings[index] as string;
  }
}

const EMPTY_FIXED: string[] = Object.freeze([]) as unknown as string[];
const NOT_AFFECTED: AffectedMatch = Object.freeze({ affected: false, fixed: EMPTY_FIXED });
const UNDECIDED: AffectedMatch = Object.freeze({ affected: 'unknown', fixed: EMPTY_FIXED });
const LISTED: AffectedMatch = Object.freeze({ affected: true, fixed: EMPTY_FIXED });

/** The answer for a version found in the entry's versions list (shared, not to be modified). */
export const AFFECTED_LISTED: AffectedMatch = LISTED;

/**
 * evaluateCompiled over encoded ranges (the same answers and the same counted
 * notes): `hasScheme` says whether the ecosystem has an ordering, `listed` and
 * `listedOrdered` as for evaluateCompiled, the version listed equal already
 * checked by the caller. The answers that are not affected, and the empty
 * fixed lists, are shared objects: callers must not modify them.
 */
export function evaluateEncoded(
  ranges: readonly EncodedRange[] | null,
  hasScheme: boolean,
  listed: boolean,
  listedOrdered: boolean,
  ranks: VersionRanks,
  notes?: RangeNotes,
): AffectedMatch {
  if (!hasScheme && notes) notes.unknownEcosystems++;
  const n = ranges === null ? 0 : ranges.length;
  // Unparsable versions are counted once per list (ordering) and evaluation.
  let counted = 0;
  let unknown = !listed && n === 0;
  if (hasScheme && listedOrdered && !ranks.locate(0)) {
    if (notes) notes.unparsableVersions++;
    counted = 1;
    unknown = true;
  }
  let affectedBy = false;
  let fixed: string[] | undefined;
  let gitOnly = n > 0;
  for (let i = 0; i < n; i++) {
    const r = (ranges as readonly EncodedRange[])[i] as EncodedRange;
    if (typeof r === 'number') {
      if (r === RANGE_GIT) {
        if (notes) notes.gitRangesSkipped++;
        continue;
      }
      gitOnly = false;
      unknown = true;
      if (notes && r === RANGE_UNKNOWN_TYPE) notes.unknownRangeTypes++;
      else if (notes && r === RANGE_UNPARSABLE) notes.unparsableEvents++;
      continue;
    }
    gitOnly = false;
    const list = r[0] as 0 | 1;
    if (!ranks.locate(list)) {
      if (notes && (counted & (1 << list)) === 0) {
        notes.unparsableVersions++;
        counted |= 1 << list;
      }
      unknown = true;
      continue;
    }
    const lo = ranks.from(list);
    const hi = ranks.to(list);
    // The version against the event at an index: positive above it, 0 equal, negative below.
    let limited = false;
    let below = false;
    let vulnerable = false;
    for (let j = 1; j < r.length; j++) {
      const code = r[j] as number;
      const kind = code & 3;
      const at = (code >> 2) - 1;
      const c = at < 0 ? 1 : at < lo ? 1 : at < hi ? 0 : -1;
      if (kind === K_LIMIT) {
        limited = true;
        if (at < 0 || c < 0) below = true;
      } else if (kind === K_INTRODUCED) {
        if (c >= 0) vulnerable = true;
      } else if (kind === K_FIXED) {
        if (c >= 0) vulnerable = false;
      } else if (c > 0) vulnerable = false;
    }
    if (!vulnerable || (limited && !below)) continue;
    affectedBy = true;
    // The first fixed event above the version ends its interval.
    for (let j = 1; j < r.length; j++) {
      const code = r[j] as number;
      const at = (code >> 2) - 1;
      if ((code & 3) !== K_FIXED || at < hi) continue;
      const raw = ranks.raw(list, at);
      fixed ??= [];
      if (!fixed.includes(raw)) fixed.push(raw);
      break;
    }
  }
  if (affectedBy) return fixed ? { affected: true, fixed } : LISTED;
  // GIT ranges alone decide nothing; the versions list stands in for them when there is one.
  if (gitOnly && !listed) unknown = true;
  return unknown ? UNDECIDED : NOT_AFFECTED;
}
