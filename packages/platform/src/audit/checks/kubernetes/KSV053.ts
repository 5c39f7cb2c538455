/**
 * KSV053 (KSV-0053) Exec into Pods
 *
 * Write verbs (create …) on pods/exec.
 * Semantics follow Trivy's checks/kubernetes/get_shell_on_pod.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesGranting, CHANGE_VERBS } from '../../rbac.js';

export default defineCheck({
  id: 'KSV053',
  avdId: 'AVD-KSV-0053',
  aliases: ['KSV-0053'],
  title: 'Exec into Pods',
  severity: 'HIGH',
  description:
    'The ability to exec into a container with privileged access to the host or with an attached SA with higher RBAC permissions is a common escalation path to cluster-admin.',
  remediation: "Remove write permission verbs for resource 'pods/exec'",
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesGranting(
      obj,
      ['pods/exec'],
      CHANGE_VERBS,
      `${obj.kind} '${obj.name}' should not have access to resource 'pods/exec' for write verbs`,
    );
  },
});
