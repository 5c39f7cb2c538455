/**
 * Conversion between JSON values (as YAML/JSON parsing gives them) and CEL values as
 * @marcbachmann/cel-js holds them: JSON integers become CEL `int` (bigint), as Kubernetes'
 * unstructured conversion does; other numbers stay `double`. Results come back as JSON.
 */
import { Optional } from '@marcbachmann/cel-js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Input bound: values nested deeper than this are rejected (hostile documents). */
export const MAX_VALUE_DEPTH = 256;

export class CelValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelValueError';
  }
}

/** JSON → CEL value (integers as bigint). */
export function toCel(v: unknown, depth = 0): unknown {
  if (depth > MAX_VALUE_DEPTH) throw new CelValueError(`value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (v === undefined) return null;
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => toCel(x, depth + 1));
  if (v instanceof Date || v instanceof Uint8Array || v instanceof Optional) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toCel(x, depth + 1);
  return out;
}

/** CEL value → JSON (bigint → number, Map → object, Date → RFC 3339 string). */
export function fromCel(v: unknown, depth = 0): unknown {
  if (depth > MAX_VALUE_DEPTH) throw new CelValueError(`value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  if (typeof v === 'bigint') return Number(v);
  if (v === null || v === undefined || typeof v !== 'object') return v ?? null;
  if (Array.isArray(v)) return v.map((x) => fromCel(x, depth + 1));
  if (v instanceof Date) return v.toISOString().replace('.000Z', 'Z');
  if (v instanceof Optional) return v.hasValue() ? fromCel(v.value(), depth + 1) : null;
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) out[String(k)] = fromCel(x, depth + 1);
    return out;
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = fromCel(x, depth + 1);
  return out;
}

/** Typed-ish reading helpers for library functions that receive CEL values. */
export function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);
}
