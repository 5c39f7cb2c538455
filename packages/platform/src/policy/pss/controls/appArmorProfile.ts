/**
 * AppArmor (baseline, v1.0+): overriding or disabling the default AppArmor profile is forbidden.
 * Restricted fields: spec.securityContext.appArmorProfile.type and securityContext.appArmorProfile.type
 * of every container (allowed: undefined, RuntimeDefault, Localhost), and the deprecated annotations
 * metadata.annotations['container.apparmor.security.beta.kubernetes.io/*'] (allowed: undefined, "",
 * runtime/default, localhost/*).
 * Upstream check `appArmorProfile` (check_appArmorProfile.go). Upstream amended its single v1.0 revision
 * in place when the fields arrived (Kubernetes 1.30), so the fields are checked at every policy version.
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
  type Obj,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

const ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function allowedAnnotationValue(v: string): boolean {
  return v === '' || v === 'runtime/default' || v.startsWith('localhost/');
}

/** The profile type when it is forbidden, else undefined. */
function badType(profile: Obj | undefined): string | undefined {
  if (!profile) return undefined;
  const t = strAt(profile, 'type') ?? '';
  return t === 'RuntimeDefault' || t === 'Localhost' ? undefined : t;
}

function appArmorProfile_1_0(pod: PodView, errors?: FieldError[]) {
  let setters: string[] | undefined;
  let values: string[] | undefined;
  const podBad = badType(objAt(pod.podSecurityContext, 'appArmorProfile'));
  if (podBad !== undefined) {
    (setters ??= []).push('pod');
    (values ??= []).push(podBad);
    errors?.push(forbidden('spec.securityContext.appArmorProfile.type', podBad));
  }
  let badContainers: string[] | undefined;
  for (const c of pod.containers) {
    const t = badType(objAt(c.securityContext, 'appArmorProfile'));
    if (t !== undefined) {
      (badContainers ??= []).push(c.name);
      (values ??= []).push(t);
      errors?.push(forbidden(`${containerPath(c)}.securityContext.appArmorProfile.type`, t));
    }
  }
  if (badContainers) (setters ??= []).push(containersPhrase(badContainers));

  let annotations: string[] | undefined;
  let annotationErrors: FieldError[] | undefined;
  for (const k in pod.annotations) {
    if (!k.startsWith(ANNOTATION_PREFIX)) continue;
    const v = pod.annotations[k];
    if (typeof v === 'string' && !allowedAnnotationValue(v)) {
      (annotations ??= []).push(`${k}=${goQuote(v)}`);
      if (errors) (annotationErrors ??= []).push(forbidden(`metadata.annotations[${k}]`, v));
    }
  }
  // Upstream walks a Go map (random order); sorted here so that the errors are stable.
  if (annotationErrors) errors?.push(...annotationErrors.sort((a, b) => compareStrings(a.field, b.field)));
  if (!setters && !annotations) return ALLOWED;

  const list = sortedSet(values ?? []);
  if (annotations) {
    list.push(...annotations.sort());
    (setters ??= []).push(pluralize('annotation', 'annotations', annotations.length));
  }
  return deny(
    pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', list.length),
    `${(setters ?? []).join(' and ')} must not set AppArmor profile type to ${joinQuote(list)}`,
  );
}

export const control: PodSecurityControl = {
  id: 'appArmorProfile',
  title: 'AppArmor',
  level: 'baseline',
  revisions: [{ minVersion: 0, check: appArmorProfile_1_0 }],
};
