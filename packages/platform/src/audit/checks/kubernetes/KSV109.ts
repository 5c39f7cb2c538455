/**
 * KSV109 (KSV-0109) ConfigMap with secrets
 *
 * Fails when a data key names a secret (password, token, secret, apikey …) with a literal value, or a KEY=value line in a value does; empty values and ${VAR} references pass.
 * Semantics follow Trivy's checks/kubernetes/configMap_with_secrets.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { configMapSecrets } from '../../configmap.js';

export default defineCheck({
  id: 'KSV109',
  avdId: 'AVD-KSV-0109',
  aliases: ['KSV-0109'],
  title: 'ConfigMap with secrets',
  severity: 'HIGH',
  description: 'Storing secrets in configMaps is unsafe',
  remediation: 'Remove password/secret from configMap data value',
  kinds: ['ConfigMap'],
  category: 'general',
  evaluate(obj, _ctx) {
    return configMapSecrets(obj, false);
  },
});
