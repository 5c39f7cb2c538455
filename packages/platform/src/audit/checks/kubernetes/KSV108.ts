/**
 * KSV108 (KSV-0108) Service with External IP
 *
 * Fails for a Service with spec.externalIPs.
 * Semantics follow Trivy's checks/kubernetes/service_with_externalip.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rec, arr } from '../../util.js';

export default defineCheck({
  id: 'KSV108',
  avdId: 'AVD-KSV-0108',
  aliases: ['KSV-0108'],
  title: 'Service with External IP',
  severity: 'HIGH',
  description:
    'Services with external IP addresses allows direct access from the internet and might expose risk for CVE-2020-8554',
  remediation: 'Do not set spec.externalIPs',
  kinds: ['Service'],
  category: 'network',
  evaluate(obj, _ctx) {
    return arr(rec(obj.object['spec'])['externalIPs']).length > 0
      ? [{ message: `Service '${obj.name}' should not set external IPs`, path: ['spec', 'externalIPs'] }]
      : [];
  },
});
