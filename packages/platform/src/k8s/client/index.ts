/** Kubernetes client: typed REST verbs and our informer (list + watch cache). */
export * from './resources.js';
export * from './rest.js';
export * from './informer.js';
