/**
 * KSV024 (KSV-0024) Access to host ports
 *
 * Fails when any port of the container sets hostPort (0 included, as Trivy).
 * Semantics follow Trivy's checks/kubernetes/access_to_host_ports.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { rec, arr } from '../../util.js';

export default defineCheck({
  id: 'KSV024',
  avdId: 'AVD-KSV-0024',
  aliases: ['KSV-0024'],
  title: 'Access to host ports',
  severity: 'HIGH',
  description:
    "According to pod security standard 'Host Ports', hostPorts should be disallowed, or at minimum restricted to a known list.",
  remediation:
    'Do not set spec.containers[*].ports[*].hostPort and spec.initContainers[*].ports[*].hostPort.',
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) =>
        arr(c.container['ports']).some(
          (p) => rec(p)['hostPort'] !== undefined && rec(p)['hostPort'] !== null,
        ),
      (c) => `${containerSubject(c, obj)} should not set host ports, 'ports[*].hostPort'`,
    );
  },
});
