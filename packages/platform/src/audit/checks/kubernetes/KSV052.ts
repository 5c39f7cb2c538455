/**
 * KSV052 (KSV-0052) Do not allow role to create ClusterRoleBindings and association with privileged role
 *
 * A rule allowing create on clusterrolebindings (rbac.authorization.k8s.io) followed by a rule allowing bind on roles/clusterroles with resourceNames '*'.
 * Semantics follow Trivy's checks/kubernetes/allowing_create_role_clusterrolebinding_and_associate_privileged_clusterrole.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { pairOf } from '../../rbac.js';

export default defineCheck({
  id: 'KSV052',
  avdId: 'AVD-KSV-0052',
  aliases: ['KSV-0052'],
  title: 'Do not allow role to create ClusterRoleBindings and association with privileged role',
  severity: 'HIGH',
  description:
    'Check whether role permits creating role ClusterRoleBindings and association with privileged cluster role',
  remediation:
    'Create a role which does not permit to create role clusterrolebindings and associate to privileged cluster role',
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return pairOf(obj, 'clusterrolebindings');
  },
});
