export * from './inventory.js';
export * from './vulnerability.js';
export * from './crds/index.js';
