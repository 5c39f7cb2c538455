/** Kyverno's JSON context, `{{ }}` / `$( )` substitution and rule context entries. */
export { PolicyContext, ContextQueryError, extractImages } from './context.js';
export type { AdmissionRequestInput } from './context.js';
export {
  substituteVariables,
  substituteInString,
  substituteShared,
  hasSubstitutions,
  isVariable,
  isReference,
  findVariables,
  SUBSTITUTION_LIMITS,
} from './substitute.js';
export type { SubstituteOptions, SubstituteResult } from './substitute.js';
export { loadContextEntries } from './entries.js';
export type { ContextEntry, ContextSources, ContextLoadResult } from './entries.js';
