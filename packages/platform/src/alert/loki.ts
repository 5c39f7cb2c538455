/**
 * Loki: the push API (`POST /loki/api/v1/push`, JSON). Each alert is one log
 * line (its `output`) at its own time in nanoseconds, in a stream labelled as
 * falcosidekick labels it: rule, source, priority, hostname, tags (sorted,
 * comma-joined) and the output fields named in `extraLabels` (label name with
 * `.`, `[` and `]` removed; `"` removed from the value). A batch is one push:
 * alerts with the same labels share a stream, entries in time order.
 */
import type { AlertOutput, HttpOutputOptions } from './output.js';
import { httpUnit } from './output.js';
import { redactUrl } from './redact.js';
import type { FalcoAlert } from './types.js';
import { timeNanos } from './types.js';

export interface LokiOutputOptions extends HttpOutputOptions {
  name?: string;
  /** Path appended to `url` (the host and port): default `/loki/api/v1/push`. */
  endpoint?: string;
  /** Output fields that become stream labels. */
  extraLabels?: string[];
  /** Multi-tenant Loki: sent as X-Scope-OrgID. */
  tenant?: string;
  /** Basic auth (Grafana Cloud: user id and API key). */
  user?: string;
  apiKey?: string;
}

export const LOKI_ENDPOINT = '/loki/api/v1/push';

export function lokiLabels(a: FalcoAlert, extraLabels: readonly string[] = []): Record<string, string> {
  const s: Record<string, string> = { rule: a.rule, source: a.source, priority: a.priority };
  for (const k of extraLabels) {
    const v = a.output_fields[k];
    if (typeof v !== 'string') continue;
    s[k.replace(/[.[\]]/g, '')] = v.replace(/"/g, '');
  }
  if (a.hostname !== '') s['hostname'] = a.hostname;
  if (a.tags.length > 0) s['tags'] = [...a.tags].sort().join(',');
  return sortKeys(s);
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k] as string;
  return out;
}

export interface LokiPush {
  streams: { stream: Record<string, string>; values: [string, string][] }[];
}

export function lokiPayload(batch: readonly FalcoAlert[], extraLabels: readonly string[] = []): LokiPush {
  const byKey = new Map<string, { stream: Record<string, string>; entries: [bigint, string][] }>();
  for (const a of batch) {
    const stream = lokiLabels(a, extraLabels);
    const key = JSON.stringify(stream);
    let s = byKey.get(key);
    if (!s) {
      s = { stream, entries: [] };
      byKey.set(key, s);
    }
    s.entries.push([timeNanos(a.time), a.output]);
  }
  return {
    streams: [...byKey.values()].map((s) => ({
      stream: s.stream,
      values: s.entries
        .map((e, i) => [e, i] as const)
        .sort(([x, i], [y, j]) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : i - j))
        .map(([e]) => [e[0].toString(), e[1]] as [string, string]),
    })),
  };
}

export function lokiUrl(url: string, endpoint = LOKI_ENDPOINT): string {
  const base = url.replace(/\/+$/, '');
  return base.endsWith(endpoint) ? base : `${base}${endpoint}`;
}

export function createLokiOutput(o: LokiOutputOptions): AlertOutput {
  const headers: Record<string, string> = {};
  if (o.tenant) headers['X-Scope-OrgID'] = o.tenant;
  if (o.user && o.apiKey)
    headers['Authorization'] = `Basic ${Buffer.from(`${o.user}:${o.apiKey}`).toString('base64')}`;
  const http: HttpOutputOptions = { ...o, headers: { ...headers, ...(o.headers ?? {}) } };
  const url = lokiUrl(o.url, o.endpoint);
  return {
    name: o.name ?? 'loki',
    kind: 'loki',
    target: redactUrl(url),
    units: (batch) => [
      httpUnit(
        http,
        batch.length,
        JSON.stringify(lokiPayload(batch, o.extraLabels)),
        'application/json',
        url,
      ),
    ],
  };
}
