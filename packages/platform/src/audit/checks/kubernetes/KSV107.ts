/**
 * KSV107 (KSV-0107) The deprecated 'apiVersion' and 'kind' should not be used
 *
 * Fails for apiVersion/kind pairs removed from Kubernetes (table in the file).
 * Semantics follow Trivy's checks/kubernetes/outdated_api.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { DEPRECATED_APIS } from '../../kinds.js';

export default defineCheck({
  id: 'KSV107',
  avdId: 'AVD-KSV-0107',
  aliases: ['KSV-0107'],
  title: "The deprecated 'apiVersion' and 'kind' should not be used",
  severity: 'LOW',
  description: "The specified 'apiVersion' and 'kind' are deprecated and are planned to be removed",
  remediation: 'Migrate resource to new API',
  kinds: ['*'],
  category: 'general',
  evaluate(obj, _ctx) {
    const replacement = DEPRECATED_APIS[`${obj.apiVersion}/${obj.kind}`];
    return replacement === undefined
      ? []
      : [
          {
            message: `${obj.apiVersion} ${obj.kind} is deprecated and removed; use ${replacement}`,
            path: ['apiVersion'],
          },
        ];
  },
});
