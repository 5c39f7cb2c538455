/**
 * KSV049 (KSV-0049) Manage configmaps
 *
 * Write verbs on configmaps.
 * Semantics follow Trivy's checks/kubernetes/manage_configmaps.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesGranting, CHANGE_VERBS } from '../../rbac.js';

export default defineCheck({
  id: 'KSV049',
  avdId: 'AVD-KSV-0049',
  aliases: ['KSV-0049'],
  title: 'Manage configmaps',
  severity: 'MEDIUM',
  description:
    'Some workloads leverage configmaps to store sensitive data or configuration parameters that affect runtime behavior that can be modified by an attacker or combined with another issue to potentially lead to compromise.',
  remediation: "Remove write permission verbs for resource 'configmaps'",
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesGranting(
      obj,
      ['configmaps'],
      CHANGE_VERBS,
      `${obj.kind} '${obj.name}' should not have write access to resource 'configmaps'`,
    );
  },
});
