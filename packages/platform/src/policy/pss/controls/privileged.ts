/**
 * Privileged Containers (baseline, v1.0+): privileged containers disable most security mechanisms.
 * Restricted field: securityContext.privileged of every container. Allowed: undefined, false.
 * Upstream check `privileged` (check_privileged.go).
 */
import { boolAt, containerPath, containersPhrase } from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  type FieldError,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

function privileged_1_0(pod: PodView, errors?: FieldError[]) {
  let bad: string[] | undefined;
  for (const c of pod.containers) {
    if (boolAt(c.securityContext, 'privileged') === true) {
      (bad ??= []).push(c.name);
      errors?.push(forbidden(`${containerPath(c)}.securityContext.privileged`, true));
    }
  }
  if (!bad) return ALLOWED;
  return deny('privileged', `${containersPhrase(bad)} must not set securityContext.privileged=true`);
}

export const control: PodSecurityControl = {
  id: 'privileged',
  title: 'Privileged Containers',
  level: 'baseline',
  revisions: [{ minVersion: 0, check: privileged_1_0 }],
};
