/**
 * Privilege Escalation (restricted, v1.8+): privilege escalation (set-user-ID or set-group-ID binaries,
 * file capabilities) must be disabled explicitly.
 * Restricted field: securityContext.allowPrivilegeEscalation of every container. Allowed: false.
 * From policy v1.25 a pod with spec.os.name: windows is exempt (the field does not exist on Windows).
 * Upstream check `allowPrivilegeEscalation` (check_allowPrivilegeEscalation.go); the field was added in
 * Kubernetes 1.8, so the check does not apply to policy versions before v1.8.
 */
import { boolAt, containersPhrase } from '../helpers.js';
import { ALLOWED, deny, type PodSecurityControl, type PodView } from '../types.js';

function allowPrivilegeEscalation_1_8(pod: PodView) {
  let badContainers: string[] | undefined;
  for (const c of pod.containers) {
    if (boolAt(c.securityContext, 'allowPrivilegeEscalation') !== false) (badContainers ??= []).push(c.name);
  }
  if (!badContainers) return ALLOWED;
  return deny(
    'allowPrivilegeEscalation != false',
    `${containersPhrase(badContainers)} must set securityContext.allowPrivilegeEscalation=false`,
  );
}

function allowPrivilegeEscalation_1_25(pod: PodView) {
  return pod.osName === 'windows' ? ALLOWED : allowPrivilegeEscalation_1_8(pod);
}

export const control: PodSecurityControl = {
  id: 'allowPrivilegeEscalation',
  title: 'Privilege Escalation',
  level: 'restricted',
  revisions: [
    { minVersion: 8, check: allowPrivilegeEscalation_1_8 },
    { minVersion: 25, check: allowPrivilegeEscalation_1_25 },
  ],
};
