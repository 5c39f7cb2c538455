/**
 * Condition operators of Kyverno preconditions and deny rules (pkg/engine/variables/operator):
 * Equals, NotEquals, In, AnyIn, AllIn, NotIn, AnyNotIn, AllNotIn, GreaterThan, GreaterThanOrEquals,
 * LessThan, LessThanOrEquals, DurationGreaterThan, DurationGreaterThanOrEquals, DurationLessThan,
 * DurationLessThanOrEquals. Keys and values arrive here with variables already substituted.
 *
 * Operator names are matched case-insensitively, as upstream does. An unknown operator is an error
 * the caller reports (the rule yields `error`).
 */
import semver from 'semver';
import { parseDuration, parseQuantity } from './quantity.js';
import { compileStringPattern } from './scalar.js';
import { wildcardMatch } from './wildcard.js';

export const CONDITION_OPERATORS = [
  'Equals',
  'NotEquals',
  'Equal',
  'NotEqual',
  'In',
  'AnyIn',
  'AllIn',
  'NotIn',
  'AnyNotIn',
  'AllNotIn',
  'GreaterThan',
  'GreaterThanOrEquals',
  'LessThan',
  'LessThanOrEquals',
  'DurationGreaterThan',
  'DurationGreaterThanOrEquals',
  'DurationLessThan',
  'DurationLessThanOrEquals',
] as const;

const BY_LOWER = new Map<string, string>(CONDITION_OPERATORS.map((o) => [o.toLowerCase(), o]));

/** The canonical name of an operator, or undefined when unknown. */
export function canonicalOperator(op: string): string | undefined {
  return BY_LOWER.get(op.toLowerCase());
}

/** Go's fmt.Sprint of a decoded JSON value. */
export function goSprint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
    const s = String(v);
    return s.replace(/e([+-])(\d)$/, 'e$10$2');
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(goSprint).join(' ')}]`;
  return `map[${Object.keys(v)
    .sort()
    .map((k) => `${k}:${goSprint((v as Record<string, unknown>)[k])}`)
    .join(' ')}]`;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a);
  const bo = b as Record<string, unknown>;
  if (ka.length !== Object.keys(bo).length) return false;
  return ka.every(
    (k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual((a as Record<string, unknown>)[k], bo[k]),
  );
}

/** Both sides as seconds when at least one is a Go duration string (numbers count as seconds). */
function durations(key: unknown, value: unknown): [number, number] | undefined {
  const asDuration = (v: unknown): number | undefined => {
    if (typeof v !== 'string') return undefined;
    const d = parseDuration(v);
    return d !== undefined && d !== 0 ? d : undefined;
  };
  let k = asDuration(key);
  let v = asDuration(value);
  if (k === undefined && v === undefined) return undefined;
  if (k === undefined) {
    if (typeof key !== 'number') return undefined;
    k = key;
  }
  if (v === undefined) {
    if (typeof value !== 'number') return undefined;
    v = value;
  }
  return [k, v];
}

function quantities(key: unknown, value: unknown): [number, number] | undefined {
  if (typeof key !== 'string' || typeof value !== 'string') return undefined;
  const k = parseQuantity(key);
  const v = parseQuantity(value);
  return k === undefined || v === undefined ? undefined : [k, v];
}

const FLOAT_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:inf|infinity|nan)$/i;
function parseFloatGo(s: string): number | undefined {
  if (!FLOAT_RE.test(s)) return undefined;
  return Number(s.replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
}

function equals(key: unknown, value: unknown): boolean {
  if (typeof key === 'boolean') return value === key;
  if (typeof key === 'number') {
    if (typeof value === 'number') return value === key;
    if (typeof value === 'string') {
      const d = durations(key, value);
      if (d) return d[0] === d[1];
      const f = parseFloatGo(value);
      return f !== undefined && f === key;
    }
    return false;
  }
  if (typeof key === 'string') {
    const d = durations(key, value);
    if (d) return d[0] === d[1];
    const q = quantities(key, value);
    if (q) return q[0] === q[1];
    if (typeof value === 'string') return wildcardMatch(value, key);
    return false;
  }
  if (key === null || key === undefined) return value === null || value === undefined;
  if (typeof key === 'object') return deepEqual(key, value);
  return false;
}

/** Splits the value side of the set operators: an array, a JSON array in a string, or one string. */
function valueList(value: unknown): string[] | 'range' | undefined {
  if (Array.isArray(value)) return value.map(goSprint);
  if (typeof value === 'number') return [goSprint(value)];
  if (typeof value === 'string') {
    if (/^([-|+]?\d+(?:\.\d+)?[A-Za-z]*)-([-|+]?\d+(?:\.\d+)?[A-Za-z]*)$/.test(value)) return 'range';
    const t = value.trim();
    if (t.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(t);
        if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed;
        return undefined;
      } catch {
        // not JSON: one string
      }
    }
    return [value];
  }
  return undefined;
}

function keyList(key: unknown): string[] | undefined {
  if (Array.isArray(key)) return key.map(goSprint);
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean') return [goSprint(key)];
  return undefined;
}

function inSet(k: string, values: string[]): boolean {
  for (const v of values) if (wildcardMatch(v, k) || wildcardMatch(k, v)) return true;
  return false;
}

/** For each key, whether it is in the value (list, JSON list, single string or numeric range). */
function membership(key: unknown, value: unknown): boolean[] | undefined {
  const keys = keyList(key);
  if (!keys) return undefined;
  const values = valueList(value);
  if (values === undefined) return undefined;
  if (values === 'range') {
    const pred = compileStringPattern(value as string);
    return keys.map((k) => pred(k));
  }
  return keys.map((k) => inSet(k, values));
}

/**
 * semver.parse, skipped for strings that cannot be a version (semver.parse builds and catches an
 * exception for each of them, and most condition keys are not versions). `v?N.N.N` is what every
 * strict semver version starts with after trimming.
 */
const SEMVER_START = /^\s*v?\d+\.\d+\.\d+/;
function parseSemver(s: string): semver.SemVer | null {
  return SEMVER_START.test(s) ? semver.parse(s) : null;
}

function numeric(key: unknown, value: unknown, cmp: (a: number) => boolean): boolean {
  const compare = (a: number, b: number): boolean => cmp(a < b ? -1 : a > b ? 1 : 0);
  const withNumberKey = (k: number): boolean => {
    if (typeof value === 'number') return compare(k, value);
    if (typeof value === 'string') {
      const d = durations(k, value);
      if (d) return compare(d[0], d[1]);
      const f = parseFloatGo(value);
      return f !== undefined && compare(k, f);
    }
    return false;
  };
  if (typeof key === 'number') return withNumberKey(key);
  if (typeof key === 'string') {
    const d = durations(key, value);
    if (d) return compare(d[0], d[1]);
    const q = quantities(key, value);
    if (q) return compare(q[0], q[1]);
    const f = parseFloatGo(key);
    if (f !== undefined) return withNumberKey(f);
    const kv = parseSemver(key);
    if (kv && typeof value === 'string') {
      const vv = parseSemver(value);
      return vv !== null && cmp(semver.compare(kv, vv));
    }
    return false;
  }
  return false;
}

function durationCompare(key: unknown, value: unknown, cmp: (a: number) => boolean): boolean {
  const secs = (v: unknown): number | undefined => {
    if (typeof v === 'number') return v;
    if (typeof v === 'string') return parseDuration(v);
    return undefined;
  };
  const k = secs(key);
  const v = secs(value);
  if (k === undefined || v === undefined) return false;
  return cmp(k < v ? -1 : k > v ? 1 : 0);
}

/**
 * Evaluates one condition. Returns undefined for an unknown operator.
 */
export function evaluateOperator(operator: string, key: unknown, value: unknown): boolean | undefined {
  switch (canonicalOperator(operator)) {
    case 'Equals':
    case 'Equal':
      return equals(key, value);
    case 'NotEquals':
    case 'NotEqual':
      return !equals(key, value);
    case 'In':
    case 'AllIn': {
      const m = membership(key, value);
      return m !== undefined && m.every(Boolean);
    }
    case 'NotIn': {
      const m = membership(key, value);
      return m !== undefined && !m.every(Boolean);
    }
    case 'AnyIn': {
      const m = membership(key, value);
      return m !== undefined && m.some(Boolean);
    }
    case 'AnyNotIn': {
      const m = membership(key, value);
      return m !== undefined && m.some((x) => !x);
    }
    case 'AllNotIn': {
      const m = membership(key, value);
      return m !== undefined && m.every((x) => !x);
    }
    case 'GreaterThan':
      return numeric(key, value, (c) => c > 0);
    case 'GreaterThanOrEquals':
      return numeric(key, value, (c) => c >= 0);
    case 'LessThan':
      return numeric(key, value, (c) => c < 0);
    case 'LessThanOrEquals':
      return numeric(key, value, (c) => c <= 0);
    case 'DurationGreaterThan':
      return durationCompare(key, value, (c) => c > 0);
    case 'DurationGreaterThanOrEquals':
      return durationCompare(key, value, (c) => c >= 0);
    case 'DurationLessThan':
      return durationCompare(key, value, (c) => c < 0);
    case 'DurationLessThanOrEquals':
      return durationCompare(key, value, (c) => c <= 0);
    default:
      return undefined;
  }
}
