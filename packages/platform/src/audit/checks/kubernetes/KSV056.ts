/**
 * KSV056 (KSV-0056) Manage Kubernetes networking
 *
 * Write verbs on services, endpoints, endpointslices, networkpolicies, ingresses.
 * Semantics follow Trivy's checks/kubernetes/manage_kubernetes_networking.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesGranting, CHANGE_VERBS } from '../../rbac.js';

export default defineCheck({
  id: 'KSV056',
  avdId: 'AVD-KSV-0056',
  aliases: ['KSV-0056'],
  title: 'Manage Kubernetes networking',
  severity: 'HIGH',
  description:
    'The ability to control which pods get service traffic directed to them allows for interception attacks. Controlling network policy allows for bypassing lateral movement restrictions.',
  remediation: "Networking resources are only allowed for verbs 'list', 'watch', 'get'",
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesGranting(
      obj,
      ['services', 'endpoints', 'endpointslices', 'networkpolicies', 'ingresses'],
      CHANGE_VERBS,
      `${obj.kind} '${obj.name}' should not have write access to networking resources`,
    );
  },
});
