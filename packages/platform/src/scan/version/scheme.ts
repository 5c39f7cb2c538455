/**
 * The contract every version comparator in this folder keeps, and the few
 * helpers they share. A scheme parses a version string once (undefined when
 * the string is not a version of that scheme) and orders parsed versions; it
 * never throws, and its work is linear in the length of its input, so a
 * hostile version string from an image or a lockfile costs what it weighs.
 */

export interface VersionScheme<V = unknown> {
  /** Short name of the ordering: 'deb', 'rpm', 'apk', 'semver', 'pep440'… */
  readonly name: string;
  /** Parses a version; undefined when the text is not a version of this scheme. */
  parse(text: string): V | undefined;
  /** Orders two parsed versions: negative, zero or positive. */
  compare(a: V, b: V): number;
}

/** Compares two version strings; undefined when either is not a version of the scheme. */
export function compareVersions<V>(scheme: VersionScheme<V>, a: string, b: string): number | undefined {
  const va = scheme.parse(a);
  if (va === undefined) return undefined;
  const vb = scheme.parse(b);
  if (vb === undefined) return undefined;
  return Math.sign(scheme.compare(va, vb));
}

/** Longest version string any scheme parses; longer input is not a version (bounds every parser). */
export const MAX_VERSION_LENGTH = 4096;

/**
 * Orders two strings of ASCII digits by numeric value, at any length (no
 * precision is lost past 2^53, as it would be with Number): leading zeros are
 * skipped, then the longer number is the larger, then the first differing digit decides.
 */
export function compareDigits(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Digits with leading zeros removed ('' and '000' become '0'). */
export function stripZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return digits.slice(i) || '0';
}

/** Plain code-unit string order (what C's strcmp and Java's String.compareTo give on ASCII). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isAlphaCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
