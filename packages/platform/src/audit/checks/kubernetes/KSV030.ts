/**
 * KSV030 (KSV-0030) Runtime/Default Seccomp profile not set
 *
 * With the legacy pod annotation: fails unless it is runtime/default. Otherwise fails for every container whose effective seccompProfile.type (container, else pod) is not RuntimeDefault or Localhost.
 * Semantics follow Trivy's checks/kubernetes/runtime_default_seccomp_profile_not_set.rego; this is our own implementation.
 */
import type { Rec } from '../../types.js';
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';
import { rec, str, has } from '../../util.js';

export default defineCheck({
  id: 'KSV030',
  avdId: 'AVD-KSV-0030',
  aliases: ['KSV-0030'],
  title: 'Runtime/Default Seccomp profile not set',
  severity: 'LOW',
  description:
    "According to pod security standard 'Seccomp', the RuntimeDefault seccomp profile must be required, or allow specific additional profiles.",
  remediation:
    "Set 'spec.securityContext.seccompProfile.type', 'spec.containers[*].securityContext.seccompProfile' and 'spec.initContainers[*].securityContext.seccompProfile' to 'RuntimeDefault' or undefined.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(_obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    const key = 'seccomp.security.alpha.kubernetes.io/pod';
    const ann = w.annotations[key];
    if (ann !== undefined) {
      return ann === 'runtime/default'
        ? []
        : [
            {
              message: `${key} should be set to 'runtime/default'`,
              path: [...w.podPath, 'metadata', 'annotations'],
            },
          ];
    }
    const ok = (sc: Rec): boolean =>
      ['RuntimeDefault', 'Localhost'].includes(str(rec(sc['seccompProfile'])['type']));
    return w.containers
      .filter((c) => !ok(has(c.sc, 'seccompProfile') ? c.sc : w.podSc))
      .map((c) => ({
        message:
          "Either Pod or Container should set 'securityContext.seccompProfile.type' to 'RuntimeDefault'",
        path: c.path,
      }));
    return [];
  },
});
