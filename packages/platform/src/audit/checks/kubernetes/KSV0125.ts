/**
 * KSV0125 (KSV-0125) Restrict container images to trusted registries
 *
 * Fails for a container whose image names a registry (the part before the first '/', when there is
 * one) that is not one of the trusted registries or a subdomain of one. The trusted list defaults
 * to Trivy's (Azure, the ECR regions, GCR) and is replaced by the audit.trustedRegistries setting,
 * as Trivy's data ksv0125.trusted_registries does.
 * Semantics follow Trivy's checks/kubernetes/uses_untrusted_registry.rego; this is our own
 * implementation. Like Trivy, an image without '/' (a Docker Hub short name such as `nginx`) is not
 * judged, and `library/nginx` counts as registry `library`. Divergence: Trivy trusts any registry
 * whose name merely ends with a trusted one (`evilgcr.io` for `gcr.io`); we require the match to
 * start at a label boundary (`gcr.io`, `eu.gcr.io`).
 */
import { defineCheck } from '../../types.js';
import type { Check } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { str } from '../../util.js';

const ECR_REGIONS = [
  'us-east-2',
  'us-east-1',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-south-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'ca-central-1',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-south-1',
  'eu-west-3',
  'eu-north-1',
  'me-south-1',
  'sa-east-1',
  'us-gov-east-1',
  'us-gov-west-1',
];

/** Trivy's default trusted registries for KSV-0125. */
export const DEFAULT_TRUSTED_REGISTRIES: readonly string[] = [
  'azurecr.io',
  ...ECR_REGIONS.map((r) => `ecr.${r}.amazonaws.com`),
  'ecr.cn-north-1.amazonaws.com.cn',
  'ecr.cn-northwest-1.amazonaws.com.cn',
  'gcr.io',
  'us.gcr.io',
  'eu.gcr.io',
  'asia.gcr.io',
];

/** The registry an image reference names, or undefined when it names none (no '/'). */
export function registryOf(image: string): string | undefined {
  const slash = image.indexOf('/');
  return slash < 0 ? undefined : image.slice(0, slash);
}

export function registryTrusted(registry: string, trusted: readonly string[]): boolean {
  const r = registry.toLowerCase();
  return trusted.some((t) => {
    const d = t.toLowerCase();
    return d !== '' && (r === d || r.endsWith(`.${d}`));
  });
}

/** KSV0125 over this trusted list; an empty list means Trivy's default list. */
export function createKSV0125(trusted: readonly string[] = []): Check {
  const list = trusted.length > 0 ? [...trusted] : DEFAULT_TRUSTED_REGISTRIES;
  return defineCheck({
    id: 'KSV0125',
    avdId: 'AVD-KSV-0125',
    aliases: ['KSV-0125', 'use-trusted-registry', 'kubernetes-use-trusted-registry'],
    title: 'Restrict container images to trusted registries',
    severity: 'MEDIUM',
    description: 'Ensure that all containers use images only from trusted registry domains.',
    remediation: 'Use images from trusted registries.',
    kinds: WORKLOAD_KINDS,
    category: 'workload',
    evaluate(obj, ctx) {
      return eachContainer(
        obj,
        ctx,
        (c) => {
          const registry = registryOf(str(c.container['image']));
          return registry !== undefined && !registryTrusted(registry, list) ? [...c.path, 'image'] : false;
        },
        (c) =>
          `${containerSubject(c, obj)} uses an image from the untrusted registry '${registryOf(str(c.container['image'])) ?? ''}'`,
      );
    },
  });
}

export default createKSV0125();
