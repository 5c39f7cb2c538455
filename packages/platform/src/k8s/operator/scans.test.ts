/**
 * ScanService scheduling: one scan per digest however many workloads run it, the concurrency
 * bound, rescans on a new database build, and retry after a failure. The scanner here records
 * calls and answers with a minimal report (the real pipeline is exercised by test/operator-e2e).
 */
import type { ScanReport } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { nullLogger } from '../../core/logger.js';
import { DigestCache } from './digest-cache.js';
import { ScanService } from './scans.js';
import type { ImageScanRequest, ImageScanResult, ImageScanner } from './scanner.js';

const dg = (c: string): string => `sha256:${c.repeat(64)}`;

class RecordingScanner implements ImageScanner {
  calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  failNext = new Set<string>();
  build = 'b1';
  async scan(req: ImageScanRequest): Promise<ImageScanResult> {
    this.calls.push(req.digest);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 20));
    this.inFlight--;
    if (this.failNext.delete(req.digest)) throw new Error('registry down');
    const report: ScanReport = {
      schemaVersion: 1,
      createdAt: '2024-01-01T00:00:00Z',
      artifact: { name: req.reference, type: 'container_image' },
      results: [],
      diagnostics: [],
    };
    return { report, dbBuiltAt: this.build };
  }
}

function service(
  scanner: ImageScanner,
  cache: DigestCache,
  notified: string[],
  concurrency = 2,
): ScanService {
  const s = new ScanService({
    scanner,
    cache,
    scanners: 'vuln',
    concurrency,
    rescanIntervalMs: 0,
    rescanJitterMs: 0,
    rescanPerMinute: 0,
    notify: (keys) => notified.push(...keys),
    logger: nullLogger,
  });
  s.setBuild('b1');
  return s;
}

const target = (c: string) => ({ digest: dg(c), reference: `r.io/x@${dg(c)}` });

describe('ScanService', () => {
  it('scans each digest once for every workload running it, within the concurrency bound', async () => {
    const scanner = new RecordingScanner();
    const cache = DigestCache.open(':memory:', nullLogger);
    const notified: string[] = [];
    const s = service(scanner, cache, notified, 2);
    const stop = new AbortController();
    const running = s.run(stop.signal);
    for (const [key, c] of [
      ['Pod/ns/a', 'a'],
      ['Pod/ns/b', 'a'],
      ['Pod/ns/c', 'b'],
      ['Pod/ns/d', 'c'],
      ['Pod/ns/e', 'd'],
    ] as const) {
      s.setUsage(key, [target(c)]);
      expect(s.result(target(c)).scan).toBeUndefined();
    }
    await s.whenIdle();
    expect(scanner.calls.sort()).toEqual([dg('a'), dg('b'), dg('c'), dg('d')]);
    expect(scanner.maxInFlight).toBe(2);
    expect(notified.sort()).toEqual(['Pod/ns/a', 'Pod/ns/b', 'Pod/ns/c', 'Pod/ns/d', 'Pod/ns/e']);
    expect(s.result(target('a'))).toMatchObject({ fresh: true, scan: { digest: dg('a'), dbBuiltAt: 'b1' } });

    // A new database build: digests in use are stale (the old result is still served) and rescanned once.
    scanner.build = 'b2';
    s.setBuild('b2');
    expect(s.result(target('a'))).toMatchObject({ fresh: false, scan: { dbBuiltAt: 'b1' } });
    s.sweep();
    await s.whenIdle();
    expect(scanner.calls.filter((d) => d === dg('a'))).toHaveLength(2);
    expect(scanner.calls).toHaveLength(8);
    expect(s.stats.rescans).toBe(4);
    stop.abort();
    await running;
    cache.close();
  });

  it('keeps finished results across a restart (same cache file)', async () => {
    const cache = DigestCache.open(':memory:', nullLogger);
    const first = new RecordingScanner();
    const s1 = service(first, cache, []);
    const stop1 = new AbortController();
    const r1 = s1.run(stop1.signal);
    s1.setUsage('Pod/ns/a', [target('e')]);
    s1.result(target('e'));
    await s1.whenIdle();
    stop1.abort();
    await r1;
    const second = new RecordingScanner();
    const s2 = service(second, cache, []);
    expect(s2.result(target('e')).fresh).toBe(true);
    expect(second.calls).toEqual([]);
    cache.close();
  });

  it('backs off after a failure instead of rescanning at once', async () => {
    const scanner = new RecordingScanner();
    scanner.failNext.add(dg('f'));
    const cache = DigestCache.open(':memory:', nullLogger);
    const s = service(scanner, cache, []);
    const stop = new AbortController();
    const running = s.run(stop.signal);
    s.setUsage('Pod/ns/f', [target('f')]);
    s.result(target('f'));
    await s.whenIdle();
    expect(s.stats.failed).toBe(1);
    s.result(target('f'));
    s.sweep();
    await s.whenIdle();
    expect(scanner.calls).toEqual([dg('f')]);
    stop.abort();
    await running;
    cache.close();
  });
});
