/**
 * KSV112 (KSV-0112) Manage all resources at the namespace
 *
 * Role rules with resource '*'.
 * Semantics follow Trivy's checks/kubernetes/manage_all_resources_at_namespace.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesGranting } from '../../rbac.js';

export default defineCheck({
  id: 'KSV112',
  avdId: 'AVD-KSV-0112',
  aliases: ['KSV-0112'],
  title: 'Manage all resources at the namespace',
  severity: 'CRITICAL',
  description:
    'Full control of the resources within a namespace.  In some cluster configurations, this is excessive. In others, this is normal (a gitops deployment operator like flux)',
  remediation:
    'Full control of the resources within a namespace.  In some cluster configurations, this is excessive. In others, this is normal (a gitops deployment operator like flux)',
  kinds: ['Role'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesGranting(
      obj,
      ['*'],
      ['create', 'update', 'delete', 'deletecollection', 'impersonate', '*', 'list', 'get'],
      `${obj.kind} '${obj.name}' shouldn't manage all resources at the namespace`,
    );
  },
});
