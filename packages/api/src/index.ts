export * from './inventory.js';
export * from './vulnerability.js';
