/**
 * Scans of unique image digests: each digest is scanned once per advisory database build (and
 * again when `rescanIntervalMs` has passed), by at most `concurrency` in-process workers, and the
 * result is shared by every workload that runs it. Results are persisted in the DigestCache, so a
 * restart finds them. Rescans (database change, schedule) start after a per-digest jitter and
 * pass a token bucket (`rescanPerMinute`); first scans are not rate-limited but are bounded by the
 * worker count and the queue size (`maxPending`). A failed scan is retried after a per-digest
 * exponential backoff.
 */
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { CachedScan, CachedScanMeta, DigestCache } from './digest-cache.js';
import type { ImageScanner } from './scanner.js';

export interface ScanTarget {
  digest: string;
  /** `registry/repo@digest` to pull. */
  reference: string;
  username?: string;
  password?: string;
}

export interface ScanServiceOptions {
  scanner: ImageScanner;
  cache: DigestCache;
  /** Scanner set, part of the cache key (`vuln`, `vuln,secret`). */
  scanners: string;
  concurrency: number;
  /** Most digests queued for a scan; more are refused until there is room (default 10 000). */
  maxPending?: number;
  /** A result older than this is rescanned; 0: never on a schedule. */
  rescanIntervalMs: number;
  /** Rescans start after a delay in [0, rescanJitterMs) fixed per digest. */
  rescanJitterMs: number;
  /** Token bucket for rescans, per minute; 0: unlimited. */
  rescanPerMinute: number;
  /** Called with the workload keys to reconcile when a digest's result arrives. */
  notify: (keys: Iterable<string>) => void;
  logger: Logger;
  now?: () => number;
}

export interface ScanStats {
  started: number;
  succeeded: number;
  failed: number;
  rescans: number;
  /** Requests refused because the queue was full. */
  refused: number;
}

interface Usage {
  target: ScanTarget;
  keys: Set<string>;
}

/** A stable fraction in [0,1) from a digest (its first 8 hex digits). */
function digestFraction(digest: string): number {
  const hex = digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 9);
  const n = Number.parseInt(hex, 16);
  return Number.isFinite(n) ? n / 0x1_0000_0000 : 0;
}

export class ScanService {
  readonly stats: ScanStats = { started: 0, succeeded: 0, failed: 0, rescans: 0, refused: 0 };
  private readonly o: ScanServiceOptions;
  private readonly now: () => number;
  private readonly index: Map<string, CachedScanMeta>;
  private readonly usage = new Map<string, Usage>();
  private readonly keyDigests = new Map<string, Set<string>>();
  private readonly queue: string[] = [];
  /** Queued, delayed or running. */
  private readonly pending = new Set<string>();
  private readonly delayed = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly failures = new Map<string, { count: number; until: number }>();
  private readonly lru = new Map<string, CachedScan>();
  private readonly idle: (() => void)[] = [];
  private running = 0;
  private tokens: number;
  private lastRefill: number;
  private build = '';
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(opts: ScanServiceOptions) {
    this.o = opts;
    this.now = opts.now ?? Date.now;
    this.index = opts.cache.index(opts.scanners);
    this.tokens = Math.max(1, opts.concurrency);
    this.lastRefill = this.now();
  }

  /** The advisory database build results must match ('' when only secrets are scanned). */
  setBuild(builtAt: string): boolean {
    if (builtAt === this.build) return false;
    this.build = builtAt;
    this.lru.clear();
    return true;
  }

  get currentBuild(): string {
    return this.build;
  }

  get queued(): number {
    return this.pending.size;
  }

  get runningCount(): number {
    return this.running;
  }

  private isFresh(meta: CachedScanMeta | undefined): boolean {
    if (!meta || meta.dbBuiltAt !== this.build) return false;
    if (this.o.rescanIntervalMs <= 0) return true;
    return this.now() < meta.scannedAt + this.o.rescanIntervalMs;
  }

  /** Records that workload `key` runs these digests (replacing what it ran before). */
  setUsage(key: string, targets: readonly ScanTarget[]): void {
    const before = this.keyDigests.get(key) ?? new Set<string>();
    const now = new Set(targets.map((t) => t.digest));
    for (const d of before) {
      if (now.has(d)) continue;
      const u = this.usage.get(d);
      u?.keys.delete(key);
      if (u && u.keys.size === 0) this.usage.delete(d);
    }
    for (const t of targets) {
      const u = this.usage.get(t.digest);
      if (u) {
        u.keys.add(key);
        u.target = t;
      } else this.usage.set(t.digest, { target: t, keys: new Set([key]) });
    }
    if (now.size > 0) this.keyDigests.set(key, now);
    else this.keyDigests.delete(key);
  }

  /** Digests some workload runs. */
  digestsInUse(): Set<string> {
    return new Set(this.usage.keys());
  }

  /**
   * The result to report for a digest: the fresh one, else the newest stale one while a rescan is
   * queued, else undefined while the first scan is queued.
   */
  result(target: ScanTarget): { scan: CachedScan | undefined; fresh: boolean } {
    const meta = this.index.get(target.digest);
    const fresh = this.isFresh(meta);
    if (!fresh) this.enqueue(target.digest, meta !== undefined);
    if (!meta) return { scan: undefined, fresh: false };
    let scan = this.lru.get(target.digest);
    if (!scan || scan.scannedAt !== meta.scannedAt) {
      scan = this.o.cache.get(target.digest, this.o.scanners, meta.dbBuiltAt);
      if (scan) {
        this.lru.set(target.digest, scan);
        if (this.lru.size > 64) this.lru.delete(this.lru.keys().next().value as string);
      }
    }
    return { scan, fresh };
  }

  /** Queues rescans of every digest in use whose result is stale (database change or schedule). */
  sweep(): number {
    let n = 0;
    for (const d of this.usage.keys()) {
      const meta = this.index.get(d);
      if (!this.isFresh(meta) && !this.pending.has(d)) {
        this.enqueue(d, meta !== undefined);
        n++;
      }
    }
    return n;
  }

  private enqueue(digest: string, rescan: boolean): void {
    if (this.stopped || this.pending.has(digest)) return;
    const fail = this.failures.get(digest);
    if (fail && this.now() < fail.until) return;
    if (this.pending.size >= (this.o.maxPending ?? 10_000)) {
      this.stats.refused++;
      return;
    }
    this.pending.add(digest);
    const delay = rescan ? Math.floor(digestFraction(digest) * this.o.rescanJitterMs) : 0;
    if (delay > 0) {
      const t = setTimeout(() => {
        this.delayed.delete(digest);
        this.queue.push(digest);
        this.wake?.();
      }, delay);
      t.unref?.();
      this.delayed.set(digest, t);
    } else {
      this.queue.push(digest);
      this.wake?.();
    }
  }

  private takeToken(): number {
    const rate = this.o.rescanPerMinute;
    if (rate <= 0) return 0;
    const now = this.now();
    const cap = Math.max(1, this.o.concurrency);
    this.tokens = Math.min(cap, this.tokens + ((now - this.lastRefill) * rate) / 60_000);
    this.lastRefill = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 60_000) / rate);
  }

  /** Runs the workers until the signal aborts; running scans are cancelled. */
  async run(signal: AbortSignal): Promise<void> {
    const stop = (): void => {
      this.stopped = true;
      for (const t of this.delayed.values()) clearTimeout(t);
      this.wake?.();
    };
    signal.addEventListener('abort', stop, { once: true });
    const workers = Array.from({ length: Math.max(1, this.o.concurrency) }, () => this.worker(signal));
    await Promise.all(workers);
    signal.removeEventListener('abort', stop);
  }

  private async next(signal: AbortSignal): Promise<string | undefined> {
    for (;;) {
      if (signal.aborted || this.stopped) return undefined;
      const d = this.queue.shift();
      if (d !== undefined) return d;
      this.checkIdle();
      await new Promise<void>((resolve) => {
        const prev = this.wake;
        this.wake = () => {
          this.wake = undefined;
          prev?.();
          resolve();
        };
      });
    }
  }

  private async worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const digest = await this.next(signal);
      if (digest === undefined) return;
      const u = this.usage.get(digest);
      if (!u) {
        // No workload runs it any more.
        this.pending.delete(digest);
        continue;
      }
      const meta = this.index.get(digest);
      if (meta !== undefined) {
        for (let wait = this.takeToken(); wait > 0; wait = this.takeToken()) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, wait);
            signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
          });
          if (signal.aborted) return;
        }
        this.stats.rescans++;
      }
      this.running++;
      this.stats.started++;
      const t = u.target;
      const log = this.o.logger.child({ digest, reference: t.reference });
      try {
        const res = await this.o.scanner.scan({
          reference: t.reference,
          digest,
          ...(t.username !== undefined ? { username: t.username, password: t.password ?? '' } : {}),
          signal,
        });
        const scan: CachedScan = {
          digest,
          dbBuiltAt: res.dbBuiltAt,
          scanners: this.o.scanners,
          scannedAt: this.now(),
          report: res.report,
        };
        this.o.cache.put(scan);
        this.index.set(digest, { dbBuiltAt: scan.dbBuiltAt, scannedAt: scan.scannedAt });
        this.lru.delete(digest);
        this.failures.delete(digest);
        this.stats.succeeded++;
        log.info('scanned');
        // The database may have been replaced under the scan: take its build as current.
        if (res.dbBuiltAt !== this.build && res.dbBuiltAt !== '') this.build = res.dbBuiltAt;
        this.o.notify(u.keys);
      } catch (err) {
        if (signal.aborted) {
          this.running--;
          this.pending.delete(digest);
          return;
        }
        this.stats.failed++;
        const f = this.failures.get(digest) ?? { count: 0, until: 0 };
        f.count++;
        const backoff = Math.min(30 * 60_000, 5_000 * 2 ** Math.min(f.count - 1, 20));
        f.until = this.now() + backoff;
        this.failures.set(digest, f);
        log.warn({ err: errorMessage(err), retryInMs: backoff }, 'scan failed');
        const retry = setTimeout(() => this.o.notify(this.usage.get(digest)?.keys ?? []), backoff + 10);
        retry.unref?.();
      } finally {
        if (!signal.aborted || this.pending.has(digest)) {
          this.running = Math.max(0, this.running - 1);
          this.pending.delete(digest);
        }
        this.checkIdle();
      }
    }
  }

  private checkIdle(): void {
    if (this.pending.size === 0 && this.running === 0) for (const f of this.idle.splice(0)) f();
  }

  /** Resolves when no scan is queued or running (tests and graceful shutdown). */
  whenIdle(): Promise<void> {
    if (this.pending.size === 0 && this.running === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }
}
