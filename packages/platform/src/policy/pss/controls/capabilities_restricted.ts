/**
 * Capabilities (restricted, v1.22+): containers must drop ALL capabilities and may add back only
 * NET_BIND_SERVICE. Restricted fields: securityContext.capabilities.drop (must include "ALL") and
 * securityContext.capabilities.add (allowed: undefined, empty, NET_BIND_SERVICE) of every container.
 * From policy v1.25 a pod with spec.os.name: windows is exempt.
 * Upstream check `capabilities_restricted` (check_capabilities_restricted.go); it replaces
 * capabilities_baseline at the restricted level.
 */
import { containersPhrase, joinQuote, objAt, sortedSet, stringsAt } from '../helpers.js';
import { ALLOWED, deny, type PodSecurityControl, type PodView } from '../types.js';

function capabilitiesRestricted_1_22(pod: PodView) {
  let missingDropAll: string[] | undefined;
  let addingForbidden: string[] | undefined;
  let forbiddenCaps: string[] | undefined;
  for (const c of pod.containers) {
    const caps = objAt(c.securityContext, 'capabilities');
    if (!caps) {
      (missingDropAll ??= []).push(c.name);
      continue;
    }
    if (!stringsAt(caps, 'drop').includes('ALL')) (missingDropAll ??= []).push(c.name);
    let added = false;
    for (const cap of stringsAt(caps, 'add')) {
      if (cap !== 'NET_BIND_SERVICE') {
        added = true;
        (forbiddenCaps ??= []).push(cap);
      }
    }
    if (added) (addingForbidden ??= []).push(c.name);
  }
  if (!missingDropAll && !addingForbidden) return ALLOWED;
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

function capabilitiesRestricted_1_25(pod: PodView) {
  return pod.osName === 'windows' ? ALLOWED : capabilitiesRestricted_1_22(pod);
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
