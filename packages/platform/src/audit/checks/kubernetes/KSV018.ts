/**
 * KSV018 (KSV-0018) Memory not limited
 *
 * Fails when resources.limits.memory is not set.
 * Semantics follow Trivy's checks/kubernetes/memory_not_limited.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { rec, truthy } from '../../util.js';

export default defineCheck({
  id: 'KSV018',
  avdId: 'AVD-KSV-0018',
  aliases: ['KSV-0018'],
  title: 'Memory not limited',
  severity: 'LOW',
  description: 'Enforcing memory limits prevents DoS via resource exhaustion.',
  remediation: "Set a limit value under 'containers[].resources.limits.memory'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => !truthy(rec(rec(c.container['resources'])['limits'])['memory']),
      (c) => `${containerSubject(c, obj)} should set 'resources.limits.memory'`,
    );
  },
});
