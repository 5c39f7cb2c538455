/** Enrichment of findings with FIRST EPSS scores and CISA KEV membership. See docs/scan-enrichment.md. */
export type { EpssLoad, EpssReadOptions, EpssScore, EpssTable } from './epss.js';
export { EPSS_LIMITS, cveKey, epssTableFrom, parseEpssStream, readEpss } from './epss.js';
export type { KevEntry, KevLoad, KevTable } from './kev.js';
export { KEV_LIMITS, kevTableFrom, parseKev, readKev } from './kev.js';
export type { EnrichStats, EnrichmentSources } from './enrich.js';
export { cveOf, enrich, enrichFinding } from './enrich.js';
export type { DownloadOptions, DownloadResult, EnrichmentKind, EnrichmentMeta } from './download.js';
export {
  DEFAULT_ENRICHMENT_URLS,
  ENRICHMENT_FILES,
  downloadEnrichment,
  enrichmentPath,
  readEnrichmentMeta,
} from './download.js';
