/**
 * The queue in front of every output, against a real HTTP server on
 * 127.0.0.1: retries on 503/429/network errors with backoff, Retry-After,
 * no retry on 4xx, batching by size and by time, bounded queue with drop
 * counters, dedup window, priority filter, and no secret in any log line.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogFn, Logger } from '../core/logger.js';
import type { HttpRecorder } from '../testing/http-recorder.js';
import { startHttpRecorder } from '../testing/http-recorder.js';
import { backoffDelay, DEFAULT_RETRY } from './backoff.js';
import { parseRetryAfter } from './http.js';
import { createAlertRouter } from './index.js';
import { createLokiOutput } from './loki.js';
import { OutputQueue } from './queue.js';
import { createSlackOutput } from './slack.js';
import type { FalcoAlert, Priority } from './types.js';
import { createWebhookOutput } from './webhook.js';

const base: FalcoAlert = {
  hostname: 'node-1',
  output: 'x',
  output_fields: { 'user.name': 'root' },
  priority: 'Warning',
  rule: 'r',
  source: 'syscall',
  tags: [],
  time: '2024-05-01T12:00:00.000000001Z',
};
const alert = (rule: string, extra: Partial<FalcoAlert> = {}): FalcoAlert => ({ ...base, rule, ...extra });
const rules = (r: HttpRecorder): string[] => r.requests.map((q) => (JSON.parse(q.body) as FalcoAlert).rule);
const FAST = { initialBackoffMs: 5, maxBackoffMs: 20 };

let rec: HttpRecorder;
beforeEach(async () => {
  rec = await startHttpRecorder();
});
afterEach(async () => {
  await rec.close();
});

describe('retries', () => {
  it('retries 503 with backoff and succeeds on the third attempt', async () => {
    rec.script({ status: 503 }, { status: 503 });
    const q = new OutputQueue(createWebhookOutput({ url: rec.url }), { batchSize: 1 }, FAST);
    q.push(alert('a'));
    await q.flush();
    expect(rec.requests).toHaveLength(3);
    expect(new Set(rec.requests.map((r) => r.body)).size).toBe(1);
    expect(q.counters).toMatchObject({ received: 1, sent: 1, failed: 0, retries: 2 });
  });

  it('waits as long as Retry-After (seconds) asks, not the shorter backoff', async () => {
    rec.script({ status: 503, headers: { 'Retry-After': '1' } });
    const q = new OutputQueue(createWebhookOutput({ url: rec.url }), { batchSize: 1 }, FAST);
    q.push(alert('a'));
    await q.flush();
    const [first, second] = rec.requests;
    expect(rec.requests).toHaveLength(2);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(990);
    expect(q.counters).toMatchObject({ sent: 1, retries: 1 });
  });

  it('retries 429 and honours Retry-After as an HTTP date', async () => {
    const at = new Date(Date.now() + 2000).toUTCString(); // second resolution: waits 1–2 s
    rec.script({ status: 429, headers: { 'Retry-After': at } });
    const q = new OutputQueue(createWebhookOutput({ url: rec.url }), { batchSize: 1 }, FAST);
    q.push(alert('a'));
    await q.flush();
    expect(rec.requests).toHaveLength(2);
    expect((rec.requests[1]?.at ?? 0) - (rec.requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('caps Retry-After at maxRetryAfter', async () => {
    rec.script({ status: 503, headers: { 'Retry-After': '3600' } });
    const q = new OutputQueue(
      createWebhookOutput({ url: rec.url }),
      { batchSize: 1 },
      { ...FAST, maxRetryAfterMs: 50 },
    );
    q.push(alert('a'));
    await q.flush();
    expect(rec.requests).toHaveLength(2);
    expect(q.counters.sent).toBe(1);
  });

  it('does not retry a 400 and counts the alert as failed', async () => {
    rec.script({ status: 400, body: 'bad payload' });
    const q = new OutputQueue(createWebhookOutput({ url: rec.url }), { batchSize: 1 }, FAST);
    q.push(alert('a'));
    await q.flush();
    expect(rec.requests).toHaveLength(1);
    expect(q.counters).toMatchObject({ sent: 0, failed: 1, retries: 0 });
  });

  it('gives up after maxAttempts on repeated 500s', async () => {
    rec.script({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    const q = new OutputQueue(
      createWebhookOutput({ url: rec.url }),
      { batchSize: 1 },
      { ...FAST, maxAttempts: 3 },
    );
    q.push(alert('a'));
    await q.flush();
    expect(rec.requests).toHaveLength(3);
    expect(q.counters).toMatchObject({ sent: 0, failed: 1, retries: 2 });
  });

  it('retries connection errors (nothing listening) and then fails', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address() as AddressInfo;
    await new Promise<void>((r) => srv.close(() => r()));
    const q = new OutputQueue(
      createWebhookOutput({ url: `http://127.0.0.1:${port}/` }),
      { batchSize: 1 },
      { ...FAST, maxAttempts: 3 },
    );
    q.push(alert('a'));
    await q.flush();
    expect(q.counters).toMatchObject({ sent: 0, failed: 1, retries: 2 });
  });

  it('computes exponential backoff with equal jitter, capped', () => {
    const opts = { ...DEFAULT_RETRY, initialBackoffMs: 100, maxBackoffMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, opts, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, opts, () => 0.999999))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoffDelay(1, opts, () => 0, 5000)).toBe(5000);
    expect(backoffDelay(1, { ...opts, maxRetryAfterMs: 2000 }, () => 0, 5000)).toBe(2000);
  });

  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Wed, 01 May 2024 12:00:10 GMT', 10_000],
    ['Wed, 01 May 2024 11:00:00 GMT', 0],
    ['soon', undefined],
    [undefined, undefined],
  ])('reads Retry-After %j as %j ms', (value, ms) => {
    expect(parseRetryAfter(value, Date.UTC(2024, 4, 1, 12))).toBe(ms);
  });
});

describe('batching', () => {
  // No upper time bounds (a loaded machine may be slow); the size trigger is
  // shown by a flush interval far longer than the wait for the request.
  it('sends a full batch as soon as it is full', async () => {
    const q = new OutputQueue(
      createLokiOutput({ url: rec.url }),
      { batchSize: 3, flushIntervalMs: 600_000 },
      FAST,
    );
    for (const r of ['a', 'b', 'c', 'd']) q.push(alert(r));
    await rec.waitFor(1, 10_000);
    await q.flush(); // sends the fourth, left over
    const counts = rec.requests.map((r) =>
      (JSON.parse(r.body) as { streams: { values: unknown[] }[] }).streams.reduce(
        (n, s) => n + s.values.length,
        0,
      ),
    );
    expect(counts).toEqual([3, 1]);
    expect(q.counters.sent).toBe(4);
    await q.close();
  });

  it('sends a partial batch after the flush interval, not before', async () => {
    const q = new OutputQueue(
      createLokiOutput({ url: rec.url }),
      { batchSize: 10, flushIntervalMs: 300 },
      FAST,
    );
    const t0 = Date.now();
    q.push(alert('a'));
    q.push(alert('b'));
    await rec.waitFor(1, 10_000);
    expect(rec.requests[0]!.at - t0).toBeGreaterThanOrEqual(290);
    expect(rec.requests).toHaveLength(1);
    await q.close();
    expect(q.counters.sent).toBe(2);
  });
});

describe('bounded queue', () => {
  // batchSize 1: the first alert leaves the queue at once (in flight), the
  // receiver is slow, so the rest pile up in a queue of 3.
  it.each([
    ['oldest', ['a0', 'a7', 'a8', 'a9']],
    ['newest', ['a0', 'a1', 'a2', 'a3']],
  ] as const)('dropPolicy %s keeps %j and counts 6 dropped', async (dropPolicy, kept) => {
    rec.script({ status: 503 });
    const q = new OutputQueue(
      createWebhookOutput({ url: rec.url }),
      { batchSize: 1, queueSize: 3, dropPolicy, flushIntervalMs: 10 },
      { ...FAST, initialBackoffMs: 50 },
    );
    for (let i = 0; i < 10; i++) q.push(alert(`a${i}`));
    expect(q.pending).toBe(3);
    await q.flush();
    expect(rules(rec).filter((r, i, all) => all.indexOf(r) === i)).toEqual(kept);
    expect(q.counters).toMatchObject({ received: 10, dropped: 6, sent: 4, failed: 0 });
  });

  it('counts alerts pushed after close as dropped', async () => {
    const q = new OutputQueue(createWebhookOutput({ url: rec.url }), { batchSize: 1 });
    await q.close();
    q.push(alert('late'));
    expect(q.counters).toMatchObject({ received: 1, dropped: 1 });
    expect(rec.requests).toHaveLength(0);
  });
});

describe('dedup window', () => {
  it('counts the same rule and fields inside the window, sends different fields', async () => {
    const q = new OutputQueue(createWebhookOutput({ url: rec.url }), {
      batchSize: 10,
      dedupWindowMs: 60_000,
    });
    q.push(alert('a'));
    q.push(alert('a', { output_fields: { 'user.name': 'root' }, time: '2024-05-01T12:00:05Z' }));
    q.push(alert('a'));
    q.push(alert('a', { output_fields: { 'user.name': 'alice' } }));
    q.push(alert('b'));
    await q.flush();
    expect(rules(rec)).toEqual(['a', 'a', 'b']);
    expect(q.counters).toMatchObject({ received: 5, deduplicated: 2, sent: 3 });
  });

  it('sends the alert again once the window has passed', async () => {
    const q = new OutputQueue(createWebhookOutput({ url: rec.url }), { batchSize: 10, dedupWindowMs: 100 });
    q.push(alert('a'));
    q.push(alert('a'));
    await new Promise((r) => setTimeout(r, 150));
    q.push(alert('a'));
    await q.flush();
    expect(rules(rec)).toEqual(['a', 'a']);
    expect(q.counters).toMatchObject({ deduplicated: 1, sent: 2 });
  });

  it('is off with a zero window', async () => {
    const q = new OutputQueue(createWebhookOutput({ url: rec.url }), { batchSize: 10, dedupWindowMs: 0 });
    q.push(alert('a'));
    q.push(alert('a'));
    await q.flush();
    expect(q.counters).toMatchObject({ deduplicated: 0, sent: 2 });
  });
});

describe('priority filter', () => {
  it('sends only alerts at or above the minimum priority', async () => {
    const q = new OutputQueue(createWebhookOutput({ url: rec.url }), {
      batchSize: 10,
      minimumPriority: 'Warning',
    });
    const ps: Priority[] = [
      'Debug',
      'Informational',
      'Notice',
      'Warning',
      'Error',
      'Critical',
      'Alert',
      'Emergency',
    ];
    for (const p of ps) q.push(alert(p, { priority: p }));
    await q.flush();
    expect(rules(rec)).toEqual(['Warning', 'Error', 'Critical', 'Alert', 'Emergency']);
    expect(q.counters).toMatchObject({ received: 8, filtered: 3, sent: 5 });
  });
});

describe('router and metrics', () => {
  it('fans out to every output and keeps counters per output in snapshot()', async () => {
    const other = await startHttpRecorder();
    try {
      const queue = {
        minimumPriority: 'Debug',
        batchSize: 1,
        flushIntervalMs: 10,
        queueSize: 10,
        dropPolicy: 'oldest',
        dedupWindowMs: 0,
      } as const;
      const retry = { ...DEFAULT_RETRY, ...FAST };
      const router = createAlertRouter([
        { name: 'hook', kind: 'webhook', options: { url: rec.url }, queue, retry },
        {
          name: 'crit-only',
          kind: 'webhook',
          options: { url: other.url },
          queue: { ...queue, minimumPriority: 'Critical' },
          retry,
        },
      ]);
      router.publish(alert('w'));
      router.publish(alert('c', { priority: 'Critical' }));
      await router.close();
      expect(rules(rec)).toEqual(['w', 'c']);
      expect(rules(other)).toEqual(['c']);
      expect(router.metrics.snapshot()).toEqual({
        'crit-only': {
          received: 2,
          filtered: 1,
          deduplicated: 0,
          dropped: 0,
          sent: 1,
          failed: 0,
          retries: 0,
        },
        hook: { received: 2, filtered: 0, deduplicated: 0, dropped: 0, sent: 2, failed: 0, retries: 0 },
      });
    } finally {
      await other.close();
    }
  });
});

describe('secrets in logs', () => {
  it('never logs the webhook path, query or credentials', async () => {
    const lines: string[] = [];
    const fn: LogFn = (a: string | Record<string, unknown>, b?: string) => {
      lines.push(JSON.stringify([a, b]));
    };
    const logger: Logger = { debug: fn, info: fn, warn: fn, error: fn, child: (b) => (fn(b), logger) };
    rec.script({ status: 503 }, { status: 403, body: 'invalid_token' });
    const url = `${rec.url.replace('http://', 'http://user:hunter2@')}/services/T0/B0/XOXB-SECRET?token=QSECRET`;
    const q = new OutputQueue(createSlackOutput({ url }), { batchSize: 1 }, FAST, { logger });
    q.push(alert('a'));
    await q.flush();
    expect(q.counters).toMatchObject({ failed: 1, retries: 1 });
    expect(rec.requests[0]?.headers['authorization']).toBe(
      `Basic ${Buffer.from('user:hunter2').toString('base64')}`,
    );
    const all = lines.join('\n');
    expect(all).toContain('alert delivery failed');
    expect(all).toContain(`${rec.url}/***`);
    for (const secret of ['XOXB-SECRET', 'QSECRET', 'hunter2', 'services/T0'])
      expect(all).not.toContain(secret);
  });
});
