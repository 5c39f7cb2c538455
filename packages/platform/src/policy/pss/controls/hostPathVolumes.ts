/**
 * HostPath Volumes (baseline, v1.0+): hostPath volumes are forbidden.
 * Restricted field: spec.volumes[*].hostPath. Allowed: undefined.
 * Upstream check `hostPathVolumes` (check_hostPathVolumes.go); overridden at the restricted level by
 * restrictedVolumes, which forbids hostPath too.
 */
import { isObj, joinQuote, pluralize, strAt } from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  type FieldError,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

function hostPathVolumes_1_0(pod: PodView, errors?: FieldError[]) {
  let bad: string[] | undefined;
  const volumes = pod.volumes;
  for (let i = 0; i < volumes.length; i++) {
    const v = volumes[i];
    if (!isObj(v)) continue;
    const hostPath = v['hostPath'];
    if (hostPath === undefined || hostPath === null) continue;
    (bad ??= []).push(strAt(v, 'name') ?? '');
    errors?.push(forbidden(`spec.volumes[${i}].hostPath`));
  }
  if (!bad) return ALLOWED;
  return deny('hostPath volumes', `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)}`);
}

export const control: PodSecurityControl = {
  id: 'hostPathVolumes',
  title: 'HostPath Volumes',
  level: 'baseline',
  revisions: [{ minVersion: 0, check: hostPathVolumes_1_0 }],
};
