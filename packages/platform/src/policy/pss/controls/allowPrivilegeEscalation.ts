/**
 * Privilege Escalation (restricted, v1.8+): privilege escalation (set-user-ID or set-group-ID binaries,
 * file capabilities) must be disabled explicitly.
 * Restricted field: securityContext.allowPrivilegeEscalation of every container. Allowed: false.
 * From policy v1.25 a pod with spec.os.name: windows is exempt (the field does not exist on Windows).
 * Upstream check `allowPrivilegeEscalation` (check_allowPrivilegeEscalation.go); the field was added in
 * Kubernetes 1.8, so the check does not apply to policy versions before v1.8.
 */
import { boolAt, containerPath, containersPhrase } from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  required,
  type FieldError,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

function allowPrivilegeEscalation_1_8(pod: PodView, errors?: FieldError[]) {
  let badContainers: string[] | undefined;
  for (const c of pod.containers) {
    const v = boolAt(c.securityContext, 'allowPrivilegeEscalation');
    if (v === false) continue;
    (badContainers ??= []).push(c.name);
    if (errors) {
      const field = `${containerPath(c)}.securityContext.allowPrivilegeEscalation`;
      // As upstream's field-error variant: no securityContext is "required", an unset field is
      // "forbidden" with the bad value "nil".
      errors.push(!c.securityContext ? required(field) : forbidden(field, v === undefined ? 'nil' : v));
    }
  }
  if (!badContainers) return ALLOWED;
  return deny(
    'allowPrivilegeEscalation != false',
    `${containersPhrase(badContainers)} must set securityContext.allowPrivilegeEscalation=false`,
  );
}

function allowPrivilegeEscalation_1_25(pod: PodView, errors?: FieldError[]) {
  return pod.osName === 'windows' ? ALLOWED : allowPrivilegeEscalation_1_8(pod, errors);
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
