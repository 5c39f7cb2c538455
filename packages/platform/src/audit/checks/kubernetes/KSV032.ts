/**
 * KSV032 (KSV-0032) All container images must start with the *.azurecr.io domain
 *
 * Optional check: fails for images outside azurecr.io and *.azurecr.io.
 * Semantics follow Trivy's checks/kubernetes/uses_untrusted_azure_registry.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { str } from '../../util.js';

export default defineCheck({
  id: 'KSV032',
  avdId: 'AVD-KSV-0032',
  aliases: ['KSV-0032'],
  title: 'All container images must start with the *.azurecr.io domain',
  severity: 'MEDIUM',
  description: 'Containers should only use images from trusted registries.',
  remediation: 'Use images from trusted Azure registries.',
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => !/^([^/]+\.)?azurecr\.io\//.test(str(c.container['image'])),
      (c) => `${containerSubject(c, obj)} should use images from an Azure Container Registry (*.azurecr.io)`,
    );
  },
});
