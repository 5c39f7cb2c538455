/**
 * Aggregated PolicyReports (wgpolicyk8s.io/v1alpha2): one PolicyReport per namespace and one
 * ClusterPolicyReport for cluster-scoped resources, each holding the latest result per
 * policy × rule × resource, instead of one object per resource.
 *
 * - Bounded: at most `maxResults` results per report; beyond that the most severe (fail, error,
 *   warn, skip, pass) and then the newest are kept, and the report says how many were dropped in an
 *   annotation.
 * - No churn: a result whose outcome and message did not change keeps its timestamp, so the built
 *   report equals the stored one and nothing is written; writes are coalesced per flush.
 * - Cheap writes: a changed report replaces the writer's own last write without reading it first
 *   (a 1,000-result report costs the apiserver ~60 ms of CPU to read, ~280 ms to write).
 *
 * `buildReport` and `ReportState` are pure; `PolicyReportWriter` adds the client and the timer.
 */
import type { PolicyReport } from '@palisade/api';
import { nullLogger, type Logger } from '../../core/logger.js';
import type { EngineResponse, RuleStatus } from '../../policy/engine/index.js';
import { KubeApiError, type KubeClient } from '../client/index.js';
import { ClusterPolicyReports, PolicyReports } from '../reports/resources.js';

type Obj = Record<string, unknown>;

export const REPORT_NAME = 'palisade-policies';
export const DROPPED_ANNOTATION = 'palisade.dev/dropped-results';

export interface ReportResult {
  source: 'kyverno';
  policy: string;
  rule: string;
  result: RuleStatus;
  message: string;
  scored: true;
  resources: { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string }[];
  timestamp: { seconds: number; nanos: 0 };
  properties: { process: string };
}

const SEVERITY: Record<RuleStatus, number> = { fail: 0, error: 1, warn: 2, skip: 3, pass: 4 };

function meta(o: Obj): Obj {
  return typeof o['metadata'] === 'object' && o['metadata'] !== null ? (o['metadata'] as Obj) : {};
}

/** A resource's identity in the index: kind and name (its scope is the namespace). */
function resourceKey(kind: string, name: string): string {
  return `${kind}\u0000${name}`;
}

/**
 * The results of one namespace (or the cluster scope, ''), keyed by policy/rule/resource.
 *
 * Besides the results (`scopes`, in insertion order, which `buildReport` relies on for ties), each
 * scope keeps an index from a resource (kind and name) to the keys of its results, so replacing or
 * forgetting one resource's results costs as much as that resource has results, not a scan of its
 * whole namespace (a background scan or a deletion of every Pod of a namespace was quadratic).
 */
export class ReportState {
  readonly scopes = new Map<string, Map<string, ReportResult>>();
  readonly dirty = new Set<string>();
  /** scope → resource (kind and name) → keys of its results in `scopes`. */
  private readonly byResource = new Map<string, Map<string, Set<string>>>();

  /** How many resources of a scope have results (tests, metrics). */
  resourceCount(namespace: string): number {
    return this.byResource.get(namespace)?.size ?? 0;
  }

  private put(ns: string, scope: Map<string, ReportResult>, key: string, value: ReportResult): void {
    const r = value.resources[0];
    if (r && !scope.has(key)) {
      let index = this.byResource.get(ns);
      if (!index) {
        index = new Map();
        this.byResource.set(ns, index);
      }
      const rk = resourceKey(r.kind, r.name);
      let keys = index.get(rk);
      if (!keys) {
        keys = new Set();
        index.set(rk, keys);
      }
      keys.add(key);
    }
    scope.set(key, value);
  }

  private remove(ns: string, scope: Map<string, ReportResult>, key: string): void {
    const value = scope.get(key);
    if (!value) return;
    scope.delete(key);
    const r = value.resources[0];
    if (!r) return;
    const index = this.byResource.get(ns);
    const rk = resourceKey(r.kind, r.name);
    const keys = index?.get(rk);
    if (!keys) return;
    keys.delete(key);
    if (!keys.size) index?.delete(rk);
  }

  /** Records the rule results of engine responses; returns how many results changed. */
  record(responses: readonly EngineResponse[], process: string, now: Date): number {
    let changed = 0;
    const seconds = Math.floor(now.getTime() / 1000);
    for (const er of responses) {
      const md = meta(er.resource);
      const ns = typeof md['namespace'] === 'string' ? md['namespace'] : '';
      const name = typeof md['name'] === 'string' ? md['name'] : '';
      if (!name) continue;
      const resource = {
        apiVersion: typeof er.resource['apiVersion'] === 'string' ? er.resource['apiVersion'] : '',
        kind: typeof er.resource['kind'] === 'string' ? er.resource['kind'] : '',
        name,
        ...(ns ? { namespace: ns } : {}),
        ...(typeof md['uid'] === 'string' ? { uid: md['uid'] } : {}),
      };
      const policy = er.policy.namespace ? `${er.policy.namespace}/${er.policy.name}` : er.policy.name;
      let scope = this.scopes.get(ns);
      if (!scope) {
        scope = new Map<string, ReportResult>();
        this.scopes.set(ns, scope);
      }
      for (const r of er.rules) {
        const key = `${policy}\u0000${r.name}\u0000${resource.apiVersion}/${resource.kind}/${ns}/${name}`;
        const old = scope.get(key);
        if (
          old &&
          old.result === r.status &&
          old.message === r.message &&
          old.resources[0]?.uid === resource.uid
        )
          continue;
        this.put(ns, scope, key, {
          source: 'kyverno',
          policy,
          rule: r.name,
          result: r.status,
          message: r.message,
          scored: true,
          resources: [resource],
          timestamp: { seconds, nanos: 0 },
          properties: { process },
        });
        this.dirty.add(ns);
        changed++;
      }
    }
    return changed;
  }

  /**
   * Sets the results of one resource for the policies `owns` accepts (a background scan of it):
   * results of those policies that the scan no longer produced are dropped; others (admission
   * results of policies the scan does not run) stay. Returns how many results changed.
   */
  replaceResource(
    resource: Obj,
    responses: readonly EngineResponse[],
    process: string,
    now: Date,
    owns: (policy: string) => boolean,
  ): number {
    const md = meta(resource);
    const ns = typeof md['namespace'] === 'string' ? md['namespace'] : '';
    const name = typeof md['name'] === 'string' ? md['name'] : '';
    const kind = typeof resource['kind'] === 'string' ? resource['kind'] : '';
    let changed = 0;
    const scope = this.scopes.get(ns);
    const keys = this.byResource.get(ns)?.get(resourceKey(kind, name));
    if (scope && keys) {
      let keep: Set<string> | undefined;
      // a copy: remove() edits the set
      for (const k of [...keys]) {
        const v = scope.get(k);
        if (!v || !owns(v.policy)) continue;
        if (!keep) {
          keep = new Set<string>();
          for (const er of responses) {
            const policy = er.policy.namespace ? `${er.policy.namespace}/${er.policy.name}` : er.policy.name;
            for (const r of er.rules) keep.add(`${policy}\u0000${r.name}`);
          }
        }
        if (!keep.has(`${v.policy}\u0000${v.rule}`)) {
          this.remove(ns, scope, k);
          this.dirty.add(ns);
          changed++;
        }
      }
    }
    return changed + this.record(responses, process, now);
  }

  /** Drops the results of policies that are gone (`keep` false); returns how many were dropped. */
  retainPolicies(keep: (policy: string) => boolean): number {
    let dropped = 0;
    for (const [ns, scope] of this.scopes)
      for (const [k, v] of scope)
        if (!keep(v.policy)) {
          this.remove(ns, scope, k);
          this.dirty.add(ns);
          dropped++;
        }
    return dropped;
  }

  /** Forgets every result about one resource (it was deleted). */
  forgetResource(kind: string, namespace: string, name: string): number {
    const scope = this.scopes.get(namespace);
    const keys = this.byResource.get(namespace)?.get(resourceKey(kind, name));
    if (!scope || !keys) return 0;
    let n = 0;
    for (const k of [...keys]) {
      if (!scope.has(k)) continue;
      this.remove(namespace, scope, k);
      this.dirty.add(namespace);
      n++;
    }
    return n;
  }
}

/** The report object of one scope: results sorted (stable), bounded, with a summary. */
export function buildReport(
  namespace: string,
  results: Iterable<ReportResult>,
  maxResults: number,
): { report: Obj; dropped: number } {
  let list = [...results];
  let dropped = 0;
  if (list.length > maxResults) {
    list.sort((a, b) => SEVERITY[a.result] - SEVERITY[b.result] || b.timestamp.seconds - a.timestamp.seconds);
    dropped = list.length - maxResults;
    list = list.slice(0, maxResults);
  }
  // each result's sort key built once, not twice per comparison (a stable sort either way)
  const keyed = list.map((r) => {
    const res = r.resources[0];
    return { key: `${r.policy}\u0000${r.rule}\u0000${res?.kind ?? ''}\u0000${res?.name ?? ''}`, r };
  });
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  list = keyed.map((k) => k.r);
  const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of list) summary[r.result]++;
  const metadata: Obj = {
    name: REPORT_NAME,
    ...(namespace ? { namespace } : {}),
    labels: { 'app.kubernetes.io/managed-by': 'palisade' },
    ...(dropped ? { annotations: { [DROPPED_ANNOTATION]: String(dropped) } } : {}),
  };
  return {
    report: {
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: namespace ? 'PolicyReport' : 'ClusterPolicyReport',
      metadata,
      results: list,
      summary,
    },
    dropped,
  };
}

/** JSON with every object's keys sorted (the apiserver answers with sorted keys, we build others). */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Obj;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * What a write changes of a report: its results, summary and dropped-results annotation, in a form
 * that does not depend on key order (comparing plain JSON.stringify output, a report read back
 * never equalled the one built, so an unchanged report was written again).
 */
function contentOf(o: Obj): string {
  return canonicalJson({
    results: o['results'] ?? [],
    summary: o['summary'],
    annotations: (meta(o)['annotations'] as Obj | undefined)?.[DROPPED_ANNOTATION],
  });
}

export interface PolicyReportWriterOptions {
  /** Results per report; default 1000. */
  maxResults?: number;
  /**
   * Delay between a change and its write (coalescing); default 1000 ms. Stretched to
   * FLUSH_COST_FACTOR times the last flush's duration (at most MAX_FLUSH_DELAY_MS) when writes are
   * slow, see nextFlushDelay.
   */
  flushMs?: number;
  logger?: Logger;
  now?: () => Date;
}

/** A flush may take at most 1/FLUSH_COST_FACTOR of the time between flushes. */
export const FLUSH_COST_FACTOR = 4;
/** However slow writes are, a change reaches the cluster within this (plus the write itself). */
export const MAX_FLUSH_DELAY_MS = 30_000;

/**
 * The delay before the next flush: the configured one, stretched when the last flush was slow. A
 * write of a full report (1,000 results, ~330 kB) costs the apiserver ~0.3 s of CPU; on a busy
 * apiserver its wall time grows with the load, so flushing every second would spend a loaded
 * apiserver's CPU on report writes while it serves admissions. Spacing flushes by their cost bounds
 * that share; reports stay eventually consistent (every change is written, later), as Kyverno's
 * report aggregation is.
 */
export function nextFlushDelay(flushMs: number, lastFlushMs: number): number {
  return Math.max(flushMs, Math.min(MAX_FLUSH_DELAY_MS, FLUSH_COST_FACTOR * lastFlushMs));
}

/** Keeps the reports in the cluster equal to the state, writing only what changed. */
export class PolicyReportWriter {
  readonly state = new ReportState();
  readonly stats = {
    writes: 0,
    skippedUnchanged: 0,
    errors: 0,
    reads: 0,
    conflicts: 0,
    /** Wall time of the last flush that wrote or read something, ms. */
    lastFlushMs: 0,
  };
  /** Per scope, the resourceVersion and content of the report as this writer last wrote or read it. */
  private readonly stored = new Map<string, { resourceVersion: string; content: string }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(
    private readonly client: KubeClient,
    private readonly o: PolicyReportWriterOptions = {},
  ) {
    this.log = (o.logger ?? nullLogger).child({ component: 'policy-reports' });
  }

  record(responses: readonly EngineResponse[], process: string): void {
    if (this.state.record(responses, process, (this.o.now ?? (() => new Date()))()) > 0) this.schedule();
  }

  /** See ReportState.replaceResource; schedules a write when something changed. */
  replaceResource(
    resource: Obj,
    responses: readonly EngineResponse[],
    process: string,
    owns: (policy: string) => boolean,
  ): void {
    const now = (this.o.now ?? (() => new Date()))();
    if (this.state.replaceResource(resource, responses, process, now, owns) > 0) this.schedule();
  }

  /** Forgets a deleted resource's results. */
  forgetResource(kind: string, namespace: string, name: string): void {
    if (this.state.forgetResource(kind, namespace, name) > 0) this.schedule();
  }

  /** Drops results of policies that are no longer loaded. */
  retainPolicies(keep: (policy: string) => boolean): void {
    if (this.state.retainPolicies(keep) > 0) this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.flush();
      },
      nextFlushDelay(this.o.flushMs ?? 1000, this.stats.lastFlushMs),
    );
  }

  /** Writes every dirty scope now (waits for a flush already running). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.doFlush().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async doFlush(): Promise<void> {
    const scopes = [...this.state.dirty];
    this.state.dirty.clear();
    if (scopes.length === 0) return;
    const started = performance.now();
    let failed = false;
    for (const ns of scopes) {
      const { report } = buildReport(
        ns,
        this.state.scopes.get(ns)?.values() ?? [],
        this.o.maxResults ?? 1000,
      );
      try {
        await this.write(ns, report);
      } catch (err) {
        this.stats.errors++;
        this.state.dirty.add(ns);
        this.log.warn(
          { namespace: ns, err: err instanceof Error ? err.message : String(err) },
          'report write failed',
        );
        failed = true;
      }
    }
    this.stats.lastFlushMs = performance.now() - started;
    if (failed) this.schedule();
  }

  /**
   * Writes one scope's report. A changed report replaces the one this writer last wrote, with that
   * write's resourceVersion, without reading it first: reading a 1,000-result report costs the
   * apiserver about a fifth of what writing it does. Someone else's write in between (a conflict)
   * or a deletion falls back to reading it, as does an unchanged report (so an edit by someone else
   * is still put right).
   */
  private async write(ns: string, report: Obj): Promise<void> {
    const r = ns ? PolicyReports : ClusterPolicyReports;
    const content = contentOf(report);
    const last = this.stored.get(ns);
    this.stored.delete(ns);
    if (last && last.content !== content) {
      try {
        await this.replace(ns, r, report, last.resourceVersion, content);
        return;
      } catch (err) {
        if (!(err instanceof KubeApiError && (err.status === 409 || err.status === 404))) throw err;
        this.stats.conflicts++;
      }
    }
    let existing: Obj | undefined;
    try {
      this.stats.reads++;
      existing = (await this.client.get(r, REPORT_NAME, ns || undefined)) as unknown as Obj;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 404)) throw err;
    }
    if (!existing) {
      const created = await this.client.create(r, report as unknown as PolicyReport, ns || undefined);
      this.remember(ns, created as unknown as Obj, content);
      this.stats.writes++;
      return;
    }
    const rv = meta(existing)['resourceVersion'];
    if (contentOf(existing) === content) {
      this.remember(ns, existing, content);
      this.stats.skippedUnchanged++;
      return;
    }
    await this.replace(ns, r, report, typeof rv === 'string' ? rv : undefined, content);
  }

  private async replace(
    ns: string,
    r: typeof PolicyReports,
    report: Obj,
    resourceVersion: string | undefined,
    content: string,
  ): Promise<void> {
    const next = {
      ...report,
      metadata: { ...meta(report), resourceVersion },
    } as unknown as PolicyReport;
    const written = await this.client.replace(r, next);
    this.remember(ns, written as unknown as Obj, content);
    this.stats.writes++;
  }

  private remember(ns: string, o: Obj, content: string): void {
    const rv = meta(o)['resourceVersion'];
    if (typeof rv === 'string') this.stored.set(ns, { resourceVersion: rv, content });
  }
}
