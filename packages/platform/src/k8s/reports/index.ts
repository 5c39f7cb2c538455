/** Report objects the operator writes: Trivy Operator's kinds with its naming and labels. */
export * from './naming.js';
export * from './builders.js';
export * from './resources.js';
export * from './sbom.js';
