/**
 * Composer (Packagist) versions, as composer/semver orders them: the version is
 * normalized by VersionParser::normalize (`v1.2` → `1.2.0.0`, `1.0-beta.2` →
 * `1.0.0.0-beta2`, `1.0.0-rc1` → `1.0.0.0-RC1`, `2.x-dev` →
 * `2.9999999.9999999.9999999-dev`, date versions, `@stability` flags, `as`
 * aliases and build metadata dropped), then compared by PHP's version_compare:
 * parts split at `.`, `-`, `_`, `+` and at every change between digits and
 * non-digits, numbers by value (saturating at 2^63-1, as PHP's strtol), and words by their prefix: `dev` < `alpha`/`a`
 * < `beta`/`b` < `RC`/`rc` < a number < `pl`/`p` (so `patch`), other words below
 * them all; a version that goes on with a number is newer, one that goes on
 * with a word compares that word against a number.
 *
 * Branches (`dev-master`, `dev-feature`) have no place in the order (Composer
 * never matches them against a range) and are not versions here.
 */
import { MAX_VERSION_LENGTH, compareDigits, isAlphaCode, isDigitCode, type VersionScheme } from './scheme.js';

const MODIFIER = '[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?[0-9])*)?)?([.-]?dev)?';
// `(?:[.-]?\d+)*+` in Composer (possessive); one digit per repetition here says the same, without backtracking.
const CLASSICAL_RE = new RegExp(`^v?([0-9]{1,5})(\\.[0-9]+)?(\\.[0-9]+)?(\\.[0-9]+)?${MODIFIER}$`, 'i');
const DATE_RE = new RegExp(`^v?([0-9]{4}(?:[.:-]?[0-9]{2}){1,6}(?:[.:-]?[0-9]{1,3})?)${MODIFIER}$`, 'i');
const BRANCH_RE = /^v?([0-9]+)(\.(?:[0-9]+|[xX*]))?(\.(?:[0-9]+|[xX*]))?(\.(?:[0-9]+|[xX*]))?$/i;

function expandStability(s: string): string {
  const l = s.toLowerCase();
  if (l === 'a') return 'alpha';
  if (l === 'b') return 'beta';
  if (l === 'p' || l === 'pl') return 'patch';
  if (l === 'rc') return 'RC';
  return l;
}

/** PHP's trim(): space, \t, \n, \r, NUL and vertical tab. */
function isPhpSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0 || c === 11;
}

function phpTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPhpSpace(s.charCodeAt(start))) start++;
  while (end > start && isPhpSpace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** VersionParser::normalizeBranch for the part before `-dev`; undefined for a named branch. */
function normalizeBranch(name: string): string | undefined {
  const m = BRANCH_RE.exec(phpTrim(name));
  if (!m) return undefined;
  let version = '';
  for (let i = 1; i < 5; i++) version += m[i] !== undefined ? m[i]!.replace(/[*X]/g, 'x') : '.x';
  return `${version.replace(/x/g, '9999999')}-dev`;
}

/** VersionParser::normalize; undefined for what it refuses and for branches (`dev-…`). */
export function normalizeComposer(text: string): string | undefined {
  if (text.length > MAX_VERSION_LENGTH) return undefined;
  let version = phpTrim(text);
  const alias = /^([^,\s]+) +as +([^,\s]+)$/.exec(version);
  if (alias) version = alias[1] ?? '';
  const flag = /@(?:stable|RC|beta|alpha|dev)$/i.exec(version);
  if (flag) version = version.slice(0, version.length - flag[0].length);
  if (version === 'master' || version === 'trunk' || version === 'default') return undefined;
  if (/^dev-/i.test(version)) return undefined;
  const build = /^([^,\s+]+)\+\S+$/.exec(version);
  if (build) version = build[1] ?? '';

  let m = CLASSICAL_RE.exec(version);
  let index: number;
  if (m) {
    version = `${m[1]}${m[2] || '.0'}${m[3] || '.0'}${m[4] || '.0'}`;
    index = 5;
  } else {
    m = DATE_RE.exec(version);
    if (!m) {
      const dev = /^(.*?)[.-]?dev$/i.exec(version);
      return dev ? normalizeBranch(dev[1] ?? '') : undefined;
    }
    version = (m[1] ?? '').replace(/[^0-9]/g, '.');
    index = 2;
  }
  const stability = m[index];
  if (stability) {
    if (stability === 'stable') return version;
    const numbers = m[index + 1] ?? '';
    version += `-${expandStability(stability)}${numbers.replace(/^[.-]+/, '')}`;
  }
  if (m[index + 2]) version += '-dev';
  return version;
}

/** PHP's php_canonicalize_version: separators to '.', '.' between digit and non-digit runs. */
function canonicalize(v: string): string {
  let out = v[0] ?? '';
  let lp = v.charCodeAt(0);
  const isdig = (c: number): boolean => isDigitCode(c);
  const isndig = (c: number): boolean => !isDigitCode(c) && c !== 46;
  for (let i = 1; i < v.length; i++) {
    const c = v.charCodeAt(i);
    const lastDot = out.charCodeAt(out.length - 1) === 46;
    if (c === 45 || c === 95 || c === 43) {
      if (!lastDot) out += '.';
    } else if ((isndig(lp) && isdig(c)) || (isdig(lp) && isndig(c))) {
      if (!lastDot) out += '.';
      out += v[i];
    } else if (!isDigitCode(c) && !isAlphaCode(c)) {
      if (!lastDot) out += '.';
    } else out += v[i];
    lp = c;
  }
  return out;
}

const SPECIAL_FORMS: [string, number][] = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];

function specialForm(form: string): number {
  for (const [name, order] of SPECIAL_FORMS) if (form.startsWith(name)) return order;
  return -1;
}

function compareForms(a: string, b: string): number {
  return Math.sign(specialForm(a) - specialForm(b));
}

/** PHP's version_compare (php_version_compare), on two version strings. */
export function phpVersionCompare(v1: string, v2: string): number {
  let a = v1;
  let b = v2;
  // The recursion of php_version_compare on what is left, against "#N#", as a loop.
  for (;;) {
    if (a === '' || b === '') return a === b ? 0 : a !== '' ? 1 : -1;
    const p1 = (a[0] === '#' ? a : canonicalize(a)).split('.');
    const p2 = (b[0] === '#' ? b : canonicalize(b)).split('.');
    let i = 0;
    // The C loop goes on while both sides had a '.' before their current part and neither is at its end.
    for (; i < p1.length && i < p2.length; i++) {
      const e1 = p1[i] ?? '';
      const e2 = p2[i] ?? '';
      if ((e1 === '' && i === p1.length - 1) || (e2 === '' && i === p2.length - 1)) break;
      const d1 = isDigitCode(e1.charCodeAt(0));
      const d2 = isDigitCode(e2.charCodeAt(0));
      let compare: number;
      if (d1 && d2) compare = compareDigits(leadingDigits(e1), leadingDigits(e2));
      else if (!d1 && !d2) compare = compareForms(e1, e2);
      else compare = d1 ? compareForms('#N#', e2) : compareForms(e1, '#N#');
      if (compare !== 0) return compare;
    }
    // Parts left on one side only (the C code's n1 / n2 still set).
    if (i < p1.length) {
      const rest = p1.slice(i).join('.');
      if (isDigitCode(rest.charCodeAt(0))) return 1;
      a = rest;
      b = '#N#';
      continue;
    }
    if (i < p2.length) {
      const rest = p2.slice(i).join('.');
      if (isDigitCode(rest.charCodeAt(0))) return -1;
      a = '#N#';
      b = rest;
      continue;
    }
    return 0;
  }
}

const LONG_MAX = '9223372036854775807';

/** strtol's reading of a part: its leading digits, saturating at LONG_MAX as strtol does. */
function leadingDigits(part: string): string {
  let i = 0;
  while (i < part.length && isDigitCode(part.charCodeAt(i))) i++;
  const digits = part.slice(0, i);
  return compareDigits(digits, LONG_MAX) > 0 ? LONG_MAX : digits;
}

export const composer: VersionScheme<string> = {
  name: 'composer',
  parse: normalizeComposer,
  compare: phpVersionCompare,
};
