/**
 * Seccomp (baseline, v1.0+): a seccomp profile, when set, must not be Unconfined.
 * Policy v1.0–v1.18: the alpha annotations metadata.annotations['seccomp.security.alpha.kubernetes.io/pod']
 * and ['container.seccomp.security.alpha.kubernetes.io/<container>'] (allowed: undefined,
 * runtime/default, docker/default, localhost/*).
 * Policy v1.19+: spec.securityContext.seccompProfile.type and securityContext.seccompProfile.type of every
 * container (allowed: undefined, RuntimeDefault, Localhost).
 * Upstream check `seccompProfile_baseline` (check_seccompProfile_baseline.go); overridden at the restricted
 * level by seccompProfile_restricted from v1.19.
 */
import {
  compareStrings,
  containerPath,
  containersPhrase,
  goQuote,
  joinQuote,
  objAt,
  pluralize,
  sortedSet,
  strAt,
} from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  type FieldError,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

const POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

function validAnnotationValue(v: string): boolean {
  return v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
}

/** True for the seccomp profile types allowed by both levels. */
export function validSeccompType(t: string): boolean {
  return t === 'RuntimeDefault' || t === 'Localhost';
}

function seccompProfileBaseline_1_0(pod: PodView, errors?: FieldError[]) {
  let bad: string[] | undefined;
  let errs: FieldError[] | undefined;
  const check = (key: string) => {
    const v = strAt(pod.annotations, key);
    if (v === undefined || validAnnotationValue(v)) return;
    (bad ??= []).push(`${key}=${goQuote(v)}`);
    if (errors) (errs ??= []).push(forbidden(`metadata.annotations[${key}]`, v));
  };
  check(POD_ANNOTATION);
  for (const c of pod.containers) check(CONTAINER_ANNOTATION_PREFIX + c.name);
  if (!bad) return ALLOWED;
  if (errs) errors?.push(...errs.sort((a, b) => compareStrings(a.field, b.field)));
  const list = sortedSet(bad);
  return deny(
    'seccompProfile',
    `forbidden ${pluralize('annotation', 'annotations', list.length)} ${list.join(', ')}`,
  );
}

function seccompProfileBaseline_1_19(pod: PodView, errors?: FieldError[]) {
  let setters: string[] | undefined;
  let values: string[] | undefined;
  const podProfile = objAt(pod.podSecurityContext, 'seccompProfile');
  if (podProfile) {
    const t = strAt(podProfile, 'type') ?? '';
    if (!validSeccompType(t)) {
      (setters ??= []).push('pod');
      (values ??= []).push(t);
      errors?.push(forbidden('spec.securityContext.seccompProfile.type', t));
    }
  }
  let badContainers: string[] | undefined;
  for (const c of pod.containers) {
    const profile = objAt(c.securityContext, 'seccompProfile');
    if (!profile) continue;
    const t = strAt(profile, 'type') ?? '';
    if (!validSeccompType(t)) {
      (badContainers ??= []).push(c.name);
      (values ??= []).push(t);
      errors?.push(forbidden(`${containerPath(c)}.securityContext.seccompProfile.type`, t));
    }
  }
  if (badContainers) (setters ??= []).push(containersPhrase(badContainers));
  if (!setters) return ALLOWED;
  return deny(
    'seccompProfile',
    `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values ?? []))}`,
  );
}

export const control: PodSecurityControl = {
  id: 'seccompProfile_baseline',
  title: 'Seccomp',
  level: 'baseline',
  revisions: [
    { minVersion: 0, check: seccompProfileBaseline_1_0 },
    { minVersion: 19, check: seccompProfileBaseline_1_19 },
  ],
};
