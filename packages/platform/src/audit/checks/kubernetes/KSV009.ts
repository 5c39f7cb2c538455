/**
 * KSV009 (KSV-0009) Access to host network
 *
 * Fails when spec.hostNetwork is true.
 * Semantics follow Trivy's checks/kubernetes/host_network.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';

export default defineCheck({
  id: 'KSV009',
  avdId: 'AVD-KSV-0009',
  aliases: ['KSV-0009'],
  title: 'Access to host network',
  severity: 'HIGH',
  description:
    'Sharing the host’s network namespace permits processes in the pod to communicate with processes bound to the host’s loopback adapter.',
  remediation: "Do not set 'spec.template.spec.hostNetwork' to true.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    if (w.spec['hostNetwork'] === true)
      return [
        {
          message: `${obj.kind} '${obj.name}' should not set 'spec.template.spec.hostNetwork' to true`,
          path: [...w.specPath, 'hostNetwork'],
        },
      ];
    return [];
  },
});
