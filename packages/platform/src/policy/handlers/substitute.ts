/**
 * Compile-once help for variable substitution: whether a rule fragment can hold `{{ }}` variables or
 * `$( )` references is computed once per fragment (cached by identity), so fragments without any are
 * used as they are — no traversal, no copy, and pattern caches keyed by identity keep hitting.
 */
import {
  substituteVariables,
  type PolicyContext,
  type SubstituteOptions,
  type SubstituteResult,
} from '../context/index.js';

const cache = new WeakMap<object, boolean>();
const MAX_DEPTH = 256;

/** True when the value (keys included) may hold variables or references. */
export function mayHaveVariables(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('{{') || v.includes('$(');
  if (v === null || typeof v !== 'object') return false;
  const hit = cache.get(v);
  if (hit !== undefined) return hit;
  let r: boolean;
  if (depth > MAX_DEPTH)
    r = true; // let the substituter report the depth
  else if (Array.isArray(v)) r = v.some((x) => mayHaveVariables(x, depth + 1));
  else r = Object.entries(v).some(([k, x]) => mayHaveVariables(k) || mayHaveVariables(x, depth + 1));
  cache.set(v, r);
  return r;
}

/** substituteVariables, skipped for values without variables or references. */
export function substituteIfNeeded(
  value: unknown,
  ctx: PolicyContext,
  opts: SubstituteOptions = {},
): SubstituteResult {
  return mayHaveVariables(value) ? substituteVariables(value, ctx, opts) : { value };
}
