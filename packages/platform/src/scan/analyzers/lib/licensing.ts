/**
 * Trivy's licensing.SplitLicenses, which its Python (METADATA, PKG-INFO),
 * Ruby (gemspec) and PHP (composer) parsers apply to a free-text license
 * field. OS package licenses go through lib/os-license.ts instead.
 */

// Separators and exceptions of Trivy's licensing.SplitLicenses.
const LICENSE_SPLIT_RE = /(,?[_ ]+(?:or|and)[_ ]+)|(,[ ]*)/;
const LICENSE_TEXT_KEYWORDS = [
  'http://',
  'https://',
  '(c)',
  'as-is',
  ';',
  'hereby',
  'permission to use',
  'permission is',
  'use in source',
  'use, copy, modify',
  'using',
];
// Licenses whose names contain " or "/" and " that the split would break.
const PYTHON_LICENSE_EXCEPTIONS: Record<string, string> = {
  lesser: 'GNU Library or Lesser General Public License (LGPL)',
  distribution: 'Common Development and Distribution License 1.0 (CDDL-1.0)',
  disclaimer: 'Historical Permission Notice and Disclaimer (HPND)',
};

/** Trivy marks a license field that is really license text with this prefix. */
export const LICENSE_TEXT_PREFIX = 'text://';

/**
 * Splits a license field into licenses as Trivy's licensing.SplitLicenses
 * does: on commas and " or " / " and ", keeping `Apache License, Version 2.0`
 * and `… v2 or later (LGPLv2+)` whole; a field that looks like license text
 * is kept whole with a `text://` prefix.
 */
export function splitLicenses(str: string): string[] {
  if (str === '') return [];
  const lower = str.toLowerCase();
  if (LICENSE_TEXT_KEYWORDS.some((k) => lower.includes(k))) return [LICENSE_TEXT_PREFIX + str];
  const parts = splitKeepingNothing(str);
  const out: string[] = [];
  for (const part of parts) {
    const firstWord = part.toLowerCase().split(' ')[0] ?? '';
    const last = out.length - 1;
    if (last >= 0) {
      if (firstWord === 'ver' || firstWord === 'version') {
        out[last] += `, ${part}`;
        continue;
      }
      if (firstWord === 'later') {
        out[last] += ` or ${part}`;
        continue;
      }
      const exception = PYTHON_LICENSE_EXCEPTIONS[firstWord];
      if (exception !== undefined) {
        if (exception === `${out[last]} or ${part}` || exception === `${out[last]} and ${part}`)
          out[last] = exception;
        continue;
      }
    }
    out.push(part);
  }
  return out;
}

/** Go's regexp.Split(s, -1): the pieces between matches (no capture groups kept). */
function splitKeepingNothing(s: string): string[] {
  const out: string[] = [];
  let rest = s;
  for (;;) {
    const m = LICENSE_SPLIT_RE.exec(rest);
    if (!m || m[0] === '') {
      out.push(rest);
      return out;
    }
    out.push(rest.slice(0, m.index));
    rest = rest.slice(m.index + m[0].length);
  }
}
