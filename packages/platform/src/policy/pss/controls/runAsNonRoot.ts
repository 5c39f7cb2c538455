/**
 * Running as Non-root (restricted, v1.0+): containers must be required to run as non-root users.
 * Restricted fields: spec.securityContext.runAsNonRoot and securityContext.runAsNonRoot of every container.
 * Allowed: true; a container may leave it undefined when the pod sets true. Neither may set false.
 * From policy v1.35 a pod in a user namespace (spec.hostUsers: false) is exempt: root in the pod is not
 * root on the node (KEP-127). Before v1.35 the exemption existed only behind an alpha feature gate, off by
 * default, so it is not applied there.
 * Upstream check `runAsNonRoot` (check_runAsNonRoot.go).
 */
import { boolAt, containerPath, containersPhrase } from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  required,
  type ContainerView,
  type FieldError,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

function runAsNonRoot_1_0(pod: PodView, errors?: FieldError[]) {
  let setters: string[] | undefined;
  const podValue = boolAt(pod.podSecurityContext, 'runAsNonRoot');
  if (podValue === false) (setters ??= []).push('pod');
  const podTrue = podValue === true;
  let explicitlyBad: ContainerView[] | undefined;
  let implicitlyBad: ContainerView[] | undefined;
  for (const c of pod.containers) {
    const v = boolAt(c.securityContext, 'runAsNonRoot');
    if (v === false) (explicitlyBad ??= []).push(c);
    else if (v === undefined && !podTrue) (implicitlyBad ??= []).push(c);
  }
  if (explicitlyBad) (setters ??= []).push(containersPhrase(explicitlyBad.map((c) => c.name)));
  if (setters) {
    if (errors) {
      if (podValue === false) errors.push(forbidden('spec.securityContext.runAsNonRoot', false));
      for (const c of explicitlyBad ?? []) {
        errors.push(forbidden(`${containerPath(c)}.securityContext.runAsNonRoot`, false));
      }
      // Kyverno's pod-security-admission fork lists the implicitly bad containers too (the message,
      // as upstream's, names only the explicit setters); exclusions are matched against this list.
      for (const c of implicitlyBad ?? [])
        errors.push(required(`${containerPath(c)}.securityContext.runAsNonRoot`));
    }
    return deny(
      'runAsNonRoot != true',
      `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`,
    );
  }
  if (implicitlyBad) {
    if (errors)
      for (const c of implicitlyBad)
        errors.push(required(`${containerPath(c)}.securityContext.runAsNonRoot`));
    return deny(
      'runAsNonRoot != true',
      `pod or ${containersPhrase(implicitlyBad.map((c) => c.name))} must set securityContext.runAsNonRoot=true`,
    );
  }
  return ALLOWED;
}

function runAsNonRoot_1_35(pod: PodView, errors?: FieldError[]) {
  return pod.userNamespace ? ALLOWED : runAsNonRoot_1_0(pod, errors);
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
