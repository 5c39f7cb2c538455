/**
 * /proc Mount Type (baseline, v1.0+): the default /proc masks must be kept.
 * Restricted field: securityContext.procMount of every container. Allowed: undefined, "Default"; from
 * policy v1.35 any value when the pod runs in a user namespace (spec.hostUsers: false).
 * Upstream check `procMount` (check_procMount_baseline.go since Kubernetes 1.35); overridden at the
 * restricted level by procMount_restricted from v1.35, which keeps the strict rule.
 */
import { containerPath, containersPhrase, joinQuote, sortedSet, strAt } from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  type FieldError,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

/** Strict rule: every container's procMount must be undefined or Default (shared with procMount_restricted). */
export function procMount_1_0(pod: PodView, errors?: FieldError[]) {
  let badContainers: string[] | undefined;
  let types: string[] | undefined;
  for (const c of pod.containers) {
    const t = strAt(c.securityContext, 'procMount');
    if (t !== undefined && t !== 'Default') {
      (badContainers ??= []).push(c.name);
      (types ??= []).push(t);
      errors?.push(forbidden(`${containerPath(c)}.securityContext.procMount`, t));
    }
  }
  if (!badContainers) return ALLOWED;
  return deny(
    'procMount',
    `${containersPhrase(badContainers)} must not set securityContext.procMount to ${joinQuote(sortedSet(types ?? []))}`,
  );
}

function procMount_1_35_baseline(pod: PodView, errors?: FieldError[]) {
  return pod.userNamespace ? ALLOWED : procMount_1_0(pod, errors);
}

export const control: PodSecurityControl = {
  id: 'procMount',
  title: '/proc Mount Type',
  level: 'baseline',
  revisions: [
    { minVersion: 0, check: procMount_1_0 },
    { minVersion: 35, check: procMount_1_35_baseline },
  ],
};
