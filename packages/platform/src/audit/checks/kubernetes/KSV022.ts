/**
 * KSV022 (KSV-0022) Specific capabilities added
 *
 * Fails when capabilities.add is not empty (no capability is allowed by default).
 * Semantics follow Trivy's checks/kubernetes/specific_capabilities_added.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, capsOf, eachContainer } from '../../workload.js';

export default defineCheck({
  id: 'KSV022',
  avdId: 'AVD-KSV-0022',
  aliases: ['KSV-0022'],
  title: 'Specific capabilities added',
  severity: 'MEDIUM',
  description:
    "According to pod security standard 'Capabilities', capabilities beyond the default set must not be added.",
  remediation:
    'Do not set spec.containers[*].securityContext.capabilities.add and spec.initContainers[*].securityContext.capabilities.add.',
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => capsOf(c, 'add').length > 0,
      (c) => `${containerSubject(c, obj)} should not set 'securityContext.capabilities.add'`,
    );
  },
});
