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
const CANONICAL = new Set<string>(CONDITION_OPERATORS);

/** The canonical name of an operator, or undefined when unknown. */
export function canonicalOperator(op: string): string | undefined {
  // operators are usually spelled as documented: no lower-cased copy for those
  if (CANONICAL.has(op)) return op;
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

/** A range value ("1-10"): each key is matched against the range pattern. */
const RANGE: unique symbol = Symbol('range');

/**
 * The value side of the set operators: a list (its elements read through goSprint), a JSON list in a
 * string, one string, RANGE (a numeric range), or undefined when it has none of those forms. The usual
 * list or single string is used as it is (no list of strings made per evaluation).
 */
function valueSet(value: unknown): readonly unknown[] | string | typeof RANGE | undefined {
  if (Array.isArray(value)) return value as unknown[];
  if (typeof value === 'number') return goSprint(value);
  if (typeof value === 'string') {
    if (/^([-|+]?\d+(?:\.\d+)?[A-Za-z]*)-([-|+]?\d+(?:\.\d+)?[A-Za-z]*)$/.test(value)) return RANGE;
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
    return value;
  }
  return undefined;
}

function inSet(k: string, values: readonly unknown[] | string): boolean {
  if (typeof values === 'string') return wildcardMatch(values, k) || wildcardMatch(k, values);
  for (let i = 0; i < values.length; i++) {
    const v = goSprint(values[i]);
    if (wildcardMatch(v, k) || wildcardMatch(k, v)) return true;
  }
  return false;
}

/**
 * How many of the keys (a list, or one scalar) are in the value (list, JSON list, single string or
 * numeric range); -1 when the key or the value has no list form. A count, not a list of booleans: the
 * set operators only need how many.
 */
function membership(key: unknown, value: unknown): number {
  const keys: readonly unknown[] | undefined = Array.isArray(key) ? key : undefined;
  if (!keys && typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean') return -1;
  const values = valueSet(value);
  if (values === undefined) return -1;
  const pred = values === RANGE ? compileStringPattern(value as string) : undefined;
  const n = keys ? keys.length : 1;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const k = goSprint(keys ? keys[i] : key);
    if (pred ? pred(k) : inSet(k, values as readonly unknown[] | string)) hits++;
  }
  return hits;
}

function keyCount(key: unknown): number {
  return Array.isArray(key) ? key.length : 1;
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

// The comparison of a numeric or duration operator: a code, not a closure made per evaluation
const GT = 0;
const GTE = 1;
const LT = 2;
const LTE = 3;

function holds(c: number, op: number): boolean {
  switch (op) {
    case GT:
      return c > 0;
    case GTE:
      return c >= 0;
    case LT:
      return c < 0;
    default:
      return c <= 0;
  }
}

function compareNumbers(a: number, b: number, op: number): boolean {
  return holds(a < b ? -1 : a > b ? 1 : 0, op);
}

function withNumberKey(k: number, value: unknown, op: number): boolean {
  if (typeof value === 'number') return compareNumbers(k, value, op);
  if (typeof value === 'string') {
    const d = durations(k, value);
    if (d) return compareNumbers(d[0], d[1], op);
    const f = parseFloatGo(value);
    return f !== undefined && compareNumbers(k, f, op);
  }
  return false;
}

function numeric(key: unknown, value: unknown, op: number): boolean {
  if (typeof key === 'number') return withNumberKey(key, value, op);
  if (typeof key === 'string') {
    const d = durations(key, value);
    if (d) return compareNumbers(d[0], d[1], op);
    const q = quantities(key, value);
    if (q) return compareNumbers(q[0], q[1], op);
    const f = parseFloatGo(key);
    if (f !== undefined) return withNumberKey(f, value, op);
    const kv = parseSemver(key);
    if (kv && typeof value === 'string') {
      const vv = parseSemver(value);
      return vv !== null && holds(semver.compare(kv, vv), op);
    }
    return false;
  }
  return false;
}

function durationSeconds(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return parseDuration(v);
  return undefined;
}

function durationCompare(key: unknown, value: unknown, op: number): boolean {
  const k = durationSeconds(key);
  const v = durationSeconds(value);
  if (k === undefined || v === undefined) return false;
  return compareNumbers(k, v, op);
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
      return m >= 0 && m === keyCount(key);
    }
    case 'NotIn': {
      const m = membership(key, value);
      return m >= 0 && m !== keyCount(key);
    }
    case 'AnyIn':
      return membership(key, value) > 0;
    case 'AnyNotIn': {
      const m = membership(key, value);
      return m >= 0 && m < keyCount(key);
    }
    case 'AllNotIn':
      return membership(key, value) === 0;
    case 'GreaterThan':
      return numeric(key, value, GT);
    case 'GreaterThanOrEquals':
      return numeric(key, value, GTE);
    case 'LessThan':
      return numeric(key, value, LT);
    case 'LessThanOrEquals':
      return numeric(key, value, LTE);
    case 'DurationGreaterThan':
      return durationCompare(key, value, GT);
    case 'DurationGreaterThanOrEquals':
      return durationCompare(key, value, GTE);
    case 'DurationLessThan':
      return durationCompare(key, value, LT);
    case 'DurationLessThanOrEquals':
      return durationCompare(key, value, LTE);
    default:
      return undefined;
  }
}
