/**
 * KSV026 (KSV-0026) Unsafe sysctl options set
 *
 * Fails when spec.securityContext.sysctls names a sysctl outside the Pod Security 'baseline' safe set (Kubernetes 1.32 list).
 * Semantics follow Trivy's checks/kubernetes/unsafe_sysctl_options_set.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';
import { rec, arr, str } from '../../util.js';

export default defineCheck({
  id: 'KSV026',
  avdId: 'AVD-KSV-0026',
  aliases: ['KSV-0026'],
  title: 'Unsafe sysctl options set',
  severity: 'MEDIUM',
  description:
    "Sysctls can disable security mechanisms or affect all containers on a host, and should be disallowed except for an allowed 'safe' subset. A sysctl is considered safe if it is namespaced in the container or the Pod, and it is isolated from other Pods or processes on the same Node.",
  remediation: "Do not set 'spec.securityContext.sysctls' or set to values in an allowed subset",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    const safe = new Set([
      'kernel.shm_rmid_forced',
      'net.ipv4.ip_local_port_range',
      'net.ipv4.ip_unprivileged_port_start',
      'net.ipv4.tcp_syncookies',
      'net.ipv4.ping_group_range',
      'net.ipv4.ip_local_reserved_ports',
      'net.ipv4.tcp_keepalive_time',
      'net.ipv4.tcp_fin_timeout',
      'net.ipv4.tcp_keepalive_intvl',
      'net.ipv4.tcp_keepalive_probes',
      'net.ipv4.tcp_rmem',
      'net.ipv4.tcp_wmem',
    ]);
    const bad = arr(w.podSc['sysctls'])
      .map((s) => str(rec(s)['name']))
      .filter((n) => !safe.has(n));
    if (bad.length > 0)
      return [
        {
          message: `Pod '${obj.name}' has disallowed sysctls: [${[...new Set(bad)].sort().join(', ')}] and must only use allowed sysctls.`,
          path: [...w.specPath, 'securityContext', 'sysctls'],
        },
      ];
    return [];
  },
});
