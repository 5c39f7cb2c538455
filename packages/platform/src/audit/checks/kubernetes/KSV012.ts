/**
 * KSV012 (KSV-0012) Runs as root user
 *
 * Fails when neither the container nor the pod sets runAsNonRoot: true.
 * Semantics follow Trivy's checks/kubernetes/runs_as_root.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { truthy } from '../../util.js';

export default defineCheck({
  id: 'KSV012',
  avdId: 'AVD-KSV-0012',
  aliases: ['KSV-0012'],
  title: 'Runs as root user',
  severity: 'MEDIUM',
  description: 'Force the running image to run as a non-root user to ensure least privileges.',
  remediation: "Set 'containers[].securityContext.runAsNonRoot' to true.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => c.sc['runAsNonRoot'] !== true && !truthy(ctx.workload?.podSc['runAsNonRoot']),
      (c) => `${containerSubject(c, obj)} should set 'securityContext.runAsNonRoot' to true`,
    );
  },
});
