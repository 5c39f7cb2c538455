/**
 * HostPath Volumes (baseline, v1.0+): hostPath volumes are forbidden.
 * Restricted field: spec.volumes[*].hostPath. Allowed: undefined.
 * Upstream check `hostPathVolumes` (check_hostPathVolumes.go); overridden at the restricted level by
 * restrictedVolumes, which forbids hostPath too.
 */
import { joinQuote, pluralize, strAt } from '../helpers.js';
import { ALLOWED, deny, type PodSecurityControl, type PodView } from '../types.js';

function hostPathVolumes_1_0(pod: PodView) {
  let bad: string[] | undefined;
  for (const v of pod.volumes) {
    const hostPath = v['hostPath'];
    if (hostPath !== undefined && hostPath !== null) (bad ??= []).push(strAt(v, 'name') ?? '');
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
