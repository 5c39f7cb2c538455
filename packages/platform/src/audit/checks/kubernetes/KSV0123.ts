/**
 * KSV0123 (KSV-0123) system:masters group access binding
 *
 * Fails for a binding with a subject named system:masters.
 * Semantics follow Trivy's checks/kubernetes/masters_group_bind.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { subjectsOf } from '../../rbac.js';
import { str } from '../../util.js';

export default defineCheck({
  id: 'KSV0123',
  avdId: 'AVD-KSV-0123',
  aliases: ['KSV-0123'],
  title: 'system:masters group access binding',
  severity: 'CRITICAL',
  description: 'Binding to system:masters group to any clusterrole or role is a security risk.',
  remediation: 'Remove system:masters group binding from clusterrolebinding or rolebinding.',
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    const bad = new Set(['system:masters']);
    return subjectsOf(obj)
      .filter((s) => bad.has(str(s.subject['name'])))
      .map((s) => ({
        message: `${obj.kind} '${obj.name}' should not bind ${str(s.subject['name'])}`,
        path: s.path,
      }));
  },
});
