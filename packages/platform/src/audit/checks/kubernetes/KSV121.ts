/**
 * KSV121 (KSV-0121) Kubernetes resource with disallowed volumes mounted
 *
 * Fails for hostPath volumes of /, /boot, /dev, /etc, /lib, /proc, /sys, /usr, /var/lib/docker.
 * Semantics follow Trivy's checks/kubernetes/Kubernetes_resource_with_disallowed_volumes_mounted.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';
import { rec, str } from '../../util.js';

export default defineCheck({
  id: 'KSV121',
  avdId: 'AVD-KSV-0121',
  aliases: ['KSV-0121'],
  title: 'Kubernetes resource with disallowed volumes mounted',
  severity: 'HIGH',
  description:
    'HostPath present many security risks and as a security practice it is better to avoid critical host paths mounts.',
  remediation: "Do not Set 'spec.volumes[*].hostPath.path' to any of the disallowed volumes.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    const disallowed = ['/', '/boot', '/dev', '/etc', '/lib', '/proc', '/sys', '/usr', '/var/lib/docker'];
    return w.volumes
      .filter((v) => disallowed.includes(str(rec(v.volume['hostPath'])['path'])))
      .map((v) => ({
        message: `${obj.kind.toLowerCase()} ${obj.name} shouldn't have volumes set to ${str(rec(v.volume['hostPath'])['path'])}`,
        path: v.path,
      }));
    return [];
  },
});
