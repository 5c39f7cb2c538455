/**
 * KSV015 (KSV-0015) CPU requests not specified
 *
 * Fails when resources.requests.cpu is not set.
 * Semantics follow Trivy's checks/kubernetes/CPU_requests_not_specified.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { rec, truthy } from '../../util.js';

export default defineCheck({
  id: 'KSV015',
  avdId: 'AVD-KSV-0015',
  aliases: ['KSV-0015'],
  title: 'CPU requests not specified',
  severity: 'LOW',
  description:
    'When containers have resource requests specified, the scheduler can make better decisions about which nodes to place pods on, and how to deal with resource contention.',
  remediation: "Set 'containers[].resources.requests.cpu'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => !truthy(rec(rec(c.container['resources'])['requests'])['cpu']),
      (c) => `${containerSubject(c, obj)} should set 'resources.requests.cpu'`,
    );
  },
});
