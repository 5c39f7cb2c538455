/**
 * KSV118 (KSV-0118) Default security context configured
 *
 * As Trivy: fails when the pod or a container sets securityContext to an empty object.
 * Semantics follow Trivy's checks/kubernetes/default_security_context.rego; this is our own implementation.
 */
import type { Failure } from '../../types.js';
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';
import { isRec } from '../../util.js';

export default defineCheck({
  id: 'KSV118',
  avdId: 'AVD-KSV-0118',
  aliases: ['KSV-0118'],
  title: 'Default security context configured',
  severity: 'HIGH',
  description:
    'Security context controls the allocation of security parameters for the pod/container/volume, ensuring the appropriate level of protection. Relying on default security context may expose vulnerabilities to potential attacks that rely on privileged access.',
  remediation:
    'To enhance security, it is strongly recommended not to rely on the default security context. Instead, it is advisable to explicitly define the required security parameters (such as runAsNonRoot, capabilities, readOnlyRootFilesystem, etc.) within the security context.',
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    const out: Failure[] = [];
    if (isRec(w.spec['securityContext']) && Object.keys(w.spec['securityContext']).length === 0)
      out.push({
        message: `${obj.kind.toLowerCase()} ${obj.name} is using the default security context, which allows root privileges`,
        path: [...w.specPath, 'securityContext'],
      });
    for (const c of w.containers)
      if (isRec(c.container['securityContext']) && Object.keys(c.sc).length === 0)
        out.push({
          message: `container ${c.name} of ${obj.name} is using the default security context`,
          path: [...c.path, 'securityContext'],
        });
    return out;
    return [];
  },
});
