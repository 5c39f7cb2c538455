/** The configuration audit engine: manifests in, check results out (docs/audit.md). */
export * from './types.js';
export { readManifests, MANIFEST_LIMITS } from './manifests.js';
export type { ReadOptions, ReadResult } from './manifests.js';
export {
  allChecks,
  auditObject,
  auditObjects,
  compileChecks,
  finishCross,
  matchesId,
  OPTIONAL_CHECKS,
} from './engine.js';
export type { CheckFilter, CompiledChecks } from './engine.js';
export { workloadOf, WORKLOAD_KINDS } from './workload.js';
