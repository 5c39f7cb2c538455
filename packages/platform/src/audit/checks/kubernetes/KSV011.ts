/**
 * KSV011 (KSV-0011) CPU not limited
 *
 * Fails when resources.limits.cpu is not set.
 * Semantics follow Trivy's checks/kubernetes/CPU_not_limited.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { rec, truthy } from '../../util.js';

export default defineCheck({
  id: 'KSV011',
  avdId: 'AVD-KSV-0011',
  aliases: ['KSV-0011'],
  title: 'CPU not limited',
  severity: 'LOW',
  description: 'Enforcing CPU limits prevents DoS via resource exhaustion.',
  remediation: "Set a limit value under 'containers[].resources.limits.cpu'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => !truthy(rec(rec(c.container['resources'])['limits'])['cpu']),
      (c) => `${containerSubject(c, obj)} should set 'resources.limits.cpu'`,
    );
  },
});
