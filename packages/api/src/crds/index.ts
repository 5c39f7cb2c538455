/** Custom resource schemas (zod), their types and CRD descriptors; CRD YAML is generated from them. */
export * from './crd.js';
export * from './trivy-operator.js';
export * from './policy-report.js';

import { TRIVY_OPERATOR_CRDS } from './trivy-operator.js';
import { POLICY_REPORT_CRDS } from './policy-report.js';
import type { CrdDescriptor } from './crd.js';

/** Every CRD Palisade installs, in file order for deploy/crds. */
export const ALL_CRDS: readonly CrdDescriptor[] = [...TRIVY_OPERATOR_CRDS, ...POLICY_REPORT_CRDS];
