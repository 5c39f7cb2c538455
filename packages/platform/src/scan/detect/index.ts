/** The vulnerability detector: inventory + advisory store → scan report. See docs/scan-matching.md. */
export type { AdvisoryLookup, DetectOptions, DetectStats } from './detect.js';
export { compareFindings, detectVulnerabilities, MATCH_BATCH, Matcher, newDetectStats } from './detect.js';
export type { OsLookup } from './ecosystem.js';
export {
  advisoryName,
  advisoryVersion,
  distroVersion,
  LANG_ECOSYSTEMS,
  osLookupKey,
  osvEcosystemForLangType,
  osvEcosystemsForOs,
} from './ecosystem.js';
export type { FixedVersionMode } from './fixed.js';
export { allFixedEvents, renderFixedVersions } from './fixed.js';
export type { CvssVersion, ScoredVector, SeverityChoice, SeverityInput } from './severity.js';
export {
  chooseSeverity,
  recordSeverity,
  scoreVector,
  SEVERITY_LEVEL,
  severityFromScore,
  severityFromWord,
} from './severity.js';
export { compareCve, dataSourceOf, preferredId } from './sources.js';
