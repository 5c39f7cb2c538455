/**
 * KSV028 (KSV-0028) Non-core volume types used.
 *
 * Fails for volumes of a non-core type (nfs, gitRepo, cephFS, …); hostPath is KSV023.
 * Semantics follow Trivy's checks/kubernetes/non_core_volume_types.rego; this is our own implementation.
 */
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';
import { has } from '../../util.js';

export default defineCheck({
  id: 'KSV028',
  avdId: 'AVD-KSV-0028',
  aliases: ['KSV-0028'],
  title: 'Non-core volume types used.',
  severity: 'LOW',
  description: "According to pod security standard 'Volume types', non-core volume types must not be used.",
  remediation: "Do not Set 'spec.volumes[*]' to any of the disallowed volume types.",
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    const disallowed = [
      'gcePersistentDisk',
      'awsElasticBlockStore',
      'gitRepo',
      'nfs',
      'iscsi',
      'glusterfs',
      'rbd',
      'flexVolume',
      'cinder',
      'cephFS',
      'flocker',
      'fc',
      'azureFile',
      'vsphereVolume',
      'quobyte',
      'azureDisk',
      'portworxVolume',
      'scaleIO',
      'storageos',
    ];
    return w.volumes
      .filter((v) => disallowed.some((t) => has(v.volume, t)))
      .map((v) => ({
        message: `${obj.kind} '${obj.name}' should set 'spec.volumes[*]' to an allowed volume type`,
        path: v.path,
      }));
    return [];
  },
});
