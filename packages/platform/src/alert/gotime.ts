/**
 * Go's renderings of a time, as falcosidekick's payloads contain them:
 * time.Time.String() ("2006-01-02 15:04:05.999999999 -0700 MST") in Slack's
 * time field and RFC3339Nano in Alertmanager's endsAt. Times are rendered in
 * UTC, as a Falco alert time (always `Z`) decodes in Go.
 */
import { timeNanos } from './types.js';

function parts(nanos: bigint): { date: string; clock: string; frac: string } {
  const ms = Number(nanos / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2024-05-01T12:00:00.123Z
  const ns = ((nanos % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  return {
    date: iso.slice(0, 10),
    clock: iso.slice(11, 19),
    frac: ns === 0n ? '' : `.${ns.toString().padStart(9, '0').replace(/0+$/, '')}`,
  };
}

/** `2024-05-01 12:00:00.123456789 +0000 UTC` (trailing zeros of the fraction dropped). */
export function goTimeString(rfc3339: string): string {
  const p = parts(timeNanos(rfc3339));
  return `${p.date} ${p.clock}${p.frac} +0000 UTC`;
}

/** `2024-05-01T12:00:00.123456789Z` (RFC3339Nano: trailing zeros dropped). */
export function rfc3339Nano(nanos: bigint): string {
  const p = parts(nanos);
  return `${p.date}T${p.clock}${p.frac}Z`;
}
