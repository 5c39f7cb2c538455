/**
 * Test support: the differences between two JSON values as paths
 * (`Results[0].Vulnerabilities[3].Title`), for conformance suites that list
 * every mismatch instead of one failed assertion. Object key order is ignored;
 * array order is not.
 */
export interface JsonDifference {
  path: string;
  expected: unknown;
  actual: unknown;
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

export function jsonDiff(expected: unknown, actual: unknown, path = ''): JsonDifference[] {
  if (Object.is(expected, actual)) return [];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const out: JsonDifference[] = [];
    const n = Math.max(expected.length, actual.length);
    for (let i = 0; i < n; i++) out.push(...jsonDiff(expected[i], actual[i], join(path, i)));
    return out;
  }
  const isObj = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(expected) && isObj(actual)) {
    const out: JsonDifference[] = [];
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const k of keys) out.push(...jsonDiff(expected[k], actual[k], join(path, k)));
    return out;
  }
  return [{ path, expected, actual }];
}

/** Removes the given keys wherever they occur (for fields Trivy's own tests normalize: IDs, timestamps, hashes). */
export function dropKeys(v: unknown, keys: readonly string[]): unknown {
  if (Array.isArray(v)) return v.map((x) => dropKeys(x, keys));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!keys.includes(k)) out[k] = dropKeys(x, keys);
    return out;
  }
  return v;
}

/** A path with array indexes replaced by `[]`, for matching divergence tables. */
export function pathShape(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}
