/**
 * KSV017 (KSV-0017) Privileged
 *
 * Fails when securityContext.privileged is true.
 * Semantics follow Trivy's checks/kubernetes/privileged.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';

export default defineCheck({
  id: 'KSV017',
  avdId: 'AVD-KSV-0017',
  aliases: ['KSV-0017'],
  title: 'Privileged',
  severity: 'HIGH',
  description:
    'Privileged containers share namespaces with the host system and do not offer any security. They should be used exclusively for system containers that require high privileges.',
  remediation: "Change 'containers[].securityContext.privileged' to 'false'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => c.sc['privileged'] === true,
      (c) => `${containerSubject(c, obj)} should set 'securityContext.privileged' to false`,
    );
  },
});
