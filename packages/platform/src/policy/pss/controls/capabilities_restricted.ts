/**
 * Capabilities (restricted, v1.22+): containers must drop ALL capabilities and may add back only
 * NET_BIND_SERVICE. Restricted fields: securityContext.capabilities.drop (must include "ALL") and
 * securityContext.capabilities.add (allowed: undefined, empty, NET_BIND_SERVICE) of every container.
 * From policy v1.25 a pod with spec.os.name: windows is exempt.
 * Upstream check `capabilities_restricted` (check_capabilities_restricted.go); it replaces
 * capabilities_baseline at the restricted level.
 */
import { containerPath, containersPhrase, joinQuote, objAt, sortedSet, stringsAt } from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  required,
  type FieldError,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

function capabilitiesRestricted_1_22(pod: PodView, errors?: FieldError[]) {
  let missingDropAll: string[] | undefined;
  let addingForbidden: string[] | undefined;
  let forbiddenCaps: string[] | undefined;
  // Upstream lists every drop error before every add error.
  let dropErrors: FieldError[] | undefined;
  let addErrors: FieldError[] | undefined;
  for (const c of pod.containers) {
    const caps = objAt(c.securityContext, 'capabilities');
    if (!caps) {
      (missingDropAll ??= []).push(c.name);
      if (errors) (dropErrors ??= []).push(required(`${containerPath(c)}.securityContext.capabilities.drop`));
      continue;
    }
    const drop = stringsAt(caps, 'drop');
    if (!drop.includes('ALL')) {
      (missingDropAll ??= []).push(c.name);
      if (errors) {
        const field = `${containerPath(c)}.securityContext.capabilities.drop`;
        (dropErrors ??= []).push(drop.length > 0 ? forbidden(field, sortedSet(drop)) : required(field));
      }
    }
    let added: string[] | undefined;
    for (const cap of stringsAt(caps, 'add')) if (cap !== 'NET_BIND_SERVICE') (added ??= []).push(cap);
    if (added) {
      (addingForbidden ??= []).push(c.name);
      (forbiddenCaps ??= []).push(...added);
      if (errors) {
        (addErrors ??= []).push(
          forbidden(`${containerPath(c)}.securityContext.capabilities.add`, sortedSet(added)),
        );
      }
    }
  }
  if (!missingDropAll && !addingForbidden) return ALLOWED;
  if (dropErrors) errors?.push(...dropErrors);
  if (addErrors) errors?.push(...addErrors);
  const details: string[] = [];
  if (missingDropAll) {
    details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  }
  if (addingForbidden) {
    details.push(
      `${containersPhrase(addingForbidden)} must not include ${joinQuote(sortedSet(forbiddenCaps ?? []))} in securityContext.capabilities.add`,
    );
  }
  return deny('unrestricted capabilities', details.join('; '));
}

function capabilitiesRestricted_1_25(pod: PodView, errors?: FieldError[]) {
  return pod.osName === 'windows' ? ALLOWED : capabilitiesRestricted_1_22(pod, errors);
}

const overrides = ['capabilities_baseline'];

export const control: PodSecurityControl = {
  id: 'capabilities_restricted',
  title: 'Capabilities',
  level: 'restricted',
  revisions: [
    { minVersion: 22, check: capabilitiesRestricted_1_22, overrides },
    { minVersion: 25, check: capabilitiesRestricted_1_25, overrides },
  ],
};
