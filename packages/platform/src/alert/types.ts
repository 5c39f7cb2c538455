/**
 * The alert every output carries: Falco's JSON alert line, as Falco's
 * `json_output` and `http_output` write it and falcosidekick receives it.
 * The runtime engine renders this shape (runtime/output.ts alertJson); alerts
 * posted by a real Falco arrive in it. Only types come from the engine.
 */
import type { Priority } from '../runtime/rules/types.js';

export type { Priority };

export interface FalcoAlert {
  hostname: string;
  /** The text line `<time>: <Priority> <rendered output>`. */
  output: string;
  output_fields: Record<string, unknown>;
  priority: Priority;
  rule: string;
  source: string;
  tags: string[];
  /** RFC 3339 with nanoseconds, UTC: `2024-05-01T12:00:00.123456789Z`. */
  time: string;
}

/** Falco's numeric levels (falco_common::priority_type): 0 = Emergency … 7 = Debug. */
export const PRIORITY_LEVEL = {
  Emergency: 0,
  Alert: 1,
  Critical: 2,
  Error: 3,
  Warning: 4,
  Notice: 5,
  Informational: 6,
  Debug: 7,
} as const satisfies Record<Priority, number>;

const BY_LOWER = new Map<string, Priority>(
  (Object.keys(PRIORITY_LEVEL) as Priority[]).map((p) => [p.toLowerCase(), p]),
);

/** Case-insensitive, `info` for Informational, as Falco and falcosidekick accept them. */
export function parsePriority(s: string): Priority | undefined {
  const l = s.trim().toLowerCase();
  if (l === 'info') return 'Informational';
  return BY_LOWER.get(l);
}

/** True when `p` is at least as severe as `minimum` (falcosidekick's minimumpriority). */
export function atLeast(p: Priority, minimum: Priority): boolean {
  return PRIORITY_LEVEL[p] <= PRIORITY_LEVEL[minimum];
}

export type AlertCheck = { ok: true; alert: FalcoAlert } | { ok: false; error: string };

/** Bounds on one received alert; anything larger is rejected, not truncated. */
export const ALERT_LIMITS = {
  maxOutputFields: 1000,
  maxTags: 256,
  maxStringLength: 64 * 1024,
} as const;

/**
 * Checks an untrusted value (a parsed request body) against the alert shape.
 * `priority` is normalised (`critical` → `Critical`); a missing `hostname`,
 * `output_fields` or `tags` (older Falco versions omit them) becomes empty;
 * everything else must be present with the right type.
 */
export function checkAlert(v: unknown): AlertCheck {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return { ok: false, error: 'alert must be a JSON object' };
  const o = v as Record<string, unknown>;
  for (const k of ['output', 'priority', 'rule', 'time'] as const) {
    if (typeof o[k] !== 'string') return { ok: false, error: `alert field '${k}' must be a string` };
    if (o[k].length > ALERT_LIMITS.maxStringLength)
      return { ok: false, error: `alert field '${k}' is longer than ${ALERT_LIMITS.maxStringLength}` };
  }
  const priority = parsePriority(o['priority'] as string);
  if (!priority) return { ok: false, error: `unknown priority '${String(o['priority']).slice(0, 40)}'` };
  const time = o['time'] as string;
  if (Number.isNaN(Date.parse(time)))
    return { ok: false, error: `alert time '${time.slice(0, 40)}' is not RFC 3339` };
  for (const k of ['hostname', 'source'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string')
      return { ok: false, error: `alert field '${k}' must be a string` };
  }
  let fields: Record<string, unknown> = {};
  if (o['output_fields'] !== undefined && o['output_fields'] !== null) {
    const f = o['output_fields'];
    if (typeof f !== 'object' || Array.isArray(f))
      return { ok: false, error: "alert field 'output_fields' must be an object" };
    if (Object.keys(f).length > ALERT_LIMITS.maxOutputFields)
      return { ok: false, error: `alert has more than ${ALERT_LIMITS.maxOutputFields} output fields` };
    fields = f as Record<string, unknown>;
  }
  let tags: string[] = [];
  if (o['tags'] !== undefined && o['tags'] !== null) {
    const t = o['tags'];
    if (!Array.isArray(t) || t.some((x) => typeof x !== 'string'))
      return { ok: false, error: "alert field 'tags' must be an array of strings" };
    if (t.length > ALERT_LIMITS.maxTags)
      return { ok: false, error: `alert has more than ${ALERT_LIMITS.maxTags} tags` };
    tags = t as string[];
  }
  return {
    ok: true,
    alert: {
      hostname: (o['hostname'] as string | undefined) ?? '',
      output: o['output'] as string,
      output_fields: fields,
      priority,
      rule: o['rule'] as string,
      source: (o['source'] as string | undefined) ?? 'syscall',
      tags,
      time,
    },
  };
}

/** Nanoseconds since the epoch of an RFC 3339 time with up to 9 fractional digits. */
export function timeNanos(time: string): bigint {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/i.exec(time);
  if (!m) return BigInt(Date.parse(time)) * 1_000_000n;
  const base = Date.parse(`${m[1] as string}${(m[3] as string).toUpperCase()}`);
  const frac = (m[2] ?? '').padEnd(9, '0');
  return BigInt(base) * 1_000_000n + BigInt(frac === '' ? 0 : Number(frac));
}
