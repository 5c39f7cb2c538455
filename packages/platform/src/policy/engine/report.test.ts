/**
 * The policy report builder in both report APIs. wgpolicyk8s output is checked against the
 * ClusterPolicyReport schema Palisade installs (packages/api, Kyverno's CRD); openreports output
 * against the fields of openreports.io/v1alpha1 ClusterReport and ReportResult as declared in
 * openreports/reports-api (apis/openreports.io/v1alpha1/report_types.go and the generated CRD
 * crd/openreports.io/v1alpha1/openreports.io_clusterreports.yaml: `policy` required in a result,
 * `timestamp` needs `seconds` and `nanos`, `properties` are strings, `resources` are ObjectReferences).
 * That CRD is not among the shared data sets, so its field lists are written out here.
 */
import { ClusterPolicyReportSchema } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { loadPolicyText } from '../loader/index.js';
import { PolicyEngine } from './index.js';
import { buildPolicyReport } from './report.js';

/** JSON names of openreports.io/v1alpha1 ReportResult. */
const OPENREPORTS_RESULT_FIELDS = new Set([
  'source',
  'policy',
  'rule',
  'category',
  'severity',
  'timestamp',
  'result',
  'scored',
  'resources',
  'resourceSelector',
  'message',
  'properties',
]);
/** JSON names of openreports.io/v1alpha1 ClusterReport. */
const OPENREPORTS_REPORT_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'source',
  'scope',
  'scopeSelector',
  'configuration',
  'summary',
  'results',
]);
const RESULTS = new Set(['pass', 'fail', 'warn', 'error', 'skip']);
/** JSON names of core/v1 ObjectReference. */
const OBJECT_REFERENCE_FIELDS = new Set([
  'apiVersion',
  'fieldPath',
  'kind',
  'name',
  'namespace',
  'resourceVersion',
  'uid',
]);

const POLICY = `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: pss}
spec:
  rules:
  - name: baseline
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      podSecurity: {level: baseline, version: latest}
  - name: team-label
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: a team label is required
      pattern: {metadata: {labels: {team: "?*"}}}
`;

function responses() {
  const p = loadPolicyText(POLICY, 'p.yaml');
  const engine = new PolicyEngine(p.policies);
  const pods = [
    { metadata: { name: 'ok', namespace: 'a', uid: 'u1', labels: { team: 'x' } }, spec: {} },
    { metadata: { name: 'bad', namespace: 'a' }, spec: { hostPID: true } },
  ].map((p) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    ...p,
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...p.spec },
  }));
  return pods.flatMap((resource) => engine.evaluate({ resource }));
}

const NOW = new Date('2026-01-02T03:04:05Z');

describe('policy report builder', () => {
  it('wgpolicyk8s: a ClusterPolicyReport valid against the installed CRD schema', () => {
    const report = buildPolicyReport(responses(), NOW);
    expect(report['apiVersion']).toBe('wgpolicyk8s.io/v1alpha2');
    expect(report['kind']).toBe('ClusterPolicyReport');
    const parsed = ClusterPolicyReportSchema.safeParse(report);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(report['summary']).toEqual({ pass: 2, fail: 2, warn: 0, error: 0, skip: 0 });
  });

  it('openreports: a ClusterReport with only fields the openreports API declares', () => {
    const report = buildPolicyReport(responses(), NOW, 'openreports');
    expect(report['apiVersion']).toBe('openreports.io/v1alpha1');
    expect(report['kind']).toBe('ClusterReport');
    expect(report['source']).toBe('kyverno');
    for (const k of Object.keys(report)) expect(OPENREPORTS_REPORT_FIELDS.has(k), k).toBe(true);
    const results = report['results'] as Record<string, unknown>[];
    expect(results).toHaveLength(4);
    for (const r of results) {
      for (const k of Object.keys(r)) expect(OPENREPORTS_RESULT_FIELDS.has(k), k).toBe(true);
      expect(typeof r['policy']).toBe('string');
      expect(RESULTS.has(String(r['result']))).toBe(true);
      expect(r['timestamp']).toEqual({ seconds: Math.floor(NOW.getTime() / 1000), nanos: 0 });
      for (const v of Object.values(r['properties'] as object)) expect(typeof v).toBe('string');
      for (const ref of r['resources'] as Record<string, unknown>[]) {
        for (const [k, v] of Object.entries(ref)) {
          expect(OBJECT_REFERENCE_FIELDS.has(k), k).toBe(true);
          expect(typeof v).toBe('string');
        }
      }
    }
    const bad = results.find((r) => r['rule'] === 'baseline' && r['result'] === 'fail');
    expect(bad?.['resources']).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'bad', namespace: 'a' }]);
    expect(report['summary']).toEqual({ pass: 2, fail: 2, warn: 0, error: 0, skip: 0 });
  });

  it('both formats carry the same results and summary (one builder, two envelopes)', () => {
    const rs = responses();
    const a = buildPolicyReport(rs, NOW, 'wgpolicyk8s');
    const b = buildPolicyReport(rs, NOW, 'openreports');
    expect(b['results']).toEqual(a['results']);
    expect(b['summary']).toEqual(a['summary']);
    expect(b['metadata']).toEqual(a['metadata']);
  });
});
