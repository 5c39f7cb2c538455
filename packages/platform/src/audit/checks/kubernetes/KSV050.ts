/**
 * KSV050 (KSV-0050) Do not allow privilege escalation via RBAC resources
 *
 * Write verbs on roles/rolebindings.
 * Semantics follow Trivy's checks/kubernetes/manage_kubernetes_rbac_resources.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesGranting } from '../../rbac.js';

export default defineCheck({
  id: 'KSV050',
  avdId: 'AVD-KSV-0050',
  aliases: ['KSV-0050'],
  title: 'Do not allow privilege escalation via RBAC resources',
  severity: 'CRITICAL',
  description:
    'Check whether role permits escalate, bind, or impersonate on roles/rolebindings, which can lead to privilege escalation.',
  remediation: 'Remove permissions for escalate, bind, and impersonate verbs on roles and rolebindings',
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesGranting(
      obj,
      ['roles', 'rolebindings'],
      ['create', 'update', 'delete', 'deletecollection', 'impersonate', '*'],
      `${obj.kind} '${obj.name}' should not have write access to RBAC resources roles and rolebindings`,
    );
  },
});
