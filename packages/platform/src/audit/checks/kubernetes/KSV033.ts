/**
 * KSV033 (KSV-0033) All container images must start with a GCR domain
 *
 * Optional check: fails for images outside gcr.io and *.pkg.dev.
 * Semantics follow Trivy's checks/kubernetes/uses_untrusted_gcr_registry.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { str } from '../../util.js';

export default defineCheck({
  id: 'KSV033',
  avdId: 'AVD-KSV-0033',
  aliases: ['KSV-0033'],
  title: 'All container images must start with a GCR domain',
  severity: 'MEDIUM',
  description: 'Containers should only use images from trusted GCR registries.',
  remediation: 'Use images from trusted GCR registries.',
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => !/^([a-z0-9-]+\.)?(gcr\.io|pkg\.dev)\//.test(str(c.container['image'])),
      (c) => `${containerSubject(c, obj)} should use images from a GCR/Artifact Registry domain`,
    );
  },
});
