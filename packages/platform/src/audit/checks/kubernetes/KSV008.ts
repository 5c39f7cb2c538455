/**
 * KSV008 (KSV-0008) Access to host IPC namespace
 *
 * Fails when spec.hostIPC is true.
 * Semantics follow Trivy's checks/kubernetes/host_ipc.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';

export default defineCheck({
  id: 'KSV008',
  avdId: 'AVD-KSV-0008',
  aliases: ['KSV-0008'],
  title: 'Access to host IPC namespace',
  severity: 'HIGH',
  description:
    'Sharing the host’s IPC namespace allows container processes to communicate with processes on the host.',
  remediation: "Do not set 'spec.template.spec.hostIPC' to true.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    if (w.spec['hostIPC'] === true)
      return [
        {
          message: `${obj.kind} '${obj.name}' should not set 'spec.template.spec.hostIPC' to true`,
          path: [...w.specPath, 'hostIPC'],
        },
      ];
    return [];
  },
});
