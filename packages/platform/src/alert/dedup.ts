/**
 * The dedup window: an alert with the same rule, hostname, source and output
 * fields as one accepted less than `windowMs` ago is counted and not resent.
 * The window starts at the first accepted alert and is not extended by the
 * repeats (so a rule that fires continuously is sent once per window).
 * Keys are bounded: past `maxKeys` the oldest key is forgotten.
 */
import type { FalcoAlert } from './types.js';

/** JSON with object keys sorted, so field order does not make two alerts differ. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

export function dedupKey(a: FalcoAlert): string {
  return `${a.rule}\u0000${a.hostname}\u0000${a.source}\u0000${stableJson(a.output_fields)}`;
}

export class DedupWindow {
  /** key → time the window closes; insertion order is expiry order. */
  private readonly until = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** True when the alert is a repeat inside the window; otherwise records it and returns false. */
  isRepeat(a: FalcoAlert, now: number): boolean {
    if (this.windowMs <= 0) return false;
    const key = dedupKey(a);
    const end = this.until.get(key);
    if (end !== undefined && now < end) return true;
    if (end !== undefined) this.until.delete(key);
    this.until.set(key, now + this.windowMs);
    this.prune(now);
    return false;
  }

  get size(): number {
    return this.until.size;
  }

  private prune(now: number): void {
    for (const [k, end] of this.until) {
      if (end > now && this.until.size <= this.maxKeys) break;
      this.until.delete(k);
    }
  }
}
