import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../core/logger.js';
import {
  DEFAULT_MEMORY_TARGET,
  MemoryTarget,
  autoMemoryTarget,
  cgroupMemoryLimit,
  exposeGc,
  parseMemorySize,
} from './memory-target.js';
import type { MemoryStats } from './memory-target.js';

const MiB = 1024 * 1024;

function recordingLogger(): Logger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at =
    (level: string) =>
    (a: unknown, b?: string): void => {
      lines.push({ level, msg: typeof a === 'string' ? a : (b ?? '') });
    };
  const l = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { ...l, child: () => l as unknown as Logger };
}

/**
 * A simulated process: a fixed non-heap part, a live heap and garbage; the forced collection drops
 * the garbage (and the committed pages holding it) and takes `gcMs` of the fake clock.
 */
function sim(o: { nonHeap: number; live: number; garbage: number; gcMs?: number }) {
  const state = { ...o, clock: 0, gcs: 0 };
  const stats = (): MemoryStats => {
    const heapUsed = state.live + state.garbage;
    return { rss: state.nonHeap + heapUsed, heapTotal: heapUsed, heapUsed };
  };
  const gc = (): void => {
    state.garbage = 0;
    state.gcs++;
    state.clock += o.gcMs ?? 50;
  };
  return { state, stats, gc, now: () => state.clock };
}

describe('MemoryTarget', () => {
  it('does nothing while the RSS is under the target', () => {
    const p = sim({ nonHeap: 100 * MiB, live: 80 * MiB, garbage: 60 * MiB });
    const logger = recordingLogger();
    const t = new MemoryTarget({ targetBytes: 256 * MiB, ...p, logger });
    expect(t.check()).toBe('under');
    expect(p.state.gcs).toBe(0);
  });

  it('collects when the RSS is above the target and the heap has new garbage', () => {
    const p = sim({ nonHeap: 100 * MiB, live: 80 * MiB, garbage: 100 * MiB });
    const logger = recordingLogger();
    const t = new MemoryTarget({ targetBytes: 256 * MiB, ...p, logger });
    expect(t.check()).toBe('collected');
    expect(p.state.gcs).toBe(1);
    expect(t.collections).toBe(1);
    expect(t.aboveTarget).toBe(false);
    expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(t.summary()).toMatchObject({ forcedGcs: 1, forcedGcMs: 50, unreachable: 0 });
  });

  it('spaces collections by the minimum interval and by 20x the last collection time', () => {
    const p = sim({ nonHeap: 100 * MiB, live: 80 * MiB, garbage: 100 * MiB, gcMs: 400 });
    const t = new MemoryTarget({ targetBytes: 256 * MiB, ...p, logger: recordingLogger() });
    expect(t.check()).toBe('collected');
    p.state.garbage = 100 * MiB;
    p.state.clock += 2000; // past the 2 s minimum, not past 20 x 400 ms
    expect(t.check()).toBe('spacing');
    p.state.clock += 6000;
    expect(t.check()).toBe('collected');
    expect(p.state.gcs).toBe(2);
  });

  it('does not collect again without new garbage, though the RSS is still above the target', () => {
    // The RSS lags behind the committed heap: above the target with little heap growth.
    const p = sim({ nonHeap: 100 * MiB, live: 80 * MiB, garbage: 100 * MiB });
    const t = new MemoryTarget({ targetBytes: 256 * MiB, ...p, logger: recordingLogger() });
    expect(t.check()).toBe('collected');
    p.state.nonHeap = 200 * MiB;
    p.state.garbage = 8 * MiB; // less than target / 16
    p.state.clock += 60_000;
    expect(t.check()).toBe('no-growth');
    p.state.garbage = 20 * MiB;
    expect(t.check()).toBe('collected');
  });

  it('logs once and waits for the heap to double when the live memory is above the target', () => {
    // 50k-Pod cluster: live heap 300 MiB; the target (256 MiB) cannot be met.
    const p = sim({ nonHeap: 100 * MiB, live: 300 * MiB, garbage: 100 * MiB });
    const logger = recordingLogger();
    const t = new MemoryTarget({ targetBytes: 256 * MiB, ...p, logger });
    expect(t.check()).toBe('collected');
    expect(t.aboveTarget).toBe(true);
    const warns = (): number => logger.lines.filter((l) => l.level === 'warn').length;
    expect(warns()).toBe(1);
    // 100 MiB of new garbage would trigger a collection under the target; above it, it waits.
    p.state.garbage = 100 * MiB;
    p.state.clock += 60_000;
    expect(t.check()).toBe('no-growth');
    p.state.garbage = 301 * MiB;
    expect(t.check()).toBe('collected');
    expect(t.check()).toBe('spacing');
    expect(warns()).toBe(1);
    expect(t.unreachable).toBe(2);
    expect(p.state.gcs).toBe(2);
    // The cluster shrinks: the next collection gets under the target, back to normal pacing.
    p.state.live = 60 * MiB;
    p.state.garbage = 560 * MiB; // heap 620 MiB: doubled since the last collection's 300 MiB
    p.state.clock += 60_000;
    expect(t.check()).toBe('collected');
    expect(t.aboveTarget).toBe(false);
    expect(logger.lines.at(-1)?.msg).toBe('memory target reachable again');
    p.state.garbage = 120 * MiB;
    p.state.clock += 60_000;
    expect(t.check()).toBe('collected');
  });

  it('judges a collection by the committed heap it released, not by the lagging RSS', () => {
    // After the collection the RSS still shows the old pages; heapTotal shows what was released.
    const p = sim({ nonHeap: 100 * MiB, live: 80 * MiB, garbage: 120 * MiB });
    const stats = (): MemoryStats => {
      const s = p.stats();
      return p.state.gcs > 0 ? { ...s, rss: 300 * MiB } : s;
    };
    const t = new MemoryTarget({ targetBytes: 256 * MiB, ...p, stats, logger: recordingLogger() });
    expect(t.check()).toBe('collected');
    expect(t.aboveTarget).toBe(false);
  });

  describe('start (fake timers)', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('checks on every tick until the signal aborts', () => {
      vi.useFakeTimers();
      const p = sim({ nonHeap: 100 * MiB, live: 80 * MiB, garbage: 100 * MiB });
      const t = new MemoryTarget({ targetBytes: 256 * MiB, ...p, logger: recordingLogger() });
      const stop = new AbortController();
      t.start(stop.signal, 500);
      expect(p.state.gcs).toBe(0);
      vi.advanceTimersByTime(500);
      expect(p.state.gcs).toBe(1);
      p.state.garbage = 100 * MiB;
      p.state.clock += 10_000;
      stop.abort();
      vi.advanceTimersByTime(5000);
      expect(p.state.gcs).toBe(1);
    });

    it('survives a failing memory reading and logs it once', () => {
      vi.useFakeTimers();
      const logger = recordingLogger();
      const t = new MemoryTarget({
        targetBytes: 256 * MiB,
        gc: () => undefined,
        stats: () => {
          throw new Error('EMFILE');
        },
        logger,
      });
      const stop = new AbortController();
      t.start(stop.signal, 500);
      vi.advanceTimersByTime(2000);
      stop.abort();
      expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
        'memory target check failed; retrying',
      ]);
    });
  });

  it('refuses a target that is not positive', () => {
    expect(
      () => new MemoryTarget({ targetBytes: 0, gc: () => undefined, logger: recordingLogger() }),
    ).toThrow(RangeError);
  });
});

describe('exposeGc', () => {
  it('returns a function that runs a full collection, without putting gc on the global object', async () => {
    const hadGlobal = typeof (globalThis as { gc?: unknown }).gc === 'function';
    const gc = exposeGc();
    expect(gc).toBeTypeOf('function');
    if (!hadGlobal) expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    // A weakly held object is gone after a full collection (nothing else refers to it). WeakRef
    // targets stay alive until the current job ends, hence the turn of the event loop.
    const ref = ((): WeakRef<object> => new WeakRef({ big: new Array(1000).fill(1) }))();
    await new Promise((r) => setImmediate(r));
    gc?.();
    expect(ref.deref()).toBeUndefined();
  });
});

describe('cgroupMemoryLimit and auto', () => {
  const files =
    (m: Record<string, string>) =>
    (p: string): string => {
      const v = m[p];
      if (v === undefined) throw new Error('ENOENT');
      return v;
    };
  it('reads cgroup v2 memory.max', () => {
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': '1073741824\n' }))).toBe(1024 * MiB);
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': 'max\n' }))).toBeUndefined();
  });
  it('reads cgroup v1 memory.limit_in_bytes, whose "no limit" is a huge number', () => {
    const v1 = '/sys/fs/cgroup/memory/memory.limit_in_bytes';
    expect(cgroupMemoryLimit(files({ [v1]: '536870912' }))).toBe(512 * MiB);
    expect(cgroupMemoryLimit(files({ [v1]: '9223372036854771712' }))).toBeUndefined();
    expect(cgroupMemoryLimit(files({}))).toBeUndefined();
  });
  it('auto is 256 MiB without a limit and 3/4 of the limit with one', () => {
    expect(autoMemoryTarget(undefined).bytes).toBe(DEFAULT_MEMORY_TARGET);
    expect(DEFAULT_MEMORY_TARGET).toBe(256 * MiB);
    expect(autoMemoryTarget(1024 * MiB).bytes).toBe(768 * MiB);
  });
});

describe('parseMemorySize', () => {
  it.each([
    ['auto', 'auto'],
    ['off', 0],
    ['0', 0],
    ['268435456', 268_435_456],
    ['256Mi', 256 * MiB],
    ['1Gi', 1024 * MiB],
    ['512Ki', 512 * 1024],
    ['300M', 300_000_000],
    ['1.5G', 1_500_000_000],
    ['64k', 64_000],
  ])('%s', (v, want) => {
    expect(parseMemorySize(v)).toBe(want);
  });
  it.each(['256m', '256MB', 'lots', '-1Mi', '1Ti', ''])('refuses %j', (v) => {
    expect(parseMemorySize(v)).toBeUndefined();
  });
});
