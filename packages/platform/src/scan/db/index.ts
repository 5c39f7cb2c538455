/** The OSV advisory store: import, update, query. See docs/vulndb.md. */
export type {
  OsvAffected,
  OsvEvent,
  OsvPackage,
  OsvRange,
  OsvRecord,
  OsvReference,
  OsvSeverity,
} from './osv.js';
export { parseOsv, validateOsv, OSV_LIMITS } from './osv.js';
export { ecosystemBase, normalizePackageName } from './normalize.js';
export type {
  AdvisoryDetails,
  AffectedEntry,
  DatabaseBuild,
  DatabaseInfo,
  SourceInfo,
  StoredAdvisory,
} from './store.js';
export { AdvisoryStore, databaseAgeHours, REBUILD_HINT } from './store.js';
export type { BuildOptions, BuildResult, SourceInput, SourceStats } from './import.js';
export { buildDatabase, sourceFromPath } from './import.js';
export type { UpdateOptions, UpdateResult } from './update.js';
export { DEFAULT_MIRROR, ecosystemUrl, updateDatabase } from './update.js';
