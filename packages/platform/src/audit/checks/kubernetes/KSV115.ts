/**
 * KSV115 (KSV-0115) Manage EKS IAM Auth ConfigMap
 *
 * Write verbs on configmaps with resourceNames aws-auth.
 * Semantics follow Trivy's checks/kubernetes/manage_eks_iam_auth_configmap.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesOf, CHANGE_VERBS } from '../../rbac.js';

export default defineCheck({
  id: 'KSV115',
  avdId: 'AVD-KSV-0115',
  aliases: ['KSV-0115'],
  title: 'Manage EKS IAM Auth ConfigMap',
  severity: 'CRITICAL',
  description: 'Ability to add AWS IAM to RBAC bindings via special EKS configmap.',
  remediation: 'Ability to add AWS IAM to RBAC bindings via special EKS configmap.',
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesOf(obj)
      .filter(
        (r) =>
          r.resources.includes('configmaps') &&
          r.resourceNames.includes('aws-auth') &&
          r.verbs.some((v) => CHANGE_VERBS.includes(v)),
      )
      .map((r) => ({
        message: `${obj.kind} '${obj.name}' should not have write access to configmap 'aws-auth'`,
        path: r.path,
      }));
  },
});
