/**
 * KSV054 (KSV-0054) Do not allow attaching to shell on pods
 *
 * A rule allowing create on pods/attach (apiGroups '*') followed by a rule allowing get on pods.
 * Semantics follow Trivy's checks/kubernetes/attaching_pod_view_logs_realtime.rego; this is our own implementation.
 */
import type { Failure } from '../../types.js';
import { defineCheck } from '../../types.js';
import { rulesOf } from '../../rbac.js';

export default defineCheck({
  id: 'KSV054',
  avdId: 'AVD-KSV-0054',
  aliases: ['KSV-0054'],
  title: 'Do not allow attaching to shell on pods',
  severity: 'HIGH',
  description: 'Check whether role permits attaching to shell on pods',
  remediation: 'Create a role which does not permit attaching to shell on pods',
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    const rules = rulesOf(obj);
    const out: Failure[] = [];
    rules.forEach((a, i) => {
      if (!(a.apiGroups.includes('*') && a.resources.includes('pods/attach') && a.verbs.includes('create')))
        return;
      if (
        rules
          .slice(i + 1)
          .some((b) => b.apiGroups.includes('*') && b.resources.includes('pods') && b.verbs.includes('get'))
      )
        out.push({ message: 'Role permits attaching to shell on pods', path: a.path });
    });
    return out;
  },
});
