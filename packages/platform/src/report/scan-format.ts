/**
 * One entry point for `palisade scan --format`: picks the writer for a format
 * name and passes it the options it understands.
 */
import type { ScanReport } from '@palisade/api';
import { PalisadeError } from '../core/errors.js';
import { sortScanReport } from './scan-common.js';
import { scanCycloneDX } from './scan-cyclonedx.js';
import { scanJson } from './scan-json.js';
import { scanJunit } from './scan-junit.js';
import type { SarifOptions } from './scan-sarif.js';
import { scanSarif } from './scan-sarif.js';
import type { ScanTableOptions } from './scan-table.js';
import { scanTable } from './scan-table.js';
import type { TrivyJsonOptions } from './scan-trivy-json.js';
import { trivyJson } from './scan-trivy-json.js';

export const SCAN_FORMATS = ['table', 'json', 'trivy-json', 'sarif', 'cyclonedx', 'junit'] as const;
export type ScanFormat = (typeof SCAN_FORMATS)[number];

export type ScanWriteOptions = ScanTableOptions & TrivyJsonOptions & SarifOptions;

/** Renders the report in the named format. Findings are put in Trivy's order first. Unknown names are E_USAGE. */
export function writeScanReport(report: ScanReport, format: string, opts: ScanWriteOptions = {}): string {
  const sorted = sortScanReport(report);
  switch (format) {
    case 'table':
      return scanTable(sorted, opts);
    case 'json':
      return scanJson(sorted);
    case 'trivy-json':
      return trivyJson(sorted, opts);
    case 'sarif':
      return scanSarif(sorted, opts);
    case 'cyclonedx':
      return scanCycloneDX(sorted);
    case 'junit':
      return scanJunit(sorted);
    default:
      throw new PalisadeError('E_USAGE', `unknown format '${format}'`, {
        hint: `use one of: ${SCAN_FORMATS.join(', ')}`,
      });
  }
}
