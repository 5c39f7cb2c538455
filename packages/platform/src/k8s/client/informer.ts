/**
 * Our informer: a local cache of one resource type kept in step with the apiserver by
 * list + watch, as client-go's reflector and shared informer do.
 *
 * - The first list (paginated, a consistent read) fills the cache; handlers see `onAdd` with
 *   `isInInitialList`. The watch then starts from the list's resourceVersion with
 *   `allowWatchBookmarks`, and every event and bookmark advances the tracked resourceVersion.
 * - A watch that the server ends (its `timeoutSeconds`) is restarted at once from that version.
 * - 410 Gone (as an HTTP status or an ERROR event: the version was compacted or fell out of the
 *   watch cache) → relist; the relist is diffed against the cache, so handlers see the adds,
 *   updates and deletes they missed (a delete seen only this way has `finalStateUnknown`).
 * - Transport errors and other failures: retry after an exponential backoff with jitter, from
 *   the last resourceVersion (no events are lost across an apiserver restart).
 * - Optional periodic resync: `onUpdate(obj, obj)` for every cached object.
 * - Optional transform (client-go's `SetTransform`): applied to every object as it arrives from a
 *   list page or a watch event, before it is cached or handed to handlers, so a cache can keep
 *   only the fields its consumers read (a list page's full objects are dropped page by page).
 * - `SharedInformerFactory` keeps one informer (one watch) per resource type and selector.
 * - Stopped by the AbortSignal given to `run`/`start`.
 */
import type { Logger } from '../../core/logger.js';
import { nullLogger } from '../../core/logger.js';
import { errorMessage } from '../../core/errors.js';
import { KubeApiError } from './rest.js';
import type { KubeClient, KubeStatus } from './rest.js';
import { resourceKey } from './resources.js';
import type { KubeObject, ResourceType } from './resources.js';

export interface InformerEventHandler<T> {
  onAdd?(obj: T, isInInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** `finalStateUnknown`: the delete was inferred from a relist, `obj` is the last state we saw. */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export interface BackoffOptions {
  /** First delay, ms; default 200. */
  initialMs?: number;
  /** Largest delay, ms; default 30 000. */
  maxMs?: number;
  /** Growth per failed attempt; default 2. */
  factor?: number;
  /** Fraction of the delay randomised either way, 0..1; default 0.5. */
  jitter?: number;
}

/**
 * Maps an object as received to the object cached and handed to handlers. It must not mutate its
 * argument's shared parts in ways handlers could see twice, and must keep `metadata.name`,
 * `namespace` and `resourceVersion` (the cache key and change detection use them).
 */
export type ObjectTransform<T> = (obj: T) => T;

export interface InformerOptions<T = KubeObject> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Period of `onUpdate(obj, obj)` for every cached object; 0 or unset: none. */
  resyncPeriodMs?: number;
  /** Server-side watch timeout; each watch picks a value in [t, 2t) as client-go does. Default 300. */
  watchTimeoutSeconds?: number;
  /** List page size; default 500. */
  pageSize?: number;
  backoff?: BackoffOptions;
  logger?: Logger;
  /** Random source for jitter (tests); default Math.random. */
  random?: () => number;
  /** Applied to each object before it is cached (see ObjectTransform). A method signature, so an
   * Informer<Pod> still counts as an Informer<KubeObject> for code that only lists or runs it. */
  transform?(obj: T): T;
}

export interface InformerStats {
  /** Completed lists (the initial one and every relist). */
  lists: number;
  /** Relists caused by 410 Gone. */
  goneRelists: number;
  /** Watch requests opened. */
  watches: number;
  /** ADDED/MODIFIED/DELETED events applied from watches. */
  events: number;
  bookmarks: number;
  /** Failed lists/watches (each followed by a backoff). */
  errors: number;
  /** Exceptions thrown by event handlers (caught and logged). */
  handlerErrors: number;
  /** Exceptions thrown by the transform (the object is then cached as received). */
  transformErrors: number;
  resyncs: number;
  lastError: string | undefined;
}

/** Delay before retry number `attempt` (0-based): exponential, capped, with symmetric jitter. */
export function backoffDelay(
  attempt: number,
  o: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = o.initialMs ?? 200;
  const max = o.maxMs ?? 30_000;
  const factor = o.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, o.jitter ?? 0.5));
  const base = Math.min(max, initial * Math.pow(factor, Math.max(0, attempt)));
  const d = base * (1 - jitter + 2 * jitter * random());
  return Math.max(0, Math.min(max, Math.round(d)));
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * A transform for caches that never read the server's bookkeeping: drops `metadata.managedFields`
 * and kubectl's last-applied-configuration annotation (a copy of the whole object as applied),
 * as client-go's `TransformStripManagedFields` does for the former. Returns a shallow copy; the
 * argument is not changed.
 */
export function stripServerBookkeeping<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata as (KubeObject['metadata'] & { managedFields?: unknown }) | undefined;
  if (!meta || (meta.managedFields === undefined && meta.annotations?.[LAST_APPLIED] === undefined))
    return obj;
  const { managedFields: _m, ...rest } = meta;
  const out = { ...rest };
  if (rest.annotations?.[LAST_APPLIED] !== undefined) {
    const { [LAST_APPLIED]: _a, ...annotations } = rest.annotations;
    if (Object.keys(annotations).length > 0) out.annotations = annotations;
    else delete out.annotations;
  }
  return { ...obj, metadata: out };
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A watch failed in a way that needs a fresh list (410 Gone, or a version the server cannot serve). */
function needsRelist(err: unknown): boolean {
  if (!(err instanceof KubeApiError)) return false;
  if (err.isGone) return true;
  // "Too large resource version" (the watch cache is behind, e.g. after a restart): client-go
  // relists with a consistent read instead of waiting for the cache.
  return (err.body?.details?.causes ?? []).some((c) => c.reason === 'ResourceVersionTooLarge');
}

export class Informer<T extends KubeObject> {
  readonly resource: ResourceType<T>;
  readonly stats: InformerStats = {
    lists: 0,
    goneRelists: 0,
    watches: 0,
    events: 0,
    bookmarks: 0,
    errors: 0,
    handlerErrors: 0,
    transformErrors: 0,
    resyncs: 0,
    lastError: undefined,
  };
  private readonly client: KubeClient;
  private readonly opts: InformerOptions<T>;
  private readonly log: Logger;
  private readonly cache = new Map<string, T>();
  private readonly handlers = new Set<InformerEventHandler<T>>();
  private readonly syncWaiters = new Set<(synced: boolean) => void>();
  private rv = '';
  private synced = false;
  private running: Promise<void> | undefined;

  constructor(client: KubeClient, resource: ResourceType<T>, opts: InformerOptions<T> = {}) {
    this.client = client;
    this.resource = resource;
    this.opts = opts;
    this.log = (opts.logger ?? nullLogger).child({
      component: 'informer',
      resource: resourceKey(resource),
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
    });
  }

  /**
   * Adds handlers; returns a function that removes them. Handlers added after the first sync are
   * first told about every cached object (`onAdd(obj, true)`), as client-go does.
   */
  addEventHandler(h: InformerEventHandler<T>): () => void {
    this.handlers.add(h);
    if (this.synced && h.onAdd) for (const obj of this.cache.values()) this.call(() => h.onAdd?.(obj, true));
    return () => this.handlers.delete(h);
  }

  /** True once the first list has been applied. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true when synced, false when the signal aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.syncWaiters.delete(onSync);
        resolve(false);
      };
      const onSync = (synced: boolean): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(synced);
      };
      this.syncWaiters.add(onSync);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The resourceVersion of the last list, event or bookmark seen. */
  get lastSyncResourceVersion(): string {
    return this.rv;
  }

  /** Cached objects (the same instances handlers saw; do not mutate them). */
  list(): T[] {
    return [...this.cache.values()];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Runs until the signal aborts; calling it again returns the same promise. */
  run(signal: AbortSignal): Promise<void> {
    this.running ??= this.loop(signal);
    return this.running;
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.stats.handlerErrors++;
      this.log.error({ err: errorMessage(err) }, 'informer event handler threw');
    }
  }

  /** The object to cache for one received from the apiserver. */
  private transformed(obj: T): T {
    if (!this.opts.transform) return obj;
    try {
      return this.opts.transform(obj);
    } catch (err) {
      // A bug in the transform costs memory, not correctness: keep the object as received.
      this.stats.transformErrors++;
      this.log.error({ err: errorMessage(err), key: objectKey(obj) }, 'informer transform threw');
      return obj;
    }
  }

  private emitAdd(obj: T, initial: boolean): void {
    for (const h of this.handlers) if (h.onAdd) this.call(() => h.onAdd?.(obj, initial));
  }
  private emitUpdate(oldObj: T, newObj: T): void {
    for (const h of this.handlers) if (h.onUpdate) this.call(() => h.onUpdate?.(oldObj, newObj));
  }
  private emitDelete(obj: T, unknown: boolean): void {
    for (const h of this.handlers) if (h.onDelete) this.call(() => h.onDelete?.(obj, unknown));
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.list(this.resource, this.opts.namespace, {
        ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
        ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
        limit: this.opts.pageSize ?? 500,
        ...(cont ? { continue: cont } : {}),
        signal,
      });
      if (!cont) rv = page.metadata.resourceVersion ?? '';
      // Transformed page by page: the full objects of a page are garbage once it is read.
      for (const obj of page.items) items.push(this.transformed(obj));
      cont = page.metadata.continue || undefined;
    } while (cont);
    if (signal.aborted) return;
    const initial = !this.synced;
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (!old) this.emitAdd(obj, initial);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emitUpdate(old, obj);
    }
    for (const [key, old] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emitDelete(old, true);
      }
    }
    this.rv = rv;
    this.stats.lists++;
    this.log.debug({ items: items.length, resourceVersion: rv }, 'listed');
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters) w(true);
      this.syncWaiters.clear();
    }
  }

  private applyEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', received: T): void {
    const obj = this.transformed(received);
    const key = objectKey(obj);
    const old = this.cache.get(key);
    if (type === 'DELETED') {
      this.cache.delete(key);
      this.emitDelete(obj, false);
    } else {
      this.cache.set(key, obj);
      if (old) this.emitUpdate(old, obj);
      else this.emitAdd(obj, false);
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.rv = rv;
    this.stats.events++;
  }

  private resync(): void {
    if (!this.synced) return;
    this.stats.resyncs++;
    for (const obj of this.cache.values()) this.emitUpdate(obj, obj);
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const random = this.opts.random ?? Math.random;
    const baseTimeout = this.opts.watchTimeoutSeconds ?? 300;
    const resyncMs = this.opts.resyncPeriodMs ?? 0;
    const resyncTimer = resyncMs > 0 ? setInterval(() => this.resync(), resyncMs) : undefined;
    let needList = true;
    let attempt = 0;
    try {
      while (!signal.aborted) {
        try {
          if (needList) {
            await this.relist(signal);
            needList = false;
            attempt = 0;
          }
          if (signal.aborted) break;
          const timeoutSeconds = Math.floor(baseTimeout * (1 + random()));
          this.stats.watches++;
          const stream = this.client.watch(this.resource, this.opts.namespace, {
            resourceVersion: this.rv,
            allowWatchBookmarks: true,
            timeoutSeconds,
            signal,
            ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
            ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
          });
          for await (const ev of stream) {
            if (ev.type === 'BOOKMARK') {
              const rv = ev.object.metadata?.resourceVersion;
              if (rv) this.rv = rv;
              this.stats.bookmarks++;
            } else if (ev.type === 'ERROR') {
              const st: KubeStatus = ev.object;
              throw new KubeApiError(st.code ?? 500, `watch ${this.resource.plural}`, st);
            } else {
              this.applyEvent(ev.type, ev.object);
            }
            attempt = 0;
          }
          // The server closed the watch (timeoutSeconds): watch again from this.rv.
        } catch (err) {
          if (signal.aborted) break;
          if (needsRelist(err)) {
            this.stats.goneRelists++;
            this.log.info(
              { resourceVersion: this.rv, err: errorMessage(err) },
              'resourceVersion expired; relisting',
            );
            needList = true;
            // A relist right away, as client-go does; repeated failures back off below.
            if (attempt === 0) {
              attempt++;
              continue;
            }
          }
          this.stats.errors++;
          this.stats.lastError = errorMessage(err);
          const delay = backoffDelay(attempt, this.opts.backoff, random);
          attempt++;
          this.log.warn({ err: this.stats.lastError, retryInMs: delay }, 'list/watch failed; retrying');
          await sleep(delay, signal);
        }
      }
    } finally {
      if (resyncTimer) clearInterval(resyncTimer);
      for (const w of this.syncWaiters) w(this.synced);
      this.syncWaiters.clear();
    }
  }
}

/** Selector of one shared informer: the resource plus an optional namespace and selectors. */
export interface InformerScope {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * One informer (one list + watch) per resource type and scope, shared by every component that
 * asks for it. Informers requested after `start` start at once.
 */
export class SharedInformerFactory {
  private readonly client: KubeClient;
  private readonly defaults: Omit<InformerOptions, keyof InformerScope | 'transform'>;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly runs: Promise<void>[] = [];
  private signal: AbortSignal | undefined;

  constructor(client: KubeClient, defaults: Omit<InformerOptions, keyof InformerScope | 'transform'> = {}) {
    this.client = client;
    this.defaults = defaults;
  }

  informerFor<T extends KubeObject>(resource: ResourceType<T>, scope: InformerScope = {}): Informer<T> {
    const key = [
      resourceKey(resource),
      scope.namespace ?? '',
      scope.labelSelector ?? '',
      scope.fieldSelector ?? '',
    ].join('\u0000');
    let inf = this.informers.get(key) as Informer<T> | undefined;
    if (!inf) {
      inf = new Informer<T>(this.client, resource, { ...this.defaults, ...scope });
      this.informers.set(key, inf);
      if (this.signal) this.runs.push(inf.run(this.signal));
    }
    return inf;
  }

  /** Starts every informer (and those requested later) until the signal aborts. */
  start(signal: AbortSignal): void {
    if (this.signal) return;
    this.signal = signal;
    for (const inf of this.informers.values()) this.runs.push(inf.run(signal));
  }

  /** Resolves true when every informer requested so far has synced. */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const all = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return all.every(Boolean);
  }

  /** Resolves when every started informer has stopped. */
  async done(): Promise<void> {
    await Promise.all(this.runs);
  }

  get size(): number {
    return this.informers.size;
  }
}
