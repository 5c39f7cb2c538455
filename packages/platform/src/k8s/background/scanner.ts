/**
 * The background scan: existing resources evaluated against the policies that run in the
 * background, their results fed into the aggregated PolicyReports, as Kyverno's background scan
 * and report controllers do.
 *
 * - One informer (list + watch) per resource type the background policies match, and only those;
 *   informers of kinds no policy matches any more are stopped.
 * - A resource is (re)evaluated when it is added or changed, when the background policies change,
 *   when its namespace's labels change, and every `intervalMs` (a full rescan); a deleted
 *   resource's results are dropped.
 * - Evaluation is rate-limited (`ratePerSecond`) through a de-duplicating queue of keys (a resource
 *   queued twice is evaluated once, with its latest state from the informer cache), so the queue
 *   never outgrows the objects watched and a burst of events cannot starve admission.
 * - No request: `operation` CREATE, no user info (see plan.ts for the rules left out).
 * - The sink (PolicyReportWriter) keeps results whose outcome did not change as they are, so a
 *   rescan of unchanged resources writes nothing.
 */
import { nullLogger, type Logger } from '../../core/logger.js';
import type { EngineResponse } from '../../policy/engine/index.js';
import {
  defineResource,
  Informer,
  KubeApiError,
  objectKey,
  stripServerBookkeeping,
  type KubeClient,
  type KubeObject,
  type ResourceType,
} from '../client/index.js';
import type { DiscoveredResource } from '../webhook/config.js';
import { CelAwareEngine, type WebhookPolicySet } from '../webhook/policyset.js';
import { backgroundPlan, kindsToWatch, type BackgroundPlan, type WatchedKind } from './plan.js';

type Obj = Record<string, unknown>;

/** Where results go (PolicyReportWriter implements it). */
export interface BackgroundSink {
  replaceResource(
    resource: Obj,
    responses: readonly EngineResponse[],
    process: string,
    owns: (policy: string) => boolean,
  ): void;
  forgetResource(kind: string, namespace: string, name: string): void;
  retainPolicies(keep: (policy: string) => boolean): void;
}

export interface BackgroundScannerOptions {
  client: KubeClient;
  sink: BackgroundSink;
  /** Labels of a namespace (for namespaceSelectors); undefined when unknown. */
  namespaceLabels?: (name: string) => Readonly<Record<string, string>> | undefined;
  /** API discovery (resource types by kind). */
  discovery: () => readonly DiscoveredResource[];
  /** Full rescan period; default 1 hour; 0: none (only changes). */
  intervalMs?: number;
  /** Evaluations per second at most; default 100. */
  ratePerSecond?: number;
  /** Namespaces never scanned (as the webhook never intercepts them). */
  excludeNamespaces?: readonly string[];
  logger?: Logger;
  /** Informer page size and watch timeout (tests). */
  watchTimeoutSeconds?: number;
}

export const BACKGROUND_PROCESS = 'background scan';

interface Watch {
  kind: WatchedKind;
  resource: ResourceType<KubeObject & Obj>;
  informer: Informer<KubeObject & Obj>;
  ac: AbortController;
  run: Promise<void>;
}

function watchKey(k: WatchedKind): string {
  return `${k.group}/${k.version}/${k.plural}`;
}

/** The queue and its rate limit, apart from Kubernetes (unit-tested on its own). */
export class RateLimitedQueue {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly work: (key: string) => void,
    private readonly ratePerSecond: number,
    private readonly tickMs = 100,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    this.arm();
  }

  delete(key: string): void {
    this.pending.delete(key);
  }

  /** Resolves once the queue is empty. */
  idle(): Promise<void> {
    if (!this.pending.size) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wake();
  }

  /** Processes one tick's share now (tests drive it without timers). */
  tick(): number {
    const budget = Math.max(1, Math.floor((this.ratePerSecond * this.tickMs) / 1000));
    let n = 0;
    for (const key of this.pending) {
      if (n >= budget) break;
      this.pending.delete(key);
      n++;
      this.work(key);
    }
    if (!this.pending.size) this.wake();
    return n;
  }

  private arm(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
      if (this.pending.size) this.arm();
    }, this.tickMs);
    this.timer.unref?.();
  }

  private wake(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}

export class BackgroundScanner {
  readonly stats = { evaluations: 0, errors: 0, rescans: 0, watchedKinds: 0 };
  private plan: BackgroundPlan | undefined;
  private engine: CelAwareEngine | undefined;
  private readonly watches = new Map<string, Watch>();
  private readonly starting = new Set<string>();
  /** Kinds the policies match that cannot be listed (RBAC, or not served). */
  readonly forbidden = new Set<string>();
  private readonly queue: RateLimitedQueue;
  private readonly log: Logger;
  private readonly excluded: ReadonlySet<string>;
  private interval: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: BackgroundScannerOptions) {
    this.log = (o.logger ?? nullLogger).child({ component: 'background-scan' });
    this.queue = new RateLimitedQueue((k) => this.evaluate(k), o.ratePerSecond ?? 100);
    this.excluded = new Set(o.excludeNamespaces ?? []);
    const every = o.intervalMs ?? 3_600_000;
    if (every > 0) {
      this.interval = setInterval(() => this.rescan('interval'), every);
      this.interval.unref();
    }
  }

  /** The kinds watched now (`group/version/plural`). */
  watched(): string[] {
    return [...this.watches.keys()].sort();
  }

  /** Resolves when nothing is queued (tests, and a clean stop). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Takes a new policy set: re-plans, starts/stops informers, rescans when the plan changed. */
  onPolicies(set: WebhookPolicySet): void {
    if (this.stopped) return;
    const plan = backgroundPlan(set.loaded);
    this.o.sink.retainPolicies((p) => plan.loaded.has(p));
    if (this.plan?.fingerprint === plan.fingerprint) return;
    this.plan = plan;
    this.engine = new CelAwareEngine(plan.policies, {
      exceptions: set.loaded.exceptions,
      celPolicies: plan.celPolicies,
      celExceptions: set.loaded.celExceptions,
    });
    for (const s of plan.skipped) this.log.info(s, 'rule left out of the background scan');
    const { kinds, unresolved } = kindsToWatch(plan, this.o.discovery());
    if (unresolved.length) this.log.warn({ kinds: unresolved }, 'kinds not scanned in the background');
    const want = new Map(kinds.map((k) => [watchKey(k), k]));
    for (const [key, w] of this.watches)
      if (!want.has(key)) {
        w.ac.abort();
        this.watches.delete(key);
        for (const obj of w.informer.list()) {
          this.queue.delete(`${key}\u0000${objectKey(obj)}`);
          const md = obj.metadata ?? {};
          this.o.sink.forgetResource(w.kind.kind, md.namespace ?? '', md.name ?? '');
        }
      }
    for (const [key, k] of want)
      if (!this.watches.has(key) && !this.starting.has(key)) {
        this.starting.add(key);
        void this.watch(key, k).finally(() => this.starting.delete(key));
      }
    this.stats.watchedKinds = this.watches.size;
    this.rescan('policies changed');
  }

  /** Queues every watched object. */
  rescan(why: string): void {
    if (this.stopped) return;
    this.stats.rescans++;
    let n = 0;
    for (const [key, w] of this.watches)
      for (const obj of w.informer.list()) {
        this.queue.add(`${key}\u0000${objectKey(obj)}`);
        n++;
      }
    this.log.debug({ why, queued: n }, 'background rescan');
  }

  /** Resolves once the informers being started are running (tests). */
  async started(): Promise<void> {
    while (this.starting.size) await new Promise((r) => setTimeout(r, 20));
    await Promise.all([...this.watches.values()].map((w) => w.informer.waitForSync(w.ac.signal)));
  }

  /** Queues the watched objects of one namespace (its labels changed: namespaceSelectors may now differ). */
  rescanNamespace(namespace: string): void {
    if (this.stopped) return;
    for (const [key, w] of this.watches) {
      if (!w.kind.namespaced) continue;
      for (const obj of w.informer.list())
        if (obj.metadata?.namespace === namespace) this.queue.add(`${key}\u0000${objectKey(obj)}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    this.queue.stop();
    for (const w of this.watches.values()) w.ac.abort();
    await Promise.all([...this.watches.values()].map((w) => w.run));
    this.watches.clear();
  }

  private async watch(key: string, k: WatchedKind): Promise<void> {
    const resource = defineResource<KubeObject & Obj>({
      group: k.group,
      version: k.version,
      plural: k.plural,
      kind: k.kind,
      namespaced: k.namespaced,
    });
    // a kind the ServiceAccount may not list (the chart grants a list of kinds) is reported once
    // instead of an informer retrying a 403 forever
    try {
      await this.o.client.list(resource, undefined, { limit: 1 });
    } catch (err) {
      if (err instanceof KubeApiError && (err.status === 403 || err.status === 404)) {
        this.forbidden.add(key);
        this.log.warn(
          { kind: key, status: err.status },
          'kind not scanned in the background: cannot list it',
        );
        return;
      }
    }
    if (this.stopped || this.watches.has(key)) return;
    this.forbidden.delete(key);
    const informer = new Informer<KubeObject & Obj>(this.o.client, resource, {
      logger: this.log,
      // managedFields and kubectl's last-applied copy are most of a cached object and no policy
      // reads them
      transform: stripServerBookkeeping,
      ...(this.o.watchTimeoutSeconds ? { watchTimeoutSeconds: this.o.watchTimeoutSeconds } : {}),
    });
    const qkey = (obj: KubeObject): string => `${key}\u0000${objectKey(obj)}`;
    informer.addEventHandler({
      onAdd: (obj) => this.queue.add(qkey(obj)),
      onUpdate: (a, b) => {
        if (a.metadata?.resourceVersion !== b.metadata?.resourceVersion) this.queue.add(qkey(b));
      },
      onDelete: (obj) => {
        this.queue.delete(qkey(obj));
        this.o.sink.forgetResource(k.kind, obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
      },
    });
    const ac = new AbortController();
    const run = informer.run(ac.signal).catch((err: unknown) => {
      this.log.warn({ kind: key, err: err instanceof Error ? err.message : String(err) }, 'informer stopped');
    });
    this.watches.set(key, { kind: k, resource, informer, ac, run });
  }

  private evaluate(qkey: string): void {
    const [key, okey] = qkey.split('\u0000') as [string, string];
    const w = this.watches.get(key);
    const engine = this.engine;
    const plan = this.plan;
    if (!w || !engine || !plan) return;
    const slash = okey.indexOf('/');
    const obj = w.kind.namespaced
      ? w.informer.get(okey.slice(slash + 1), okey.slice(0, slash))
      : w.informer.get(okey);
    if (!obj) return;
    const ns = obj.metadata?.namespace ?? '';
    if (ns && this.excluded.has(ns)) return;
    const resource: Obj = {
      ...obj,
      apiVersion: w.kind.group ? `${w.kind.group}/${w.kind.version}` : w.kind.version,
      kind: w.kind.kind,
    };
    const nsLabels: Record<string, Readonly<Record<string, string>>> = {};
    const labelsOf = (n: string): void => {
      const l = this.o.namespaceLabels?.(n);
      if (l) nsLabels[n] = l;
    };
    if (ns) labelsOf(ns);
    if (w.kind.kind === 'Namespace' && obj.metadata?.name)
      nsLabels[obj.metadata.name] = obj.metadata.labels ?? {};
    let responses: EngineResponse[];
    try {
      responses = engine.evaluate({
        resource,
        operation: 'CREATE',
        namespaceLabels: nsLabels,
        variables: {
          'request.operation': 'CREATE',
          'request.namespace': ns,
          'request.name': obj.metadata?.name ?? '',
          'request.dryRun': false,
        },
      });
    } catch (err) {
      this.stats.errors++;
      this.log.warn(
        { key: qkey, err: err instanceof Error ? err.message : String(err) },
        'background evaluation failed',
      );
      return;
    }
    this.stats.evaluations++;
    this.o.sink.replaceResource(resource, responses, BACKGROUND_PROCESS, (p) => plan.owned.has(p));
  }
}
