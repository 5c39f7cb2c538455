/**
 * KSV042 (KSV-0042) Delete pod logs
 *
 * Rules allowing delete/deletecollection/* on pods/log.
 * Semantics follow Trivy's checks/kubernetes/delete_pod_logs.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesGranting } from '../../rbac.js';

export default defineCheck({
  id: 'KSV042',
  avdId: 'AVD-KSV-0042',
  aliases: ['KSV-0042'],
  title: 'Delete pod logs',
  severity: 'MEDIUM',
  description: 'Used to cover attacker’s tracks, but most clusters ship logs quickly off-cluster.',
  remediation:
    "Remove verbs 'delete' and 'deletecollection' for resource 'pods/log' for Role and ClusterRole",
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesGranting(
      obj,
      ['pods/log'],
      ['delete', 'deletecollection', '*'],
      `${obj.kind} '${obj.name}' should not have access to resource 'pods/log' for verbs delete, deletecollection`,
    );
  },
});
