/**
 * Host Ports (baseline, v1.0+): host ports are forbidden (an outright ban, no allowed ranges).
 * Restricted field: ports[*].hostPort of every container. Allowed: undefined, 0.
 * Upstream check `hostPorts` (check_hostPorts.go).
 */
import { arrAt, containerPath, containersPhrase, isObj, pluralize, sortedSet } from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  type FieldError,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

function hostPorts_1_0(pod: PodView, errors?: FieldError[]) {
  let badContainers: string[] | undefined;
  let badPorts: string[] | undefined;
  for (const c of pod.containers) {
    const ports = arrAt(c.raw, 'ports');
    if (!ports) continue;
    let valid = true;
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i];
      const hostPort = isObj(p) ? p['hostPort'] : undefined;
      if (typeof hostPort === 'number' && hostPort !== 0) {
        valid = false;
        (badPorts ??= []).push(String(hostPort));
        errors?.push(forbidden(`${containerPath(c)}.ports[${i}].hostPort`, hostPort));
      }
    }
    if (!valid) (badContainers ??= []).push(c.name);
  }
  if (!badContainers) return ALLOWED;
  // Upstream keeps the ports in a string set: sorted as strings ("10", "8080", "9").
  const ports = sortedSet(badPorts ?? []);
  return deny(
    'hostPort',
    `${containersPhrase(badContainers)} ${pluralize('uses', 'use', badContainers.length)} ${pluralize('hostPort', 'hostPorts', ports.length)} ${ports.join(', ')}`,
  );
}

export const control: PodSecurityControl = {
  id: 'hostPorts',
  title: 'Host Ports',
  level: 'baseline',
  revisions: [{ minVersion: 0, check: hostPorts_1_0 }],
};
