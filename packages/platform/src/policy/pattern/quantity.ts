/**
 * Kubernetes resource quantities (resource.ParseQuantity) and Go durations (time.ParseDuration), the
 * two unit-bearing forms Kyverno compares in patterns and conditions. Quantities are compared as
 * doubles, which is exact for every value written in practice (integers below 2^53 and short decimals).
 */

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY_RE =
  /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/;

/** The value of a quantity string, or undefined when it is not one. */
export function parseQuantity(s: string): number | undefined {
  if (s.length === 0 || s.length > 64) return undefined;
  const m = QUANTITY_RE.exec(s.trim() === s ? s : '');
  if (!m) return undefined;
  const num = Number(m[1]);
  if (!Number.isFinite(num)) return undefined;
  if (m[2]) return Number(`${m[1]}${m[2]}`);
  const suffix = m[3] ?? '';
  const mult = BINARY[suffix] ?? DECIMAL[suffix];
  if (mult === undefined) return undefined;
  return num * mult;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};
const DURATION_PART = /([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/y;

/** Seconds of a Go duration string ("1h30m", "-2.5s", "0"), or undefined when it is not one. */
export function parseDuration(s: string): number | undefined {
  if (s.length === 0 || s.length > 64) return undefined;
  let i = 0;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    i = 1;
  }
  if (s.slice(i) === '0') return 0;
  if (i >= s.length) return undefined;
  let total = 0;
  while (i < s.length) {
    DURATION_PART.lastIndex = i;
    const m = DURATION_PART.exec(s);
    if (!m || m.index !== i || m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    i = DURATION_PART.lastIndex;
  }
  return sign * total;
}
