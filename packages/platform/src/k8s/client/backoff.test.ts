import { describe, expect, it } from 'vitest';
import { backoffDelay } from './informer.js';

describe('informer backoff', () => {
  const o = { initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0.5 };
  it.each([
    // attempt, random, expected ms: 100·2^attempt, scaled by 1 - 0.5 + random, capped at 5000
    [0, 0.5, 100],
    [0, 0, 50],
    [0, 1, 150],
    [3, 0.5, 800],
    [3, 0, 400],
    [5, 1, 4_800],
    [6, 0.5, 5_000],
    [6, 1, 5_000],
    [6, 0, 2_500],
    [40, 0.5, 5_000],
  ])('attempt %i with random %d waits %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, o, () => random)).toBe(expected);
  });

  it('spreads retries of many clients over the jitter range', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(2, o));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...delays)).toBeLessThanOrEqual(600);
    expect(new Set(delays).size).toBeGreaterThan(50);
  });

  it('clamps a jitter outside 0..1 and uses defaults when given nothing', () => {
    expect(backoffDelay(0, { initialMs: 100, jitter: 7 }, () => 0)).toBe(0);
    expect(backoffDelay(0, { initialMs: 100, jitter: -1 }, () => 0.9)).toBe(100);
    expect(backoffDelay(0, {}, () => 0.5)).toBe(200);
    expect(backoffDelay(100, {}, () => 0.5)).toBe(30_000);
  });
});
