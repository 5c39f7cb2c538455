/**
 * Capabilities (baseline, v1.0+): adding capabilities beyond the container runtime's default set (and
 * NET_RAW) is forbidden. Restricted field: securityContext.capabilities.add of every container.
 * Allowed: undefined, empty, or a subset of the default set below.
 * Upstream check `capabilities_baseline` (check_capabilities_baseline.go); overridden at the restricted
 * level by capabilities_restricted from v1.22.
 */
import {
  containerPath,
  containerScObj,
  containersPhrase,
  joinQuote,
  sortedSet,
  stringsAt,
} from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  type FieldError,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

const allowed_1_0: ReadonlySet<string> = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

function capabilitiesBaseline_1_0(pod: PodView, errors?: FieldError[]) {
  let badContainers: string[] | undefined;
  let badCaps: string[] | undefined;
  for (const c of pod.containers) {
    let bad: string[] | undefined;
    for (const cap of stringsAt(containerScObj(c, 'capabilities'), 'add')) {
      if (!allowed_1_0.has(cap)) (bad ??= []).push(cap);
    }
    if (!bad) continue;
    (badContainers ??= []).push(c.name);
    (badCaps ??= []).push(...bad);
    errors?.push(forbidden(`${containerPath(c)}.securityContext.capabilities.add`, sortedSet(bad)));
  }
  if (!badContainers) return ALLOWED;
  return deny(
    'non-default capabilities',
    `${containersPhrase(badContainers)} must not include ${joinQuote(sortedSet(badCaps ?? []))} in securityContext.capabilities.add`,
  );
}

export const control: PodSecurityControl = {
  id: 'capabilities_baseline',
  title: 'Capabilities',
  level: 'baseline',
  revisions: [{ minVersion: 0, check: capabilitiesBaseline_1_0 }],
};
