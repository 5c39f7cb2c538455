/**
 * Semantic versions (SemVer 2.0.0) and their precedence (§11): major, minor and
 * patch by value; a pre-release sorts before its release; pre-release
 * identifiers are compared one by one, numeric ones by value and below
 * alphanumeric ones, which are compared in ASCII order; a shorter list of equal
 * identifiers sorts first; build metadata is ignored. Numbers of any length are
 * compared exactly.
 *
 * Two syntaxes share that order:
 * - `semver`: SemVer 2.0.0 as written in the spec (an optional leading `v`, as
 *   OSV SEMVER ranges and crates.io, Hex and Swift versions are written, and
 *   surrounding whitespace, both of which node-semver also accepts);
 * - `npm`: node-semver's loose syntax (leading `=`, `v` and spaces, leading
 *   zeros, a pre-release without its hyphen: `1.2.3beta`), as npm reads
 *   package.json and lockfile versions, with node-semver's limit of
 *   Number.MAX_SAFE_INTEGER on major, minor and patch. Identifiers with leading
 *   zeros compare by value, as node-semver compares them.
 *
 * Go's module versions (`+incompatible`, pseudo-versions, `v1.2` shorthands)
 * are in go.ts; npm range expressions in npm-range.ts.
 */
import { MAX_VERSION_LENGTH, compareDigits, compareStrings, type VersionScheme } from './scheme.js';

export interface SemVer {
  /** Digit strings without leading zeros. */
  major: string;
  minor: string;
  patch: string;
  /** Pre-release identifiers; empty for a release. */
  pre: string[];
  build: string[];
}

const NUM = '(0|[1-9][0-9]*)';
const DOTTED = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';

// Unambiguous (each part ends where the next separator is), so matching is linear.
const STRICT_RE = new RegExp(`^v?${NUM}\\.${NUM}\\.${NUM}(?:-(${DOTTED}))?(?:\\+(${DOTTED}))?$`);
const DOTTED_RE = new RegExp(`^${DOTTED}$`);
const LOOSE_HEAD_RE = /^[v=\s]*([0-9]+)\.([0-9]+)\.([0-9]+)/;

const NUMERIC = /^[0-9]+$/;
const MAX_SAFE = String(Number.MAX_SAFE_INTEGER);

function strip(d: string): string {
  let i = 0;
  while (i < d.length - 1 && d.charCodeAt(i) === 48) i++;
  return d.slice(i);
}

/** Parses a SemVer 2.0.0 version (optional leading `v`, surrounding whitespace ignored). */
export function parseSemver(text: string): SemVer | undefined {
  if (text.length > MAX_VERSION_LENGTH) return undefined;
  const m = STRICT_RE.exec(text.trim());
  if (!m) return undefined;
  const pre = m[4] === undefined ? [] : m[4].split('.');
  // SemVer 2.0 §9: numeric identifiers must not have leading zeros.
  if (pre.some((id) => id.length > 1 && id.charCodeAt(0) === 48 && NUMERIC.test(id))) return undefined;
  return {
    major: m[1] ?? '0',
    minor: m[2] ?? '0',
    patch: m[3] ?? '0',
    pre,
    build: m[5] === undefined ? [] : m[5].split('.'),
  };
}

/**
 * What node-semver's loose pattern `(?:-?(pre))?(?:\+(build))?$` makes of the text after the
 * patch number: the pre-release (hyphen taken when that leaves a valid list, else kept as
 * part of the first identifier) and the build; undefined when it does not match.
 */
function looseTail(t: string): { pre: string[]; build: string[] } | undefined {
  const plus = t.indexOf('+');
  const head = plus < 0 ? t : t.slice(0, plus);
  let build: string[] = [];
  if (plus >= 0) {
    const b = t.slice(plus + 1);
    if (!DOTTED_RE.test(b)) return undefined;
    build = b.split('.');
  }
  if (head === '') return { pre: [], build };
  if (head.charCodeAt(0) === 45 && DOTTED_RE.test(head.slice(1)))
    return { pre: head.slice(1).split('.'), build };
  if (DOTTED_RE.test(head)) return { pre: head.split('.'), build };
  return undefined;
}

/**
 * Parses a version as node-semver's loose mode does, quirks included (`1.2.34.x` is
 * 1.2.3-4.x there: the pattern backtracks into the patch number). Linear: of all the
 * places the patch number could end, only the last two can differ in outcome.
 */
export function parseNpmVersion(text: string): SemVer | undefined {
  if (text.length > MAX_VERSION_LENGTH) return undefined;
  const s = text.trim();
  const m = LOOSE_HEAD_RE.exec(s);
  if (!m) return undefined;
  const digits = m[3] ?? '';
  const rest = s.slice(m[0].length);
  let patch = digits;
  let tail = looseTail(rest);
  if (!tail && digits.length > 1) {
    patch = digits.slice(0, -1);
    tail = looseTail(digits.slice(-1) + rest);
  }
  if (!tail) return undefined;
  const major = strip(m[1] ?? '0');
  const minor = strip(m[2] ?? '0');
  patch = strip(patch);
  // node-semver refuses numbers past Number.MAX_SAFE_INTEGER, so npm cannot have published them.
  if (![major, minor, patch].every((d) => compareDigits(d, MAX_SAFE) <= 0)) return undefined;
  return { major, minor, patch, ...tail };
}

function compareIdentifier(a: string, b: string): number {
  const an = NUMERIC.test(a);
  const bn = NUMERIC.test(b);
  if (an && bn) return compareDigits(a, b);
  if (an) return -1;
  if (bn) return 1;
  return compareStrings(a, b);
}

/** Compares pre-release identifier lists; an empty list (a release) sorts last. */
export function comparePrerelease(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifier(a[i] ?? '', b[i] ?? '');
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** SemVer 2.0.0 precedence (build metadata ignored). */
export function compareSemver(a: SemVer, b: SemVer): number {
  return (
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch) ||
    comparePrerelease(a.pre, b.pre)
  );
}

export const semver: VersionScheme<SemVer> = { name: 'semver', parse: parseSemver, compare: compareSemver };

export const npm: VersionScheme<SemVer> = { name: 'npm', parse: parseNpmVersion, compare: compareSemver };
