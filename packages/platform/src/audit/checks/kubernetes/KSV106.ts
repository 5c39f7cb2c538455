/**
 * KSV106 (KSV-0106) Container capabilities must only include NET_BIND_SERVICE
 *
 * Fails unless a container drops ALL and adds nothing but NET_BIND_SERVICE.
 * Semantics follow Trivy's checks/kubernetes/drop_all_capabilities_only_add_net_bind_service.rego; this is our own implementation.
 */
import type { Failure } from '../../types.js';
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, capsOf } from '../../workload.js';

export default defineCheck({
  id: 'KSV106',
  avdId: 'AVD-KSV-0106',
  aliases: ['KSV-0106'],
  title: 'Container capabilities must only include NET_BIND_SERVICE',
  severity: 'LOW',
  description:
    'Containers must drop ALL capabilities, and are only permitted to add back the NET_BIND_SERVICE capability.',
  remediation:
    "Set 'spec.containers[*].securityContext.capabilities.drop' to 'ALL' and only add 'NET_BIND_SERVICE' to 'spec.containers[*].securityContext.capabilities.add'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    const out: Failure[] = [];
    for (const c of w.containers) {
      if (!capsOf(c, 'drop').some((x) => x.toUpperCase() === 'ALL'))
        out.push({ message: `${containerSubject(c, obj)} should drop all capabilities`, path: c.path });
      else if (capsOf(c, 'add').some((x) => x !== 'NET_BIND_SERVICE'))
        out.push({
          message: `${containerSubject(c, obj)} should only add NET_BIND_SERVICE`,
          path: [...c.path, 'securityContext', 'capabilities'],
        });
    }
    return out;
    return [];
  },
});
