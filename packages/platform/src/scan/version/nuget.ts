/**
 * NuGet package versions, as NuGet.Versioning's NuGetVersion.TryParse reads
 * them and its default VersionComparer orders them:
 *
 * - `Major.Minor[.Patch[.Revision]][-Release][+Metadata]` (a lone `Major` too);
 *   the numbers as System.Version reads them (each a non-negative 32-bit integer,
 *   leading zeros, a sign and surrounding white space tolerated); release labels
 *   and metadata of `[0-9A-Za-z-]`, numeric release labels without leading zeros;
 * - the four numbers by value (missing ones are 0, so `1.0` = `1.0.0.0`); a
 *   release after its pre-releases; release labels one by one as in SemVer 2.0,
 *   except that a label is numeric when it parses as a 32-bit integer (so `-1`
 *   is), and others compare case-insensitively (`1.0.0-RC1` = `1.0.0-rc1`);
 *   metadata is ignored.
 */
import { MAX_VERSION_LENGTH, compareDigits, compareStrings, type VersionScheme } from './scheme.js';

export interface NuGetVersion {
  /** Major, minor, patch, revision: digit strings without leading zeros. */
  numbers: [string, string, string, string];
  release: string[];
}

const INT32_MAX = '2147483647';

function fitsInt32(digits: string): boolean {
  const d = digits.replace(/^0+(?=.)/, '');
  return d.length < 10 || (d.length === 10 && d <= INT32_MAX);
}

/** int.TryParse with NumberStyles.Integer: white space around, an optional sign, digits. */
function parseInt32(text: string): { negative: boolean; digits: string } | undefined {
  const m = /^[\t\n\v\f\r ]*([+-]?)([0-9]+)[\t\n\v\f\r ]*$/.exec(text);
  if (!m) return undefined;
  const digits = (m[2] ?? '').replace(/^0+(?=.)/, '');
  const negative = m[1] === '-' && digits !== '0';
  if (!fitsInt32(digits) && !(negative && digits === '2147483648')) return undefined;
  return { negative, digits };
}

/** SemanticVersion.IsValidPart: non-empty, [0-9A-Za-z-], no leading zero on an all-digit part. */
function isValidPart(part: string, allowLeadingZeros: boolean): boolean {
  if (!/^[0-9A-Za-z-]+$/.test(part)) return false;
  return allowLeadingZeros || !(part.length > 1 && part.charCodeAt(0) === 48 && /^[0-9]+$/.test(part));
}

/** Parses a NuGet version; undefined when NuGetVersion.TryParse would refuse it. */
export function parseNuGet(text: string): NuGetVersion | undefined {
  if (text.length > MAX_VERSION_LENGTH) return undefined;
  const value = text.trim();
  // ParseSections: the version up to the first '-' or '+', labels up to the next '+', then metadata.
  const dash = value.search(/[-+]/);
  let versionPart = dash < 0 ? value : value.slice(0, dash);
  let labels: string[] | undefined;
  let metadata: string | undefined;
  if (dash >= 0) {
    // A separator at the very end stays in the version part (and so fails there).
    if (dash === value.length - 1) return undefined;
    const rest = value.slice(dash + 1);
    if (value[dash] === '+') metadata = rest;
    else {
      const plus = rest.indexOf('+');
      if (plus < 0) labels = rest.split('.');
      else if (plus === rest.length - 1) return undefined;
      else {
        labels = rest.slice(0, plus).split('.');
        metadata = rest.slice(plus + 1);
      }
    }
  }
  if (versionPart === '') return undefined;
  if (!versionPart.includes('.')) versionPart += '.0';
  const parts = versionPart.split('.');
  if (parts.length > 4) return undefined;
  const numbers: string[] = [];
  for (const part of parts) {
    const n = parseInt32(part);
    if (!n || n.negative) return undefined;
    numbers.push(n.digits);
  }
  if (labels && !labels.every((l) => isValidPart(l, false))) return undefined;
  if (metadata !== undefined && !metadata.split('.').every((m) => isValidPart(m, true))) return undefined;
  const n = (i: number): string => numbers[i] ?? '0';
  return { numbers: [n(0), n(1), n(2), n(3)], release: labels ?? [] };
}

function compareLabel(a: string, b: string): number {
  const an = parseInt32(a);
  const bn = parseInt32(b);
  if (an && bn) {
    if (an.negative !== bn.negative) return an.negative ? -1 : 1;
    return an.negative ? -compareDigits(an.digits, bn.digits) : compareDigits(an.digits, bn.digits);
  }
  if (an) return -1;
  if (bn) return 1;
  // StringComparer.OrdinalIgnoreCase: code units after upper-casing (labels are ASCII).
  return compareStrings(a.toUpperCase(), b.toUpperCase());
}

export function compareNuGet(a: NuGetVersion, b: NuGetVersion): number {
  for (let i = 0; i < 4; i++) {
    const c = compareDigits(a.numbers[i] ?? '0', b.numbers[i] ?? '0');
    if (c !== 0) return c;
  }
  if (a.release.length === 0 || b.release.length === 0) {
    return a.release.length === b.release.length ? 0 : a.release.length === 0 ? 1 : -1;
  }
  const n = Math.min(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    const c = compareLabel(a.release[i] ?? '', b.release[i] ?? '');
    if (c !== 0) return c;
  }
  return a.release.length === b.release.length ? 0 : a.release.length < b.release.length ? -1 : 1;
}

export const nuget: VersionScheme<NuGetVersion> = { name: 'nuget', parse: parseNuGet, compare: compareNuGet };
