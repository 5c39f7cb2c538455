/**
 * Alertmanager: `POST /api/v2/alerts` with a JSON array of alerts, each
 * mapped as falcosidekick's alertmanager output maps a Falco alert:
 * - labels: every string or number output field under a safe label name
 *   ([^a-zA-Z0-9_] → `_`, `__` → `_`, `_` trimmed at both ends), except
 *   `n_evts*`; `n_drop*` fields bucketed by the drop thresholds (and raising
 *   the priority); then source=falco, rule, eventsource, hostname, tags
 *   (sorted, comma-joined), priority and severity (from the priority, or the
 *   custom severity map), then the extra labels;
 * - annotations: info and description = output, summary = rule, then extras;
 * - endsAt: alert time + expiresAfter seconds, or Go's zero time when unset
 *   (Alertmanager then applies its resolve_timeout).
 * A batch is one request carrying every alert of the batch.
 */
import { rfc3339Nano } from './gotime.js';
import type { AlertOutput, HttpOutputOptions } from './output.js';
import { httpUnit } from './output.js';
import { redactUrl } from './redact.js';
import type { FalcoAlert, Priority } from './types.js';
import { PRIORITY_LEVEL, timeNanos } from './types.js';

export interface AlertmanagerOutputOptions extends HttpOutputOptions {
  name?: string;
  /** Path appended to `url` (host and port): default `/api/v2/alerts`. */
  endpoint?: string;
  /** Seconds after the alert's time at which it ends; 0 = let Alertmanager decide. */
  expiresAfter?: number;
  extraLabels?: Record<string, string>;
  extraAnnotations?: Record<string, string>;
  customSeverityMap?: Partial<Record<Priority, string>>;
  /** For `n_drop*` fields, most severe first: a count above `value` is labelled `>value`. */
  dropEventThresholds?: { value: number; priority: Priority }[];
  dropEventDefaultPriority?: Priority;
}

export const ALERTMANAGER_ENDPOINT = '/api/v2/alerts';

export const DEFAULT_SEVERITY: Record<Priority, string> = {
  Debug: 'information',
  Informational: 'information',
  Notice: 'information',
  Warning: 'warning',
  Error: 'warning',
  Critical: 'critical',
  Alert: 'critical',
  Emergency: 'critical',
};

/** falcosidekick's default `10000:critical, 1000:critical, 100:critical, 10:warning, 1:warning`. */
export const DEFAULT_DROP_THRESHOLDS: { value: number; priority: Priority }[] = [
  { value: 10000, priority: 'Critical' },
  { value: 1000, priority: 'Critical' },
  { value: 100, priority: 'Critical' },
  { value: 10, priority: 'Warning' },
  { value: 1, priority: 'Warning' },
];

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function alertmanagerSafeLabel(label: string): string {
  return label
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .replaceAll('__', '_')
    .replace(/_+$/, '')
    .replace(/^_+/, '');
}

const raise = (p: Priority, to: Priority): Priority => (PRIORITY_LEVEL[to] < PRIORITY_LEVEL[p] ? to : p);

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  endsAt: string;
}

export function alertmanagerAlert(
  a: FalcoAlert,
  o: Omit<AlertmanagerOutputOptions, 'url'> = {},
): AlertmanagerAlert {
  const labels: Record<string, string> = {};
  let priority = a.priority;
  const thresholds = [...(o.dropEventThresholds ?? DEFAULT_DROP_THRESHOLDS)].sort(
    (x, y) => y.value - x.value,
  );
  for (const [k, v] of Object.entries(a.output_fields)) {
    if (k.startsWith('n_evts')) continue;
    if (k.startsWith('n_drop')) {
      const text = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
      if (text === undefined || !/^[+-]?\d+$/.test(text.trim())) continue;
      const d = Number(text.trim());
      let bucket = '';
      if (d === 0) {
        priority = raise(priority, 'Warning');
        bucket = '0';
      } else {
        for (const t of thresholds) {
          if (d > t.value) {
            bucket = `>${t.value}`;
            priority = raise(priority, t.priority);
            break;
          }
        }
      }
      if (bucket === '') {
        bucket = text;
        priority = raise(priority, o.dropEventDefaultPriority ?? 'Critical');
      }
      labels[k] = bucket;
      continue;
    }
    if (typeof v === 'string') labels[alertmanagerSafeLabel(k)] = v;
    else if (typeof v === 'number' && Number.isFinite(v)) labels[alertmanagerSafeLabel(k)] = String(v);
  }
  labels['source'] = 'falco';
  labels['rule'] = a.rule;
  labels['eventsource'] = a.source;
  if (a.hostname !== '') labels['hostname'] = a.hostname;
  if (a.tags.length > 0) labels['tags'] = [...a.tags].sort().join(',');
  labels['priority'] = priority;
  labels['severity'] = o.customSeverityMap?.[priority] ?? DEFAULT_SEVERITY[priority];
  const annotations: Record<string, string> = { info: a.output, description: a.output, summary: a.rule };
  const endsAt = o.expiresAfter
    ? rfc3339Nano(timeNanos(a.time) + BigInt(Math.round(o.expiresAfter * 1e9)))
    : GO_ZERO_TIME;
  Object.assign(labels, o.extraLabels ?? {});
  Object.assign(annotations, o.extraAnnotations ?? {});
  return { labels: sorted(labels), annotations: sorted(annotations), endsAt };
}

function sorted(o: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k] as string;
  return out;
}

export function alertmanagerUrl(url: string, endpoint = ALERTMANAGER_ENDPOINT): string {
  const base = url.replace(/\/+$/, '');
  return base.endsWith(endpoint) ? base : `${base}${endpoint}`;
}

export function createAlertmanagerOutput(o: AlertmanagerOutputOptions): AlertOutput {
  const url = alertmanagerUrl(o.url, o.endpoint);
  return {
    name: o.name ?? 'alertmanager',
    kind: 'alertmanager',
    target: redactUrl(url),
    units: (batch) => [
      httpUnit(
        o,
        batch.length,
        JSON.stringify(batch.map((a) => alertmanagerAlert(a, o))),
        'application/json',
        url,
      ),
    ],
  };
}
