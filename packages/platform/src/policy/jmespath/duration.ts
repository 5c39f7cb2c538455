/**
 * Go's time.Duration: ParseDuration and Duration.String(), in BigInt
 * nanoseconds (int64 range), as Kyverno's arithmetic and time functions use them.
 */

export const NANOS = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5
  μs: 1_000n, // U+03BC
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
} as const;

const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);

export class DurationParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationParseError';
  }
}

/** time.ParseDuration: "300ms", "-1.5h", "2h45m". Returns nanoseconds. */
export function parseDuration(text: string): bigint {
  const orig = text;
  const quoted = JSON.stringify(orig);
  let s = text;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw new DurationParseError(`time: invalid duration ${quoted}`);
  if (s.length > 256) throw new DurationParseError(`time: invalid duration ${quoted}`);
  let total = 0n;
  while (s !== '') {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s);
    const intDigits = m?.[1] ?? '';
    const fracDigits = m?.[2];
    if (intDigits === '' && (fracDigits === undefined || fracDigits === '')) {
      throw new DurationParseError(`time: invalid duration ${quoted}`);
    }
    s = s.slice(m?.[0].length ?? 0);
    const um = /^[^0-9.]+/.exec(s);
    if (!um) throw new DurationParseError(`time: missing unit in duration ${quoted}`);
    const unitText = um[0];
    const unit = (NANOS as Record<string, bigint>)[unitText];
    if (unit === undefined)
      throw new DurationParseError(`time: unknown unit ${JSON.stringify(unitText)} in duration ${quoted}`);
    s = s.slice(unitText.length);
    let v = BigInt(intDigits === '' ? '0' : intDigits) * unit;
    if (fracDigits) {
      // Go truncates the fractional part to nanosecond precision.
      const scale = 10n ** BigInt(fracDigits.length);
      v += (BigInt(fracDigits) * unit) / scale;
    }
    total += v;
    if (total > MAX_INT64 + (neg ? 1n : 0n)) throw new DurationParseError(`time: invalid duration ${quoted}`);
  }
  return neg ? -total : total;
}

export function isDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

/** Clamps to int64 as Go's conversion of an out-of-range float does not, but never throws. */
export function clampDuration(n: bigint): bigint {
  return n > MAX_INT64 ? MAX_INT64 : n < MIN_INT64 ? MIN_INT64 : n;
}

/** Go's float64 → Duration conversion (truncation toward zero). */
export function durationFromSeconds(seconds: number): bigint {
  const ns = seconds * 1e9;
  if (!Number.isFinite(ns)) return ns > 0 ? MAX_INT64 : MIN_INT64;
  return clampDuration(BigInt(Math.trunc(ns)));
}

export function durationSeconds(d: bigint): number {
  const sec = d / 1_000_000_000n;
  const nsec = d % 1_000_000_000n;
  return Number(sec) + Number(nsec) / 1e9;
}

function fracString(v: bigint, digits: number): [string, bigint] {
  // Returns the fractional digits of v (scaled by 10^digits), trailing zeros trimmed, and v / 10^digits.
  let frac = '';
  let printed = false;
  let rest = v;
  for (let i = 0; i < digits; i++) {
    const d = rest % 10n;
    printed = printed || d !== 0n;
    if (printed) frac = d.toString() + frac;
    rest /= 10n;
  }
  return [frac === '' ? '' : '.' + frac, rest];
}

/** Duration.String(): "1h0m0s", "1.5s", "100ms", "0s", "1µs". */
export function formatDuration(d: bigint): string {
  if (d === 0n) return '0s';
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < 1_000_000_000n) {
    // Sub-second: use ns, µs or ms.
    if (u < 1_000n) out = `${u}ns`;
    else if (u < 1_000_000n) {
      const [f, w] = fracString(u, 3);
      out = `${w}${f}µs`;
    } else {
      const [f, w] = fracString(u, 6);
      out = `${w}${f}ms`;
    }
  } else {
    const [f, secs] = fracString(u, 9);
    u = secs;
    const s = u % 60n;
    u /= 60n;
    out = `${s}${f}s`;
    if (u > 0n) {
      const m = u % 60n;
      u /= 60n;
      out = `${m}m${out}`;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return (neg ? '-' : '') + out;
}
