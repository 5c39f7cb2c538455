/**
 * What an output is: something that turns a batch of alerts into delivery
 * units (one HTTP request, one write). The queue (queue.ts) does batching,
 * filtering, dedup, retries and counting for every output alike; an output
 * file only knows its receiver's payload format.
 */
import type { HttpRequest, TlsOptions } from './http.js';
import { send } from './http.js';
import type { FalcoAlert, Priority } from './types.js';

export const OUTPUT_KINDS = [
  'stdout',
  'file',
  'webhook',
  'slack',
  'loki',
  'alertmanager',
  'elasticsearch',
] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

export interface DeliveryUnit {
  /** Alerts this unit carries (counted as sent or failed together). */
  alerts: number;
  /**
   * Delivers once; throws DeliveryError (retryable or not) on failure. May
   * resolve with the number of alerts the receiver rejected for good (the
   * rest count as sent).
   */
  deliver(signal: AbortSignal): Promise<void | { failed: number }>;
}

export interface AlertOutput {
  readonly name: string;
  readonly kind: OutputKind;
  /** Where it sends, with secrets redacted; safe to log. */
  readonly target: string;
  /** Splits a batch into the requests the receiver takes. */
  units(batch: readonly FalcoAlert[]): DeliveryUnit[];
  close?(): Promise<void>;
}

/** Settings every HTTP output shares. */
export interface HttpOutputOptions {
  url: string;
  /** Extra request headers (falcosidekick's customheaders). */
  headers?: Record<string, string>;
  tls?: TlsOptions;
  timeoutMs?: number;
}

/** Settings of the queue in front of every output. */
export interface QueueOptions {
  /** Alerts below this priority are not sent (falcosidekick's minimumpriority). */
  minimumPriority: Priority;
  /** Alerts per batch; a full batch is sent at once. */
  batchSize: number;
  /** A partial batch is sent this long after its first alert arrived. */
  flushIntervalMs: number;
  /** Alerts waiting at most; past it `dropPolicy` decides which one goes. */
  queueSize: number;
  dropPolicy: 'oldest' | 'newest';
  /** Same rule + fields inside this window are counted, not resent; 0 = off. */
  dedupWindowMs: number;
}

export const DEFAULT_QUEUE: QueueOptions = {
  minimumPriority: 'Debug',
  batchSize: 100,
  flushIntervalMs: 1000,
  queueSize: 10_000,
  dropPolicy: 'oldest',
  dedupWindowMs: 0,
};

export const DEFAULT_TIMEOUT_MS = 10_000;

/** One POST of `body` with the output's headers and TLS options. */
export function httpUnit(
  o: HttpOutputOptions,
  alerts: number,
  body: string,
  contentType: string,
  url: string = o.url,
  method: 'POST' | 'PUT' = 'POST',
): DeliveryUnit {
  return {
    alerts,
    deliver: async (signal) => {
      const req: HttpRequest = {
        url,
        method,
        headers: { 'content-type': contentType, 'user-agent': 'palisade', ...(o.headers ?? {}) },
        body,
        timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal,
      };
      if (o.tls) req.tls = o.tls;
      await send(req);
    },
  };
}
