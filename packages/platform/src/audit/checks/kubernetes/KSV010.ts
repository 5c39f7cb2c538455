/**
 * KSV010 (KSV-0010) Access to host PID
 *
 * Fails when spec.hostPID is true.
 * Semantics follow Trivy's checks/kubernetes/host_pid.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';

export default defineCheck({
  id: 'KSV010',
  avdId: 'AVD-KSV-0010',
  aliases: ['KSV-0010'],
  title: 'Access to host PID',
  severity: 'HIGH',
  description:
    'Sharing the host’s PID namespace allows visibility on host processes, potentially leaking information such as environment variables and configuration.',
  remediation: "Do not set 'spec.template.spec.hostPID' to true.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    if (w.spec['hostPID'] === true)
      return [
        {
          message: `${obj.kind} '${obj.name}' should not set 'spec.template.spec.hostPID' to true`,
          path: [...w.specPath, 'hostPID'],
        },
      ];
    return [];
  },
});
