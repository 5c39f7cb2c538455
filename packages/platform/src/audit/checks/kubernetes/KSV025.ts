/**
 * KSV025 (KSV-0025) SELinux custom options set
 *
 * Fails when seLinuxOptions.type (pod or container) is not container_t, container_init_t or container_kvm_t, or when user or role is set.
 * Semantics follow Trivy's checks/kubernetes/selinux_custom_options_set.rego; this is our own implementation.
 */
import type { Failure, Rec, Path } from '../../types.js';
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';
import { str, has, isRec } from '../../util.js';

export default defineCheck({
  id: 'KSV025',
  avdId: 'AVD-KSV-0025',
  aliases: ['KSV-0025'],
  title: 'SELinux custom options set',
  severity: 'MEDIUM',
  description:
    "According to pod security standard 'SElinux', setting custom SELinux options should be disallowed.",
  remediation:
    "Do not set 'spec.securityContext.seLinuxOptions', spec.containers[*].securityContext.seLinuxOptions and spec.initContainers[*].securityContext.seLinuxOptions.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    const out: Failure[] = [];
    const contexts: { sc: Rec; path: Path }[] = [
      { sc: w.podSc, path: [...w.specPath, 'securityContext'] },
      ...w.containers.map((c) => ({ sc: c.sc, path: [...c.path, 'securityContext'] })),
    ];
    for (const { sc, path } of contexts) {
      const o = sc['seLinuxOptions'];
      if (!isRec(o)) continue;
      const type = o['type'];
      if (
        type !== undefined &&
        type !== null &&
        !['container_t', 'container_init_t', 'container_kvm_t'].includes(str(type))
      )
        out.push({
          message: `${obj.kind} '${obj.name}' uses invalid seLinux type '${typeof type === 'string' ? type : typeof type}'`,
          path: [...path, 'seLinuxOptions', 'type'],
        });
      const forbidden = ['role', 'user'].filter((k) => has(o, k));
      if (forbidden.length > 0)
        out.push({
          message: `${obj.kind} '${obj.name}' uses restricted properties in seLinuxOptions: (${forbidden.map((k) => `'${k}'`).join(', ')})`,
          path: [...path, 'seLinuxOptions'],
        });
    }
    return out;
    return [];
  },
});
