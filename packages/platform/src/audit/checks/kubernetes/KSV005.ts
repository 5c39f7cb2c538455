/**
 * KSV005 (KSV-0005) SYS_ADMIN capability added
 *
 * Fails when capabilities.add contains SYS_ADMIN.
 * Semantics follow Trivy's checks/kubernetes/SYS_ADMIN_capability.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, capsOf, eachContainer } from '../../workload.js';

export default defineCheck({
  id: 'KSV005',
  avdId: 'AVD-KSV-0005',
  aliases: ['KSV-0005'],
  title: 'SYS_ADMIN capability added',
  severity: 'HIGH',
  description:
    'SYS_ADMIN gives the processes running inside the container privileges that are equivalent to root.',
  remediation: "Remove the SYS_ADMIN capability from 'containers[].securityContext.capabilities.add'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => capsOf(c, 'add').includes('SYS_ADMIN'),
      (c) =>
        `${containerSubject(c, obj)} should not include 'SYS_ADMIN' in 'securityContext.capabilities.add'`,
    );
  },
});
