/**
 * Kubernetes resource.Quantity: parsing, exact decimal arithmetic and the
 * canonical string form (k8s.io/apimachinery/pkg/api/resource), as Kyverno's
 * arithmetic functions use it (`add('1Gi','1Mi')` → "1025Mi").
 *
 * A quantity is held exactly as `unscaled × 10^-scale` (BigInt), the way
 * inf.Dec holds it, with the format the text was written in.
 */

export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

export interface Quantity {
  /** value = unscaled × 10^(-scale) */
  unscaled: bigint;
  scale: number;
  format: QuantityFormat;
}

export class QuantityParseError extends Error {
  constructor(text: string) {
    super(
      `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (got ${JSON.stringify(text)})`,
    );
    this.name = 'QuantityParseError';
  }
}

const MAX_QUANTITY_TEXT = 256;
const DECIMAL_SUFFIX: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXP = new Map<number, string>(Object.entries(DECIMAL_SUFFIX).map(([k, v]) => [v, k]));
const BINARY_BY_EXP = new Map<number, string>(Object.entries(BINARY_SUFFIX).map(([k, v]) => [v, k]));

const QUANTITY_RE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

/** Parses a quantity the way resource.ParseQuantity does; throws QuantityParseError. */
export function parseQuantity(text: string): Quantity {
  if (text.length === 0 || text.length > MAX_QUANTITY_TEXT) throw new QuantityParseError(text);
  const m = QUANTITY_RE.exec(text);
  if (!m) throw new QuantityParseError(text);
  const numText = m[1] ?? '';
  const suffix = m[2] ?? '';
  let sign = 1n;
  let digits = numText;
  if (digits.startsWith('+') || digits.startsWith('-')) {
    if (digits.startsWith('-')) sign = -1n;
    digits = digits.slice(1);
  }
  const parts = digits.split('.');
  if (parts.length > 2) throw new QuantityParseError(text);
  const intPart = parts[0] ?? '';
  const fracPart = parts[1] ?? '';
  if (intPart.length === 0 && fracPart.length === 0) throw new QuantityParseError(text);
  if (!/^[0-9]*$/.test(intPart) || !/^[0-9]*$/.test(fracPart)) throw new QuantityParseError(text);
  let unscaled = sign * BigInt((intPart + fracPart).replace(/^0+(?=.)/, '') || '0');
  let scale = fracPart.length;
  let format: QuantityFormat;
  if (suffix in BINARY_SUFFIX) {
    format = 'BinarySI';
    unscaled *= 1n << BigInt(BINARY_SUFFIX[suffix] ?? 0);
  } else if (suffix in DECIMAL_SUFFIX) {
    format = 'DecimalSI';
    scale -= DECIMAL_SUFFIX[suffix] ?? 0;
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    const exp = Number(suffix.slice(1));
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 1000) throw new QuantityParseError(text);
    scale -= exp;
  } else {
    throw new QuantityParseError(text);
  }
  // Quantities are limited to nano precision: round up (away from zero) to 10^-9.
  if (scale > 9) {
    const div = 10n ** BigInt(scale - 9);
    const q = unscaled / div;
    const r = unscaled % div;
    unscaled = r === 0n ? q : q + (unscaled > 0n ? 1n : -1n);
    scale = 9;
  }
  return { unscaled, scale, format };
}

export function isQuantity(text: string): boolean {
  try {
    parseQuantity(text);
    return true;
  } catch {
    return false;
  }
}

function align(a: Quantity, b: Quantity): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.unscaled * 10n ** BigInt(scale - a.scale), b.unscaled * 10n ** BigInt(scale - b.scale), scale];
}

/** Result format follows resource.Quantity.Add: the receiver's, or the other's when the receiver is zero. */
function resultFormat(a: Quantity, b: Quantity): QuantityFormat {
  return a.unscaled === 0n ? b.format : a.format;
}

export function addQuantities(a: Quantity, b: Quantity): Quantity {
  const [x, y, scale] = align(a, b);
  return { unscaled: x + y, scale, format: resultFormat(a, b) };
}

export function subtractQuantities(a: Quantity, b: Quantity): Quantity {
  const [x, y, scale] = align(a, b);
  return { unscaled: x - y, scale, format: resultFormat(a, b) };
}

export function multiplyQuantities(a: Quantity, b: Quantity, format: QuantityFormat): Quantity {
  return { unscaled: a.unscaled * b.unscaled, scale: a.scale + b.scale, format };
}

/** a / b rounded toward zero at the given scale (inf.Dec QuoRound with RoundDown). */
export function divideQuantities(a: Quantity, b: Quantity, scale: number, format: QuantityFormat): Quantity {
  // a/b = (ua/ub) × 10^(sb - sa); want result unscaled at `scale`.
  const shift = scale + b.scale - a.scale;
  let num = a.unscaled;
  let den = b.unscaled;
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  return { unscaled: num / den, scale, format };
}

export function quantityToNumber(q: Quantity): number {
  return Number(q.unscaled) / 10 ** q.scale;
}

export function compareQuantities(a: Quantity, b: Quantity): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Canonical string form, as resource.Quantity.String(). */
export function formatQuantity(q: Quantity): string {
  if (q.unscaled === 0n) return '0';
  const negative = q.unscaled < 0n;
  const abs = negative ? -q.unscaled : q.unscaled;
  let format = q.format;
  if (format === 'BinarySI') {
    // |v| < 1024 is shown as DecimalSI; so is a value that is not a whole number.
    const absQ: Quantity = { unscaled: abs, scale: q.scale, format };
    const isWhole = q.scale <= 0 || abs % 10n ** BigInt(q.scale) === 0n;
    if (compareQuantities(absQ, { unscaled: 1024n, scale: 0, format }) < 0 || !isWhole) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let value = q.scale <= 0 ? abs * 10n ** BigInt(-q.scale) : abs / 10n ** BigInt(q.scale);
    let exp = 0;
    while (value % 1024n === 0n && exp < 60) {
      value /= 1024n;
      exp += 10;
    }
    return (negative ? '-' : '') + value.toString() + (BINARY_BY_EXP.get(exp) ?? '');
  }
  // Decimal: move all factors of ten into the exponent, then make it a multiple of 3.
  let mantissa = abs;
  let exponent = -q.scale;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  while (((exponent % 3) + 3) % 3 !== 0) {
    mantissa *= 10n;
    exponent--;
  }
  let suffix: string;
  if (format === 'DecimalExponent') {
    suffix = exponent === 0 ? '' : `e${exponent}`;
  } else {
    const s = DECIMAL_BY_EXP.get(exponent);
    suffix = s ?? `e${exponent}`;
  }
  return (negative ? '-' : '') + mantissa.toString() + suffix;
}

/** Quantity from a JS number via its shortest decimal form (Go's fmt %v of a float64). */
export function quantityFromNumber(n: number): Quantity {
  return parseQuantity(goFloatString(n));
}

/** Go's `fmt.Sprintf("%v", float64)`: shortest representation, exponent form when exp < -4 or >= 21. */
export function goFloatString(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const abs = Math.abs(n);
  const exp = Math.floor(Math.log10(abs));
  if (exp < -4 || exp >= 21) {
    const [m, e] = n.toExponential().split('e');
    const ev = Number(e);
    return `${m}e${ev < 0 ? '-' : '+'}${String(Math.abs(ev)).padStart(2, '0')}`;
  }
  return String(n);
}
