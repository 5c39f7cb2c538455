/** REST descriptors of the report kinds, for the typed client and the informer. */
import type {
  ClusterComplianceReport,
  ClusterPolicyReport,
  ConfigAuditReport,
  ExposedSecretReport,
  PolicyReport,
  RbacAssessmentReport,
  SbomReport,
  VulnerabilityReport,
} from '@palisade/api';
import { defineResource } from '../client/resources.js';

const aqua = { group: 'aquasecurity.github.io', version: 'v1alpha1' } as const;
const wg = { group: 'wgpolicyk8s.io', version: 'v1alpha2' } as const;

export const VulnerabilityReports = defineResource<VulnerabilityReport>({
  ...aqua,
  plural: 'vulnerabilityreports',
  kind: 'VulnerabilityReport',
  namespaced: true,
});
export const ExposedSecretReports = defineResource<ExposedSecretReport>({
  ...aqua,
  plural: 'exposedsecretreports',
  kind: 'ExposedSecretReport',
  namespaced: true,
});
export const SbomReports = defineResource<SbomReport>({
  ...aqua,
  plural: 'sbomreports',
  kind: 'SbomReport',
  namespaced: true,
});
export const ConfigAuditReports = defineResource<ConfigAuditReport>({
  ...aqua,
  plural: 'configauditreports',
  kind: 'ConfigAuditReport',
  namespaced: true,
});
export const RbacAssessmentReports = defineResource<RbacAssessmentReport>({
  ...aqua,
  plural: 'rbacassessmentreports',
  kind: 'RbacAssessmentReport',
  namespaced: true,
});
export const ClusterComplianceReports = defineResource<ClusterComplianceReport>({
  ...aqua,
  plural: 'clustercompliancereports',
  kind: 'ClusterComplianceReport',
  namespaced: false,
});
export const PolicyReports = defineResource<PolicyReport>({
  ...wg,
  plural: 'policyreports',
  kind: 'PolicyReport',
  namespaced: true,
});
export const ClusterPolicyReports = defineResource<ClusterPolicyReport>({
  ...wg,
  plural: 'clusterpolicyreports',
  kind: 'ClusterPolicyReport',
  namespaced: false,
});
