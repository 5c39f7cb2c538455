/**
 * PolicyReportWriter against a REAL kube-apiserver + etcd (docs/testing-cluster.md): a changed
 * report replaces the writer's own last write without reading it first, and someone else's write or
 * deletion in between still ends with the writer's report stored.
 */
import { ALL_CRDS, crdName, toCustomResourceDefinition, type PolicyReport } from '@palisade/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineResponse } from '../../policy/engine/index.js';
import { startTestCluster, type TestCluster } from '../../testing/cluster.js';
import { CustomResourceDefinitions } from '../client/resources.js';
import { KubeClient } from '../client/rest.js';
import { PolicyReports } from '../reports/resources.js';
import { PolicyReportWriter, REPORT_NAME } from './aggregator.js';

const NS = 'writer';
let cluster: TestCluster;
let client: KubeClient;

beforeAll(async () => {
  cluster = await startTestCluster();
  client = KubeClient.fromFile(cluster.kubeconfigPath);
  await cluster.createNamespace(NS);
  const crds = ALL_CRDS.filter((d) => crdName(d).startsWith('policyreports.'));
  expect(crds).toHaveLength(1);
  for (const d of crds)
    await client.create(
      CustomResourceDefinitions,
      toCustomResourceDefinition(d) as NonNullable<(typeof CustomResourceDefinitions)['__type']>,
    );
  const end = Date.now() + 60_000;
  for (;;) {
    const crd = await client.get(CustomResourceDefinitions, crdName(crds[0]!));
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
    if (Date.now() > end) throw new Error('CRD not Established');
    await new Promise((r) => setTimeout(r, 200));
  }
}, 120_000);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
});

function response(pod: string, status: 'pass' | 'fail'): EngineResponse {
  const resource = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod, namespace: NS, uid: `uid-${pod}` },
  };
  return {
    policy: { kind: 'ClusterPolicy', name: 'p', namespace: undefined },
    resource,
    patchedResource: resource,
    validationFailureAction: 'Audit',
    rules: [{ name: 'r', type: 'Validation', status, message: status }],
  };
}

const stored = async (): Promise<PolicyReport> => await client.get(PolicyReports, REPORT_NAME, NS);
const rows = (r: PolicyReport): string[] =>
  (r.results ?? []).map((x) => `${x.resources?.[0]?.name ?? ''}=${x.result ?? ''}`);

describe('PolicyReportWriter (real apiserver)', () => {
  it('replaces its own last write without reading it; conflicts, deletions and edits fall back to a read', async () => {
    // flushMs: long enough that only the explicit flushes write
    const w = new PolicyReportWriter(client, { flushMs: 3_600_000 });
    try {
      w.record([response('a', 'fail')], 'admission review');
      await w.flush();
      expect(w.stats).toMatchObject({ writes: 1, reads: 1, conflicts: 0 });
      expect(rows(await stored())).toEqual(['a=fail']);

      // a change: one write, no read
      w.record([response('b', 'pass')], 'admission review');
      await w.flush();
      expect(w.stats).toMatchObject({ writes: 2, reads: 1, conflicts: 0 });
      expect(rows(await stored())).toEqual(['a=fail', 'b=pass']);

      // someone else writes the report: the next change conflicts, reads, and writes ours
      const theirs = await stored();
      await client.replace(PolicyReports, {
        ...theirs,
        results: [],
        summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
      });
      w.record([response('c', 'pass')], 'admission review');
      await w.flush();
      expect(w.stats).toMatchObject({ writes: 3, reads: 2, conflicts: 1 });
      expect(rows(await stored())).toEqual(['a=fail', 'b=pass', 'c=pass']);

      // someone deletes it: the next change finds it gone and creates it again
      await client.delete(PolicyReports, REPORT_NAME, NS);
      w.record([response('a', 'pass')], 'admission review');
      await w.flush();
      expect(w.stats).toMatchObject({ writes: 4, reads: 3, conflicts: 2 });
      expect(rows(await stored())).toEqual(['a=pass', 'b=pass', 'c=pass']);

      // someone edits it and a change of ours leaves our content as it was: read, put right
      const edited = await stored();
      await client.replace(PolicyReports, { ...edited, results: [] });
      w.record([response('d', 'fail')], 'admission review');
      expect(w.state.forgetResource('Pod', NS, 'd')).toBe(1);
      await w.flush();
      expect(w.stats).toMatchObject({ writes: 5, reads: 4, conflicts: 2 });
      expect(rows(await stored())).toEqual(['a=pass', 'b=pass', 'c=pass']);

      // nothing changed since: a flush of a dirty scope reads and skips
      w.state.dirty.add(NS);
      await w.flush();
      expect(w.stats).toMatchObject({ writes: 5, reads: 5, skippedUnchanged: 1, errors: 0 });
    } finally {
      await w.close();
    }
  }, 120_000);
});
