/**
 * KSV003 (KSV-0003) Default capabilities: some containers do not drop all
 *
 * Fails unless capabilities.drop contains ALL (any case).
 * Semantics follow Trivy's checks/kubernetes/capabilities_no_drop_all.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, capsOf, eachContainer } from '../../workload.js';

export default defineCheck({
  id: 'KSV003',
  avdId: 'AVD-KSV-0003',
  aliases: ['KSV-0003'],
  title: 'Default capabilities: some containers do not drop all',
  severity: 'LOW',
  description:
    'The container should drop all default capabilities and add only those that are needed for its execution.',
  remediation: "Add 'ALL' to containers[].securityContext.capabilities.drop.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => !capsOf(c, 'drop').some((x) => x.toLowerCase() === 'all'),
      (c) => `${containerSubject(c, obj)} should add 'ALL' to 'securityContext.capabilities.drop'`,
    );
  },
});
