/**
 * PEP 440 versions and version specifiers: the PyPI ordering for advisory
 * matching, and what the lockfile analyzers need (validating requirements.txt
 * pins, resolving poetry.lock dependency ranges). Ordering follows the PEP (and
 * Python's `packaging`), with numbers of any length compared exactly (bigint);
 * specifier syntax also accepts what Trivy's go-pep440-version accepts: a bare
 * version (`2.0` means `==2.0`), `=`, `*`, space- or comma-separated clauses,
 * and `||` for "or".
 */
import { MAX_VERSION_LENGTH, type VersionScheme } from './scheme.js';

// The version pattern from PEP 440, Appendix B.
const VERSION_RE = new RegExp(
  '^\\s*v?(?:(?:([0-9]+)!)?([0-9]+(?:\\.[0-9]+)*)' +
    '([-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?([0-9]+)?)?' +
    '((?:-([0-9]+))|(?:[-_.]?(post|rev|r)[-_.]?([0-9]+)?))?' +
    '([-_.]?(dev)[-_.]?([0-9]+)?)?)' +
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\\s*$',
  'i',
);

export interface Pep440Version {
  epoch: bigint;
  release: bigint[];
  pre?: [string, bigint];
  post?: bigint;
  dev?: bigint;
  local?: (string | bigint)[];
}

function num(s: string | undefined): bigint {
  return s === undefined || s === '' ? 0n : BigInt(s);
}

/** Parses a PEP 440 version; undefined when it is not one. */
export function parsePep440(text: string): Pep440Version | undefined {
  if (text.length > MAX_VERSION_LENGTH) return undefined;
  const m = VERSION_RE.exec(text);
  if (!m) return undefined;
  const v: Pep440Version = { epoch: num(m[1]), release: (m[2] ?? '0').split('.').map(BigInt) };
  if (m[4] !== undefined) {
    const l = m[4].toLowerCase();
    const letter =
      l === 'alpha' ? 'a' : l === 'beta' ? 'b' : l === 'c' || l === 'pre' || l === 'preview' ? 'rc' : l;
    v.pre = [letter, num(m[5])];
  }
  if (m[6] !== undefined) v.post = m[7] !== undefined ? num(m[7]) : num(m[9]);
  if (m[11] !== undefined) v.dev = num(m[12]);
  if (m[13] !== undefined)
    v.local = m[13]
      .toLowerCase()
      .split(/[-_.]/)
      .map((p) => (/^[0-9]+$/.test(p) ? BigInt(p) : p));
  return v;
}

export function isPep440(text: string): boolean {
  return text.length <= MAX_VERSION_LENGTH && VERSION_RE.test(text);
}

const PRE_ORDER: Record<string, number> = { a: 0, b: 1, rc: 2 };

/** Orders numbers, where ±Infinity stand for packaging's Infinity and NegativeInfinity. */
function cmpNum(a: bigint | number, b: bigint | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpRelease(a: bigint[], b: bigint[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = cmpNum(a[i] ?? 0n, b[i] ?? 0n);
    if (c !== 0) return c;
  }
  return 0;
}

function cmpLocal(a: (string | bigint)[] | undefined, b: (string | bigint)[] | undefined): number {
  if (!a && !b) return 0;
  if (!a) return -1;
  if (!b) return 1;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'bigint' && typeof y === 'bigint') {
      if (x !== y) return cmpNum(x, y);
    } else if (typeof x === 'bigint') return 1;
    else if (typeof y === 'bigint') return -1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The pre-release key: dev-only releases sort before any pre-release, finals after. */
function preKey(v: Pep440Version): [number, bigint] {
  if (v.pre) return [PRE_ORDER[v.pre[0]] ?? 0, v.pre[1]];
  if (v.post === undefined && v.dev !== undefined) return [-Infinity, 0n];
  return [Infinity, 0n];
}

/** Compares two versions: negative, zero or positive. */
export function comparePep440(a: Pep440Version, b: Pep440Version): number {
  let c = cmpNum(a.epoch, b.epoch) || cmpRelease(a.release, b.release);
  if (c !== 0) return c;
  const pa = preKey(a);
  const pb = preKey(b);
  c = cmpNum(pa[0], pb[0]) || cmpNum(pa[1], pb[1]);
  if (c !== 0) return c;
  c = cmpNum(a.post ?? -Infinity, b.post ?? -Infinity);
  if (c !== 0) return c;
  c = cmpNum(a.dev ?? Infinity, b.dev ?? Infinity);
  if (c !== 0) return c;
  return cmpLocal(a.local, b.local);
}

function isPrerelease(v: Pep440Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

function baseOf(v: Pep440Version): Pep440Version {
  return { epoch: v.epoch, release: v.release };
}

function publicOf(v: Pep440Version): Pep440Version {
  const { local: _local, ...rest } = v;
  return rest;
}

/** Canonical string of the public part, as packaging's `str(Version(...).public)`. */
function publicString(v: Pep440Version): string {
  let s = v.epoch ? `${String(v.epoch)}!` : '';
  s += v.release.join('.');
  if (v.pre) s += `${v.pre[0]}${String(v.pre[1])}`;
  if (v.post !== undefined) s += `.post${String(v.post)}`;
  if (v.dev !== undefined) s += `.dev${String(v.dev)}`;
  return s;
}

/** Canonical string of the whole version, as packaging's `str(Version(...))`. */
export function pep440String(v: Pep440Version): string {
  return v.local ? `${publicString(v)}+${v.local.join('.')}` : publicString(v);
}

/** packaging's _version_split: epoch, release numbers, then the rest split on dots. */
function versionSplit(s: string): string[] {
  const bang = s.indexOf('!');
  const epoch = bang < 0 ? '0' : s.slice(0, bang);
  const rest = bang < 0 ? s : s.slice(bang + 1);
  const out = [epoch];
  for (const item of rest.split('.')) {
    const m = /^([0-9]+)((?:a|b|c|rc)[0-9]+)$/.exec(item);
    if (m) out.push(m[1] ?? '', m[2] ?? '');
    else out.push(item);
  }
  return out;
}

function prefixMatch(candidate: Pep440Version, specPrefix: string): boolean {
  const spec = parsePep440(specPrefix);
  if (!spec) return false;
  const specParts = versionSplit(publicString(spec));
  const candParts = versionSplit(publicString(publicOf(candidate)));
  // Pad the candidate's release with zeros to the length of the spec's release.
  const specRelease = specParts.slice(1).filter((p) => /^[0-9]+$/.test(p)).length;
  const candReleaseEnd = 1 + candidate.release.length;
  const padded = [...candParts.slice(0, candReleaseEnd)];
  while (padded.length - 1 < specRelease) padded.push('0');
  padded.push(...candParts.slice(candReleaseEnd));
  return specParts.every((p, i) => padded[i] === p);
}

type Clause = { op: string; version: string };

function checkClause(v: Pep440Version, { op, version }: Clause): boolean {
  // Arbitrary equality: the version's canonical spelling against the specifier's, as written.
  if (op === '===') return pep440String(v) === version.trim().toLowerCase();
  if (version === '*') return op === '==' || op === '=';
  const wildcard = version.endsWith('.*');
  if (wildcard) {
    if (op === '==' || op === '=') return prefixMatch(v, version.slice(0, -2));
    if (op === '!=') return !prefixMatch(v, version.slice(0, -2));
    return false;
  }
  const spec = parsePep440(version);
  if (!spec) return false;
  switch (op) {
    case '==':
    case '=':
      return spec.local ? comparePep440(v, spec) === 0 : comparePep440(publicOf(v), spec) === 0;
    case '!=':
      return spec.local ? comparePep440(v, spec) !== 0 : comparePep440(publicOf(v), spec) !== 0;
    case '<=':
      return comparePep440(publicOf(v), spec) <= 0;
    case '>=':
      return comparePep440(publicOf(v), spec) >= 0;
    case '<':
      if (comparePep440(v, spec) >= 0) return false;
      return !(!isPrerelease(spec) && isPrerelease(v) && comparePep440(baseOf(v), baseOf(spec)) === 0);
    case '>':
      if (comparePep440(v, spec) <= 0) return false;
      if (spec.post === undefined && v.post !== undefined && comparePep440(baseOf(v), baseOf(spec)) === 0)
        return false;
      return !(v.local && comparePep440(baseOf(v), baseOf(spec)) === 0);
    case '~=': {
      if (spec.release.length < 2) return false;
      const prefix = spec.release.slice(0, -1).join('.');
      const epoch = spec.epoch ? `${String(spec.epoch)}!` : '';
      return comparePep440(publicOf(v), spec) >= 0 && prefixMatch(v, epoch + prefix);
    }
    default:
      return false;
  }
}

const CLAUSE_RE = /(~=|===|==|!=|<=|>=|<|>|=)?\s*((?:v?[0-9]+!)?[^\s,<>=!~|]+)/g;

/** A parsed specifier: alternatives (`||`) of clause lists (all must hold). */
export type Pep440Specifier = Clause[][];

/** Parses a specifier such as `>=1.0,<2` or `~= 0.9, != 1.3.4.* || ==1.0`; undefined when malformed. */
export function parsePep440Specifier(text: string): Pep440Specifier | undefined {
  const out: Pep440Specifier = [];
  for (const alt of text.split('||')) {
    const clauses: Clause[] = [];
    const s = alt.trim();
    if (s === '') return undefined;
    CLAUSE_RE.lastIndex = 0;
    let consumed = '';
    for (let m = CLAUSE_RE.exec(s); m; m = CLAUSE_RE.exec(s)) {
      const op = m[1] ?? '==';
      const version = m[2] ?? '';
      if (version !== '*' && !version.endsWith('.*') && !isPep440(version)) return undefined;
      clauses.push({ op, version });
      consumed += m[0];
    }
    // Everything but separators must have been understood.
    if (consumed.replace(/[\s,]/g, '') !== s.replace(/[\s,]/g, '')) return undefined;
    if (clauses.length === 0) return undefined;
    out.push(clauses);
  }
  return out;
}

/** Does the version satisfy the specifier? Pre-releases are allowed (as Trivy's poetry parser asks). */
export function satisfiesPep440(version: Pep440Version, spec: Pep440Specifier): boolean {
  return spec.some((clauses) => clauses.every((c) => checkClause(version, c)));
}

export const pep440: VersionScheme<Pep440Version> = {
  name: 'pep440',
  parse: parsePep440,
  compare: comparePep440,
};
