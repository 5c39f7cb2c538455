/**
 * KSV046 (KSV-0046) Manage all resources
 *
 * ClusterRole rules with resource '*'.
 * Semantics follow Trivy's checks/kubernetes/manage_all_resources.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesGranting } from '../../rbac.js';

export default defineCheck({
  id: 'KSV046',
  avdId: 'AVD-KSV-0046',
  aliases: ['KSV-0046'],
  title: 'Manage all resources',
  severity: 'CRITICAL',
  description:
    'Full control of the cluster resources, and therefore also root on all nodes where workloads can run and has access to all pods, secrets, and data.',
  remediation:
    'Full control of the cluster resources, and therefore also root on all nodes where workloads can run and has access to all pods, secrets, and data.',
  kinds: ['ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesGranting(
      obj,
      ['*'],
      ['create', 'update', 'delete', 'deletecollection', 'impersonate', '*', 'list', 'get'],
      `${obj.kind} '${obj.name}' shouldn't manage all resources`,
    );
  },
});
