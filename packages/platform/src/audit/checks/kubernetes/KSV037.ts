/**
 * KSV037 (KSV-0037) User resources should not be placed in kube-system namespace
 *
 * Fails for any object in kube-system that is not a control-plane static pod (tier=control-plane, priorityClassName system-node-critical, component label of a core component).
 * Semantics follow Trivy's checks/kubernetes/protect_core_components_namespace.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rec, str } from '../../util.js';

export default defineCheck({
  id: 'KSV037',
  avdId: 'AVD-KSV-0037',
  aliases: ['KSV-0037'],
  title: 'User resources should not be placed in kube-system namespace',
  severity: 'MEDIUM',
  description: 'ensure that user resources are not placed in kube-system namespace',
  remediation: 'Deploy the user resources into a designated namespace which is not kube-system.',
  kinds: ['*'],
  category: 'general',
  evaluate(obj, _ctx) {
    if (obj.namespace !== 'kube-system') return [];
    const labels = rec(rec(obj.object['metadata'])['labels']);
    const spec = rec(obj.object['spec']);
    const core =
      labels['tier'] === 'control-plane' &&
      spec['priorityClassName'] === 'system-node-critical' &&
      ['kube-apiserver', 'etcd', 'kube-controller-manager', 'kube-scheduler'].includes(
        str(labels['component']),
      );
    return core
      ? []
      : [
          {
            message: `${obj.kind} '${obj.name}' should not be set with 'kube-system' namespace`,
            path: ['metadata', 'namespace'],
          },
        ];
  },
});
