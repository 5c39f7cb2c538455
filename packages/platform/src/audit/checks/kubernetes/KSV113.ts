/**
 * KSV113 (KSV-0113) Manage namespace secrets
 *
 * Role rules granting any verb on secrets.
 * Semantics follow Trivy's checks/kubernetes/manage_namespace_secrets.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesGranting } from '../../rbac.js';

export default defineCheck({
  id: 'KSV113',
  avdId: 'AVD-KSV-0113',
  aliases: ['KSV-0113'],
  title: 'Manage namespace secrets',
  severity: 'MEDIUM',
  description:
    'Viewing secrets at the namespace scope can lead to escalation if another service account in that namespace has a higher privileged rolebinding or clusterrolebinding bound.',
  remediation:
    'Viewing secrets at the namespace scope can lead to escalation if another service account in that namespace has a higher privileged rolebinding or clusterrolebinding bound.',
  kinds: ['Role'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesGranting(
      obj,
      ['secrets'],
      ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'impersonate', '*'],
      `${obj.kind} '${obj.name}' shouldn't have access to manage secrets in namespace`,
    );
  },
});
