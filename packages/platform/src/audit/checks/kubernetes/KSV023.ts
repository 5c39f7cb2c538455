/**
 * KSV023 (KSV-0023) hostPath volumes mounted
 *
 * Fails for every hostPath volume.
 * Semantics follow Trivy's checks/kubernetes/hostpath_volumes_mounted.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';

export default defineCheck({
  id: 'KSV023',
  avdId: 'AVD-KSV-0023',
  aliases: ['KSV-0023'],
  title: 'hostPath volumes mounted',
  severity: 'MEDIUM',
  description: "According to pod security standard 'HostPath Volumes', HostPath volumes must be forbidden.",
  remediation: "Do not set 'spec.volumes[*].hostPath'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    return w.volumes
      .filter((v) => v.volume['hostPath'] !== undefined)
      .map((v) => ({
        message: `${obj.kind} '${obj.name}' should not set 'spec.template.volumes.hostPath'`,
        path: v.path,
      }));
    return [];
  },
});
