/**
 * KSV014 (KSV-0014) Root file system is not read-only
 *
 * Fails unless readOnlyRootFilesystem is true.
 * Semantics follow Trivy's checks/kubernetes/file_system_not_read_only.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';

export default defineCheck({
  id: 'KSV014',
  avdId: 'AVD-KSV-0014',
  aliases: ['KSV-0014'],
  title: 'Root file system is not read-only',
  severity: 'HIGH',
  description:
    'An immutable root file system prevents applications from writing to their local disk. This can limit intrusions, as attackers will not be able to tamper with the file system or write foreign executables to disk.',
  remediation: "Change 'containers[].securityContext.readOnlyRootFilesystem' to 'true'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) => c.sc['readOnlyRootFilesystem'] !== true,
      (c) => `${containerSubject(c, obj)} should set 'securityContext.readOnlyRootFilesystem' to true`,
    );
  },
});
