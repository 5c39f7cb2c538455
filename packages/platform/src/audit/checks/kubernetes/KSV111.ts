/**
 * KSV111 (KSV-0111) User with admin access
 *
 * Fails for a binding whose roleRef is cluster-admin, admin or edit.
 * Semantics follow Trivy's checks/kubernetes/cluster_admin_role_is_only_used_where_required.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rec, str } from '../../util.js';

export default defineCheck({
  id: 'KSV111',
  avdId: 'AVD-KSV-0111',
  aliases: ['KSV-0111'],
  title: 'User with admin access',
  severity: 'MEDIUM',
  description: 'Either cluster-admin or those granted powerful permissions.',
  remediation: "Remove binding for clusterrole 'cluster-admin', 'admin' or 'edit'",
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    const ref = str(rec(obj.object['roleRef'])['name']);
    return ['cluster-admin', 'admin', 'edit'].includes(ref)
      ? [
          {
            message: `${obj.kind} '${obj.name}' should not bind to roles cluster-admin, admin, edit`,
            path: ['roleRef', 'name'],
          },
        ]
      : [];
  },
});
