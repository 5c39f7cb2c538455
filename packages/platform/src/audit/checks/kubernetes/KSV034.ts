/**
 * KSV034 (KSV-0034) Container images from public registries used
 *
 * Optional check: fails for images without a registry (Docker Hub) or on a well-known public registry.
 * Semantics follow Trivy's checks/kubernetes/uses_untrusted_public_registries.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { str } from '../../util.js';
import { publicRegistry } from '../../image.js';

export default defineCheck({
  id: 'KSV034',
  avdId: 'AVD-KSV-0034',
  aliases: ['KSV-0034'],
  title: 'Container images from public registries used',
  severity: 'MEDIUM',
  description: 'Container images must not start with an empty prefix or a defined public registry domain.',
  remediation: 'Use images from private registries.',
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => publicRegistry(str(c.container['image'])),
      (c) => `${containerSubject(c, obj)} should not use images from a public registry`,
    );
  },
});
