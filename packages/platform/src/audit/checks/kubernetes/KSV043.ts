/**
 * KSV043 (KSV-0043) Do not allow impersonation of privileged groups
 *
 * Rules with apiGroups '*', resource groups and verb impersonate.
 * Semantics follow Trivy's checks/kubernetes/impersonate_privileged_groups.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesOf } from '../../rbac.js';

export default defineCheck({
  id: 'KSV043',
  avdId: 'AVD-KSV-0043',
  aliases: ['KSV-0043'],
  title: 'Do not allow impersonation of privileged groups',
  severity: 'CRITICAL',
  description: 'Check whether role permits impersonating privileged groups',
  remediation: 'Create a role which does not permit to impersonate privileged groups if not needed',
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesOf(obj)
      .filter(
        (r) => r.apiGroups.includes('*') && r.resources.includes('groups') && r.verbs.includes('impersonate'),
      )
      .map((r) => ({ message: 'Role permits impersonation of privileged groups', path: r.path }));
  },
});
