/**
 * KSV039 (KSV-0039) limit range usage
 *
 * Optional check: a LimitRange must have a limit with type, max, min, default and defaultRequest.
 * Semantics follow Trivy's checks/kubernetes/use_limit_range.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { rec, arr, truthy } from '../../util.js';

export default defineCheck({
  id: 'KSV039',
  avdId: 'AVD-KSV-0039',
  aliases: ['KSV-0039'],
  title: 'limit range usage',
  severity: 'LOW',
  description:
    'Ensure that a LimitRange policy is configured to limit resource usage for namespaces or nodes',
  remediation: 'Create a LimitRange policy with default requests and limits for each container',
  kinds: ['LimitRange'],
  category: 'general',
  evaluate(obj, _ctx) {
    const ok = arr(rec(obj.object['spec'])['limits']).some((l) =>
      ['type', 'max', 'min', 'default', 'defaultRequest'].every((k) => truthy(rec(l)[k])),
    );
    return ok
      ? []
      : [
          {
            message: `${obj.kind} '${obj.name}' should set type, max, min, default and defaultRequest in spec.limits`,
            path: ['spec'],
          },
        ];
  },
});
