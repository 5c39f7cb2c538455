/** Kyverno pattern matching: anchors, operators, wildcards, quantities, durations and conditions. */
export { matchPattern, type PatternOutcome } from './validate.js';
export { compileScalarPattern, compileStringPattern, type ScalarPredicate } from './scalar.js';
export { wildcardMatch, hasWildcard } from './wildcard.js';
export { parseQuantity, parseDuration } from './quantity.js';
export { parseAnchor, anchorKey, containsAnchor, type Anchor, type AnchorModifier } from './anchor.js';
export { evaluateOperator, canonicalOperator, goSprint, CONDITION_OPERATORS } from './conditions.js';
