/**
 * KSV102 (KSV-0102) Tiller Is Deployed
 *
 * Fails when a container image contains 'tiller', or the object's or pod's name contains 'tiller', or it is labelled app=helm or name=tiller.
 * Semantics follow Trivy's checks/kubernetes/tiller_is_deployed.rego; this is our own implementation.
 */
import type { Failure } from '../../types.js';
import { defineCheck } from '../../types.js';
import { WORKLOAD_KINDS } from '../../workload.js';
import { rec, str } from '../../util.js';

export default defineCheck({
  id: 'KSV102',
  avdId: 'AVD-KSV-0102',
  aliases: ['KSV-0102'],
  title: 'Tiller Is Deployed',
  severity: 'CRITICAL',
  description: 'Check if Helm Tiller component is deployed.',
  remediation: 'Migrate to Helm v3 which no longer has Tiller component',
  kinds: WORKLOAD_KINDS,
  category: 'workload',
  evaluate(obj, ctx) {
    const w = ctx.workload;
    if (!w) return [];
    const meta = (m: unknown): boolean => {
      const r = rec(m);
      const l = rec(r['labels']);
      return str(r['name']).includes('tiller') || l['app'] === 'helm' || l['name'] === 'tiller';
    };
    const out: Failure[] = [];
    if (meta(obj.object['metadata']) || meta(w.pod['metadata']))
      out.push({
        message: `${obj.kind} '${obj.name}' in '${obj.namespace || 'default'}' namespace shouldn't have tiller deployed`,
        path: ['metadata'],
      });
    for (const c of w.containers)
      if (str(c.container['image']).includes('tiller'))
        out.push({
          message: `container '${c.name}' of ${obj.kind.toLowerCase()} '${obj.name}' shouldn't have tiller deployed`,
          path: [...c.path, 'image'],
        });
    return out;
    return [];
  },
});
