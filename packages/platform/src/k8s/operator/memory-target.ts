/**
 * A soft memory target for the operator, like Go's GOMEMLIMIT (ADR 0018, docs/operator.md#memory).
 *
 * V8 sizes its old generation from the machine's memory, not from what the process needs: on a
 * large machine it lets the old generation grow to several times the live heap before a full
 * collection. The operator's live heap at 10,000 Pods is ~80 MB, yet without a heap limit its RSS
 * peaked at 348–368 MB, almost all of it garbage not yet collected. A heap limit
 * (`--max-old-space-size`) bounds that, but it is a hard cap: a larger cluster whose live heap
 * outgrows it makes V8 abort with an out-of-memory error.
 *
 * This is the soft alternative: when the RSS is above the target and the heap has grown by a
 * meaningful amount since the last collection, a full collection is forced. It never makes the
 * process fail. Three rules keep it from costing much or spinning:
 *
 * - spacing: collections forced at least `minIntervalMs` apart, and at least
 *   `(1 / maxGcTimeFraction)` times the last one's duration apart (default: forced collections take
 *   at most 5% of the time);
 * - new garbage: a collection needs the heap to have grown by `minGrowthBytes` since the last one;
 * - above the target: when a collection cannot bring the process under the target (its live memory
 *   alone is at or above it), the target is not reachable; this is logged once and the growth
 *   needed for the next forced collection becomes the live heap itself (the heap must double, as
 *   V8's own pacing would do anyway), until a collection gets the process under the target again.
 *
 * Decisions use `heapTotal` (V8's committed heap), not the RSS, to judge a collection: V8 returns
 * freed pages at once, but the RSS follows about a second later.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../../core/logger.js';

export interface MemoryStats {
  /** resident set size, bytes */
  rss: number;
  /** V8 heap committed, bytes */
  heapTotal: number;
  /** V8 heap in use (live and not yet collected), bytes */
  heapUsed: number;
}

export interface MemoryTargetOptions {
  targetBytes: number;
  /** forces a full collection (`exposeGc()`) */
  gc: () => void;
  /** default: process.memoryUsage() */
  stats?: () => MemoryStats;
  /** milliseconds, monotonic; default performance.now() */
  now?: () => number;
  logger: Logger;
  /** default 2 s */
  minIntervalMs?: number;
  /** default 0.05: a forced collection of d ms is followed by at least d / 0.05 ms without one */
  maxGcTimeFraction?: number;
  /** default: target / 16, at least 4 MiB */
  minGrowthBytes?: number;
}

export type CheckResult = 'under' | 'spacing' | 'no-growth' | 'collected';

const MiB = 1024 * 1024;
export const DEFAULT_MEMORY_TARGET = 256 * MiB;
/** With a cgroup memory limit, `auto` targets this share of it. */
export const CGROUP_TARGET_FRACTION = 0.75;

export class MemoryTarget {
  readonly targetBytes: number;
  private readonly gc: () => void;
  private readonly stats: () => MemoryStats;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly minIntervalMs: number;
  private readonly maxGcTimeFraction: number;
  private readonly minGrowthBytes: number;
  private lastGcAt = -Infinity;
  private lastGcMs = 0;
  /** heapUsed right after the last forced collection (the live heap then) */
  private liveAfterGc = 0;
  private above = false;
  /** forced collections so far */
  collections = 0;
  /** their total duration, ms */
  gcMs = 0;
  /** times a collection could not get the process under the target */
  unreachable = 0;

  constructor(o: MemoryTargetOptions) {
    if (!(o.targetBytes > 0)) throw new RangeError('memory target must be positive');
    this.targetBytes = o.targetBytes;
    this.gc = o.gc;
    this.stats = o.stats ?? (() => process.memoryUsage());
    this.now = o.now ?? (() => performance.now());
    this.logger = o.logger;
    this.minIntervalMs = o.minIntervalMs ?? 2000;
    this.maxGcTimeFraction = o.maxGcTimeFraction ?? 0.05;
    this.minGrowthBytes = o.minGrowthBytes ?? Math.max(4 * MiB, Math.round(o.targetBytes / 16));
  }

  /** True while the last forced collection could not get the process under the target. */
  get aboveTarget(): boolean {
    return this.above;
  }

  /** One decision: collects when over the target, spaced, and with new garbage to collect. */
  check(): CheckResult {
    const s = this.stats();
    if (s.rss <= this.targetBytes) return 'under';
    const now = this.now();
    const spacing = Math.max(this.minIntervalMs, this.lastGcMs / this.maxGcTimeFraction);
    if (now - this.lastGcAt < spacing) return 'spacing';
    // Above the target the next collection waits for the heap to double, as V8's own pacing.
    const growth = this.above ? Math.max(this.minGrowthBytes, this.liveAfterGc) : this.minGrowthBytes;
    if (s.heapUsed - this.liveAfterGc < growth) return 'no-growth';

    this.gc();
    const end = this.now();
    const after = this.stats();
    this.lastGcAt = end;
    this.lastGcMs = end - now;
    this.liveAfterGc = after.heapUsed;
    this.collections++;
    this.gcMs += this.lastGcMs;
    // What the process holds once the pages V8 just released leave the RSS.
    const projected = s.rss - Math.max(0, s.heapTotal - after.heapTotal);
    if (projected > this.targetBytes) {
      this.unreachable++;
      if (!this.above) {
        this.above = true;
        this.logger.warn(
          {
            targetBytes: this.targetBytes,
            rssBytes: s.rss,
            projectedRssBytes: projected,
            liveHeapBytes: after.heapUsed,
          },
          'memory target not reachable: the live memory is above it after a full collection; ' +
            'collecting only when the heap has doubled until it falls under the target ' +
            '(raise --memory-target or the memory limit)',
        );
      }
    } else if (this.above) {
      this.above = false;
      this.logger.info(
        { targetBytes: this.targetBytes, projectedRssBytes: projected },
        'memory target reachable again',
      );
    }
    return 'collected';
  }

  /** Checks every `intervalMs` until the signal aborts (the timer does not keep Node alive). */
  start(signal: AbortSignal, intervalMs = 500): void {
    if (signal.aborted) return;
    let failed = false;
    const timer = setInterval(() => {
      try {
        this.check();
      } catch (err) {
        // process.memoryUsage() reads /proc (it can fail, e.g. out of file descriptors): the
        // target is best effort and must never take the operator down.
        if (!failed)
          this.logger.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'memory target check failed; retrying',
          );
        failed = true;
      }
    }, intervalMs);
    timer.unref();
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  summary(): Record<string, number> {
    return {
      targetBytes: this.targetBytes,
      forcedGcs: this.collections,
      forcedGcMs: Math.round(this.gcMs),
      unreachable: this.unreachable,
    };
  }
}

/**
 * A function that forces a full garbage collection, without `--expose-gc` on the command line:
 * the flag is set at run time, a fresh context (which gets `gc` from it) hands the function over,
 * and the flag is reset so that later contexts do not get it. `globalThis.gc` when Node already
 * has it. Undefined when V8 refuses.
 */
export function exposeGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return () => void (existing as () => unknown)();
  try {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    setFlagsFromString('--no-expose-gc');
    if (typeof fn === 'function') return () => void (fn as () => unknown)();
  } catch {
    // fall through
  }
  return undefined;
}

/** cgroup v1 reports "no limit" as a huge number (page-rounded 2^63 - 1). */
const NO_LIMIT = 2 ** 60;

/**
 * The memory limit of this process's cgroup, bytes; undefined without one. cgroup v2
 * (`memory.max`) first, then v1 (`memory/memory.limit_in_bytes`).
 */
export function cgroupMemoryLimit(
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): number | undefined {
  for (const path of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    let text: string;
    try {
      text = read(path).trim();
    } catch {
      continue;
    }
    if (text === 'max') return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) continue;
    return n >= NO_LIMIT ? undefined : n;
  }
  return undefined;
}

/** `auto`: 3/4 of the cgroup memory limit when there is one, else 256 MiB. */
export function autoMemoryTarget(limit: number | undefined): { bytes: number; source: string } {
  if (limit === undefined)
    return { bytes: DEFAULT_MEMORY_TARGET, source: 'default (no cgroup memory limit)' };
  return {
    bytes: Math.floor(limit * CGROUP_TARGET_FRACTION),
    source: `${CGROUP_TARGET_FRACTION * 100}% of the cgroup memory limit (${limit} bytes)`,
  };
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 1024,
  Mi: MiB,
  Gi: 1024 * MiB,
};

/**
 * `--memory-target`: `auto`, `0`/`off` (none), or a size as Kubernetes writes it: bytes, or with
 * k/M/G (powers of 1000) or Ki/Mi/Gi (powers of 1024). Returns bytes, 'auto' or 0; undefined when
 * the value is none of these.
 */
export function parseMemorySize(v: string): number | 'auto' | undefined {
  const s = v.trim();
  if (s === 'auto') return 'auto';
  if (s === 'off') return 0;
  const m = /^(\d+(?:\.\d+)?)(k|M|G|Ki|Mi|Gi)?$/.exec(s);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1));
}
