/**
 * Semantic versions and ranges as blang/semver v4 (what Kyverno's
 * semver_compare uses): strict "MAJOR.MINOR.PATCH[-pre][+build]" versions,
 * ranges of space-separated comparators (AND) joined by "||" (OR), operators
 * = == != ! > >= < <=, and "x" wildcards in the minor or patch position.
 */

export interface SemVer {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: (string | bigint)[];
}

const NUM = '(0|[1-9][0-9]*)';
const IDENT = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
const VERSION_RE = new RegExp(
  `^${NUM}\\.${NUM}\\.${NUM}(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`,
);

export class SemverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SemverError';
  }
}

export function parseSemver(text: string): SemVer {
  const m = VERSION_RE.exec(text);
  if (!m) throw new SemverError(`Invalid character(s) found in version ${JSON.stringify(text)}`);
  const pre = m[4] ? m[4].split('.').map((p) => (/^[0-9]+$/.test(p) ? BigInt(p) : p)) : [];
  return { major: BigInt(m[1] ?? '0'), minor: BigInt(m[2] ?? '0'), patch: BigInt(m[3] ?? '0'), pre };
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareSemver(a: SemVer, b: SemVer): number {
  const c = cmp(a.major, b.major) || cmp(a.minor, b.minor) || cmp(a.patch, b.patch);
  if (c !== 0) return c;
  if (a.pre.length === 0 && b.pre.length === 0) return 0;
  if (a.pre.length === 0) return 1;
  if (b.pre.length === 0) return -1;
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i] as string | bigint;
    const y = b.pre[i] as string | bigint;
    if (typeof x === 'bigint' && typeof y === 'bigint') {
      const r = cmp(x, y);
      if (r !== 0) return r;
    } else if (typeof x === 'bigint') return -1;
    else if (typeof y === 'bigint') return 1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return a.pre.length - b.pre.length === 0 ? 0 : a.pre.length < b.pre.length ? -1 : 1;
}

type Op = '=' | '!=' | '>' | '>=' | '<' | '<=';
interface Comparator {
  op: Op;
  v: SemVer;
}
type Range = Comparator[][]; // OR of ANDs

function normalizeOp(op: string): Op {
  switch (op) {
    case '':
    case '=':
    case '==':
      return '=';
    case '!':
    case '!=':
      return '!=';
    default:
      return op as Op;
  }
}

function v(major: bigint, minor: bigint, patch: bigint): SemVer {
  return { major, minor, patch, pre: [] };
}

/** Expands one comparator, possibly with a wildcard, into an OR of ANDs. */
function expandComparator(op: Op, text: string, orig: string): Range {
  const parts = text.split('.');
  const wild = (s: string | undefined): boolean => s === 'x' || s === 'X' || s === '*';
  if (parts.length === 3 && !wild(parts[1]) && !wild(parts[2])) {
    return [[{ op, v: parseSemver(text) }]];
  }
  const majorText = parts[0] ?? '';
  if (!/^(0|[1-9][0-9]*)$/.test(majorText))
    throw new SemverError(`Could not parse Range ${JSON.stringify(orig)}`);
  const major = BigInt(majorText);
  let lo: SemVer;
  let hi: SemVer;
  if (parts.length === 2 || (parts.length === 3 && wild(parts[1]))) {
    if (!wild(parts[1]) || (parts.length === 3 && !wild(parts[2]))) {
      throw new SemverError(`Could not parse Range ${JSON.stringify(orig)}`);
    }
    lo = v(major, 0n, 0n);
    hi = v(major + 1n, 0n, 0n);
  } else if (parts.length === 3 && wild(parts[2])) {
    const minorText = parts[1] ?? '';
    if (!/^(0|[1-9][0-9]*)$/.test(minorText))
      throw new SemverError(`Could not parse Range ${JSON.stringify(orig)}`);
    lo = v(major, BigInt(minorText), 0n);
    hi = v(major, BigInt(minorText) + 1n, 0n);
  } else {
    throw new SemverError(`Could not parse Range ${JSON.stringify(orig)}`);
  }
  switch (op) {
    case '>':
      return [[{ op: '>=', v: hi }]];
    case '>=':
      return [[{ op: '>=', v: lo }]];
    case '<':
      return [[{ op: '<', v: lo }]];
    case '<=':
      return [[{ op: '<', v: hi }]];
    case '=':
      return [
        [
          { op: '>=', v: lo },
          { op: '<', v: hi },
        ],
      ];
    case '!=':
      return [[{ op: '<', v: lo }], [{ op: '>=', v: hi }]];
  }
}

export function parseSemverRange(text: string): Range {
  const result: Range = [];
  for (const orPart of text.split('||')) {
    // Join a bare operator with the version that follows it (">= 1.2.3").
    const raw = orPart.trim().split(/\s+/).filter(Boolean);
    const tokens: string[] = [];
    for (let i = 0; i < raw.length; i++) {
      const t = raw[i] ?? '';
      if (/^(==|!=|>=|<=|=|!|>|<)$/.test(t) && i + 1 < raw.length) {
        tokens.push(t + (raw[i + 1] ?? ''));
        i++;
      } else tokens.push(t);
    }
    if (tokens.length === 0) throw new SemverError(`Could not parse Range ${JSON.stringify(text)}`);
    let ands: Range = [[]];
    for (const t of tokens) {
      const m = /^(==|!=|>=|<=|=|!|>|<)?(.*)$/.exec(t);
      const op = normalizeOp(m?.[1] ?? '');
      const expanded = expandComparator(op, m?.[2] ?? '', text);
      const next: Range = [];
      for (const a of ands) for (const e of expanded) next.push([...a, ...e]);
      ands = next;
    }
    result.push(...ands);
  }
  return result;
}

function holds(c: Comparator, x: SemVer): boolean {
  const r = compareSemver(x, c.v);
  switch (c.op) {
    case '=':
      return r === 0;
    case '!=':
      return r !== 0;
    case '>':
      return r > 0;
    case '>=':
      return r >= 0;
    case '<':
      return r < 0;
    case '<=':
      return r <= 0;
  }
}

export function semverInRange(version: SemVer, range: Range): boolean {
  return range.some((and) => and.every((c) => holds(c, version)));
}
