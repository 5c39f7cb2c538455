/**
 * RPM versions, ordered as rpm orders them (rpm 4.18's rpmvercmp and rpmverCmp,
 * which `rpm.vercmp` in rpm's Lua evaluates):
 *
 * - `rpmvercmp` compares one version or release string: runs of ASCII letters
 *   and of digits are compared pairwise (digits by value, letters by byte order,
 *   a digit run beats a letter run), every other character only separates runs,
 *   `~` sorts before anything (even the end of the string) and `^` after the end
 *   but before anything else.
 * - An EVR `[epoch:]version[-release]` splits at the first non-digit (a colon
 *   there ends the epoch) and at the last hyphen; epochs (0 when absent) are
 *   compared with rpmvercmp, then versions, then releases, where a missing
 *   release sorts before any present one (even an empty one).
 *
 * rpm compares bytes; a non-ASCII character is a separator there and here.
 */
import {
  MAX_VERSION_LENGTH,
  compareDigits,
  compareStrings,
  isAlphaCode,
  isDigitCode,
  type VersionScheme,
} from './scheme.js';

export interface RpmVersion {
  /** The epoch as written ('0' when the EVR has none, as rpm assumes). */
  epoch: string;
  version: string;
  /** undefined when the EVR has no hyphen. */
  release: string | undefined;
}

const TILDE = 126;
const CARET = 94;

function isAlnum(c: number): boolean {
  return isDigitCode(c) || isAlphaCode(c);
}

/** rpm's rpmvercmp: compares one version (or release) string. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (
      i < a.length &&
      !isAlnum(a.charCodeAt(i)) &&
      a.charCodeAt(i) !== TILDE &&
      a.charCodeAt(i) !== CARET
    )
      i++;
    while (
      j < b.length &&
      !isAlnum(b.charCodeAt(j)) &&
      b.charCodeAt(j) !== TILDE &&
      b.charCodeAt(j) !== CARET
    )
      j++;
    const ca = i < a.length ? a.charCodeAt(i) : -1;
    const cb = j < b.length ? b.charCodeAt(j) : -1;
    // The tilde sorts before everything else.
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    // The caret is like the tilde, except that a string that has ended sorts first.
    if (ca === CARET || cb === CARET) {
      if (ca === -1) return -1;
      if (cb === -1) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === -1 || cb === -1) break;
    const si = i;
    const sj = j;
    const numeric = isDigitCode(ca);
    const inRun = numeric ? isDigitCode : isAlphaCode;
    while (i < a.length && inRun(a.charCodeAt(i))) i++;
    while (j < b.length && inRun(b.charCodeAt(j))) j++;
    // Different kinds of run: the numeric one is newer.
    if (sj === j) return numeric ? 1 : -1;
    const c = numeric
      ? compareDigits(a.slice(si, i), b.slice(sj, j))
      : compareStrings(a.slice(si, i), b.slice(sj, j));
    if (c !== 0) return c;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** Splits an EVR as rpmverParse does; undefined for the empty string (rpm refuses it). */
export function parseRpm(text: string): RpmVersion | undefined {
  if (text === '' || text.length > MAX_VERSION_LENGTH) return undefined;
  let s = 0;
  while (s < text.length && isDigitCode(text.charCodeAt(s))) s++;
  const hyphen = text.lastIndexOf('-');
  const se = hyphen >= s ? hyphen : -1;
  let epoch = '0';
  let vstart = 0;
  if (text.charCodeAt(s) === 58 /* ':' */) {
    if (s > 0) epoch = text.slice(0, s);
    vstart = s + 1;
  }
  const version = se >= 0 ? text.slice(vstart, se) : text.slice(vstart);
  const release = se >= 0 ? text.slice(se + 1) : undefined;
  return { epoch, version, release };
}

export function compareRpm(a: RpmVersion, b: RpmVersion): number {
  const c = rpmvercmp(a.epoch, b.epoch) || rpmvercmp(a.version, b.version);
  if (c !== 0) return c;
  if (a.release === undefined || b.release === undefined) {
    return a.release === b.release ? 0 : a.release === undefined ? -1 : 1;
  }
  return rpmvercmp(a.release, b.release);
}

export const rpm: VersionScheme<RpmVersion> = { name: 'rpm', parse: parseRpm, compare: compareRpm };

/**
 * One rpm version or release string ordered by rpmvercmp alone (no epoch or
 * release split), as a scheme; every string, even the empty one, is one.
 */
export const rpmSegment: VersionScheme<string> = {
  name: 'rpm-vercmp',
  parse: (text) => (text.length > MAX_VERSION_LENGTH ? undefined : text),
  compare: rpmvercmp,
};
