/**
 * KSV117 (KSV-0117) Prevent binding to privileged ports
 *
 * Fails when a container port is below 1024.
 * Semantics follow Trivy's checks/kubernetes/privileged_ports_binding.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';
import { rec, arr } from '../../util.js';

export default defineCheck({
  id: 'KSV117',
  avdId: 'AVD-KSV-0117',
  aliases: ['KSV-0117'],
  title: 'Prevent binding to privileged ports',
  severity: 'MEDIUM',
  description:
    'The ports which are lower than 1024 receive and transmit various sensitive and privileged data. Allowing containers to use them can bring serious implications.',
  remediation: 'Do not map the container ports to privileged host ports when starting a container.',
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) =>
        arr(c.container['ports']).some((p) => {
          const n = rec(p)['containerPort'];
          return typeof n === 'number' && n < 1024;
        }),
      (c) => `${containerSubject(c, obj)} should not bind to a privileged port (< 1024)`,
    );
  },
});
