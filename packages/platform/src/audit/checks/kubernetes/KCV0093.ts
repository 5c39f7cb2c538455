/**
 * KCV0093 (KCV-0093) Ensure ingress-nginx annotations are secure
 *
 * ingress-nginx annotations auth-url, auth-tls-match-cn, mirror-target and mirror-host must not contain | # ; quotes, braces or line breaks (CVE-2025-1097/1098 style injection).
 * Semantics follow Trivy's checks/kubernetes/insecure_ingress_nginx.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rec } from '../../util.js';

export default defineCheck({
  id: 'KCV0093',
  avdId: 'AVD-KCV-0093',
  aliases: ['KCV-0093'],
  title: 'Ensure ingress-nginx annotations are secure',
  severity: 'CRITICAL',
  description: 'Check for insecure annotations in ingress-nginx configurations.',
  remediation: 'Ensure that ingress-nginx annotations do not contain suspicious characters.',
  kinds: ['Ingress'],
  category: 'network',
  evaluate(obj, _ctx) {
    const ann = rec(rec(obj.object['metadata'])['annotations']);
    const keys = [
      'nginx.ingress.kubernetes.io/auth-url',
      'nginx.ingress.kubernetes.io/auth-tls-match-cn',
      'nginx.ingress.kubernetes.io/mirror-target',
      'nginx.ingress.kubernetes.io/mirror-host',
    ];
    return keys
      .filter((k) => typeof ann[k] === 'string' && /[|#;\n\r`$'"\\{}<>]/.test(ann[k]))
      .map((k) => ({
        message: `Ingress '${obj.name}' annotation ${k} contains characters that can inject nginx configuration`,
        path: ['metadata', 'annotations', k],
      }));
  },
});
