/**
 * Host Namespaces (baseline, v1.0+): sharing the host's network, PID or IPC namespace is forbidden.
 * Restricted fields: spec.hostNetwork, spec.hostPID, spec.hostIPC. Allowed: undefined, false.
 * Upstream check `hostNamespaces` (check_hostNamespaces.go).
 */
import { boolAt } from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  type FieldError,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

function hostNamespaces_1_0(pod: PodView, errors?: FieldError[]) {
  const network = boolAt(pod.spec, 'hostNetwork') === true;
  const pid = boolAt(pod.spec, 'hostPID') === true;
  const ipc = boolAt(pod.spec, 'hostIPC') === true;
  if (!network && !pid && !ipc) return ALLOWED;
  const set: string[] = [];
  if (network) set.push('hostNetwork=true');
  if (pid) set.push('hostPID=true');
  if (ipc) set.push('hostIPC=true');
  if (errors) {
    if (network) errors.push(forbidden('spec.hostNetwork', true));
    if (pid) errors.push(forbidden('spec.hostPID', true));
    if (ipc) errors.push(forbidden('spec.hostIPC', true));
  }
  return deny('host namespaces', set.join(', '));
}

export const control: PodSecurityControl = {
  id: 'hostNamespaces',
  title: 'Host Namespaces',
  level: 'baseline',
  revisions: [{ minVersion: 0, check: hostNamespaces_1_0 }],
};
