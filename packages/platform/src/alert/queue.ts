/**
 * The queue in front of one output: priority filter → dedup window → bounded
 * queue → batches (by size or after the flush interval) → delivery units sent
 * one after another, each retried with backoff on retryable failures.
 *
 * Order of checks on push: received, then filtered (below minimum priority),
 * then deduplicated, then queued (dropping per dropPolicy when full). One
 * batch is in flight at a time, so a slow receiver fills the queue instead
 * of opening connections without bound.
 */
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import type { RetryOptions } from './backoff.js';
import { DEFAULT_RETRY, backoffDelay, sleep } from './backoff.js';
import { DedupWindow } from './dedup.js';
import { DeliveryError } from './http.js';
import type { OutputCounters } from './metrics.js';
import { emptyCounters } from './metrics.js';
import type { AlertOutput, DeliveryUnit, QueueOptions } from './output.js';
import { DEFAULT_QUEUE } from './output.js';
import type { FalcoAlert } from './types.js';
import { atLeast } from './types.js';

export interface OutputQueueDeps {
  counters?: OutputCounters;
  logger?: Logger;
  now?: () => number;
  random?: () => number;
}

export class OutputQueue {
  readonly output: AlertOutput;
  readonly counters: OutputCounters;
  private readonly opts: QueueOptions;
  private readonly retry: RetryOptions;
  private readonly dedup: DedupWindow;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly abort = new AbortController();
  private queue: FalcoAlert[] = [];
  private timer: NodeJS.Timeout | undefined;
  private due = false;
  private draining: Promise<void> | undefined;
  private flushWaiters = 0;
  private closed = false;

  constructor(
    output: AlertOutput,
    opts: Partial<QueueOptions> = {},
    retry: Partial<RetryOptions> = {},
    deps: OutputQueueDeps = {},
  ) {
    this.output = output;
    this.opts = { ...DEFAULT_QUEUE, ...opts };
    this.retry = { ...DEFAULT_RETRY, ...retry };
    this.opts.batchSize = Math.max(1, Math.floor(this.opts.batchSize));
    this.opts.queueSize = Math.max(1, Math.floor(this.opts.queueSize));
    this.retry.maxAttempts = Math.max(1, Math.floor(this.retry.maxAttempts));
    this.dedup = new DedupWindow(this.opts.dedupWindowMs);
    this.counters = deps.counters ?? emptyCounters();
    this.log = (deps.logger ?? nullLogger).child({
      output: output.name,
      kind: output.kind,
      target: output.target,
    });
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  /** Alerts waiting to be sent (not counting the batch in flight). */
  get pending(): number {
    return this.queue.length;
  }

  /** Accepts one alert; never blocks and never throws. */
  push(alert: FalcoAlert): void {
    const c = this.counters;
    c.received++;
    if (this.closed) {
      c.dropped++;
      return;
    }
    if (!atLeast(alert.priority, this.opts.minimumPriority)) {
      c.filtered++;
      return;
    }
    if (this.dedup.isRepeat(alert, this.now())) {
      c.deduplicated++;
      return;
    }
    if (this.queue.length >= this.opts.queueSize) {
      c.dropped++;
      if (this.opts.dropPolicy === 'newest') return;
      this.queue.shift();
    }
    this.queue.push(alert);
    if (this.queue.length >= this.opts.batchSize) this.kick();
    else this.arm();
  }

  /** Sends everything queued now, without waiting for the interval; resolves when the queue is empty. */
  async flush(): Promise<void> {
    this.flushWaiters++;
    try {
      while ((this.queue.length > 0 && !this.abort.signal.aborted) || this.draining) {
        this.kick();
        await this.draining;
      }
    } finally {
      this.flushWaiters--;
    }
  }

  /**
   * Stops taking alerts. With `drain` (the default) the queue is flushed
   * first; without, waits in backoff are cut short and what is left counts as dropped.
   */
  async close(drain = true): Promise<void> {
    this.closed = true;
    if (drain) await this.flush();
    this.abort.abort();
    await this.draining;
    this.counters.dropped += this.queue.length;
    this.queue = [];
    this.disarm();
    await this.output.close?.();
  }

  private arm(): void {
    if (this.timer || this.draining) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due = true;
      this.kick();
    }, this.opts.flushIntervalMs);
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private kick(): void {
    if (this.draining) return;
    this.disarm();
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0 && !this.abort.signal.aborted) {
        if (this.queue.length >= this.opts.batchSize || this.flushWaiters > 0) this.kick();
        else this.arm();
      }
    });
  }

  private async drain(): Promise<void> {
    while (
      this.queue.length > 0 &&
      !this.abort.signal.aborted &&
      (this.queue.length >= this.opts.batchSize || this.due || this.flushWaiters > 0)
    ) {
      const batch = this.queue.splice(0, this.opts.batchSize);
      this.due = false;
      let units: DeliveryUnit[];
      try {
        units = this.output.units(batch);
      } catch (e) {
        this.counters.failed += batch.length;
        this.log.error({ err: errorMessage(e) }, 'could not encode alerts');
        continue;
      }
      for (const u of units) await this.deliver(u);
    }
  }

  private async deliver(u: DeliveryUnit): Promise<void> {
    const c = this.counters;
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await u.deliver(this.abort.signal);
        const failed = r ? Math.min(r.failed, u.alerts) : 0;
        c.sent += u.alerts - failed;
        c.failed += failed;
        return;
      } catch (e) {
        const retryable = e instanceof DeliveryError ? e.retryable : false;
        if (!retryable || attempt >= this.retry.maxAttempts || this.abort.signal.aborted) {
          c.failed += u.alerts;
          this.log.warn(
            { err: errorMessage(e), attempts: attempt, alerts: u.alerts },
            'alert delivery failed',
          );
          return;
        }
        const wait = backoffDelay(
          attempt,
          this.retry,
          this.random,
          e instanceof DeliveryError ? e.retryAfterMs : undefined,
        );
        c.retries++;
        this.log.debug({ err: errorMessage(e), attempt, waitMs: wait }, 'retrying alert delivery');
        if (!(await sleep(wait, this.abort.signal))) {
          c.failed += u.alerts;
          return;
        }
      }
    }
  }
}
