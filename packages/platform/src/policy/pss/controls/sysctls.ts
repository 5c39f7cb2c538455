/**
 * Sysctls (baseline, v1.0+): only the "safe" (namespaced, isolated) sysctls are allowed.
 * Restricted field: spec.securityContext.sysctls[*].name (the only place the API allows sysctls).
 * The allowed list grows with the policy version: v1.0 five names, v1.27 ip_local_reserved_ports,
 * v1.29 four TCP keepalive/fin settings, v1.32 tcp_rmem/tcp_wmem, v1.37 tcp_slow_start_after_idle and
 * tcp_notsent_lowat.
 * Upstream check `sysctls` (check_sysctls.go).
 */
import { arrAt, isObj } from '../helpers.js';
import {
  ALLOWED,
  deny,
  forbidden,
  type FieldError,
  type PodSecurityControl,
  type PodView,
} from '../types.js';

const allowed_1_0: readonly string[] = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
];
const allowed_1_27 = [...allowed_1_0, 'net.ipv4.ip_local_reserved_ports'];
const allowed_1_29 = [
  ...allowed_1_27,
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
const allowed_1_32 = [...allowed_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const allowed_1_37 = [...allowed_1_32, 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat'];

function sysctls(allowedNames: readonly string[]) {
  const allowed: ReadonlySet<string> = new Set(allowedNames);
  return (pod: PodView, errors?: FieldError[]) => {
    const list = arrAt(pod.podSecurityContext, 'sysctls');
    if (!list) return ALLOWED;
    let bad: string[] | undefined;
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      if (!isObj(s)) continue;
      const name = s['name'];
      const n = typeof name === 'string' ? name : '';
      if (allowed.has(n)) continue;
      (bad ??= []).push(n);
      errors?.push(forbidden(`spec.securityContext.sysctls[${i}].name`, n));
    }
    if (!bad) return ALLOWED;
    return deny('forbidden sysctls', bad.join(', '));
  };
}

/** The sysctl names allowed at each revision (exported for tests and documentation). */
export const allowedSysctls: Readonly<Record<number, readonly string[]>> = {
  0: allowed_1_0,
  27: allowed_1_27,
  29: allowed_1_29,
  32: allowed_1_32,
  37: allowed_1_37,
};

export const control: PodSecurityControl = {
  id: 'sysctls',
  title: 'Sysctls',
  level: 'baseline',
  revisions: [
    { minVersion: 0, check: sysctls(allowed_1_0) },
    { minVersion: 27, check: sysctls(allowed_1_27) },
    { minVersion: 29, check: sysctls(allowed_1_29) },
    { minVersion: 32, check: sysctls(allowed_1_32) },
    { minVersion: 37, check: sysctls(allowed_1_37) },
  ],
};
