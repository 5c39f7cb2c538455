/**
 * RubyGems versions, ordered as Gem::Version orders them:
 *
 * - a version is digits, then `.`-separated alphanumeric parts, then optionally
 *   `-` and a pre-release (`1.0.0-rc1`, read as `1.0.0.pre.rc1`); blank is `0`;
 * - the segments are the runs of digits (numbers) and of letters (strings);
 *   trailing zeros are dropped from the leading numeric part and from the part
 *   that starts at the first string (so `1.0.a.0` = `1.a`);
 * - segments compare pairwise, a missing one as 0: numbers by value, strings
 *   bytewise, and a string (a pre-release) sorts before any number.
 */
import { MAX_VERSION_LENGTH, compareDigits, compareStrings, type VersionScheme } from './scheme.js';

export interface GemVersion {
  /** Canonical segments: digit strings without leading zeros, or letter strings. */
  segments: Segment[];
}

type Segment = { n: string } | { s: string };

// Gem::Version::ANCHORED_VERSION_PATTERN between the surrounding whitespace (blank is valid).
const PATTERN = /^[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Ruby's \s: space, \t, \n, \v, \f, \r. */
function isRubySpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isZero(seg: Segment): boolean {
  return 'n' in seg && seg.n === '0';
}

function dropTrailingZeros(segs: Segment[]): Segment[] {
  let end = segs.length;
  while (end > 0 && isZero(segs[end - 1] as Segment)) end--;
  return segs.slice(0, end);
}

/** Parses a gem version; undefined when Gem::Version would refuse it. */
export function parseGem(text: string): GemVersion | undefined {
  if (text.length > MAX_VERSION_LENGTH) return undefined;
  let start = 0;
  let end = text.length;
  while (start < end && isRubySpace(text.charCodeAt(start))) start++;
  while (end > start && isRubySpace(text.charCodeAt(end - 1))) end--;
  const core = text.slice(start, end);
  if (core !== '' && !PATTERN.test(core)) return undefined;
  const version = core.replace(/-/g, '.pre.') || '0';
  const segments: Segment[] = [];
  for (const m of version.matchAll(/[0-9]+|[a-zA-Z]+/g)) {
    const t = m[0];
    segments.push(/^[0-9]/.test(t) ? { n: t.replace(/^0+(?=.)/, '') } : { s: t });
  }
  const firstString = segments.findIndex((s) => 's' in s);
  const numeric = firstString < 0 ? segments : segments.slice(0, firstString);
  const rest = firstString < 0 ? [] : segments.slice(firstString);
  return { segments: [...dropTrailingZeros(numeric), ...dropTrailingZeros(rest)] };
}

const ZERO: Segment = { n: '0' };

/** Gem::Version#<=> on canonical segments. */
export function compareGem(a: GemVersion, b: GemVersion): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const l = a.segments[i] ?? ZERO;
    const r = b.segments[i] ?? ZERO;
    if ('n' in l && 'n' in r) {
      const c = compareDigits(l.n, r.n);
      if (c !== 0) return c;
    } else if ('s' in l && 's' in r) {
      const c = compareStrings(l.s, r.s);
      if (c !== 0) return c;
    } else return 's' in l ? -1 : 1;
  }
  return 0;
}

export const rubygems: VersionScheme<GemVersion> = { name: 'rubygems', parse: parseGem, compare: compareGem };
