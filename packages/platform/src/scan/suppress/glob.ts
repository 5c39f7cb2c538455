/**
 * Path patterns of `.trivyignore.yaml` (`paths:`), with the semantics of
 * bmatcuk/doublestar v4's Match, which Trivy uses: `*` matches any run of
 * characters except `/`, `?` one such character, `[abc]`, `[a-z]`, `[^x]` /
 * `[!x]` one character of a class, `{a,b}` alternatives, `\` escapes the next
 * character, and `**` as a whole path segment matches zero or more segments.
 * `**` inside a segment (`a**b`) acts as `*`.
 *
 * Written here rather than taken from picomatch/minimatch: those follow bash
 * globbing (dotfile rules, extglobs, `**` in segments) and differ from
 * doublestar in exactly the cases an ignore file relies on. Matching is by
 * segments with memoization, so it is polynomial in pattern and path length,
 * never exponential; brace expansion is bounded.
 */

export const GLOB_LIMITS = {
  /** Longest pattern accepted. */
  maxPatternLength: 4096,
  /** Alternatives after expanding `{a,b}` groups. */
  maxAlternatives: 256,
};

export interface CompiledGlob {
  source: string;
  match(path: string): boolean;
}

/** Why a pattern is rejected, or undefined when it is valid (doublestar.ValidatePattern). */
export function validateGlob(pattern: string): string | undefined {
  if (pattern.length > GLOB_LIMITS.maxPatternLength)
    return `pattern is longer than ${GLOB_LIMITS.maxPatternLength} characters`;
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      if (i + 1 >= pattern.length) return 'pattern ends with an escape character';
      i++;
    } else if (c === '[') {
      const end = classEnd(pattern, i);
      if (end < 0) return `unclosed character class at offset ${i}`;
      i = end;
    } else if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return `unbalanced } at offset ${i}`;
      depth--;
    }
  }
  if (depth !== 0) return 'unclosed {';
  return undefined;
}

/** Index of the `]` closing the class opened at `start`, or -1. */
function classEnd(p: string, start: number): number {
  let i = start + 1;
  if (p[i] === '^' || p[i] === '!') i++;
  if (p[i] === ']') i++; // a leading ] is literal
  for (; i < p.length; i++) {
    if (p[i] === '\\') i++;
    else if (p[i] === ']') return i;
  }
  return -1;
}

/** Expands `{a,b}` groups (nested allowed) into plain patterns. */
function expandBraces(p: string): string[] {
  let open = -1;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\') i++;
    else if (p[i] === '[') {
      const e = classEnd(p, i);
      if (e > 0) i = e;
    } else if (p[i] === '{') {
      open = i;
      break;
    }
  }
  if (open < 0) return [p];
  let depth = 0;
  const parts: string[] = [];
  let from = open + 1;
  let close = -1;
  for (let i = open; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        parts.push(p.slice(from, i));
        close = i;
        break;
      }
    } else if (c === ',' && depth === 1) {
      parts.push(p.slice(from, i));
      from = i + 1;
    }
  }
  if (close < 0) return [p];
  const head = p.slice(0, open);
  const tails = expandBraces(p.slice(close + 1));
  const out: string[] = [];
  for (const part of parts)
    for (const mid of expandBraces(part))
      for (const tail of tails) {
        out.push(head + mid + tail);
        if (out.length > GLOB_LIMITS.maxAlternatives)
          throw new RangeError(`more than ${GLOB_LIMITS.maxAlternatives} alternatives after {…} expansion`);
      }
  return out;
}

/** Matches one path segment against one pattern segment (no `/` in either). */
function matchSegment(pat: string, name: string): boolean {
  // Iterative wildcard matching with single-star backtracking: O(len(pat) * len(name)).
  let p = 0;
  let n = 0;
  let starP = -1;
  let starN = 0;
  while (n < name.length) {
    if (p < pat.length) {
      const c = pat[p] as string;
      if (c === '*') {
        while (pat[p] === '*') p++;
        starP = p;
        starN = n;
        continue;
      }
      if (c === '?') {
        p++;
        n++;
        continue;
      }
      if (c === '[') {
        const end = classEnd(pat, p);
        if (end > 0 && classMatches(pat.slice(p + 1, end), name[n] as string)) {
          p = end + 1;
          n++;
          continue;
        }
      } else {
        let lit = c;
        let step = 1;
        if (c === '\\' && p + 1 < pat.length) {
          lit = pat[p + 1] as string;
          step = 2;
        }
        if (lit === name[n]) {
          p += step;
          n++;
          continue;
        }
      }
    }
    if (starP < 0) return false;
    p = starP;
    n = ++starN;
  }
  while (pat[p] === '*') p++;
  return p === pat.length;
}

function classMatches(body: string, ch: string): boolean {
  let negate = false;
  let i = 0;
  if (body[0] === '^' || body[0] === '!') {
    negate = true;
    i = 1;
  }
  let hit = false;
  while (i < body.length) {
    let lo = body[i] as string;
    if (lo === '\\' && i + 1 < body.length) lo = body[++i] as string;
    i++;
    let hi = lo;
    if (body[i] === '-' && i + 1 < body.length) {
      hi = body[i + 1] as string;
      if (hi === '\\' && i + 2 < body.length) {
        hi = body[i + 2] as string;
        i++;
      }
      i += 2;
    }
    if (ch >= lo && ch <= hi) hit = true;
  }
  return hit !== negate;
}

function matchSegments(pat: readonly string[], path: readonly string[]): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (path.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let r: boolean;
    if (i === pat.length) r = j === path.length;
    else if (pat[i] === '**') {
      // zero or more whole segments
      r = false;
      for (let k = j; k <= path.length && !r; k++) r = go(i + 1, k);
    } else r = j < path.length && matchSegment(pat[i] as string, path[j] as string) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

/** Compiles a pattern; throws RangeError with the reason when it is invalid. */
export function compileGlob(pattern: string): CompiledGlob {
  const bad = validateGlob(pattern);
  if (bad) throw new RangeError(bad);
  const alternatives = expandBraces(pattern).map((p) => p.split('/'));
  return {
    source: pattern,
    match(path: string): boolean {
      const segs = path.split('/');
      return alternatives.some((a) => matchSegments(a, segs));
    },
  };
}
