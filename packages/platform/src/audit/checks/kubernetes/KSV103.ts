/**
 * KSV103 (KSV-0103) Access to host process
 *
 * Fails when windowsOptions.hostProcess is true at pod or container level.
 * Semantics follow Trivy's checks/kubernetes/windows_host_process.rego; this is our own implementation.
 */
import type { Failure, Rec } from '../../types.js';
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject } from '../../workload.js';
import { rec } from '../../util.js';

export default defineCheck({
  id: 'KSV103',
  avdId: 'AVD-KSV-0103',
  aliases: ['KSV-0103'],
  title: 'Access to host process',
  severity: 'MEDIUM',
  description:
    'Windows pods offer the ability to run HostProcess containers which enable privileged access to the Windows node.',
  remediation: "Do not enable 'hostProcess' on any securityContext",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    const hp = (sc: Rec): boolean => rec(sc['windowsOptions'])['hostProcess'] === true;
    const out: Failure[] = [];
    if (hp(w.podSc))
      out.push({
        message: `${obj.kind} '${obj.name}' should not set 'securityContext.windowsOptions.hostProcess' to true`,
        path: [...w.specPath, 'securityContext', 'windowsOptions', 'hostProcess'],
      });
    for (const c of w.containers)
      if (hp(c.sc))
        out.push({
          message: `${containerSubject(c, obj)} should not set 'securityContext.windowsOptions.hostProcess' to true`,
          path: [...c.path, 'securityContext', 'windowsOptions', 'hostProcess'],
        });
    return out;
    return [];
  },
});
