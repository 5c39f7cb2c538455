/**
 * KSV114 (KSV-0114) Manage webhookconfigurations
 *
 * Write verbs on mutating/validating webhook configurations.
 * Semantics follow Trivy's checks/kubernetes/manage_webhook_configurations.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rulesGranting, CHANGE_VERBS } from '../../rbac.js';

export default defineCheck({
  id: 'KSV114',
  avdId: 'AVD-KSV-0114',
  aliases: ['KSV-0114'],
  title: 'Manage webhookconfigurations',
  severity: 'CRITICAL',
  description:
    'Webhooks can silently intercept or actively mutate/block resources as they are being created or updated. This includes secrets and pod specs.',
  remediation:
    'Webhooks can silently intercept or actively mutate/block resources as they are being created or updated. This includes secrets and pod specs.',
  kinds: ['Role', 'ClusterRole'],
  category: 'rbac',
  evaluate(obj, _ctx) {
    return rulesGranting(
      obj,
      ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
      CHANGE_VERBS,
      `${obj.kind} '${obj.name}' should not have write access to webhook configurations`,
    );
  },
});
