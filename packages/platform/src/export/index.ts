/** Prometheus exporter over report objects (never calls the engines). */
export * from './exporter.js';
export * from './server.js';
