/**
 * Seccomp (restricted, v1.19+): a seccomp profile must be set explicitly to RuntimeDefault or Localhost.
 * Restricted fields: spec.securityContext.seccompProfile.type and securityContext.seccompProfile.type of
 * every container. A container may leave it undefined when the pod sets an allowed type; Unconfined is
 * forbidden everywhere. From policy v1.25 a pod with spec.os.name: windows is exempt.
 * Upstream check `seccompProfile_restricted` (check_seccompProfile_restricted.go); it replaces
 * seccompProfile_baseline at the restricted level.
 */
import { containerPath, containersPhrase, joinQuote, objAt, sortedSet, strAt } from '../helpers.js';
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
import { validSeccompType } from './seccompProfile_baseline.js';

function seccompProfileRestricted_1_19(pod: PodView, errors?: FieldError[]) {
  let setters: string[] | undefined;
  let values: string[] | undefined;
  let podSet = false;
  const podProfile = objAt(pod.podSecurityContext, 'seccompProfile');
  if (podProfile) {
    const t = strAt(podProfile, 'type') ?? '';
    if (validSeccompType(t)) podSet = true;
    else {
      (setters ??= []).push('pod');
      (values ??= []).push(t);
    }
  }
  let explicitlyBad: [ContainerView, string][] | undefined;
  let implicitlyBad: ContainerView[] | undefined;
  for (const c of pod.containers) {
    const profile = objAt(c.securityContext, 'seccompProfile');
    if (profile) {
      const t = strAt(profile, 'type') ?? '';
      if (!validSeccompType(t)) {
        (explicitlyBad ??= []).push([c, t]);
        (values ??= []).push(t);
      }
    } else if (!podSet) {
      (implicitlyBad ??= []).push(c);
    }
  }
  if (explicitlyBad) (setters ??= []).push(containersPhrase(explicitlyBad.map(([c]) => c.name)));
  if (setters) {
    if (errors) {
      if (podProfile && !podSet) {
        errors.push(forbidden('spec.securityContext.seccompProfile.type', strAt(podProfile, 'type') ?? ''));
      }
      for (const [c, t] of explicitlyBad ?? []) {
        errors.push(forbidden(`${containerPath(c)}.securityContext.seccompProfile.type`, t));
      }
    }
    return deny(
      'seccompProfile',
      `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values ?? []))}`,
    );
  }
  if (implicitlyBad) {
    if (errors) {
      for (const c of implicitlyBad)
        errors.push(required(`${containerPath(c)}.securityContext.seccompProfile.type`));
    }
    return deny(
      'seccompProfile',
      `pod or ${containersPhrase(implicitlyBad.map((c) => c.name))} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    );
  }
  return ALLOWED;
}

function seccompProfileRestricted_1_25(pod: PodView, errors?: FieldError[]) {
  return pod.osName === 'windows' ? ALLOWED : seccompProfileRestricted_1_19(pod, errors);
}

const overrides = ['seccompProfile_baseline'];

export const control: PodSecurityControl = {
  id: 'seccompProfile_restricted',
  title: 'Seccomp',
  level: 'restricted',
  revisions: [
    { minVersion: 19, check: seccompProfileRestricted_1_19, overrides },
    { minVersion: 25, check: seccompProfileRestricted_1_25, overrides },
  ],
};
