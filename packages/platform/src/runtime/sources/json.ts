/**
 * Syscall events as JSON lines (a sensor's output; shape in docs/runtime.md):
 * one object per line with `type` (evt.type), `time` (RFC 3339) or `ts`
 * (nanoseconds since the epoch, number or string), and the process, fd, user,
 * container and k8s objects the syscall fields read. Bounded like the audit decoder.
 */
import type { RuntimeEvent } from '../fields/types.js';
import { SYSCALL_SOURCE } from '../fields/syscall.js';
import { parseRfc3339 } from '../fields/time.js';
import type { AuditDecodeLimits, DecodedEvents } from './k8saudit.js';
import { exceedsDepth } from './k8saudit.js';

const DEFAULTS = { maxEventBytes: 8 << 20, maxDepth: 64, maxEvents: 10_000_000 };

function timeOf(o: Record<string, unknown>): { sec: number; nsec: number } {
  const t = o['time'];
  if (typeof t === 'string') {
    const p = parseRfc3339(t);
    if (p) return p;
  }
  const ts = o['ts'];
  if (typeof ts === 'number' || (typeof ts === 'string' && /^\d+$/.test(ts))) {
    const n = BigInt(typeof ts === 'number' ? Math.trunc(ts) : ts);
    return { sec: Number(n / 1_000_000_000n), nsec: Number(n % 1_000_000_000n) };
  }
  return { sec: 0, nsec: 0 };
}

export function decodeSyscallEvents(
  text: string,
  limits: AuditDecodeLimits = {},
  firstNum = 1,
): DecodedEvents {
  const lim = { ...DEFAULTS, ...limits };
  const out: DecodedEvents = { events: [], problems: [] };
  let num = firstNum;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length && out.events.length < lim.maxEvents) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    if (line.length > lim.maxEventBytes) {
      out.problems.push({ at: lineNo, reason: `event larger than ${lim.maxEventBytes} bytes` });
      continue;
    }
    if (exceedsDepth(line, lim.maxDepth)) {
      out.problems.push({ at: lineNo, reason: `JSON nested deeper than ${lim.maxDepth} levels` });
      continue;
    }
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (e) {
      out.problems.push({ at: lineNo, reason: `invalid JSON: ${(e as Error).message}` });
      continue;
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) {
      out.problems.push({ at: lineNo, reason: 'not a JSON object' });
      continue;
    }
    const data = o as Record<string, unknown>;
    const type = data['type'];
    if (typeof type !== 'string' || type === '') {
      out.problems.push({ at: lineNo, reason: "missing 'type' (the syscall name)" });
      continue;
    }
    const t = timeOf(data);
    const e: RuntimeEvent = {
      source: SYSCALL_SOURCE,
      type,
      num: num++,
      sec: t.sec,
      nsec: t.nsec,
      data,
      raw: line,
    };
    if (typeof data['hostname'] === 'string') e.hostname = data['hostname'];
    out.events.push(e);
  }
  return out;
}
