/**
 * KSV036 (KSV-0036) Protecting Pod service account tokens
 *
 * As Trivy: looks at the object's own spec.automountServiceAccountToken (true fails); when unset, fails if a container mounts the service account token path.
 * Semantics follow Trivy's checks/kubernetes/protecting_pod_service_account_tokens.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';
import { rec, arr, has } from '../../util.js';

export default defineCheck({
  id: 'KSV036',
  avdId: 'AVD-KSV-0036',
  aliases: ['KSV-0036'],
  title: 'Protecting Pod service account tokens',
  severity: 'MEDIUM',
  description:
    'ensure that Pod specifications disable the secret token being mounted by setting automountServiceAccountToken: false',
  remediation:
    'Disable the mounting of service account secret token by setting automountServiceAccountToken to false',
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const spec = rec(obj.object['spec']);
    if (has(spec, 'automountServiceAccountToken')) {
      return spec['automountServiceAccountToken'] === true
        ? [
            {
              message: `Container of ${obj.kind} '${obj.name}' should set 'spec.automountServiceAccountToken' to false`,
              path: ['spec', 'automountServiceAccountToken'],
            },
          ]
        : [];
    }
    const mounts = (ctx.workload?.containers ?? []).some((c) =>
      arr(c.container['volumeMounts']).some(
        (m) => rec(m)['mountPath'] === '/var/run/secrets/kubernetes.io/serviceaccount',
      ),
    );
    return mounts
      ? [
          {
            message: `Container of ${obj.kind} '${obj.name}' should set 'spec.automountServiceAccountToken' to false`,
            path: ['spec'],
          },
        ]
      : [];
  },
});
