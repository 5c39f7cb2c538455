/**
 * KSV048 (KSV-0048) Manage Kubernetes workloads and pods
 *
 * Write verbs on workload resources.
 * Semantics follow Trivy's checks/kubernetes/allowing_to_update_a_malicious_pod.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesGranting, CHANGE_VERBS } from '../../rbac.js';

export default defineCheck({
  id: 'KSV048',
  avdId: 'AVD-KSV-0048',
  aliases: ['KSV-0048'],
  title: 'Manage Kubernetes workloads and pods',
  severity: 'MEDIUM',
  description:
    'Depending on the policies enforced by the admission controller, this permission ranges from the ability to steal compute (crypto) by running workloads or allowing for creating workloads that escape to the node as root and escalation to cluster-admin.',
  remediation: "Kubernetes workloads resources are only allowed for verbs 'list', 'watch', 'get'",
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesGranting(
      obj,
      [
        'pods',
        'deployments',
        'jobs',
        'cronjobs',
        'statefulsets',
        'daemonsets',
        'replicasets',
        'replicationcontrollers',
      ],
      CHANGE_VERBS,
      `${obj.kind} '${obj.name}' should not have write access to workload resources`,
    );
  },
});
