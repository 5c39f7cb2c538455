/**
 * KSV01010 (KSV-01010) ConfigMap with sensitive content
 *
 * Fails when a data key or KEY=value line names sensitive personal content (username, email, user) with a literal value.
 * Semantics follow Trivy's checks/kubernetes/configmap_with_sensitive.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { configMapSecrets } from '../../configmap.js';

export default defineCheck({
  id: 'KSV01010',
  avdId: 'AVD-KSV-01010',
  aliases: ['KSV-01010'],
  title: 'ConfigMap with sensitive content',
  severity: 'MEDIUM',
  description: 'Storing sensitive content such as usernames and email addresses in configMaps is unsafe',
  remediation: 'Remove sensitive content from configMap data value',
  kinds: ['ConfigMap'],
  category: 'general',
  evaluate(obj, _ctx) {
    return configMapSecrets(obj, true);
  },
});
