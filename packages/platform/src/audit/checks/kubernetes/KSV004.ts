/**
 * KSV004 (KSV-0004) Default capabilities: some containers do not drop any
 *
 * Fails when capabilities.drop is missing or empty.
 * Semantics follow Trivy's checks/kubernetes/capabilities_no_drop_at_least_one.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, capsOf, eachContainer } from '../../workload.js';

export default defineCheck({
  id: 'KSV004',
  avdId: 'AVD-KSV-0004',
  aliases: ['KSV-0004'],
  title: 'Default capabilities: some containers do not drop any',
  severity: 'LOW',
  description: 'Security best practices require containers to run with minimal required capabilities.',
  remediation: "Specify at least one unneeded capability in 'containers[].securityContext.capabilities.drop'",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => capsOf(c, 'drop').length === 0,
      (c) =>
        `${containerSubject(c, obj)} should drop at least one capability in 'securityContext.capabilities.drop'`,
    );
  },
});
