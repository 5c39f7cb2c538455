/**
 * Elasticsearch: the Falco JSON alert as the document, in an index named
 * `<index>-<date>` as falcosidekick names it (suffix daily `2006.01.02`,
 * monthly `2006.01`, annually `2006`, or none), the date being the time of
 * sending (UTC), as falcosidekick uses time.Now().
 * - `bulk: false`: one `POST <url>/<index>-<date>/<type>` per alert (falcosidekick's way);
 * - `bulk: true` (default): one `POST <url>/_bulk` per batch (NDJSON `index`
 *   actions). Items the answer reports as 429/5xx are resent (only those);
 *   items rejected otherwise (mapping errors) are counted as failed.
 */
import { DeliveryError, send } from './http.js';
import type { AlertOutput, DeliveryUnit, HttpOutputOptions } from './output.js';
import { DEFAULT_TIMEOUT_MS, httpUnit } from './output.js';
import { redactUrl } from './redact.js';
import type { FalcoAlert } from './types.js';

export interface ElasticsearchOutputOptions extends HttpOutputOptions {
  name?: string;
  index?: string;
  /** Document type path segment for per-document requests: default `_doc`. */
  type?: string;
  suffix?: 'daily' | 'monthly' | 'annually' | 'none';
  username?: string;
  password?: string;
  bulk?: boolean;
  /** Clock for the index date (tests). */
  now?: () => Date;
}

export function elasticsearchIndex(
  index: string,
  suffix: ElasticsearchOutputOptions['suffix'],
  at: Date,
): string {
  const y = at.getUTCFullYear().toString().padStart(4, '0');
  const m = (at.getUTCMonth() + 1).toString().padStart(2, '0');
  const d = at.getUTCDate().toString().padStart(2, '0');
  switch (suffix ?? 'daily') {
    case 'none':
      return index;
    case 'annually':
      return `${index}-${y}`;
    case 'monthly':
      return `${index}-${y}.${m}`;
    default:
      return `${index}-${y}.${m}.${d}`;
  }
}

export function elasticsearchBulkBody(batch: readonly FalcoAlert[], index: string): string {
  let s = '';
  for (const a of batch) s += `${JSON.stringify({ index: { _index: index } })}\n${JSON.stringify(a)}\n`;
  return s;
}

interface BulkAnswer {
  errors?: boolean;
  items?: Record<string, { status?: number; error?: { type?: string; reason?: string } }>[];
}

export function createElasticsearchOutput(o: ElasticsearchOutputOptions): AlertOutput {
  const base = o.url.replace(/\/+$/, '');
  const headers: Record<string, string> = {};
  if (o.username && o.password)
    headers['Authorization'] = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString('base64')}`;
  const http: HttpOutputOptions = { ...o, headers: { ...headers, ...(o.headers ?? {}) } };
  const now = o.now ?? ((): Date => new Date());
  const indexName = (): string => elasticsearchIndex(o.index ?? 'falco', o.suffix, now());

  const bulkUnit = (batch: readonly FalcoAlert[]): DeliveryUnit => {
    let pending = [...batch];
    let rejected = 0;
    return {
      alerts: batch.length,
      deliver: async (signal) => {
        const res = await send({
          url: `${base}/_bulk`,
          headers: {
            'content-type': 'application/x-ndjson',
            'user-agent': 'palisade',
            ...(http.headers ?? {}),
          },
          body: elasticsearchBulkBody(pending, indexName()),
          timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          signal,
          ...(o.tls ? { tls: o.tls } : {}),
        });
        let answer: BulkAnswer;
        try {
          answer = JSON.parse(res.body) as BulkAnswer;
        } catch {
          return { failed: rejected };
        }
        if (!answer.errors || !Array.isArray(answer.items)) return { failed: rejected };
        const retry: FalcoAlert[] = [];
        let firstReason = '';
        answer.items.forEach((item, i) => {
          const r = Object.values(item)[0];
          const status = r?.status ?? 0;
          const alert = pending[i];
          if (!alert || (status >= 200 && status < 300)) return;
          firstReason ||= `${status} ${r?.error?.type ?? ''}`.trim();
          if (status === 429 || status >= 500) retry.push(alert);
          else rejected++;
        });
        if (retry.length === 0) return { failed: rejected };
        pending = retry;
        throw new DeliveryError(`${retry.length} documents not indexed (${firstReason})`, {
          retryable: true,
        });
      },
    };
  };

  return {
    name: o.name ?? 'elasticsearch',
    kind: 'elasticsearch',
    target: redactUrl(base),
    units: (batch) =>
      o.bulk === false
        ? batch.map((a) =>
            httpUnit(
              http,
              1,
              JSON.stringify(a),
              'application/json',
              `${base}/${indexName()}/${o.type ?? '_doc'}`,
            ),
          )
        : [bulkUnit(batch)],
  };
}
