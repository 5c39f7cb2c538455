/**
 * KSV120 (KSV-0120) SYS_MODULE capability added
 *
 * Fails when capabilities.add contains SYS_MODULE.
 * Semantics follow Trivy's checks/kubernetes/SYS_MODULE_capability.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, capsOf, eachContainer } from '../../workload.js';

export default defineCheck({
  id: 'KSV120',
  avdId: 'AVD-KSV-0120',
  aliases: ['KSV-0120'],
  title: 'SYS_MODULE capability added',
  severity: 'HIGH',
  description:
    'The SYS_MODULE capability grants attackers the ability to install and remove kernel modules, posing serious security risks.',
  remediation:
    "To mitigate potential security risks, it is strongly recommended to remove the SYS_MODULE capability from 'containers[].securityContext.capabilities.add'. It is advisable to follow the practice of dropping all capabilities and only adding the necessary ones.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => capsOf(c, 'add').includes('SYS_MODULE'),
      (c) =>
        `${containerSubject(c, obj)} should not include 'SYS_MODULE' in 'securityContext.capabilities.add'`,
    );
  },
});
