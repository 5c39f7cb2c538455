import { describe, expect, it, vi } from 'vitest';
import type { EngineResponse, RuleStatus } from '../../policy/engine/index.js';
import { KubeApiError, type KubeClient } from '../client/index.js';
import {
  buildReport,
  MAX_FLUSH_DELAY_MS,
  nextFlushDelay,
  PolicyReportWriter,
  ReportState,
  type ReportResult,
} from './aggregator.js';

type Obj = Record<string, unknown>;

/**
 * The straightforward state the index must agree with: every operation scans the whole scope, as
 * ReportState did before it indexed results by resource.
 */
class ScanningState {
  readonly scopes = new Map<string, Map<string, ReportResult>>();
  readonly dirty = new Set<string>();

  record(responses: readonly EngineResponse[], process: string, now: Date): number {
    let changed = 0;
    for (const er of responses) {
      const md = er.resource['metadata'] as { namespace?: string; name?: string; uid?: string };
      const ns = md.namespace ?? '';
      const apiVersion = er.resource['apiVersion'] as string;
      const kind = er.resource['kind'] as string;
      const res = {
        apiVersion,
        kind,
        name: md.name ?? '',
        ...(ns ? { namespace: ns } : {}),
        ...(md.uid !== undefined ? { uid: md.uid } : {}),
      };
      let scope = this.scopes.get(ns);
      if (!scope) this.scopes.set(ns, (scope = new Map<string, ReportResult>()));
      for (const r of er.rules) {
        const key = `${er.policy.name}\u0000${r.name}\u0000${apiVersion}/${kind}/${ns}/${res.name}`;
        const old = scope.get(key);
        if (old && old.result === r.status && old.message === r.message && old.resources[0]?.uid === res.uid)
          continue;
        scope.set(key, {
          source: 'kyverno',
          policy: er.policy.name,
          rule: r.name,
          result: r.status,
          message: r.message,
          scored: true,
          resources: [res],
          timestamp: { seconds: Math.floor(now.getTime() / 1000), nanos: 0 },
          properties: { process },
        });
        this.dirty.add(ns);
        changed++;
      }
    }
    return changed;
  }

  replaceResource(
    resource: Obj,
    responses: readonly EngineResponse[],
    process: string,
    now: Date,
    owns: (policy: string) => boolean,
  ): number {
    const md = resource['metadata'] as { namespace?: string; name?: string };
    const ns = md.namespace ?? '';
    const name = md.name ?? '';
    const kind = resource['kind'] as string;
    const keep = new Set<string>();
    for (const er of responses) for (const r of er.rules) keep.add(`${er.policy.name}\u0000${r.name}`);
    let changed = 0;
    const scope = this.scopes.get(ns);
    if (scope)
      for (const [k, v] of scope) {
        const r = v.resources[0];
        if (!r || r.kind !== kind || r.name !== name || !owns(v.policy)) continue;
        if (!keep.has(`${v.policy}\u0000${v.rule}`)) {
          scope.delete(k);
          this.dirty.add(ns);
          changed++;
        }
      }
    return changed + this.record(responses, process, now);
  }

  retainPolicies(keep: (policy: string) => boolean): number {
    let dropped = 0;
    for (const [ns, scope] of this.scopes)
      for (const [k, v] of scope)
        if (!keep(v.policy)) {
          scope.delete(k);
          this.dirty.add(ns);
          dropped++;
        }
    return dropped;
  }

  forgetResource(kind: string, namespace: string, name: string): number {
    const scope = this.scopes.get(namespace);
    if (!scope) return 0;
    let n = 0;
    for (const [k, v] of scope) {
      const r = v.resources[0];
      if (r && r.kind === kind && r.name === name) {
        scope.delete(k);
        this.dirty.add(namespace);
        n++;
      }
    }
    return n;
  }
}

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function resource(kind: string, ns: string, name: string, uid: string, apiVersion = 'v1'): Obj {
  return { apiVersion, kind, metadata: { name, ...(ns ? { namespace: ns } : {}), uid } };
}

function response(policy: string, res: Obj, rules: [string, RuleStatus][]): EngineResponse {
  return {
    policy: { kind: 'ClusterPolicy', name: policy, namespace: undefined },
    resource: res,
    patchedResource: res,
    validationFailureAction: 'Audit',
    rules: rules.map(([name, status]) => ({
      name,
      type: 'Validation',
      status,
      message: `${name} ${status}`,
    })),
  };
}

describe('ReportState (indexed by resource)', () => {
  it('agrees with a whole-scope scan over thousands of random operations on many resources', () => {
    const next = rng(20261205);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
    const statuses: RuleStatus[] = ['pass', 'fail', 'warn', 'error', 'skip'];
    const policies = ['bg-a', 'bg-b', 'bg-c', 'adm-x', 'adm-y'];
    const owned = (p: string): boolean => p.startsWith('bg-');
    const namespaces = ['ns1', 'ns2', ''];
    // two kinds share names, two apiVersions share a kind: the index must keep them apart the way
    // the scan does (kind and name, any apiVersion)
    const kinds: [string, string][] = [
      ['v1', 'Pod'],
      ['v1', 'ConfigMap'],
      ['apps/v1', 'Deployment'],
      ['extensions/v1beta1', 'Deployment'],
    ];
    const names = Array.from({ length: 150 }, (_, i) => `r${i}`);
    const responsesFor = (res: Obj, only?: (p: string) => boolean): EngineResponse[] =>
      policies
        .filter((p) => (only ? only(p) : true) && next() < 0.7)
        .map((p) =>
          response(
            p,
            res,
            ['r1', 'r2', 'r3']
              .filter(() => next() < 0.6)
              .map((r) => [r, pick(statuses)] as [string, RuleStatus]),
          ),
        );

    const fast = new ReportState();
    const slow = new ScanningState();
    let retained = 0;
    for (let step = 0; step < 6000; step++) {
      const now = new Date(1_000_000 + step * 1000);
      const [apiVersion, kind] = pick(kinds);
      const ns = pick(namespaces);
      const name = pick(names);
      const res = resource(kind, ns, name, `${name}-${next() < 0.1 ? 'new' : 'old'}`, apiVersion);
      const op = next();
      if (op < 0.4) {
        const rs = responsesFor(res);
        expect(fast.record(rs, 'admission review', now)).toBe(slow.record(rs, 'admission review', now));
      } else if (op < 0.85) {
        const rs = responsesFor(res, owned);
        expect(fast.replaceResource(res, rs, 'background scan', now, owned)).toBe(
          slow.replaceResource(res, rs, 'background scan', now, owned),
        );
      } else if (op < 0.999) {
        expect(fast.forgetResource(kind, ns, name)).toBe(slow.forgetResource(kind, ns, name));
      } else {
        const gone = pick(policies);
        retained++;
        expect(fast.retainPolicies((p) => p !== gone)).toBe(slow.retainPolicies((p) => p !== gone));
      }
      expect([...fast.dirty]).toEqual([...slow.dirty]);
      if (next() < 0.05) {
        fast.dirty.clear();
        slow.dirty.clear();
      }
      if (step % 500 === 499)
        for (const n of namespaces) {
          // same results in the same (insertion) order, hence the same bounded report
          expect([...(fast.scopes.get(n)?.entries() ?? [])]).toStrictEqual([
            ...(slow.scopes.get(n)?.entries() ?? []),
          ]);
          expect(buildReport(n, fast.scopes.get(n)?.values() ?? [], 200)).toStrictEqual(
            buildReport(n, slow.scopes.get(n)?.values() ?? [], 200),
          );
        }
    }
    for (const n of namespaces) {
      const results = [...(fast.scopes.get(n)?.values() ?? [])];
      expect(results).toStrictEqual([...(slow.scopes.get(n)?.values() ?? [])]);
      // the index holds exactly the resources that have results
      const resources = new Set(results.map((r) => `${r.resources[0]?.kind}/${r.resources[0]?.name}`));
      expect(fast.resourceCount(n)).toBe(resources.size);
      // the run exercised what it claims to
      expect(results.length).toBeGreaterThan(100);
      expect(resources.size).toBeGreaterThan(100);
    }
    expect(retained).toBeGreaterThan(0);
  });

  it('forgets a resource of one kind without touching a same-named resource of another kind', () => {
    const s = new ReportState();
    const pod = resource('Pod', 'ns', 'a', 'u1');
    const cm = resource('ConfigMap', 'ns', 'a', 'u2');
    s.record(
      [response('p', pod, [['r', 'fail']]), response('p', cm, [['r', 'pass']])],
      'admission review',
      new Date(0),
    );
    expect(s.resourceCount('ns')).toBe(2);
    expect(s.forgetResource('Pod', 'ns', 'a')).toBe(1);
    expect([...(s.scopes.get('ns')?.values() ?? [])].map((r) => r.resources[0]?.kind)).toEqual(['ConfigMap']);
    expect(s.resourceCount('ns')).toBe(1);
    expect(s.forgetResource('ConfigMap', 'ns', 'a')).toBe(1);
    expect(s.resourceCount('ns')).toBe(0);
  });

  it('a rescan that drops a rule removes it from the index too, so a later forget counts right', () => {
    const s = new ReportState();
    const pod = resource('Pod', 'ns', 'a', 'u1');
    const owned = (p: string): boolean => p === 'bg';
    s.replaceResource(
      pod,
      [
        response('bg', pod, [
          ['r1', 'fail'],
          ['r2', 'fail'],
        ]),
      ],
      'background scan',
      new Date(0),
      owned,
    );
    expect(
      s.replaceResource(pod, [response('bg', pod, [['r1', 'fail']])], 'background scan', new Date(0), owned),
    ).toBe(1);
    expect(s.forgetResource('Pod', 'ns', 'a')).toBe(1);
    expect(s.scopes.get('ns')?.size).toBe(0);
    expect(s.resourceCount('ns')).toBe(0);
  });
});

describe('buildReport', () => {
  it('equals a straightforward bounded sort, ties (same kind and name, other apiVersion) included', () => {
    const next = rng(7);
    const statuses: RuleStatus[] = ['pass', 'fail', 'warn', 'error', 'skip'];
    const s = new ReportState();
    for (let i = 0; i < 3000; i++) {
      const name = `r${Math.floor(next() * 300)}`;
      const res = resource('Deployment', 'ns', name, 'u', next() < 0.5 ? 'apps/v1' : 'extensions/v1beta1');
      s.record(
        [
          response(`p${Math.floor(next() * 4)}`, res, [
            [`rule${Math.floor(next() * 3)}`, statuses[Math.floor(next() * 5)] as RuleStatus],
          ]),
        ],
        'admission review',
        new Date(Math.floor(next() * 20) * 1000),
      );
    }
    const results = [...(s.scopes.get('ns')?.values() ?? [])];
    expect(results.length).toBeGreaterThan(1000);
    const severity: Record<RuleStatus, number> = { fail: 0, error: 1, warn: 2, skip: 3, pass: 4 };
    const key = (r: ReportResult): string =>
      `${r.policy}\u0000${r.rule}\u0000${r.resources[0]?.kind}\u0000${r.resources[0]?.name}`;
    for (const max of [100, 1000, 5000]) {
      let want = [...results];
      if (want.length > max)
        want = want
          .sort(
            (a, b) => severity[a.result] - severity[b.result] || b.timestamp.seconds - a.timestamp.seconds,
          )
          .slice(0, max);
      want.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      const { report, dropped } = buildReport('ns', results, max);
      expect(report['results']).toStrictEqual(want);
      expect(dropped).toBe(Math.max(0, results.length - max));
      const summary = report['summary'] as Record<RuleStatus, number>;
      for (const st of statuses) expect(summary[st]).toBe(want.filter((r) => r.result === st).length);
    }
  });
});

describe('flush spacing', () => {
  it('keeps the configured delay while writes are cheap and stretches it to 4x a slow flush, capped', () => {
    expect(nextFlushDelay(1000, 0)).toBe(1000);
    expect(nextFlushDelay(1000, 200)).toBe(1000);
    expect(nextFlushDelay(1000, 250)).toBe(1000);
    expect(nextFlushDelay(1000, 300)).toBe(4 * 300);
    expect(nextFlushDelay(1000, 2_500)).toBe(10_000);
    expect(nextFlushDelay(1000, 60_000)).toBe(MAX_FLUSH_DELAY_MS);
    expect(nextFlushDelay(45_000, 60_000)).toBe(45_000);
  });

  it("records a flush's duration and waits that much longer before the next one", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const written: string[] = [];
      // Each write takes 600 ms of (fake) time, as on a busy apiserver.
      const client = {
        get: () => Promise.reject(new KubeApiError(404, 'get report', undefined)),
        create: (_r: unknown, o: { metadata: { namespace?: string } }) => {
          written.push(o.metadata.namespace ?? '');
          vi.advanceTimersByTime(600);
          return Promise.resolve({
            ...o,
            metadata: { ...o.metadata, resourceVersion: String(written.length) },
          });
        },
        replace: (_r: unknown, o: { metadata: { namespace?: string } }) => {
          written.push(o.metadata.namespace ?? '');
          vi.advanceTimersByTime(600);
          return Promise.resolve({
            ...o,
            metadata: { ...o.metadata, resourceVersion: String(written.length) },
          });
        },
      } as unknown as KubeClient;
      const w = new PolicyReportWriter(client, { flushMs: 1000 });
      w.record([response('p', resource('Pod', 'ns1', 'a', 'u1'), [['r', 'fail']])], 'admission review');
      await vi.advanceTimersByTimeAsync(1000);
      expect(written).toEqual(['ns1']);
      expect(w.stats.lastFlushMs).toBeGreaterThanOrEqual(600);
      w.record([response('p', resource('Pod', 'ns1', 'b', 'u2'), [['r', 'fail']])], 'admission review');
      // 1 s after the change is no longer enough: the next flush waits 4 x 600 ms.
      await vi.advanceTimersByTimeAsync(2_300);
      expect(written).toEqual(['ns1']);
      await vi.advanceTimersByTimeAsync(200);
      expect(written).toEqual(['ns1', 'ns1']);
    } finally {
      vi.useRealTimers();
    }
  });
});
