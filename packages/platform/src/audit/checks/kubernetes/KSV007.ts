/**
 * KSV007 (KSV-0007) Manages /etc/hosts
 *
 * Fails when spec.hostAliases is set.
 * Semantics follow Trivy's checks/kubernetes/manages_etc_hosts.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';
import { arr } from '../../util.js';

export default defineCheck({
  id: 'KSV007',
  avdId: 'AVD-KSV-0007',
  aliases: ['KSV-0007'],
  title: 'Manages /etc/hosts',
  severity: 'LOW',
  description:
    'Managing /etc/hosts aliases can prevent the container engine from modifying the file after a pod’s containers have already been started.',
  remediation: "Do not set 'spec.template.spec.hostAliases'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    if (arr(w.spec['hostAliases']).length > 0)
      return [
        {
          message: `${obj.kind} '${obj.name}' should not set 'spec.template.spec.hostAliases'`,
          path: [...w.specPath, 'hostAliases'],
        },
      ];
    return [];
  },
});
