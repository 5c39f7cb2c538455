/**
 * A deduplicating, rate-limited work queue, as client-go's workqueue: a key is queued at most
 * once; a key added while it is being processed is queued again when its processing ends (never
 * processed twice at the same time); failures are retried after a per-key exponential backoff;
 * `addAfter` delays a key. The queue is bounded: past `maxSize` queued keys new keys are dropped
 * and counted (the operator's periodic resync queues every workload again, so a dropped key is
 * delayed, not lost).
 */
export interface WorkQueueOptions {
  /** Most keys waiting (queued + delayed); default 50 000. */
  maxSize?: number;
  /** First retry delay after a failure, ms; default 200. */
  baseDelayMs?: number;
  /** Longest retry delay, ms; default 5 minutes. */
  maxDelayMs?: number;
}

export interface WorkQueueStats {
  added: number;
  dropped: number;
  processed: number;
  failures: number;
}

export class WorkQueue {
  readonly stats: WorkQueueStats = { added: 0, dropped: 0, processed: 0, failures: 0 };
  private readonly queue: string[] = [];
  private head = 0;
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys added while being processed: queued again when done. */
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly failures = new Map<string, number>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private shut = false;
  private readonly maxSize: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(opts: WorkQueueOptions = {}) {
    this.maxSize = opts.maxSize ?? 50_000;
    this.baseDelayMs = opts.baseDelayMs ?? 200;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
  }

  /** Keys waiting to be processed (queued now or after a delay). */
  get length(): number {
    return this.queued.size + this.delayed.size;
  }

  get processingCount(): number {
    return this.processing.size;
  }

  add(key: string): void {
    if (this.shut) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    if (this.length >= this.maxSize) {
      this.stats.dropped++;
      return;
    }
    const timer = this.delayed.get(key);
    if (timer) {
      clearTimeout(timer);
      this.delayed.delete(key);
    }
    this.stats.added++;
    const w = this.waiters.shift();
    if (w) {
      this.processing.add(key);
      w(key);
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
  }

  /** Queues `key` after `ms` (an earlier delayed add of the same key is kept). */
  addAfter(key: string, ms: number): void {
    if (this.shut) return;
    if (ms <= 0) return this.add(key);
    if (this.delayed.has(key) || this.queued.has(key)) return;
    if (this.length >= this.maxSize) {
      this.stats.dropped++;
      return;
    }
    const t = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    t.unref?.();
    this.delayed.set(key, t);
  }

  /** Queues `key` again after its backoff (doubling per consecutive failure). */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.stats.failures++;
    this.addAfter(key, this.backoff(n));
  }

  /** The delay of retry number `n` (0-based), without jitter. */
  backoff(n: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(n, 30));
  }

  /** Clears a key's failure count (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key, waiting for one; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    while (this.head < this.queue.length) {
      const key = this.queue[this.head++] as string;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (!this.queued.delete(key)) continue;
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shut) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks a key's processing finished; queues it again when it was added meanwhile. */
  done(key: string): void {
    this.processing.delete(key);
    this.stats.processed++;
    if (this.dirty.delete(key)) this.add(key);
  }

  shutDown(): void {
    this.shut = true;
    for (const t of this.delayed.values()) clearTimeout(t);
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
