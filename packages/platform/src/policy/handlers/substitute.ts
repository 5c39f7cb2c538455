/**
 * Compile-once help for variable substitution: which strings of a rule fragment hold `{{ }}` variables
 * or `$( )` references is computed once per fragment (a plan cached by identity, context/substitute.ts),
 * so fragments without any are used as they are — no traversal, no copy, and pattern caches keyed by
 * identity keep hitting — and fragments with some copy only the paths to those strings.
 */
import {
  hasSubstitutions,
  substituteShared,
  type PolicyContext,
  type SubstituteOptions,
  type SubstituteResult,
} from '../context/index.js';

/** True when the value (keys included) may hold variables or references. */
export function mayHaveVariables(v: unknown): boolean {
  return hasSubstitutions(v);
}

/**
 * Substitutes variables and references; the result shares unchanged parts with `value` (it is `value`
 * itself when there is nothing to substitute), so callers must not modify it.
 */
export function substituteIfNeeded(
  value: unknown,
  ctx: PolicyContext,
  opts: SubstituteOptions = {},
): SubstituteResult {
  return substituteShared(value, ctx, opts);
}
