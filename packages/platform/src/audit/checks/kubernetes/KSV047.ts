/**
 * KSV047 (KSV-0047) Do not allow privilege escalation from node proxy
 *
 * get/create on nodes/proxy.
 * Semantics follow Trivy's checks/kubernetes/privilege_escalation_from_node_proxy.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesGranting } from '../../rbac.js';

export default defineCheck({
  id: 'KSV047',
  avdId: 'AVD-KSV-0047',
  aliases: ['KSV-0047'],
  title: 'Do not allow privilege escalation from node proxy',
  severity: 'HIGH',
  description: 'Check whether role permits privilege escalation from node proxy',
  remediation: 'Create a role which does not permit privilege escalation from node proxy',
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesGranting(
      obj,
      ['nodes/proxy'],
      ['get', 'create'],
      `${obj.kind} '${obj.name}' permits privilege escalation from node proxy`,
    );
  },
});
