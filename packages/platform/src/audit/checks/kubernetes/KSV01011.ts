/**
 * KSV01011 (KSV-01011) system:authenticate group access binding
 *
 * Fails for a binding with a subject named system:authenticated.
 * Semantics follow Trivy's checks/kubernetes/authenticate_group_bind.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { subjectsOf } from '../../rbac.js';
import { str } from '../../util.js';

export default defineCheck({
  id: 'KSV01011',
  avdId: 'AVD-KSV-01011',
  aliases: ['KSV-01011'],
  title: 'system:authenticate group access binding',
  severity: 'CRITICAL',
  description: 'Binding to system:authenticate group to any clusterrole or role is a security risk.',
  remediation: 'Remove system:authenticated group binding from clusterrolebinding or rolebinding.',
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    const bad = new Set(['system:authenticated']);
    return subjectsOf(obj)
      .filter((s) => bad.has(str(s.subject['name'])))
      .map((s) => ({
        message: `${obj.kind} '${obj.name}' should not bind ${str(s.subject['name'])}`,
        path: s.path,
      }));
  },
});
