/**
 * KSV044 (KSV-0044) No wildcard verb and resource roles
 *
 * Rules with '*' apiGroups, resources and verbs.
 * Semantics follow Trivy's checks/kubernetes/any_any.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesOf } from '../../rbac.js';

export default defineCheck({
  id: 'KSV044',
  avdId: 'AVD-KSV-0044',
  aliases: ['KSV-0044'],
  title: 'No wildcard verb and resource roles',
  severity: 'CRITICAL',
  description: 'Check whether role permits wildcard verb on wildcard resource',
  remediation: 'Create a role which does not permit wildcard verb on wildcard resource',
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesOf(obj)
      .filter((r) => r.apiGroups.includes('*') && r.resources.includes('*') && r.verbs.includes('*'))
      .map((r) => ({ message: 'Role permits wildcard verb on wildcard resource', path: r.path }));
  },
});
