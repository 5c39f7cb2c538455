/**
 * String matchers used by the comparison operators: glob (fnmatch without
 * flags, as libsinsp), path-prefix (pmatch), IP networks, and regexes on
 * RE2 (linear time, via re2js) with a pattern length bound.
 */
import { RE2JS } from 're2js';

/** fnmatch(3) without flags: `*` (also across `/`), `?`, `[...]`, `[!...]`, backslash escapes. */
export function globMatch(pattern: string, text: string, caseInsensitive = false): boolean {
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  const t = caseInsensitive ? text.toLowerCase() : text;
  let pi = 0;
  let ti = 0;
  let starP = -1;
  let starT = 0;
  while (ti < t.length) {
    if (pi < p.length) {
      const c = p[pi] as string;
      if (c === '*') {
        starP = pi++;
        starT = ti;
        continue;
      }
      if (c === '?') {
        pi++;
        ti++;
        continue;
      }
      if (c === '[') {
        const r = matchClass(p, pi, t[ti] as string);
        if (r.end > 0 && r.ok) {
          pi = r.end;
          ti++;
          continue;
        }
        if (r.end < 0 && t[ti] === '[') {
          pi++;
          ti++;
          continue;
        }
      } else if (c === '\\' && pi + 1 < p.length) {
        if (p[pi + 1] === t[ti]) {
          pi += 2;
          ti++;
          continue;
        }
      } else if (c === t[ti]) {
        pi++;
        ti++;
        continue;
      }
    }
    if (starP >= 0) {
      pi = starP + 1;
      ti = ++starT;
      continue;
    }
    return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Matches `ch` against the bracket expression at p[i] ('['); end<0 when unterminated. */
function matchClass(p: string, i: number, ch: string): { ok: boolean; end: number } {
  let j = i + 1;
  let negate = false;
  if (p[j] === '!' || p[j] === '^') {
    negate = true;
    j++;
  }
  let ok = false;
  let first = true;
  while (j < p.length && (first || p[j] !== ']')) {
    first = false;
    let lo = p[j] as string;
    if (lo === '\\' && j + 1 < p.length) lo = p[++j] as string;
    j++;
    if (p[j] === '-' && j + 1 < p.length && p[j + 1] !== ']') {
      let hi = p[j + 1] as string;
      j += 2;
      if (hi === '\\' && j < p.length) hi = p[j++] as string;
      if (ch >= lo && ch <= hi) ok = true;
    } else if (ch === lo) ok = true;
  }
  if (j >= p.length) return { ok: false, end: -1 };
  return { ok: ok !== negate, end: j + 1 };
}

/** libsinsp path_prefix_search: the value is one of the paths or below one of them. */
export function pathPrefixMatcher(paths: readonly string[]): (v: string) => boolean {
  const exact = new Set<string>();
  const dirs: string[] = [];
  for (const p of paths) {
    const trimmed = p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
    exact.add(trimmed);
    dirs.push(trimmed === '/' ? '/' : `${trimmed}/`);
  }
  return (v) => {
    if (exact.has(v)) return true;
    for (const d of dirs) if (v.startsWith(d)) return true;
    return false;
  };
}

/** Bound on a regex pattern's length; RE2 is linear in the input, this bounds compile cost. */
export const MAX_REGEX_LENGTH = 4096;

/** Compiles a full-match (anchored both ends) RE2 regex; throws with RE2's message when invalid. */
export function compileRegex(pattern: string): (v: string) => boolean {
  if (pattern.length > MAX_REGEX_LENGTH) throw new Error(`regex longer than ${MAX_REGEX_LENGTH} characters`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    throw new Error(`invalid regular expression '${pattern}': ${(e as Error).message}`);
  }
  return (v) => re.matches(v);
}

// ---- IP addresses and networks ----

/** Parses an IPv4 or IPv6 address to a 128-bit bigint (IPv4 mapped as ::ffff:a.b.c.d); undefined if invalid. */
export function parseIp(s: string): bigint | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    let n = 0n;
    for (let i = 1; i <= 4; i++) {
      const o = Number(v4[i]);
      if (o > 255) return undefined;
      n = (n << 8n) | BigInt(o);
    }
    return (0xffffn << 32n) | n;
  }
  if (!s.includes(':')) return undefined;
  let head = s;
  let tail4: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const m = parseIp(s.slice(lastColon + 1));
    if (m === undefined) return undefined;
    tail4 = m & 0xffffffffn;
    head = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const parts = head.split('::');
  if (parts.length > 2) return undefined;
  const left = parts[0] ? parts[0].split(':') : [];
  const right = parts.length === 2 && parts[1] ? parts[1].split(':') : [];
  const missing = 8 - left.length - right.length;
  if ((parts.length === 1 && missing !== 0) || missing < 0) return undefined;
  const groups = [...left, ...Array<string>(parts.length === 2 ? missing : 0).fill('0'), ...right];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== undefined) n = (n & ~0xffffffffn) | tail4;
  return n;
}

/** A CIDR network (or a single address) as a membership test; undefined if invalid. */
export function parseNet(s: string): ((ip: bigint) => boolean) | undefined {
  const slash = s.indexOf('/');
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (addr === undefined) return undefined;
  const isV4 = addr >> 32n === 0xffffn;
  const maxBits = isV4 ? 32 : 128;
  const bits = slash < 0 ? maxBits : Number(s.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > maxBits) return undefined;
  const shift = BigInt((isV4 ? 32 : 128) - bits);
  const base = addr >> shift;
  return (ip) => ip >> shift === base && (!isV4 || ip >> 32n === 0xffffn);
}
