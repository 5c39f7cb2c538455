/**
 * Counters per output, kept in plain objects: the Prometheus exporter reads
 * them through snapshot() (prom-client lives in export/, not here).
 */

export interface OutputCounters {
  /** Alerts handed to the output (before any filter). */
  received: number;
  /** Alerts below the output's minimum priority, not sent. */
  filtered: number;
  /** Alerts seen again inside the dedup window, counted and not resent. */
  deduplicated: number;
  /** Alerts dropped because the queue was full. */
  dropped: number;
  /** Alerts delivered (the receiver answered 2xx / the write completed). */
  sent: number;
  /** Alerts given up on after the last retry or on a non-retryable answer. */
  failed: number;
  /** Delivery attempts that were retried (one per retry, not per alert). */
  retries: number;
}

export type MetricsSnapshot = Record<string, OutputCounters>;

export const emptyCounters = (): OutputCounters => ({
  received: 0,
  filtered: 0,
  deduplicated: 0,
  dropped: 0,
  sent: 0,
  failed: 0,
  retries: 0,
});

export class AlertMetrics {
  private readonly byOutput = new Map<string, OutputCounters>();

  /** The live counters of one output (created on first use). */
  output(name: string): OutputCounters {
    let c = this.byOutput.get(name);
    if (!c) {
      c = emptyCounters();
      this.byOutput.set(name, c);
    }
    return c;
  }

  /** A copy of every output's counters, keyed by output name. */
  snapshot(): MetricsSnapshot {
    const out: MetricsSnapshot = {};
    for (const [name, c] of [...this.byOutput].sort(([a], [b]) => a.localeCompare(b))) out[name] = { ...c };
    return out;
  }
}
