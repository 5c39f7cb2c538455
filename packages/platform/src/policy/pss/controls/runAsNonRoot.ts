/**
 * Running as Non-root (restricted, v1.0+): containers must be required to run as non-root users.
 * Restricted fields: spec.securityContext.runAsNonRoot and securityContext.runAsNonRoot of every container.
 * Allowed: true; a container may leave it undefined when the pod sets true. Neither may set false.
 * From policy v1.35 a pod in a user namespace (spec.hostUsers: false) is exempt: root in the pod is not
 * root on the node (KEP-127). Before v1.35 the exemption existed only behind an alpha feature gate, off by
 * default, so it is not applied there.
 * Upstream check `runAsNonRoot` (check_runAsNonRoot.go).
 */
import { boolAt, containersPhrase } from '../helpers.js';
import { ALLOWED, deny, type PodSecurityControl, type PodView } from '../types.js';

function runAsNonRoot_1_0(pod: PodView) {
  let setters: string[] | undefined;
  const podValue = boolAt(pod.podSecurityContext, 'runAsNonRoot');
  if (podValue === false) (setters ??= []).push('pod');
  const podTrue = podValue === true;
  let explicitlyBad: string[] | undefined;
  let implicitlyBad: string[] | undefined;
  for (const c of pod.containers) {
    const v = boolAt(c.securityContext, 'runAsNonRoot');
    if (v === false) (explicitlyBad ??= []).push(c.name);
    else if (v === undefined && !podTrue) (implicitlyBad ??= []).push(c.name);
  }
  if (explicitlyBad) (setters ??= []).push(containersPhrase(explicitlyBad));
  if (setters) {
    return deny(
      'runAsNonRoot != true',
      `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`,
    );
  }
  if (implicitlyBad) {
    return deny(
      'runAsNonRoot != true',
      `pod or ${containersPhrase(implicitlyBad)} must set securityContext.runAsNonRoot=true`,
    );
  }
  return ALLOWED;
}

function runAsNonRoot_1_35(pod: PodView) {
  return pod.userNamespace ? ALLOWED : runAsNonRoot_1_0(pod);
}

export const control: PodSecurityControl = {
  id: 'runAsNonRoot',
  title: 'Running as Non-root',
  level: 'restricted',
  revisions: [
    { minVersion: 0, check: runAsNonRoot_1_0 },
    { minVersion: 35, check: runAsNonRoot_1_35 },
  ],
};
