/**
 * PolicyReport output (wgpolicyk8s.io/v1alpha2), as Kyverno's CLI writes with `apply --policy-report`:
 * one ClusterPolicyReport with a result per rule response and a summary.
 */
import type { EngineResponse, Obj } from './types.js';

function meta(o: Obj): Obj {
  return typeof o['metadata'] === 'object' && o['metadata'] !== null ? (o['metadata'] as Obj) : {};
}

export function buildPolicyReport(responses: readonly EngineResponse[], now: Date = new Date()): Obj {
  const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  const results: Obj[] = [];
  const seconds = Math.floor(now.getTime() / 1000);
  for (const r of responses) {
    const md = meta(r.resource);
    const resource: Obj = {
      apiVersion: r.resource['apiVersion'],
      kind: r.resource['kind'],
      name: md['name'],
    };
    if (typeof md['namespace'] === 'string') resource['namespace'] = md['namespace'];
    if (typeof md['uid'] === 'string') resource['uid'] = md['uid'];
    for (const rule of r.rules) {
      summary[rule.status]++;
      results.push({
        source: 'kyverno',
        policy: r.policy.namespace ? `${r.policy.namespace}/${r.policy.name}` : r.policy.name,
        rule: rule.name,
        result: rule.status,
        message: rule.message,
        scored: true,
        resources: [resource],
        timestamp: { seconds, nanos: 0 },
        properties: { process: 'background scan' },
      });
    }
  }
  return {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: 'ClusterPolicyReport',
    metadata: { name: 'merged' },
    results,
    summary,
  };
}
