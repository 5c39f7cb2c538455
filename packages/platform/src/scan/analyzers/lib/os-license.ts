/**
 * License names from OS package metadata, split and normalised the way
 * Trivy's `licensing.LaxSplitLicenses` + `licensing.Normalize` do for apk's
 * `L:` field: `MIT BSD GPL2+` → `MIT`, `BSD-3-Clause`, `GPL-2.0-or-later`;
 * `( Apache-2.0 OR MIT ) AND MPL-2.0` → `Apache-2.0`, `MIT`, `MPL-2.0`.
 *
 * Steps: glue a version onto the name before it (`GPL 2` / `GPLv2` →
 * `GPL-2`), split at white space, drop parentheses and the AND/OR operators,
 * then normalise each name: upper-case it, strip `The`, `License` and
 * `-only`, note a `+` / `-or-later` / ` or later` suffix, and look the rest up
 * in a table of common names. Names not in the table are kept as written.
 * GNU licenses come out with SPDX's `-only` / `-or-later`; others with `+`
 * when a later version is allowed.
 *
 * The table is Palisade's own and covers the names OS packages use; Trivy's
 * (from the ORT project) is larger and also maps long free-text names found
 * in language package metadata. A shared license normaliser for all
 * analyzers would supersede this one.
 */

/** SPDX ids that take `-only` / `-or-later` (GNU licenses). */
const gnuLicenses = new Set([
  'AGPL-1.0',
  'AGPL-3.0',
  'GFDL-1.1',
  'GFDL-1.1-invariants',
  'GFDL-1.1-no-invariants',
  'GFDL-1.2',
  'GFDL-1.2-invariants',
  'GFDL-1.2-no-invariants',
  'GFDL-1.3',
  'GFDL-1.3-invariants',
  'GFDL-1.3-no-invariants',
  'GPL-1.0',
  'GPL-2.0',
  'GPL-3.0',
  'LGPL-2.0',
  'LGPL-2.1',
  'LGPL-3.0',
]);

/** Standardised key → [SPDX id, whether the bare name allows later versions]. */
const table = new Map<string, readonly [string, boolean]>();
function map(spdx: string, keys: readonly string[], plus = false): void {
  for (const k of keys) table.set(k, [spdx, plus]);
}
// Bare names that need a guess (the guesses Trivy makes).
map('GPL-2.0', ['GPL', 'GNU GPL', 'GNU PUBLIC'], true);
map('LGPL-2.0', ['LGPL'], true);
map('GFDL-1.3', ['FDL', 'GFDL'], true);
map('AGPL-3.0', ['AGPL']);
map('AFL-3.0', ['AFL']);
map('Apache-2.0', ['APACHE', 'APACHE-STYLE', 'ASL', 'AL-2', 'AL-2.0']);
map('Artistic-2.0', ['ARTISTIC']);
map('BSD-3-Clause', [
  'BSD',
  'BSD*',
  'BSD-LIKE',
  'BSD-STYLE',
  'BSD-VARIANT',
  'NEW BSD',
  'MODIFIED BSD',
  'REVISED BSD',
]);
map('CDDL-1.0', ['CDDL']);
map('EPL-1.0', ['EPL', 'ECLIPSE']);
map('EUPL-1.0', ['EUPL']);
map('MPL-2.0', ['MPL']);
map('Python-2.0', ['PYTHON']);
map('ZPL-2.1', ['ZOPE']);
// Versioned names.
map('GPL-1.0', ['GPL-1', 'GPL-1.0']);
map('GPL-2.0', ['GPL-2', 'GPL-2.0']);
map('GPL-3.0', ['GPL-3', 'GPL-3.0']);
map('LGPL-2.0', ['LGPL-2', 'LGPL-2.0']);
map('LGPL-2.1', ['LGPL-2.1']);
map('LGPL-3.0', ['LGPL-3', 'LGPL-3.0']);
map('AGPL-1.0', ['AGPL-1.0']);
map('AGPL-3.0', ['AGPL-3', 'AGPL-3.0']);
map('GFDL-1.1', ['GFDL-1.1']);
map('GFDL-1.2', ['GFDL-1.2']);
map('GFDL-1.3', ['GFDL-1.3']);
map('Apache-1.0', ['APACHE-1', 'APACHE-1.0', 'ASL-1', 'ASL-1.0', 'ASF-1', 'ASF-1.0']);
map('Apache-1.1', ['APACHE-1.1', 'ASL-1.1', 'ASF-1.1']);
map('Apache-2.0', ['APACHE-2', 'APACHE-2.0', 'ASL-2', 'ASL-2.0', 'ASF-2', 'ASF-2.0', 'APL-2', 'APL-2.0']);
map('Artistic-1.0', ['ARTISTIC-1.0']);
map('Artistic-1.0-Perl', ['ARTISTIC-1.0-PERL']);
map('Artistic-2.0', ['ARTISTIC-2.0']);
map('0BSD', ['0BSD']);
map('BSD-2-Clause', ['BSD-2', 'BSD-2-CLAUSE', 'SIMPLIFIED BSD']);
map('BSD-3-Clause', ['BSD-3', 'BSD-3-CLAUSE']);
map('BSD-4-Clause', ['BSD-4', 'BSD-4-CLAUSE']);
map('BSL-1.0', ['BOOST', 'BOOST-1.0', 'BSL', 'BSL-1.0']);
map('CC0-1.0', ['CC0', 'CC0-1.0']);
map('CC-BY-3.0', ['CC-BY-3.0']);
map('CC-BY-4.0', ['CC-BY-4.0']);
map('CC-BY-SA-3.0', ['CC-BY-SA-3.0']);
map('CC-BY-SA-4.0', ['CC-BY-SA-4.0']);
map('CDDL-1.0', ['CDDL-1', 'CDDL-1.0']);
map('CDDL-1.1', ['CDDL-1.1']);
map('CPL-1.0', ['CPL', 'CPL-1.0']);
map('EPL-1.0', ['EPL-1.0', 'ECLIPSE-1.0']);
map('EPL-2.0', ['EPL-2.0', 'ECLIPSE-2.0']);
map('ISC', ['ISC', 'ISCL']);
map('Libpng', ['LIBPNG']);
map('MIT', ['MIT', 'MIT-0', 'MIT-LIKE', 'MIT-STYLE', 'EXPAT', 'MIT/EXPAT']);
map('MPL-1.0', ['MPL-1', 'MPL-1.0']);
map('MPL-1.1', ['MPL-1.1']);
map('MPL-2.0', ['MPL-2', 'MPL-2.0']);
map('MS-PL', ['MS-PL']);
map('NCSA', ['NCSA']);
map('OFL-1.1', ['OFL-1.1']);
map('OpenSSL', ['OPENSSL']);
map('PostgreSQL', ['POSTGRESQL']);
map('Python-2.0', ['PYTHON-2', 'PYTHON-2.0']);
map('Ruby', ['RUBY']);
map('Unlicense', ['UNLICENSE', 'UNLICENSED']);
map('UPL-1.0', ['UPL-1', 'UPL-1.0']);
map('W3C', ['W3C', 'W3CL']);
map('WTFPL', ['WTF', 'WTFPL']);
map('X11', ['X11']);
map('Zlib', ['ZLIB']);
map('zlib-acknowledgement', ['ZLIB-ACKNOWLEDGEMENT']);
map('ZPL-2.1', ['ZPL-2.1', 'ZOPE-2.1']);

// A name followed by a version: `GPL 2`, `GPLv2`, `GPL-2.0`, `Apache License, Version 2.0`.
// (The name class leaves out V so that the `v` of `GPLv2` is read as the version marker.)
const versionPattern =
  '([A-UW-Z)]{2,})( LICENSE)?\\s*[,(-]?\\s*(V|V\\.|VERSION|VERSION-|-)?\\s*([1-9](\\.\\d)*)[)]?';
const versionAnywhere = new RegExp(versionPattern, 'gi');
const versionAtEnd = new RegExp(`${versionPattern}$`);

function cut(s: string, suffix: string): string {
  return s.endsWith(suffix) ? s.slice(0, -suffix.length) : s;
}

/**
 * Bounds for the version-gluing regular expressions, whose backtracking grows
 * quadratically with the length of a run of letters: real license fields are
 * a few dozen characters; longer input is split and kept as written.
 */
const maxGlueLength = 1024;
const maxNameLength = 256;

/** Normalises one license name (see the module comment); unknown names are returned unchanged. */
export function normalizeLicense(name: string): string {
  if (name.length > maxNameLength) return name;
  let key = name
    .split(/\s+/)
    .filter((w) => w !== '')
    .join(' ')
    .toUpperCase();
  let plus = false;
  if (!key.startsWith('HTTP')) {
    key = key.replaceAll('LICENCE', 'LICENSE');
    if (key.startsWith('THE ')) key = key.slice(4);
    for (const s of [' LICENSE', ' LICENSED', '-LICENSE', '-LICENSED']) key = cut(key, s);
    if (key !== 'UNLICENSE') key = cut(key, 'LICENSE');
    if (key !== 'UNLICENSED') key = cut(key, 'LICENSED');
    for (const s of ['+', '-OR-LATER', ' OR LATER']) {
      if (key.endsWith(s)) {
        key = key.slice(0, -s.length);
        plus = true;
      }
    }
    for (const s of ['-ONLY', ' ONLY']) key = cut(key, s);
    key = key.replace(versionAtEnd, '$1-$4');
  }
  const found = table.get(key);
  if (!found) return name;
  const [spdx, bare] = found;
  const later = plus || bare;
  if (gnuLicenses.has(spdx)) return `${spdx}${later ? '-or-later' : '-only'}`;
  return later ? `${spdx}+` : spdx;
}

function trimParens(word: string): string {
  let start = 0;
  let end = word.length;
  while (start < end && (word[start] === '(' || word[start] === ')')) start++;
  while (end > start && (word[end - 1] === '(' || word[end - 1] === ')')) end--;
  return word.slice(start, end);
}

/** Splits a space-separated license field (apk `L:`) into normalised names. */
export function laxSplitLicenses(field: string): string[] {
  // White space is collapsed first: runs of it would make the three \s* of the
  // pattern backtrack cubically, and the split below ignores runs anyway.
  let text = field
    .split(/\s+/)
    .filter((w) => w !== '')
    .join(' ');
  if (text === '') return [];
  if (text.length <= maxGlueLength) text = text.replace(versionAnywhere, '$1-$4');
  const out: string[] = [];
  for (const word of text.split(' ')) {
    const s = trimParens(word);
    if (s === '' || s === 'AND' || s === 'OR') continue;
    out.push(normalizeLicense(s));
  }
  return out;
}
