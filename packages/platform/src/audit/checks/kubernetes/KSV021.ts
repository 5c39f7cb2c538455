/**
 * KSV021 (KSV-0021) Runs with GID <= 10000
 *
 * Container level only, as Trivy: fails when the container does not set runAsGroup > 10000.
 * Semantics follow Trivy's checks/kubernetes/runs_with_GID_le_10000.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';

export default defineCheck({
  id: 'KSV021',
  avdId: 'AVD-KSV-0021',
  aliases: ['KSV-0021'],
  title: 'Runs with GID <= 10000',
  severity: 'LOW',
  description:
    'Force the container to run with group ID > 10000 to avoid conflicts with the host’s user table.',
  remediation: "Set 'containers[].securityContext.runAsGroup' to an integer > 10000.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => !(typeof c.sc['runAsGroup'] === 'number' && c.sc['runAsGroup'] > 10000),
      (c) => `${containerSubject(c, obj)} should set 'securityContext.runAsGroup' > 10000`,
    );
  },
});
