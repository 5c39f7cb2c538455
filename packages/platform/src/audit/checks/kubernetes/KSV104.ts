/**
 * KSV104 (KSV-0104) Seccomp policies disabled
 *
 * Fails when seccompProfile.type is Unconfined at pod or container level.
 * Semantics follow Trivy's checks/kubernetes/seccomp_profile_unconfined.rego; this is our own implementation.
 */
import type { Failure, Rec } from '../../types.js';
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject } from '../../workload.js';
import { rec } from '../../util.js';

export default defineCheck({
  id: 'KSV104',
  avdId: 'AVD-KSV-0104',
  aliases: ['KSV-0104'],
  title: 'Seccomp policies disabled',
  severity: 'MEDIUM',
  description: 'A program inside the container can bypass Seccomp protection policies.',
  remediation:
    'Specify seccomp either by annotation or by seccomp profile type having allowed values as per pod security standards',
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    const unconfined = (sc: Rec): boolean => rec(sc['seccompProfile'])['type'] === 'Unconfined';
    const out: Failure[] = [];
    if (unconfined(w.podSc))
      out.push({
        message: `${obj.kind} '${obj.name}' should not set 'securityContext.seccompProfile.type' to 'Unconfined'`,
        path: [...w.specPath, 'securityContext', 'seccompProfile'],
      });
    for (const c of w.containers)
      if (unconfined(c.sc))
        out.push({
          message: `${containerSubject(c, obj)} should not set 'securityContext.seccompProfile.type' to 'Unconfined'`,
          path: [...c.path, 'securityContext', 'seccompProfile'],
        });
    return out;
    return [];
  },
});
