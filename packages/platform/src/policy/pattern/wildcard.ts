/**
 * Kyverno's wildcard matching (`*` any run of characters, `?` exactly one), as in
 * github.com/kyverno/kyverno/ext/wildcard. Iterative with one backtrack point, so the cost is
 * O(pattern × text) at worst and never exponential, whatever the pattern.
 */

export function hasWildcard(s: string): boolean {
  return s.includes('*') || s.includes('?');
}

/** True when `text` matches `pattern`. */
export function wildcardMatch(pattern: string, text: string): boolean {
  if (pattern === text) return true;
  if (pattern === '*') return true;
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  const pl = pattern.length;
  const tl = text.length;
  while (t < tl) {
    const pc = p < pl ? pattern.charCodeAt(p) : -1;
    if (pc === 42 /* * */) {
      starP = p++;
      starT = t;
    } else if (pc !== -1 && (pc === 63 /* ? */ || pc === text.charCodeAt(t))) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pl && pattern.charCodeAt(p) === 42) p++;
  return p === pl;
}
