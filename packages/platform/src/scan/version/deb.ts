/**
 * Debian package versions, ordered as dpkg orders them (`dpkg --compare-versions`):
 * `[epoch:]upstream[-revision]`, the revision after the last hyphen; upstream and
 * revision are compared by dpkg's verrevcmp: alternating non-digit and digit runs,
 * non-digits by a character order in which `~` sorts before everything (even the
 * end of the string), letters before other characters, and digit runs by value.
 *
 * Parsing follows dpkg's parseversion: what dpkg refuses as an error (empty
 * version, embedded spaces, a bad epoch, nothing after the colon, an empty
 * revision) is not a version; what dpkg only warns about (no leading digit,
 * unusual characters) still compares, as dpkg compares it. dpkg compares bytes
 * (C `char`, signed on the machines it runs on), so a version with non-ASCII
 * characters is compared on its UTF-8 bytes.
 */
import { MAX_VERSION_LENGTH, compareDigits, isAlphaCode, isDigitCode, type VersionScheme } from './scheme.js';

export interface DebVersion {
  epoch: number;
  upstream: string;
  /** '' when the version has no revision. */
  revision: string;
}

const INT_MAX = 2147483647;

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** The string as a sequence of byte values (one char per UTF-8 byte), as dpkg sees it. */
function bytes(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  let out = '';
  for (const b of new TextEncoder().encode(s)) out += String.fromCharCode(b);
  return out;
}

/** Parses a Debian version; undefined where dpkg reports an error. */
export function parseDeb(text: string): DebVersion | undefined {
  if (text.length > MAX_VERSION_LENGTH) return undefined;
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  if (start === end) return undefined;
  let s = text.slice(start, end);
  for (let i = 0; i < s.length; i++) if (isSpace(s.charCodeAt(i))) return undefined;

  let epoch = 0;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    // strtol: an optional sign, then digits, which must run exactly up to the colon.
    const m = /^([+-]?)([0-9]+)$/.exec(s.slice(0, colon));
    if (!m) return undefined;
    const digits = (m[2] ?? '').replace(/^0+(?=.)/, '');
    if (m[1] === '-' && digits !== '0') return undefined;
    if (digits.length > 10 || Number(digits) > INT_MAX) return undefined;
    epoch = Number(digits);
    s = s.slice(colon + 1);
    if (s === '') return undefined;
  }
  const hyphen = s.lastIndexOf('-');
  const upstream = hyphen >= 0 ? s.slice(0, hyphen) : s;
  const revision = hyphen >= 0 ? s.slice(hyphen + 1) : '';
  if (hyphen >= 0 && revision === '') return undefined;
  if (upstream === '') return undefined;
  return { epoch, upstream: bytes(upstream), revision: bytes(revision) };
}

/** dpkg's character weight: digits 0 (and the end), '~' first, letters, then everything else. */
function order(c: number): number {
  if (Number.isNaN(c) || isDigitCode(c)) return 0;
  if (isAlphaCode(c)) return c;
  if (c === 126) return -1;
  // Bytes >= 0x80 are negative C chars: c - 256 + 256.
  return c >= 128 ? c : c + 256;
}

/** dpkg's verrevcmp over one upstream version or revision. */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (
      (i < a.length && !isDigitCode(a.charCodeAt(i))) ||
      (j < b.length && !isDigitCode(b.charCodeAt(j)))
    ) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    const si = i;
    const sj = j;
    while (i < a.length && isDigitCode(a.charCodeAt(i))) i++;
    while (j < b.length && isDigitCode(b.charCodeAt(j))) j++;
    const c = compareDigits(a.slice(si, i) || '0', b.slice(sj, j) || '0');
    if (c !== 0) return c;
  }
  return 0;
}

export function compareDeb(a: DebVersion, b: DebVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

export const deb: VersionScheme<DebVersion> = { name: 'deb', parse: parseDeb, compare: compareDeb };
