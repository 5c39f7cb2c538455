/**
 * KSV006 (KSV-0006) hostPath volume mounted with docker.sock
 *
 * Fails when a hostPath volume has path /var/run/docker.sock.
 * Semantics follow Trivy's checks/kubernetes/mounts_docker_socket.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';
import { rec } from '../../util.js';

export default defineCheck({
  id: 'KSV006',
  avdId: 'AVD-KSV-0006',
  aliases: ['KSV-0006'],
  title: 'hostPath volume mounted with docker.sock',
  severity: 'HIGH',
  description: 'Mounting docker.sock from the host can give the container full root access to the host.',
  remediation: "Do not specify /var/run/docker.socket in 'spec.template.volumes.hostPath.path'.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    return w.volumes
      .filter((v) => rec(v.volume['hostPath'])['path'] === '/var/run/docker.sock')
      .map((v) => ({
        message: `${obj.kind} '${obj.name}' should not mount host path '/var/run/docker.sock'`,
        path: v.path,
      }));
    return [];
  },
});
