/**
 * Compiles a filter AST (macros already substituted) into a predicate over
 * events of one source. Field references are resolved against the source's
 * field table once; operands are parsed to the field's type once; the hot path
 * is a tree of closures.
 *
 * Semantics follow libsinsp: a field that cannot be extracted makes its check
 * false; list fields compare with `in` (every value in the set), `intersects`
 * (some value in the set) and `exists`; regexes match the whole value (RE2).
 */
import type { BinaryCheckNode, Expr, FieldNode, Operand, Pos, TransformerNode } from './ast.js';
import { compileRegex, globMatch, parseIp, parseNet, pathPrefixMatcher } from './match.js';
import type {
  EventSourceDef,
  FieldDef,
  FieldType,
  FieldValue,
  RuntimeEvent,
  Scalar,
} from '../fields/types.js';
import { FieldError, memoized } from '../fields/types.js';

export type Predicate = (e: RuntimeEvent) => boolean;
type Extract = (e: RuntimeEvent) => FieldValue;

export class FilterCompileError extends Error {
  readonly pos: Pos;
  constructor(message: string, pos: Pos) {
    super(message);
    this.name = 'FilterCompileError';
    this.pos = pos;
  }
}

export interface CompileWarning {
  code: 'LOAD_UNSAFE_NA_CHECK' | 'LOAD_COMPILE_CONDITION';
  message: string;
  pos: Pos;
}

export interface CompiledFilter {
  predicate: Predicate;
  /** evt.type values the filter can match; undefined = every type. */
  eventTypes: ReadonlySet<string> | undefined;
  /** Necessary conditions on single string fields (see {@link Guard}); the engine indexes rules by them. */
  guards: Guard[];
  warnings: CompileWarning[];
}

/**
 * A check the whole filter requires, read off the top-level conjunction:
 * `F = v` or `F in (v1, v2, …)` on a plain (not list, not transformed) string
 * field F. When F's value on an event is a string outside `values`, or is not
 * available, the filter is false on that event, so the engine can skip the rule
 * without running its predicate. Other values (numbers, lists) decide nothing.
 */
export interface Guard {
  /** Field name with its argument (`jevt.value[/stage]`), the memo key. */
  field: string;
  values: ReadonlySet<string>;
  extract: Extract;
}

/** Resolves a field name (with dynamic families) on a source. */
export function lookupField(source: EventSourceDef, name: string): FieldDef | undefined {
  return source.lookup ? source.lookup(name) : source.fields.get(name);
}

interface Operandish {
  extract: Extract;
  type: FieldType;
  isList: boolean;
  name: string;
}

const NUMERIC: ReadonlySet<FieldType> = new Set(['uint64', 'int64', 'port', 'abstime', 'reltime']);

const UNSAFE_NA =
  "Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.";

export class FilterCompiler {
  private readonly warnings: CompileWarning[] = [];

  constructor(private readonly source: EventSourceDef) {}

  compile(expr: Expr): CompiledFilter {
    const predicate = this.node(expr);
    const types = this.source.eventTypes ? eventTypesOf(expr, this.source.eventTypes) : undefined;
    return { predicate, eventTypes: types, guards: this.guards(expr), warnings: this.warnings };
  }

  /** Guards of the top-level conjunction (nested `and`s flattened); compiled after the predicate, so fields are known. */
  private guards(expr: Expr): Guard[] {
    const out = new Map<string, Guard>();
    const visit = (e: Expr): void => {
      if (e.kind === 'and') {
        for (const c of e.children) visit(c);
        return;
      }
      if (e.kind !== 'binary' || e.left.kind !== 'field') return;
      if (e.op !== '=' && e.op !== '==' && e.op !== 'in' && e.op !== 'intersects') return;
      if (e.right.kind !== 'value' && e.right.kind !== 'list') return;
      if (e.left.name === 'evt.type') return; // indexed by event type already
      const def = lookupField(this.source, e.left.name);
      if (!def || def.type !== 'string' || def.isList) return;
      const f = this.field(e.left);
      const values = new Set(e.right.kind === 'list' ? e.right.values : [e.right.value]);
      const prev = out.get(f.name);
      // two guards on one field: the value must be in both sets
      out.set(f.name, {
        field: f.name,
        values: prev ? new Set([...values].filter((v) => prev.values.has(v))) : values,
        extract: f.extract,
      });
    };
    visit(expr);
    return [...out.values()];
  }

  private node(e: Expr): Predicate {
    switch (e.kind) {
      case 'and': {
        const cs = e.children.map((c) => this.node(c));
        if (cs.length === 2) {
          const [a, b] = cs as [Predicate, Predicate];
          return (ev) => a(ev) && b(ev);
        }
        return (ev) => {
          for (const c of cs) if (!c(ev)) return false;
          return true;
        };
      }
      case 'or': {
        const cs = e.children.map((c) => this.node(c));
        if (cs.length === 2) {
          const [a, b] = cs as [Predicate, Predicate];
          return (ev) => a(ev) || b(ev);
        }
        return (ev) => {
          for (const c of cs) if (c(ev)) return true;
          return false;
        };
      }
      case 'not': {
        const c = this.node(e.child);
        return (ev) => !c(ev);
      }
      case 'identifier':
        throw new FilterCompileError(`Undefined macro '${e.name}' used in filter.`, e.pos);
      case 'unary': {
        const left = this.operand(e.left);
        const ex = left.extract;
        return (ev) => {
          const v = ex(ev);
          return v !== undefined;
        };
      }
      case 'binary':
        return this.binary(e);
    }
  }

  private field(f: FieldNode): Operandish {
    const def = lookupField(this.source, f.name);
    if (!def) throw new FilterCompileError(`filter_check called with nonexistent field ${f.name}`, f.pos);
    const argMode = def.arg ?? 'none';
    if (f.arg !== undefined && argMode === 'none')
      throw new FilterCompileError(`field '${f.name}' does not support arguments`, f.pos);
    if (f.arg === undefined && (argMode === 'required' || argMode === 'key'))
      throw new FilterCompileError(`field '${f.name}' requires an argument`, f.pos);
    let extract: Extract;
    try {
      extract = def.extractor(f.arg);
    } catch (err) {
      if (err instanceof FieldError) throw new FilterCompileError(err.message, f.pos);
      throw err;
    }
    const name = f.arg === undefined ? f.name : `${f.name}[${f.arg}]`;
    return {
      extract: memoized(this.source.name, name, extract),
      type: def.type,
      isList: def.isList ?? false,
      name,
    };
  }

  private operand(o: Operand): Operandish {
    if (o.kind === 'field') return this.field(o);
    if (o.kind === 'transformer') return this.transformer(o);
    throw new FilterCompileError('expected a field or a transformer', o.pos);
  }

  private transformer(t: TransformerNode): Operandish {
    const name = t.name;
    if (name === 'val') return this.operand(t.args[0] as Operand);
    if (name === 'join') {
      const [sepNode, ...rest] = t.args;
      if (!sepNode || sepNode.kind !== 'value' || rest.length === 0)
        throw new FilterCompileError('join() expects a separator string and a field or a list', t.pos);
      const sep = sepNode.value;
      const parts: Extract[] = [];
      const flatten = (o: Operand): void => {
        if (o.kind === 'tlist') for (const i of o.items) flatten(i);
        else if (o.kind === 'value') {
          const v = o.value;
          parts.push(() => v);
        } else parts.push(this.operand(o).extract);
      };
      for (const r of rest) flatten(r);
      return {
        type: 'string',
        isList: false,
        name: `join(...)`,
        extract: (e) => {
          const out: string[] = [];
          for (const p of parts) {
            const v = p(e);
            if (v === undefined) continue;
            if (Array.isArray(v)) for (const x of v as Scalar[]) out.push(String(x));
            else out.push(String(v));
          }
          return out.join(sep);
        },
      };
    }
    if (t.args.length !== 1)
      throw new FilterCompileError(`transformer '${name}' expects one argument`, t.pos);
    const inner = this.operand(t.args[0] as Operand);
    const ex = inner.extract;
    const mapStr =
      (f: (s: string) => string | undefined): Extract =>
      (e) => {
        const v = ex(e);
        if (v === undefined) return undefined;
        if (Array.isArray(v)) {
          const out: string[] = [];
          for (const x of v as Scalar[]) {
            const r = f(String(x));
            if (r === undefined) return undefined;
            out.push(r);
          }
          return out;
        }
        return f(String(v));
      };
    const needString = (): void => {
      if (inner.type !== 'string')
        throw new FilterCompileError(
          `can't add field transformer: type '${inner.type}' is not supported by '${name}' transformer applied on ${inner.isList ? 'list ' : ''}field '${inner.name}'`,
          t.pos,
        );
    };
    switch (name) {
      case 'tolower':
        needString();
        return { ...inner, name: `tolower(${inner.name})`, extract: mapStr((s) => s.toLowerCase()) };
      case 'toupper':
        needString();
        return { ...inner, name: `toupper(${inner.name})`, extract: mapStr((s) => s.toUpperCase()) };
      case 'b64':
        needString();
        return { ...inner, name: `b64(${inner.name})`, extract: mapStr(b64decode) };
      case 'basename':
        needString();
        return {
          ...inner,
          name: `basename(${inner.name})`,
          extract: mapStr((s) => {
            const i = s.lastIndexOf('/');
            return i < 0 ? s : s.slice(i + 1);
          }),
        };
      case 'len':
        return {
          type: 'uint64',
          isList: false,
          name: `len(${inner.name})`,
          extract: (e) => {
            const v = ex(e);
            if (v === undefined) return inner.isList ? 0 : undefined;
            if (Array.isArray(v)) return v.length;
            return Buffer.byteLength(String(v));
          },
        };
      default:
        throw new FilterCompileError(`unknown transformer '${name}'`, t.pos);
    }
  }

  private binary(e: BinaryCheckNode): Predicate {
    const left = this.operand(e.left);
    const op = e.op;
    const isListOp = op === 'in' || op === 'intersects' || op === 'pmatch';
    const isEvtType =
      e.left.kind === 'field' && e.left.name === 'evt.type' && this.source.eventTypes !== undefined;

    // Right-hand side: literal value(s) or a field.
    if (e.right.kind === 'field' || e.right.kind === 'transformer') {
      const right = this.operand(e.right);
      return this.dynamic(left, op, right, e.pos);
    }
    let values: string[];
    if (e.right.kind === 'list') values = e.right.values;
    else values = [e.right.value];
    for (const v of values)
      if (v === '<NA>')
        this.warnings.push({ code: 'LOAD_UNSAFE_NA_CHECK', message: UNSAFE_NA, pos: e.right.pos });
    if (isEvtType) {
      for (const v of values)
        if (!this.source.eventTypes?.has(v))
          throw new FilterCompileError(`unknown event type ${v}`, e.right.pos);
    }
    if (!isListOp && e.right.kind === 'list')
      throw new FilterCompileError(`operator '${op}' does not accept a list of values`, e.right.pos);
    let test: (v: Scalar) => boolean;
    try {
      test = scalarTest(op, left.type, values);
    } catch (err) {
      throw new FilterCompileError((err as Error).message, e.right.pos);
    }
    const ex = left.extract;
    if (left.isList) {
      if (op === 'in') {
        return (ev) => {
          const v = ex(ev);
          if (v === undefined) return false;
          if (!Array.isArray(v)) return test(v as Scalar);
          for (const x of v as Scalar[]) if (!test(x)) return false;
          return true;
        };
      }
      return (ev) => {
        const v = ex(ev);
        if (v === undefined) return false;
        if (!Array.isArray(v)) return test(v as Scalar);
        for (const x of v as Scalar[]) if (test(x)) return true;
        return false;
      };
    }
    return (ev) => {
      const v = ex(ev);
      if (v === undefined) return false;
      if (Array.isArray(v)) {
        for (const x of v as Scalar[]) if (test(x)) return true;
        return false;
      }
      return test(v as Scalar);
    };
  }

  private dynamic(left: Operandish, op: string, right: Operandish, pos: Pos): Predicate {
    if (op === 'regex')
      throw new FilterCompileError("operator 'regex' does not support right-hand side fields", pos);
    const lx = left.extract;
    const rx = right.extract;
    return (ev) => {
      const lv = lx(ev);
      const rv = rx(ev);
      if (lv === undefined || rv === undefined) return false;
      const values = Array.isArray(rv) ? (rv as Scalar[]).map(String) : [String(rv)];
      let test: (v: Scalar) => boolean;
      try {
        test = scalarTest(op, left.type, values);
      } catch {
        return false;
      }
      if (Array.isArray(lv)) {
        const arr = lv as Scalar[];
        return op === 'in' ? arr.every(test) : arr.some(test);
      }
      return test(lv as Scalar);
    };
  }
}

function b64decode(s: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  return Buffer.from(s, 'base64').toString('latin1');
}

function parseNumber(s: string): number {
  const t = s.trim();
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return Number.parseInt(t, 16);
  if (/^[+-]?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?$/.test(t)) return Number(t);
  throw new Error(`'${s}' is not a valid number`);
}

function parseBool(s: string): boolean {
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw new Error(`'${s}' is not a valid boolean`);
}

const toNum = (v: Scalar): number =>
  typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : Number(v);
const toBool = (v: Scalar): boolean => (typeof v === 'boolean' ? v : v === 'true' || v === 1 || v === '1');

function hexBytes(s: string): Buffer {
  const t = s.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(t))
    throw new Error(`bcontains/bstartswith operand '${s}' is not a hex string`);
  return Buffer.from(t, 'hex');
}

/** Builds the per-value test for an operator, field type and literal operand(s). */
export function scalarTest(op: string, type: FieldType, values: readonly string[]): (v: Scalar) => boolean {
  if (type === 'ipaddr' || type === 'ipnet') return ipTest(op, type, values);
  if (NUMERIC.has(type)) {
    const nums = values.map(parseNumber);
    const n = nums[0] as number;
    switch (op) {
      case '=':
      case '==':
        return (v) => toNum(v) === n;
      case '!=':
        return (v) => toNum(v) !== n;
      case '<':
        return (v) => toNum(v) < n;
      case '<=':
        return (v) => toNum(v) <= n;
      case '>':
        return (v) => toNum(v) > n;
      case '>=':
        return (v) => toNum(v) >= n;
      case 'in':
      case 'intersects': {
        const set = new Set(nums);
        return (v) => set.has(toNum(v));
      }
      default:
        throw new Error(`operator '${op}' is not supported for numeric field type '${type}'`);
    }
  }
  if (type === 'bool') {
    const b = parseBool(values[0] as string);
    switch (op) {
      case '=':
      case '==':
        return (v) => toBool(v) === b;
      case '!=':
        return (v) => toBool(v) !== b;
      case 'in':
      case 'intersects': {
        const set = new Set(values.map(parseBool));
        return (v) => set.has(toBool(v));
      }
      default:
        throw new Error(`operator '${op}' is not supported for boolean fields`);
    }
  }
  const s = values[0] as string;
  switch (op) {
    case '=':
    case '==':
      return (v) => String(v) === s;
    case '!=':
      return (v) => String(v) !== s;
    case 'contains':
      return (v) => String(v).includes(s);
    case 'icontains': {
      const ls = s.toLowerCase();
      return (v) => String(v).toLowerCase().includes(ls);
    }
    case 'startswith':
      return (v) => String(v).startsWith(s);
    case 'endswith':
      return (v) => String(v).endsWith(s);
    case 'bcontains': {
      const b = hexBytes(s);
      return (v) => Buffer.from(String(v), 'latin1').includes(b);
    }
    case 'bstartswith': {
      const b = hexBytes(s);
      return (v) => Buffer.from(String(v), 'latin1').subarray(0, b.length).equals(b);
    }
    case 'glob':
      return (v) => globMatch(s, String(v));
    case 'iglob':
      return (v) => globMatch(s, String(v), true);
    case 'regex':
      return compileRegex(s) as (v: Scalar) => boolean;
    case '<':
      return (v) => String(v) < s;
    case '<=':
      return (v) => String(v) <= s;
    case '>':
      return (v) => String(v) > s;
    case '>=':
      return (v) => String(v) >= s;
    case 'in':
    case 'intersects': {
      if (values.length === 1) return (v) => String(v) === s;
      const set = new Set(values);
      return (v) => set.has(String(v));
    }
    case 'pmatch': {
      const m = pathPrefixMatcher(values);
      return (v) => m(String(v));
    }
    default:
      throw new Error(`unsupported operator '${op}'`);
  }
}

function ipTest(op: string, type: FieldType, values: readonly string[]): (v: Scalar) => boolean {
  const nets = values.map((s) => {
    const n = parseNet(s);
    if (!n) throw new Error(`'${s}' is not a valid ${type === 'ipnet' ? 'network' : 'IP address'}`);
    return n;
  });
  const anyNet = (v: Scalar): boolean => {
    const ip = parseIp(String(v));
    if (ip === undefined) return false;
    for (const n of nets) if (n(ip)) return true;
    return false;
  };
  switch (op) {
    case '=':
    case '==':
    case 'in':
    case 'intersects':
    case 'pmatch':
      return anyNet;
    case '!=':
      return (v) => !anyNet(v);
    default:
      throw new Error(`operator '${op}' is not supported for field type '${type}'`);
  }
}

// ---- event types (what the engine indexes rules by) ----

/** The evt.type values an expression can match, over the source's universe of types. */
export function eventTypesOf(e: Expr, universe: ReadonlySet<string>): ReadonlySet<string> {
  switch (e.kind) {
    case 'and': {
      let acc: Set<string> | undefined;
      for (const c of e.children) {
        const s = eventTypesOf(c, universe);
        acc = acc ? new Set([...acc].filter((x) => s.has(x))) : new Set(s);
      }
      return acc ?? universe;
    }
    case 'or': {
      const acc = new Set<string>();
      for (const c of e.children) for (const x of eventTypesOf(c, universe)) acc.add(x);
      return acc;
    }
    case 'not': {
      const inner = e.child;
      // Only a negated evt.type check narrows the set; anything else under not matches every type.
      if (inner.kind === 'binary' && isEvtTypeCheck(inner)) {
        const s = eventTypesOf(inner, universe);
        return new Set([...universe].filter((x) => !s.has(x)));
      }
      if (inner.kind === 'not') return eventTypesOf(inner.child, universe);
      return universe;
    }
    case 'binary': {
      if (!isEvtTypeCheck(e)) return universe;
      const values =
        e.right.kind === 'list' ? e.right.values : e.right.kind === 'value' ? [e.right.value] : [];
      if (e.op === '=' || e.op === '==' || e.op === 'in' || e.op === 'intersects') return new Set(values);
      if (e.op === '!=') return new Set([...universe].filter((x) => !values.includes(x)));
      return universe;
    }
    default:
      return universe;
  }
}

function isEvtTypeCheck(e: BinaryCheckNode): boolean {
  return (
    e.left.kind === 'field' &&
    e.left.name === 'evt.type' &&
    (e.right.kind === 'list' || e.right.kind === 'value')
  );
}

export function compileFilter(expr: Expr, source: EventSourceDef): CompiledFilter {
  return new FilterCompiler(source).compile(expr);
}
