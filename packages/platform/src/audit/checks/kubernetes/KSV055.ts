/**
 * KSV055 (KSV-0055) Do not allow users in a rolebinding to add other users to their rolebindings
 *
 * get and patch on rolebindings with apiGroups '*'.
 * Semantics follow Trivy's checks/kubernetes/allowing_users_rolebinding_add_other_users_rolebindings.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesOf } from '../../rbac.js';

export default defineCheck({
  id: 'KSV055',
  avdId: 'AVD-KSV-0055',
  aliases: ['KSV-0055'],
  title: 'Do not allow users in a rolebinding to add other users to their rolebindings',
  severity: 'LOW',
  description:
    'Check whether role permits allowing users in a rolebinding to add other users to their rolebindings',
  remediation:
    'Create a role which does not permit allowing users in a rolebinding to add other users to their rolebindings if not needed',
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesOf(obj)
      .filter(
        (r) =>
          r.apiGroups.includes('*') &&
          r.resources.includes('rolebindings') &&
          r.verbs.includes('get') &&
          r.verbs.includes('patch'),
      )
      .map((r) => ({
        message: 'Role permits allowing users in a rolebinding to add other users to their rolebindings',
        path: r.path,
      }));
  },
});
