import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/shared-data.js';
import { decodeAuditEvents, exceedsDepth, jsonDepth } from './k8saudit.js';
import { decodeSyscallEvents } from './json.js';

/** Reference depth: one character at a time, with an escape flag (independent of jsonDepth's jumps). */
function naiveDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inStr = false;
  let esc = false;
  for (const ch of text) {
    if (inStr) {
      if (esc) esc = false;
      else if (ch === '\\') esc = true;
      else if (ch === '"') inStr = false;
      continue;
    }
    if (ch === '"') inStr = true;
    else if (ch === '{' || ch === '[') max = Math.max(max, ++depth);
    else if (ch === '}' || ch === ']') depth--;
  }
  return max;
}

const nest = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
const traceDir = sharedData('conformance', 'falco', 'k8saudit-fixtures', 'trace_files');
const traceLines = readdirSync(traceDir)
  .sort()
  .flatMap((f) => readFileSync(join(traceDir, f), 'utf8').split('\n'))
  .map((l) => l.trim())
  .filter((l) => l !== '');

describe('JSON depth bound', () => {
  it.each([
    ['flat object', '{"a":1}'],
    ['brackets inside a string', '{"a":"[[[{{{"}'],
    ['escaped quote then brackets in the string', '{"a":"x\\"[[[[","b":[[1]]}'],
    ['escaped backslash closes the string', '{"a":"x\\\\","b":[[[1]]]}'],
    ['three backslashes and a quote stay inside', '{"a":"\\\\\\"[[[[[","b":1}'],
    ['empty string', '{"":[""]}'],
    ['unterminated string', '{"a":"[[['],
  ])('%s: same depth as a character-by-character scan', (_name, text) => {
    expect(jsonDepth(text)).toBe(naiveDepth(text));
  });

  it('agrees with the character scan on every fixture trace line', () => {
    expect(traceLines.length).toBeGreaterThan(30);
    for (const l of traceLines) expect(jsonDepth(l)).toBe(naiveDepth(l));
  });

  it('stops counting past the limit', () => {
    expect(jsonDepth(nest(1000), 64)).toBe(65);
    expect(jsonDepth(nest(1000))).toBe(1000);
  });

  it.each([
    [64, false],
    [65, true],
  ])('%i levels against a bound of 64: exceeds=%s', (n, exceeds) => {
    expect(exceedsDepth(nest(n), 64)).toBe(exceeds);
    expect(exceedsDepth(`{"a":${nest(n - 1)}}`, 64)).toBe(exceeds);
  });

  it('many brackets side by side are not depth', () => {
    const wide = `[${Array.from({ length: 500 }, () => '[{}]').join(',')}]`;
    expect(exceedsDepth(wide, 64)).toBe(false);
    expect(exceedsDepth(`{"s":"${'['.repeat(500)}"}`, 64)).toBe(false);
  });
});

describe('audit decoder bounds', () => {
  const good = traceLines.find((l) => l.includes('"ResponseComplete"')) as string;

  it('a very deep line is counted and skipped; the events around it decode', () => {
    const d = decodeAuditEvents([good, nest(100_000), good].join('\n'));
    expect(d.events).toHaveLength(2);
    expect(d.problems).toEqual([{ at: 2, reason: 'JSON nested deeper than 64 levels' }]);
    expect(d.events.map((e) => e.num)).toEqual([1, 2]);
  });

  it('an event larger than the byte bound is counted and skipped (10 MB line)', () => {
    const big = `{"kind":"Event","stage":"ResponseComplete","x":"${'a'.repeat(10_000_000)}"}`;
    const d = decodeAuditEvents([good, big].join('\n'));
    expect(d.events).toHaveLength(1);
    expect(d.problems).toEqual([{ at: 2, reason: `event larger than ${8 << 20} bytes` }]);
  });

  it('a smaller configured byte bound applies', () => {
    const d = decodeAuditEvents(`${good}\n${good}`, { maxEventBytes: 100 });
    expect(d.events).toHaveLength(0);
    expect(d.problems.map((p) => p.at)).toEqual([1, 2]);
  });

  it('invalid JSON and non-objects are counted with their line', () => {
    const d = decodeAuditEvents([good, '{not json', '[1,2]', '', good].join('\n'));
    expect(d.events).toHaveLength(2);
    expect(d.problems.map((p) => [p.at, p.reason.split(':')[0]])).toEqual([
      [2, 'invalid JSON'],
      [3, 'not a JSON object'],
    ]);
  });

  it('invalid UTF-8 decoded to replacement characters never breaks decoding', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"kind":"Event","stage":"ResponseComplete","user":{"username":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}}\n{"a":"\u00e9'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('\n'),
    ]);
    const d = decodeAuditEvents(bytes.toString('utf8'));
    expect(d.events).toHaveLength(1);
    expect((d.events[0]?.data['user'] as { username: string }).username).toBe('\ufffd\ufffd\ufffd');
    expect(d.problems.map((p) => [p.at, p.reason.split(':')[0]])).toEqual([[2, 'invalid JSON']]);
  });

  it('the event count bound stops decoding', () => {
    const d = decodeAuditEvents([good, good, good].join('\n'), { maxEvents: 2 });
    expect(d.events).toHaveLength(2);
  });

  it('the syscall decoder applies the same depth bound', () => {
    const ok = '{"type":"open","time":"2024-01-01T00:00:00Z"}';
    const d = decodeSyscallEvents([ok, `{"type":"open","x":${nest(65)}}`, ok].join('\n'));
    expect(d.events).toHaveLength(2);
    expect(d.problems).toEqual([{ at: 2, reason: 'JSON nested deeper than 64 levels' }]);
  });
});
