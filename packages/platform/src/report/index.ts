import type { InventoryReport } from '@palisade/api';
import { PalisadeError } from '../core/errors.js';
import { inventoryCycloneDX } from './cyclonedx.js';
import { inventoryJson } from './json.js';
import { inventorySpdx } from './spdx.js';
import { inventoryTable } from './table.js';

export const INVENTORY_FORMATS = ['table', 'json', 'cyclonedx', 'spdx-json'] as const;
export type InventoryFormat = (typeof INVENTORY_FORMATS)[number];

export function formatInventory(report: InventoryReport, format: string): string {
  switch (format) {
    case 'table':
      return inventoryTable(report);
    case 'json':
      return inventoryJson(report);
    case 'cyclonedx':
      return inventoryCycloneDX(report);
    case 'spdx-json':
    case 'spdx':
      return inventorySpdx(report);
    default:
      throw new PalisadeError('E_USAGE', `unknown format '${format}'`, {
        hint: `use one of: ${INVENTORY_FORMATS.join(', ')}`,
      });
  }
}

export type { ScanFormat, ScanWriteOptions } from './scan-format.js';
export { SCAN_FORMATS, writeScanReport } from './scan-format.js';
export { compareVulnerabilities, sortScanReport } from './scan-common.js';
