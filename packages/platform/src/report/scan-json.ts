/**
 * Palisade's own scan JSON: the ScanReport model as it is (schema in
 * docs/scan-json.md), findings in Trivy's order, two-space indent.
 */
import type { ScanReport } from '@palisade/api';
import { sortScanReport } from './scan-common.js';

export function scanJson(report: ScanReport): string {
  return `${JSON.stringify(sortScanReport(report), null, 2)}\n`;
}
