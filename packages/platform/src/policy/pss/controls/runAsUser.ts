/**
 * Running as Non-root user (restricted, v1.23+): containers must not set runAsUser to 0 (root).
 * Restricted fields: spec.securityContext.runAsUser and securityContext.runAsUser of every container.
 * Allowed: any non-zero value, undefined.
 * From policy v1.35 a pod in a user namespace (spec.hostUsers: false) is exempt (KEP-127); before v1.35
 * that exemption was behind an alpha feature gate, off by default, so it is not applied there.
 * Upstream check `runAsUser` (check_runAsUser.go).
 */
import { containerPath, containersPhrase, numAt } from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  type FieldError,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

function runAsUser_1_23(pod: PodView, errors?: FieldError[]) {
  let setters: string[] | undefined;
  if (numAt(pod.podSecurityContext, 'runAsUser') === 0) {
    (setters ??= []).push('pod');
    errors?.push(forbidden('spec.securityContext.runAsUser', 0));
  }
  let badContainers: string[] | undefined;
  for (const c of pod.containers) {
    if (numAt(c.securityContext, 'runAsUser') === 0) {
      (badContainers ??= []).push(c.name);
      errors?.push(forbidden(`${containerPath(c)}.securityContext.runAsUser`, 0));
    }
  }
  if (badContainers) (setters ??= []).push(containersPhrase(badContainers));
  if (!setters) return ALLOWED;
  return deny('runAsUser=0', `${setters.join(' and ')} must not set runAsUser=0`);
}

function runAsUser_1_35(pod: PodView, errors?: FieldError[]) {
  return pod.userNamespace ? ALLOWED : runAsUser_1_23(pod, errors);
}

export const control: PodSecurityControl = {
  id: 'runAsUser',
  title: 'Running as Non-root user',
  level: 'restricted',
  revisions: [
    { minVersion: 23, check: runAsUser_1_23 },
    { minVersion: 35, check: runAsUser_1_35 },
  ],
};
