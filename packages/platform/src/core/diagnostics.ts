/**
 * Diagnostics are expected outcomes: a skipped file, a malformed entry, a bound
 * that was hit. They are collected and reported (counted per code), never thrown.
 */
import type { SourceLocation } from './location.js';
import { formatLocation } from './location.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  location?: SourceLocation;
}

export class Diagnostics {
  readonly items: Diagnostic[] = [];
  private readonly limit: number;
  private dropped = 0;

  constructor(limit = 10_000) {
    this.limit = limit;
  }

  add(d: Diagnostic): void {
    if (this.items.length >= this.limit) {
      this.dropped++;
      return;
    }
    this.items.push(d);
  }

  warn(code: string, message: string, location?: SourceLocation): void {
    this.add(
      location ? { code, severity: 'warning', message, location } : { code, severity: 'warning', message },
    );
  }

  error(code: string, message: string, location?: SourceLocation): void {
    this.add(
      location ? { code, severity: 'error', message, location } : { code, severity: 'error', message },
    );
  }

  merge(list: readonly Diagnostic[]): void {
    for (const d of list) this.add(d);
  }

  get droppedCount(): number {
    return this.dropped;
  }

  countsByCode(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const d of this.items) out[d.code] = (out[d.code] ?? 0) + 1;
    return out;
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.location ? `${formatLocation(d.location)}: ` : '';
  return `${d.severity} ${d.code}: ${where}${d.message}`;
}
