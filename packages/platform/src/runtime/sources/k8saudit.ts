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

/**
 * Nesting depth of a JSON text without parsing it (brackets inside strings
 * skipped). Stops counting once the depth exceeds `limit`, so the answer is
 * exact up to `limit` and `> limit` beyond it.
 */
export function jsonDepth(text: string, limit = Number.MAX_SAFE_INTEGER): number {
  let depth = 0;
  let max = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // jump to the closing quote: the next '"' preceded by an even number of backslashes
      for (;;) {
        const q = text.indexOf('"', i + 1);
        if (q < 0) return max;
        let b = q - 1;
        while (text.charCodeAt(b) === 92) b--;
        i = q;
        if ((q - 1 - b) % 2 === 0) break;
      }
    } else if (c === 123 || c === 91) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/**
 * Whether a JSON text nests deeper than `maxDepth`. The depth never exceeds the
 * number of '{' and '[' in the text, which indexOf counts at native speed, so the
 * exact scan runs only for texts with more brackets than the bound. Checked before
 * JSON.parse: deeply nested input is many times slower to parse than flat input of
 * the same size.
 */
export function exceedsDepth(text: string, maxDepth: number): boolean {
  let n = 0;
  for (let i = text.indexOf('{'); i >= 0 && n <= maxDepth; i = text.indexOf('{', i + 1)) n++;
  for (let i = text.indexOf('['); i >= 0 && n <= maxDepth; i = text.indexOf('[', i + 1)) n++;
  return n > maxDepth && jsonDepth(text, maxDepth) > maxDepth;
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
    memo: undefined,
  };
  if (raw !== undefined) e.raw = raw;
  return e;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** What {@link streamAuditEvents} returns: events handed over, and the inputs it could not read. */
export interface StreamedEvents {
  events: number;
  problems: DecodeProblem[];
}

/**
 * Decodes audit events one at a time, handing each to `onEvent` as soon as it
 * is decoded (nothing is kept, so memory stays flat however long the input).
 * The text may be one Event, one EventList, or JSON lines of either.
 * `firstNum` numbers the events (evt.num).
 */
export function streamAuditEvents(
  text: string,
  onEvent: (e: RuntimeEvent) => void,
  limits: AuditDecodeLimits = {},
  firstNum = 1,
): StreamedEvents {
  const maxEventBytes = limits.maxEventBytes ?? DEFAULTS.maxEventBytes;
  const maxDepth = limits.maxDepth ?? DEFAULTS.maxDepth;
  const maxEvents = limits.maxEvents ?? DEFAULTS.maxEvents;
  const problems: DecodeProblem[] = [];
  let count = 0;
  let num = firstNum;
  const push = (obj: unknown, at: number, raw: string | undefined): void => {
    if (!isObj(obj)) {
      problems.push({ at, reason: 'not a JSON object' });
      return;
    }
    if (obj['kind'] === 'EventList' || (obj['kind'] === undefined && Array.isArray(obj['items']))) {
      const items = obj['items'];
      if (!Array.isArray(items)) {
        problems.push({ at, reason: 'EventList without items' });
        return;
      }
      for (let i = 0; i < items.length && count < maxEvents; i++) {
        const it: unknown = items[i];
        if (!isObj(it)) problems.push({ at: i + 1, reason: 'EventList item is not an object' });
        else {
          count++;
          onEvent(auditEvent(it, num++));
        }
      }
      return;
    }
    if (count < maxEvents) {
      count++;
      onEvent(auditEvent(obj, num++, raw));
    }
  };
  const trimmed = text.trimStart();
  // A whole-document JSON value (pretty-printed Event or EventList) …
  if (trimmed.startsWith('{') && !looksLikeJsonLines(trimmed)) {
    if (text.length > maxEventBytes && !trimmed.includes('"EventList"')) {
      problems.push({ at: 1, reason: `event larger than ${maxEventBytes} bytes` });
      return { events: count, problems };
    }
    const parsed = safeParse(text, maxDepth);
    if ('error' in parsed) problems.push({ at: 1, reason: parsed.error });
    else push(parsed.value, 1, undefined);
    return { events: count, problems };
  }
  // … or JSON lines.
  let lineNo = 0;
  let start = 0;
  while (start <= text.length && count < maxEvents) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    if (line.length > maxEventBytes) {
      problems.push({ at: lineNo, reason: `event larger than ${maxEventBytes} bytes` });
      continue;
    }
    const parsed = safeParse(line, maxDepth);
    if ('error' in parsed) problems.push({ at: lineNo, reason: parsed.error });
    else push(parsed.value, lineNo, line);
  }
  return { events: count, problems };
}

/** Decodes audit events into an array (see {@link streamAuditEvents} for long inputs). */
export function decodeAuditEvents(text: string, limits: AuditDecodeLimits = {}, firstNum = 1): DecodedEvents {
  const events: RuntimeEvent[] = [];
  const { problems } = streamAuditEvents(text, (e) => events.push(e), limits, firstNum);
  return { events, problems };
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
  if (exceedsDepth(text, maxDepth)) return { error: `JSON nested deeper than ${maxDepth} levels` };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    return { error: `invalid JSON: ${(e as Error).message}` };
  }
}
