import { describe, expect, it } from 'vitest';
import { parseIntervalMs, parseListen, parseServiceRef } from './webhook.js';

describe('palisade webhook flag values', () => {
  it.each([
    ['palisade/palisade-webhook', { namespace: 'palisade', name: 'palisade-webhook' }],
    ['sec/hook:8443', { namespace: 'sec', name: 'hook', port: 8443 }],
  ])('--service %s is a Service reference', (v, want) => {
    expect(parseServiceRef(v)).toEqual(want);
  });

  it.each(['palisade', 'a/b/c', 'A/b', 'a/b:0', 'a/b:70000', 'a/b:x'])('--service %s is rejected', (v) => {
    expect(() => parseServiceRef(v)).toThrow(/--service must be/);
  });

  it.each([
    ['0.0.0.0:9443', { host: '0.0.0.0', port: 9443 }],
    [':9443', { host: '0.0.0.0', port: 9443 }],
    ['[::]:9443', { host: '::', port: 9443 }],
  ])('--listen %s', (v, want) => {
    expect(parseListen(v)).toEqual(want);
  });

  it.each(['9443', '0.0.0.0', 'h:99999'])('--listen %s is rejected', (v) => {
    expect(() => parseListen(v)).toThrow(/--listen must be/);
  });

  it.each([
    ['1h', 3_600_000],
    ['30m', 1_800_000],
    ['90s', 90_000],
    ['120', 120_000],
    ['0', 0],
  ])('--background-scan-interval %s is %d ms', (v, want) => {
    expect(parseIntervalMs('--background-scan-interval', v)).toBe(want);
  });

  it.each(['1 hour', '-1h', 'h', ''])('--background-scan-interval %j is rejected', (v) => {
    expect(() => parseIntervalMs('--background-scan-interval', v)).toThrow(/must be a duration/);
  });
});
