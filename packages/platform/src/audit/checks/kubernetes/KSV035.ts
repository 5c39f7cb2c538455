/**
 * KSV035 (KSV-0035) All container images must start with an ECR domain
 *
 * Optional check: fails for images outside [<account>.dkr.]ecr.<region>.amazonaws.com.
 * Semantics follow Trivy's checks/kubernetes/uses_untrusted_ecr_registry.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { str } from '../../util.js';

export default defineCheck({
  id: 'KSV035',
  avdId: 'AVD-KSV-0035',
  aliases: ['KSV-0035'],
  title: 'All container images must start with an ECR domain',
  severity: 'MEDIUM',
  description: 'Container images from non-ECR registries should be forbidden.',
  remediation: 'Container image should be used from Amazon container Registry',
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => !/^(\d+\.dkr\.)?ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//.test(str(c.container['image'])),
      (c) => `${containerSubject(c, obj)} should use images from an ECR registry`,
    );
  },
});
