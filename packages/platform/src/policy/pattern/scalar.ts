/**
 * Scalar pattern values (Kyverno's pkg/engine/pattern.Validate): booleans, numbers, null and strings
 * with operators. A string pattern is split on `|` (any) then `&` (all); each part may start with an
 * operator (`>=`, `<=`, `>`, `<`, `!`) or be a range (`1-10`, `1!-10`). Equality compares as a quantity
 * when both sides are quantities, otherwise as a wildcard match on the value's string form.
 * Patterns are compiled once into predicates.
 */
import { parseDuration, parseQuantity } from './quantity.js';
import { wildcardMatch } from './wildcard.js';

export type ScalarPredicate = (value: unknown) => boolean;

type Op = '' | '!' | '>' | '<' | '>=' | '<=';

const IN_RANGE = /^([-|+]?\d+(?:\.\d+)?[A-Za-z]*)-([-|+]?\d+(?:\.\d+)?[A-Za-z]*)$/;
const NOT_IN_RANGE = /^([-|+]?\d+(?:\.\d+)?[A-Za-z]*)!-([-|+]?\d+(?:\.\d+)?[A-Za-z]*)$/;

function operatorOf(p: string): Op {
  if (p.length < 2) return '';
  if (p.startsWith('>=')) return '>=';
  if (p.startsWith('<=')) return '<=';
  if (p.startsWith('>')) return '>';
  if (p.startsWith('<')) return '<';
  if (p.startsWith('!')) return '!';
  return '';
}

/** Go's `%f` of a float64 for the quantity comparison; integers as they are. */
function numberToString(value: unknown): string | undefined {
  if (value === null || value === undefined) return '0';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(6);
  return undefined;
}

/** Go's strconv.FormatFloat(v, 'E', -1, 64) for non-integers; integers in decimal (Kyverno sees int64). */
function scalarToString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    const [m, e] = value.toExponential().split('e');
    const exp = Number(e);
    return `${(m as string).toUpperCase()}E${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return undefined;
}

function cmp(result: number, op: Op): boolean {
  switch (op) {
    case '':
      return result === 0;
    case '!':
      return result !== 0;
    case '>':
      return result > 0;
    case '<':
      return result < 0;
    case '>=':
      return result >= 0;
    case '<=':
      return result <= 0;
  }
}

function compileSimple(pattern: string, op: Op): ScalarPredicate {
  const patternQuantity = parseQuantity(pattern);
  const patternDuration = parseQuantity(pattern) === undefined ? parseDuration(pattern) : undefined;
  return (value) => {
    // durations ("30s" > "10s"), then quantities ("1Gi" > "512Mi"), then strings with wildcards
    if (patternDuration !== undefined && typeof value === 'string') {
      const d = parseDuration(value);
      if (d !== undefined && cmp(Math.sign(d - patternDuration), op)) return true;
    }
    if (patternQuantity !== undefined) {
      const s = numberToString(value);
      const q = s === undefined ? undefined : parseQuantity(s);
      if (q !== undefined && cmp(Math.sign(q - patternQuantity), op)) return true;
    }
    if (op === '' || op === '!') {
      const s = scalarToString(value);
      if (s === undefined) return false;
      const m = wildcardMatch(pattern, s);
      return op === '!' ? !m : m;
    }
    return false;
  };
}

function compileCondition(condition: string): ScalarPredicate {
  const op = operatorOf(condition);
  if (op === '' || op === '!') {
    // ranges are checked after the prefix operators, as upstream does
    const inRange = op === '' ? IN_RANGE.exec(condition) : null;
    if (inRange) {
      const lo = compileSimple(inRange[1] as string, '>=');
      const hi = compileSimple(inRange[2] as string, '<=');
      return (v) => lo(v) && hi(v);
    }
    const notInRange = NOT_IN_RANGE.exec(condition);
    if (notInRange) {
      const lo = compileSimple(notInRange[1] as string, '<');
      const hi = compileSimple(notInRange[2] as string, '>');
      return (v) => lo(v) || hi(v);
    }
  }
  return compileSimple(condition.slice(op.length).trim(), op);
}

/** Compiles a string pattern such as `>=1 & <=10 | *-debug`. */
export function compileStringPattern(pattern: string): ScalarPredicate {
  const anyOf = pattern.split('|').map((alt) =>
    alt
      .trim()
      .split('&')
      .map((c) => compileCondition(c.trim())),
  );
  return (value) => {
    if (value === pattern) return true;
    for (const allOf of anyOf) {
      let ok = true;
      for (const p of allOf) {
        if (!p(value)) {
          ok = false;
          break;
        }
      }
      if (ok) return true;
    }
    return false;
  };
}

/** Compiles any scalar pattern (string, number, boolean or null). */
export function compileScalarPattern(pattern: unknown): ScalarPredicate {
  if (typeof pattern === 'string') return compileStringPattern(pattern);
  if (typeof pattern === 'boolean') return (v) => v === pattern;
  if (typeof pattern === 'number') {
    if (Number.isInteger(pattern)) {
      return (v) => {
        if (typeof v === 'number') return Number.isInteger(v) && v === pattern;
        if (typeof v === 'string') return /^[+-]?\d+$/.test(v) && Number(v) === pattern;
        return false;
      };
    }
    return (v) => {
      if (typeof v === 'number') return v === pattern;
      if (typeof v === 'string') return v.trim() !== '' && Number(v) === pattern;
      return false;
    };
  }
  if (pattern === null || pattern === undefined) {
    return (v) => v === null || v === undefined || v === '' || v === 0 || v === false;
  }
  if (typeof pattern === 'object' && !Array.isArray(pattern)) {
    return (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
  }
  return () => false;
}
