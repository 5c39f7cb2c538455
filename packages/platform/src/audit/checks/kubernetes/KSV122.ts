/**
 * KSV122 (KSV-0122) Anonymous user access binding
 *
 * Fails for a binding with a subject named system:unauthenticated or system:anonymous.
 * Semantics follow Trivy's checks/kubernetes/anonymous_user_bind.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { subjectsOf } from '../../rbac.js';
import { str } from '../../util.js';

export default defineCheck({
  id: 'KSV122',
  avdId: 'AVD-KSV-0122',
  aliases: ['KSV-0122'],
  title: 'Anonymous user access binding',
  severity: 'CRITICAL',
  description: 'Binding to anonymous user to any clusterrole or role is a security risk.',
  remediation: 'Remove anonymous user binding from clusterrolebinding or rolebinding.',
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    const bad = new Set(['system:unauthenticated', 'system:anonymous']);
    return subjectsOf(obj)
      .filter((s) => bad.has(str(s.subject['name'])))
      .map((s) => ({
        message: `${obj.kind} '${obj.name}' should not bind ${str(s.subject['name'])}`,
        path: s.path,
      }));
  },
});
