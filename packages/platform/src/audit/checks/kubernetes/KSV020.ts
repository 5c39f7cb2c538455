/**
 * KSV020 (KSV-0020) Runs with UID <= 10000
 *
 * Container level only, as Trivy: fails when the container does not set runAsUser > 10000.
 * Semantics follow Trivy's checks/kubernetes/runs_with_UID_le_10000.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';

export default defineCheck({
  id: 'KSV020',
  avdId: 'AVD-KSV-0020',
  aliases: ['KSV-0020'],
  title: 'Runs with UID <= 10000',
  severity: 'LOW',
  description:
    'Force the container to run with user ID > 10000 to avoid conflicts with the host’s user table.',
  remediation: "Set 'containers[].securityContext.runAsUser' to an integer > 10000.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => !(typeof c.sc['runAsUser'] === 'number' && c.sc['runAsUser'] > 10000),
      (c) => `${containerSubject(c, obj)} should set 'securityContext.runAsUser' > 10000`,
    );
  },
});
