/**
 * Seccomp (restricted, v1.19+): a seccomp profile must be set explicitly to RuntimeDefault or Localhost.
 * Restricted fields: spec.securityContext.seccompProfile.type and securityContext.seccompProfile.type of
 * every container. A container may leave it undefined when the pod sets an allowed type; Unconfined is
 * forbidden everywhere. From policy v1.25 a pod with spec.os.name: windows is exempt.
 * Upstream check `seccompProfile_restricted` (check_seccompProfile_restricted.go); it replaces
 * seccompProfile_baseline at the restricted level.
 */
import { containersPhrase, joinQuote, objAt, sortedSet, strAt } from '../helpers.js';
import { ALLOWED, deny, type PodSecurityControl, type PodView } from '../types.js';
import { validSeccompType } from './seccompProfile_baseline.js';

function seccompProfileRestricted_1_19(pod: PodView) {
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
  let explicitlyBad: string[] | undefined;
  let implicitlyBad: string[] | undefined;
  for (const c of pod.containers) {
    const profile = objAt(c.securityContext, 'seccompProfile');
    if (profile) {
      const t = strAt(profile, 'type') ?? '';
      if (!validSeccompType(t)) {
        (explicitlyBad ??= []).push(c.name);
        (values ??= []).push(t);
      }
    } else if (!podSet) {
      (implicitlyBad ??= []).push(c.name);
    }
  }
  if (explicitlyBad) (setters ??= []).push(containersPhrase(explicitlyBad));
  if (setters) {
    return deny(
      'seccompProfile',
      `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values ?? []))}`,
    );
  }
  if (implicitlyBad) {
    return deny(
      'seccompProfile',
      `pod or ${containersPhrase(implicitlyBad)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    );
  }
  return ALLOWED;
}

function seccompProfileRestricted_1_25(pod: PodView) {
  return pod.osName === 'windows' ? ALLOWED : seccompProfileRestricted_1_19(pod);
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
