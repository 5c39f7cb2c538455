/**
 * KSV041 (KSV-0041) Manage secrets
 *
 * ClusterRole rules granting any verb on secrets.
 * Semantics follow Trivy's checks/kubernetes/manage_secrets.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesGranting } from '../../rbac.js';

export default defineCheck({
  id: 'KSV041',
  avdId: 'AVD-KSV-0041',
  aliases: ['KSV-0041'],
  title: 'Manage secrets',
  severity: 'CRITICAL',
  description:
    'Viewing secrets at the cluster-scope is akin to cluster-admin in most clusters as there are typically at least one service accounts (their token stored in a secret) bound to cluster-admin directly or a role/clusterrole that gives similar permissions.',
  remediation:
    'Viewing secrets at the cluster-scope is akin to cluster-admin in most clusters as there are typically at least one service accounts (their token stored in a secret) bound to cluster-admin directly or a role/clusterrole that gives similar permissions.',
  kinds: ['ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesGranting(
      obj,
      ['secrets'],
      ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'impersonate', '*'],
      `${obj.kind} '${obj.name}' shouldn't have access to manage resource 'secrets'`,
    );
  },
});
