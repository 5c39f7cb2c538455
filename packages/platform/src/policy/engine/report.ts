/**
 * Policy report output of `palisade policy apply`, in either of the two report APIs Kyverno writes:
 *
 * - `wgpolicyk8s` (default): wgpolicyk8s.io/v1alpha2 ClusterPolicyReport, as Kyverno's CLI writes with
 *   `apply --policy-report` up to 1.14 and as its controller writes by default.
 * - `openreports`: openreports.io/v1alpha1 ClusterReport, the API Kyverno 1.15+ writes when its reports
 *   controller runs with `--openreportsEnabled` (and that newer Kyverno CLIs print). The results have the
 *   same fields and JSON names in both APIs (Kyverno's ToOpenReports copies them one to one); the report
 *   itself gains `source: kyverno`.
 *
 * Both are one report named "merged" with a result per rule response and a summary, built by one
 * function; only the envelope differs.
 */
import type { EngineResponse, Obj } from './types.js';

/** The report APIs Palisade can write. */
export const POLICY_REPORT_FORMATS = ['wgpolicyk8s', 'openreports'] as const;
export type PolicyReportFormat = (typeof POLICY_REPORT_FORMATS)[number];

function meta(o: Obj): Obj {
  return typeof o['metadata'] === 'object' && o['metadata'] !== null ? (o['metadata'] as Obj) : {};
}

/** The results and summary shared by both report APIs. */
function resultsAndSummary(
  responses: readonly EngineResponse[],
  now: Date,
): { results: Obj[]; summary: Record<'pass' | 'fail' | 'warn' | 'error' | 'skip', number> } {
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
  return { results, summary };
}

/** One cluster-wide report of every rule response, in the chosen report API. */
export function buildPolicyReport(
  responses: readonly EngineResponse[],
  now: Date = new Date(),
  format: PolicyReportFormat = 'wgpolicyk8s',
): Obj {
  const { results, summary } = resultsAndSummary(responses, now);
  if (format === 'openreports') {
    return {
      apiVersion: 'openreports.io/v1alpha1',
      kind: 'ClusterReport',
      metadata: { name: 'merged' },
      source: 'kyverno',
      results,
      summary,
    };
  }
  return {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: 'ClusterPolicyReport',
    metadata: { name: 'merged' },
    results,
    summary,
  };
}
