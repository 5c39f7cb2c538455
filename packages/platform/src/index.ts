/** Library entry point of @palisade/platform. */
export * from './core/index.js';
export { inventoryImage, inventoryDirectory, buildReport } from './scan/inventory.js';
export { formatInventory } from './report/index.js';
export { run } from './cli/program.js';
