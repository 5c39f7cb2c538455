/**
 * KSV002 (KSV-0002) Runtime/Default AppArmor profile not set
 *
 * Fails when the container's AppArmor annotation is set to anything but runtime/default.
 * Semantics follow Trivy's checks/kubernetes/apparmor_policy_disabled.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS, containerSubject, eachContainer } from '../../workload.js';

export default defineCheck({
  id: 'KSV002',
  avdId: 'AVD-KSV-0002',
  aliases: ['KSV-0002'],
  title: 'Runtime/Default AppArmor profile not set',
  severity: 'LOW',
  description:
    "According to pod security standard 'AppArmor', the AppArmor key must be set to the runtime/default profile or to be undefined.",
  remediation: "set the 'runtime/default' value from 'container.apparmor.security.beta.kubernetes.io'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    return eachContainer(
      obj,
      ctx,
      (c) =>
        (() => {
          const v = ctx.workload?.annotations[`container.apparmor.security.beta.kubernetes.io/${c.name}`];
          return v !== undefined && v !== 'runtime/default'
            ? (ctx.workload?.podPath.concat(['metadata', 'annotations']) ?? true)
            : false;
        })(),
      (c) => `${containerSubject(c, obj)} should specify an AppArmor profile`,
    );
  },
});
