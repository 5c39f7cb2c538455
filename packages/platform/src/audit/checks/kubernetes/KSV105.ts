/**
 * KSV105 (KSV-0105) Containers must not set runAsUser to 0
 *
 * Fails when runAsUser is 0 at pod or container level.
 * Semantics follow Trivy's checks/kubernetes/runs_with_a_root_uid.rego; this is our own implementation.
 */
import type { Failure } from '../../types.js';
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject } from '../../workload.js';

export default defineCheck({
  id: 'KSV105',
  avdId: 'AVD-KSV-0105',
  aliases: ['KSV-0105'],
  title: 'Containers must not set runAsUser to 0',
  severity: 'LOW',
  description: 'Containers should be forbidden from running with a root UID.',
  remediation: "Set 'securityContext.runAsUser' to a non-zero integer or leave undefined.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    const out: Failure[] = [];
    if (w.podSc['runAsUser'] === 0)
      out.push({
        message: `${obj.kind} '${obj.name}' should not set 'securityContext.runAsUser' to 0`,
        path: [...w.specPath, 'securityContext', 'runAsUser'],
      });
    for (const c of w.containers)
      if (c.sc['runAsUser'] === 0)
        out.push({
          message: `${containerSubject(c, obj)} should not set 'securityContext.runAsUser' to 0`,
          path: [...c.path, 'securityContext', 'runAsUser'],
        });
    return out;
    return [];
  },
});
