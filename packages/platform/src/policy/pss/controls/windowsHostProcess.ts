/**
 * HostProcess (baseline, v1.0+): Windows HostProcess containers (privileged access to the Windows node)
 * are forbidden. Restricted fields: spec.securityContext.windowsOptions.hostProcess and
 * securityContext.windowsOptions.hostProcess of every container. Allowed: undefined, false.
 * Upstream check `windowsHostProcess` (check_windowsHostProcess.go).
 */
import { boolAt, containerPath, containersPhrase, objAt } from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  type FieldError,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

function windowsHostProcess_1_0(pod: PodView, errors?: FieldError[]) {
  let badContainers: string[] | undefined;
  for (const c of pod.containers) {
    if (boolAt(objAt(c.securityContext, 'windowsOptions'), 'hostProcess') === true) {
      (badContainers ??= []).push(c.name);
    }
  }
  const podSet = boolAt(objAt(pod.podSecurityContext, 'windowsOptions'), 'hostProcess') === true;
  if (!podSet && !badContainers) return ALLOWED;
  if (errors) {
    if (podSet) errors.push(forbidden('spec.securityContext.windowsOptions.hostProcess', true));
    for (const c of pod.containers) {
      if (boolAt(objAt(c.securityContext, 'windowsOptions'), 'hostProcess') === true) {
        errors.push(forbidden(`${containerPath(c)}.securityContext.windowsOptions.hostProcess`, true));
      }
    }
  }
  const setters: string[] = [];
  if (podSet) setters.push('pod');
  if (badContainers) setters.push(containersPhrase(badContainers));
  return deny(
    'hostProcess',
    `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`,
  );
}

export const control: PodSecurityControl = {
  id: 'windowsHostProcess',
  title: 'HostProcess',
  level: 'baseline',
  revisions: [{ minVersion: 0, check: windowsHostProcess_1_0 }],
};
