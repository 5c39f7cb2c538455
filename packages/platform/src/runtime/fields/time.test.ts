import { describe, expect, it } from 'vitest';
import { iso8601, parseRfc3339 } from './time.js';

/** Reference: Date.parse for the seconds, the fraction's digits for the nanoseconds. */
function reference(s: string): { sec: number; nsec: number } | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(s);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(ms)) return undefined;
  return { sec: ms / 1000, nsec: Number((m[2] ?? '').padEnd(9, '0')) };
}

describe('RFC 3339 timestamps', () => {
  it.each([
    '2018-10-25T14:09:12Z',
    '2018-10-25T14:09:12.1Z',
    '2018-10-25T14:09:12.123456Z',
    '2018-10-25T14:09:12.123456789Z',
    '2024-02-29T23:59:59.000000001Z',
    '1970-01-01T00:00:00Z',
    '1969-12-31T23:59:59.5Z',
    '2100-12-31T00:00:00Z',
    // out-of-range days and 24:00 are what Date.parse makes of them (the fast path leaves them to it)
    '2018-04-31T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2018-10-25T24:00:00Z',
  ])('%s: as Date.parse and the fraction', (s) => {
    expect(parseRfc3339(s)).toEqual(reference(s));
  });

  it.each([
    ['2018-10-25T14:09:12.Z'],
    ['2018-10-25T14:09:12.1234567890Z'],
    ['2018-13-01T00:00:00Z'],
    ['2018-10-25X14:09:12Z'],
    ['2018-1a-25T14:09:12Z'],
    ['not a time'],
  ])('%s: not a timestamp', (s) => {
    expect(parseRfc3339(s)).toBeUndefined();
  });

  it.each([
    ['2018-10-25T16:09:12.5+02:00', { sec: 1540476552, nsec: 500_000_000 }],
    ['2018-10-25 14:09:12z', { sec: 1540476552, nsec: 0 }],
    ['0050-01-01T00:00:00Z', { sec: Date.parse('0050-01-01T00:00:00Z') / 1000, nsec: 0 }],
  ])('%s: other forms still parse', (s, want) => {
    expect(parseRfc3339(s)).toEqual(want);
  });

  it('ISO 8601 rendering is the same whether or not the second repeats', () => {
    const a = iso8601(1540476552, 5);
    expect(iso8601(1540476552, 123456789)).toBe('2018-10-25T14:09:12.123456789Z');
    expect(iso8601(1540476553, 0)).toBe('2018-10-25T14:09:13.000000000Z');
    expect(a).toBe('2018-10-25T14:09:12.000000005Z');
  });
});
