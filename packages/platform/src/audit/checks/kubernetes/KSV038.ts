/**
 * KSV038 (KSV-0038) Selector usage in network policies
 *
 * Fails for a NetworkPolicy with no podSelector/namespaceSelector at the top or in any ingress.from / egress.to peer.
 * Semantics follow Trivy's checks/kubernetes/selector_usage_in_network_policies.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rec, arr, truthy } from '../../util.js';

export default defineCheck({
  id: 'KSV038',
  avdId: 'AVD-KSV-0038',
  aliases: ['KSV-0038'],
  title: 'Selector usage in network policies',
  severity: 'MEDIUM',
  description:
    'ensure that network policies selectors are applied to pods or namespaces to restricted ingress and egress traffic within the pod network',
  remediation:
    'create network policies and ensure that pods are selected using the podSelector and/or the namespaceSelector options',
  kinds: ['NetworkPolicy'],
  category: 'network',
  evaluate(obj, _ctx) {
    const spec = rec(obj.object['spec']);
    const sel = (o: unknown): boolean => truthy(rec(o)['podSelector']) || truthy(rec(o)['namespaceSelector']);
    const ok =
      sel(spec) ||
      arr(spec['ingress']).some((i) => arr(rec(i)['from']).some(sel)) ||
      arr(spec['egress']).some((e) => arr(rec(e)['to']).some(sel));
    return ok
      ? []
      : [
          {
            message:
              'Network policy should uses podSelector and/or the namespaceSelector to restrict ingress and egress traffic within the Pod network',
            path: ['spec'],
          },
        ];
  },
});
