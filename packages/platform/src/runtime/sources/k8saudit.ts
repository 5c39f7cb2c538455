/**
 * k8s audit events from text: a single audit Event, an EventList (what the
 * kube-apiserver webhook backend posts), or JSON lines (the log backend).
 * Bounded: event size, nesting depth and count; bad input is counted and
 * described, never thrown.
 */
import type { RuntimeEvent } from '../fields/types.js';
import { K8S_AUDIT_EVENT_TYPE, K8S_AUDIT_SOURCE } from '../fields/k8saudit.js';
import { parseRfc3339 } from '../fields/time.js';

export interface AuditDecodeLimits {
  /** Max bytes of one event (JSON line or EventList item, re-serialized). Default 8 MiB. */
  maxEventBytes?: number;
  /** Max nesting depth of the JSON. Default 64. */
  maxDepth?: number;
  /** Max events returned from one input. Default 10 million. */
  maxEvents?: number;
}

export interface DecodeProblem {
  /** 1-based line (JSON lines) or item index (EventList). */
  at: number;
  reason: string;
}

export interface DecodedEvents {
  events: RuntimeEvent[];
  problems: DecodeProblem[];
}

const DEFAULTS = { maxEventBytes: 8 << 20, maxDepth: 64, maxEvents: 10_000_000 };

/** Depth of a JSON text without parsing it (strings skipped). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inStr) {
      if (c === 92) i++;
      else if (c === 34) inStr = false;
      continue;
    }
    if (c === 34) inStr = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** Event time: stageTimestamp, else requestReceivedTimestamp, else timestamp; 0 when none parse. */
export function auditTime(data: Record<string, unknown>): { sec: number; nsec: number } {
  for (const k of ['stageTimestamp', 'requestReceivedTimestamp', 'timestamp']) {
    const v = data[k];
    if (typeof v === 'string') {
      const t = parseRfc3339(v);
      if (t) return t;
    }
  }
  return { sec: 0, nsec: 0 };
}

export function auditEvent(data: Record<string, unknown>, num: number, raw?: string): RuntimeEvent {
  const t = auditTime(data);
  const e: RuntimeEvent = {
    source: K8S_AUDIT_SOURCE,
    type: K8S_AUDIT_EVENT_TYPE,
    num,
    sec: t.sec,
    nsec: t.nsec,
    data,
  };
  if (raw !== undefined) e.raw = raw;
  return e;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Decodes audit events. The text may be one Event, one EventList, or JSON
 * lines of either. `firstNum` numbers the events (evt.num).
 */
export function decodeAuditEvents(text: string, limits: AuditDecodeLimits = {}, firstNum = 1): DecodedEvents {
  const lim = { ...DEFAULTS, ...limits };
  const out: DecodedEvents = { events: [], problems: [] };
  let num = firstNum;
  const push = (obj: unknown, at: number, raw: string | undefined): void => {
    if (!isObj(obj)) {
      out.problems.push({ at, reason: 'not a JSON object' });
      return;
    }
    if (obj['kind'] === 'EventList' || (obj['kind'] === undefined && Array.isArray(obj['items']))) {
      const items = obj['items'];
      if (!Array.isArray(items)) {
        out.problems.push({ at, reason: 'EventList without items' });
        return;
      }
      items.forEach((it, i) => {
        if (out.events.length >= lim.maxEvents) return;
        if (!isObj(it)) out.problems.push({ at: i + 1, reason: 'EventList item is not an object' });
        else out.events.push(auditEvent(it, num++));
      });
      return;
    }
    if (out.events.length < lim.maxEvents) out.events.push(auditEvent(obj, num++, raw));
  };
  const trimmed = text.trimStart();
  // A whole-document JSON value (pretty-printed Event or EventList) …
  if (trimmed.startsWith('{') && !looksLikeJsonLines(trimmed)) {
    if (text.length > lim.maxEventBytes && !trimmed.includes('"EventList"')) {
      out.problems.push({ at: 1, reason: `event larger than ${lim.maxEventBytes} bytes` });
      return out;
    }
    const parsed = safeParse(text, lim.maxDepth);
    if ('error' in parsed) out.problems.push({ at: 1, reason: parsed.error });
    else push(parsed.value, 1, undefined);
    return out;
  }
  // … or JSON lines.
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
    const parsed = safeParse(line, lim.maxDepth);
    if ('error' in parsed) out.problems.push({ at: lineNo, reason: parsed.error });
    else push(parsed.value, lineNo, line);
  }
  return out;
}

function looksLikeJsonLines(t: string): boolean {
  // One JSON value per line: the first line parses on its own.
  const nl = t.indexOf('\n');
  if (nl < 0) return false;
  const first = t.slice(0, nl).trim();
  if (!first.endsWith('}')) return false;
  try {
    JSON.parse(first);
    return true;
  } catch {
    return false;
  }
}

function safeParse(text: string, maxDepth: number): { value: unknown } | { error: string } {
  if (jsonDepth(text) > maxDepth) return { error: `JSON nested deeper than ${maxDepth} levels` };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    return { error: `invalid JSON: ${(e as Error).message}` };
  }
}
