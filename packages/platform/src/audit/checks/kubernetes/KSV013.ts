/**
 * KSV013 (KSV-0013) Image tag ":latest" used
 *
 * Fails when the image has no digest and its tag is missing or latest (a registry port is not a tag).
 * Semantics follow Trivy's checks/kubernetes/uses_image_tag_latest.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { str } from '../../util.js';
import { imageTagged } from '../../image.js';

export default defineCheck({
  id: 'KSV013',
  avdId: 'AVD-KSV-0013',
  aliases: ['KSV-0013'],
  title: 'Image tag ":latest" used',
  severity: 'MEDIUM',
  description:
    "It is best to avoid using the ':latest' image tag when deploying containers in production. Doing so makes it hard to track which version of the image is running, and hard to roll back the version.",
  remediation: "Use a specific container image tag that is not 'latest'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => !imageTagged(str(c.container['image'])),
      (c) => `${containerSubject(c, obj)} should specify an image tag`,
    );
  },
});
