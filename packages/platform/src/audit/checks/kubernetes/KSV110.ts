/**
 * KSV110 (KSV-0110) Workloads in the default namespace
 *
 * As Trivy, an object without metadata.namespace is taken to be in 'default'.
 * Semantics follow Trivy's checks/kubernetes/default_namespace_should_not_be_used.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';

export default defineCheck({
  id: 'KSV110',
  avdId: 'AVD-KSV-0110',
  aliases: ['KSV-0110'],
  title: 'Workloads in the default namespace',
  severity: 'LOW',
  description: 'Checks whether a workload is running in the default namespace.',
  remediation: "Set 'metadata.namespace' to a non-default namespace.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, _ctx) {
    return obj.namespace === '' || obj.namespace === 'default'
      ? [
          {
            message: `${obj.kind} '${obj.name}' should not be set with 'default' namespace`,
            path: ['metadata'],
          },
        ]
      : [];
  },
});
