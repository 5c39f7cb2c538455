/** CEL for policies: the environment, Kubernetes and Kyverno libraries, value conversion. */
export {
  celEnvironment,
  compileCel,
  runCel,
  evaluateCel,
  CelError,
  MAX_EXPRESSION_LENGTH,
  DEFAULT_COST_LIMIT,
  DEFAULT_DEADLINE_MS,
  type CelProgram,
  type CelResult,
  type EvalOptions,
} from './env.js';
export { kyvernoBindings, pluralOf, type CelData, GeneratorLib } from './kyverno.js';
export { toCel, fromCel, type Json } from './values.js';
export { celEquals } from './equals.js';
