/** `palisade operator`: reports per workload container, each image digest scanned once. */
export * from './digest-cache.js';
export * from './jobs.js';
export * from './lease.js';
export * from './memory-target.js';
export * from './operator.js';
export * from './pull-secrets.js';
export * from './report-writer.js';
export * from './resources.js';
export * from './scan-job.js';
export * from './scanner.js';
export * from './scans.js';
export * from './workloads.js';
export * from './workqueue.js';
