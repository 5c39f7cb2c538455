import type { InventoryReport } from '@palisade/api';

/** Palisade's own JSON (schema in docs/inventory-json.md). Stable key order, two-space indent. */
export function inventoryJson(report: InventoryReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
