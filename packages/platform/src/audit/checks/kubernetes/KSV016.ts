/**
 * KSV016 (KSV-0016) Memory requests not specified
 *
 * Fails when resources.requests.memory is not set.
 * Semantics follow Trivy's checks/kubernetes/memory_requests_not_specified.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { rec, truthy } from '../../util.js';

export default defineCheck({
  id: 'KSV016',
  avdId: 'AVD-KSV-0016',
  aliases: ['KSV-0016'],
  title: 'Memory requests not specified',
  severity: 'LOW',
  description:
    'When containers have memory requests specified, the scheduler can make better decisions about which nodes to place pods on, and how to deal with resource contention.',
  remediation: "Set 'containers[].resources.requests.memory'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => !truthy(rec(rec(c.container['resources'])['requests'])['memory']),
      (c) => `${containerSubject(c, obj)} should set 'resources.requests.memory'`,
    );
  },
});
