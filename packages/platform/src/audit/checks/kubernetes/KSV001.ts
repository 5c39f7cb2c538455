/**
 * KSV001 (KSV-0001) Can elevate its own privileges
 *
 * Fails unless allowPrivilegeEscalation is explicitly false.
 * Semantics follow Trivy's checks/kubernetes/can_elevate_its_own_privileges.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';

export default defineCheck({
  id: 'KSV001',
  avdId: 'AVD-KSV-0001',
  aliases: ['KSV-0001'],
  title: 'Can elevate its own privileges',
  severity: 'MEDIUM',
  description:
    'A program inside the container can elevate its own privileges and run as root, which might give the program control over the container and node.',
  remediation: "Set 'set containers[].securityContext.allowPrivilegeEscalation' to 'false'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => c.sc['allowPrivilegeEscalation'] !== false,
      (c) => `${containerSubject(c, obj)} should set 'securityContext.allowPrivilegeEscalation' to false`,
    );
  },
});
