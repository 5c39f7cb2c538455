/**
 * KSV051 (KSV-0051) Do not allow role binding creation and association with privileged role/clusterrole
 *
 * A rule allowing create on rolebindings (rbac.authorization.k8s.io) followed by a rule allowing bind on roles/clusterroles with resourceNames '*'.
 * Semantics follow Trivy's checks/kubernetes/allowing_create_role_binding_and_associate_privileged_clusterrole.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { pairOf } from '../../rbac.js';

export default defineCheck({
  id: 'KSV051',
  avdId: 'AVD-KSV-0051',
  aliases: ['KSV-0051'],
  title: 'Do not allow role binding creation and association with privileged role/clusterrole',
  severity: 'HIGH',
  description:
    'Check whether role permits creating role bindings and associating to privileged role/clusterrole',
  remediation:
    'Create a role which does not permit creation of role bindings and associating with privileged cluster role',
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return pairOf(obj, 'rolebindings');
  },
});
