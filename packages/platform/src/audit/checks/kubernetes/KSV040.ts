/**
 * KSV040 (KSV-0040) resource quota usage
 *
 * Optional check: a ResourceQuota must set requests and limits for CPU and memory.
 * Semantics follow Trivy's checks/kubernetes/use_resource_quota.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rec, truthy } from '../../util.js';

export default defineCheck({
  id: 'KSV040',
  avdId: 'AVD-KSV-0040',
  aliases: ['KSV-0040'],
  title: 'resource quota usage',
  severity: 'LOW',
  description:
    'Ensure that a ResourceQuota policy is configured to limit aggregate resource usage within a namespace',
  remediation: 'Create a ResourceQuota policy with memory and CPU quotas for each namespace',
  kinds: ['ResourceQuota'],
  category: 'general',
  evaluate(obj, _ctx) {
    const hard = rec(rec(obj.object['spec'])['hard']);
    const ok = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'].every((k) =>
      truthy(hard[k]),
    );
    return ok
      ? []
      : [
          {
            message: `${obj.kind} '${obj.name}' should set requests.cpu, requests.memory, limits.cpu and limits.memory in spec.hard`,
            path: ['spec'],
          },
        ];
  },
});
