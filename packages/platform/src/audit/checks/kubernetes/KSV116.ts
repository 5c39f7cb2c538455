/**
 * KSV116 (KSV-0116) Runs with a root primary or supplementary GID
 *
 * Fails when the pod sets runAsGroup, a supplementalGroups entry or fsGroup to 0.
 * Semantics follow Trivy's checks/kubernetes/runs_with_a_root_primary_or_supplementary_GID.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';
import { arr } from '../../util.js';

export default defineCheck({
  id: 'KSV116',
  avdId: 'AVD-KSV-0116',
  aliases: ['KSV-0116'],
  title: 'Runs with a root primary or supplementary GID',
  severity: 'LOW',
  description:
    "According to pod security standard 'Non-root groups', containers should be forbidden from running with a root primary or supplementary GID.",
  remediation:
    "According to pod security standard 'Non-root groups', containers should be forbidden from running with a root primary or supplementary GID.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    const bad =
      w.podSc['runAsGroup'] === 0 ||
      arr(w.podSc['supplementalGroups']).includes(0) ||
      w.podSc['fsGroup'] === 0 ||
      w.containers.some((c) => c.sc['runAsGroup'] === 0);
    return bad
      ? [
          {
            message: `${obj.kind.toLowerCase()} ${obj.name} should set spec.securityContext.runAsGroup, spec.securityContext.supplementalGroups[*] and spec.securityContext.fsGroup to integer greater than 0`,
            path: [...w.specPath, 'securityContext'],
          },
        ]
      : [];
    return [];
  },
});
