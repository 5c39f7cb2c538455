/** Suppression of findings: severity/status/EPSS/KEV filters, ignore files, OpenVEX. See docs/scan-suppression.md. */
export type { CompiledGlob } from './glob.js';
export { compileGlob, validateGlob, GLOB_LIMITS } from './glob.js';
export type { ParsedPurl } from './purl.js';
export { parsePurl, purlMatches } from './purl.js';
export type { IgnoreKind, IgnoreLoad, IgnoreParseOptions, IgnoreRule, IgnoreRules } from './ignorefile.js';
export {
  DEFAULT_IGNORE_FILES,
  IGNORE_KINDS,
  IGNORE_LIMITS,
  ignoreFormatOf,
  parseIgnoreFile,
  readIgnoreFile,
} from './ignorefile.js';
export type {
  VexComponent,
  VexDocument,
  VexLoad,
  VexProduct,
  VexRef,
  VexStatement,
  VexStatus,
} from './openvex.js';
export { VEX_LIMITS, describeStatement, effectiveStatement, parseOpenVex, readOpenVex } from './openvex.js';
export type { SuppressOptions, SuppressOutcome, SuppressStats } from './filter.js';
export { UNFIXED_STATUSES, findingIds, ociPurl, suppressFindings } from './filter.js';
