/**
 * KSV027 (KSV-0027) Non-default /proc masks set
 *
 * Fails when a container sets securityContext.procMount (any value, as Trivy).
 * Semantics follow Trivy's checks/kubernetes/non_default_proc_masks_set.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { has } from '../../util.js';

export default defineCheck({
  id: 'KSV027',
  avdId: 'AVD-KSV-0027',
  aliases: ['KSV-0027'],
  title: 'Non-default /proc masks set',
  severity: 'MEDIUM',
  description:
    "According to pod security standard '/proc Mount Type', the default /proc masks are set up to reduce attack surface, and should be required.",
  remediation:
    'Do not set spec.containers[*].securityContext.procMount and spec.initContainers[*].securityContext.procMount.',
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => has(c.sc, 'procMount'),
      (c) => `${containerSubject(c, obj)} should not set 'securityContext.procMount'`,
    );
  },
});
