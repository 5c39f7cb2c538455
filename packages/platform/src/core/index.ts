export * from './errors.js';
export * from './location.js';
export * from './diagnostics.js';
export * from './logger.js';
export * from './abort.js';
