/**
 * KSV045 (KSV-0045) No wildcard verb roles
 *
 * Rules with verb '*' on sensitive resources.
 * Semantics follow Trivy's checks/kubernetes/any_verb.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesGranting } from '../../rbac.js';

export default defineCheck({
  id: 'KSV045',
  avdId: 'AVD-KSV-0045',
  aliases: ['KSV-0045'],
  title: 'No wildcard verb roles',
  severity: 'CRITICAL',
  description: 'Check whether role permits wildcard verb on specific resources',
  remediation: 'Create a role which does not permit wildcard verb on specific resources',
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesGranting(
      obj,
      [
        'secrets',
        'pods',
        'deployments',
        'daemonsets',
        'statefulsets',
        'replicationcontrollers',
        'replicasets',
        'cronjobs',
        'jobs',
        'roles',
        'clusterroles',
        'rolebindings',
        'clusterrolebindings',
        'users',
        'groups',
      ],
      ['*'],
      `${obj.kind} '${obj.name}' permits wildcard verb on specific resources`,
    );
  },
});
