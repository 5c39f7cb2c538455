/**
 * JMESPath in the community dialect Kyverno uses. Parsing is done by
 * @jmespath-community/jmespath; evaluation is our own closure compiler so that
 * it follows Kyverno's interpreter (pkg/engine/jmespath/interpreter.go):
 * a missing object key on a path raises NotFoundError ("Unknown key "x" in
 * path"), which pipes, `||`, comparisons, projections and function arguments
 * swallow (treat as null) and sub-expressions pass on. Kyverno's custom
 * functions (functions.ts) take precedence over built-ins of the same name.
 *
 * Bounds: expression length and nesting, evaluation steps, a deadline, and
 * the size of arrays and strings produced.
 */
import { compile as parseJmesPath, tokenize, TreeInterpreter } from '@jmespath-community/jmespath';
import type { JSONValue } from '@jmespath-community/jmespath';
import { JmesPathNotFoundError, JmesPathRuntimeError, PolicyExpressionError } from './errors.js';
import { isObject, KYVERNO_FUNCTION_MAP, typeLabel, typeMatches } from './functions.js';
import type { FunctionEnv } from './functions.js';

export { PolicyExpressionError, JmesPathNotFoundError, JmesPathRuntimeError } from './errors.js';
export { KYVERNO_FUNCTIONS } from './functions.js';
export type { KyvernoFunction, FunctionEnv, JpType } from './functions.js';
export { parseImageReference, imageToString } from './image.js';
export type { ImageInfo, ImageOptions } from './image.js';
export { parseQuantity, formatQuantity } from './quantity.js';
export { parseDuration, formatDuration } from './duration.js';

export const LIMITS = {
  /** Characters in one expression. */
  maxExpressionLength: 16 * 1024,
  /** Nesting of brackets, braces and parentheses. */
  maxNesting: 64,
  /** AST nodes visited per search. */
  maxSteps: 1_000_000,
  /** Elements in any array produced, and characters in any string produced. */
  maxArrayLength: 1_000_000,
  maxStringLength: 8 * 1024 * 1024,
  /** Milliseconds per search. */
  deadlineMs: 2_000,
} as const;

export interface SearchOptions {
  /** Function environment (clock, randomness, image defaults); defaults to the real clock. */
  env?: Partial<FunctionEnv>;
  /** Abort evaluation when this signal fires. */
  signal?: AbortSignal;
  deadlineMs?: number;
  maxSteps?: number;
}

export interface CompiledJmesPath {
  readonly expression: string;
  /** Evaluates against `data`; throws JmesPathNotFoundError, JmesPathRuntimeError or PolicyExpressionError (E_LIMIT). */
  search(data: unknown, options?: SearchOptions): unknown;
  /**
   * search() that returns a JmesPathMissing (Kyverno's NotFoundError, as a value) instead of throwing
   * when the result is a missing key; other errors still throw.
   */
  find(data: unknown, options?: SearchOptions): unknown;
}

/** The outcome of find() when a key on the result's path is missing ("Unknown key "x" in path"). */
export class JmesPathMissing {
  constructor(readonly key: string) {}
  get message(): string {
    return `Unknown key "${this.key}" in path`;
  }
}

type AstNode = Parameters<typeof TreeInterpreter.visit>[0];
type Node = AstNode & Record<string, unknown>;

interface Env {
  root: unknown;
  /** The key of the last NOT_FOUND produced (for the error message of a search that ends not found). */
  missingKey: string;
  scope: Scope | undefined;
  steps: number;
  maxSteps: number;
  deadline: number;
  signal: AbortSignal | undefined;
  fenv: FunctionEnv;
  expression: string;
}

interface Scope {
  vars: Map<string, unknown>;
  parent: Scope | undefined;
}

type Eval = (value: unknown, env: Env) => unknown;

const DEFAULT_FENV: FunctionEnv = {
  now: () => Date.now(),
  get localOffsetSeconds() {
    return -new Date().getTimezoneOffset() * 60;
  },
  random: () => Math.random(),
  image: {},
};

// A private interpreter for the built-in functions (its runtime evaluates exprefs of sort_by & co).
type InterpreterCtor = new () => typeof TreeInterpreter;
const builtins = new (TreeInterpreter.constructor as InterpreterCtor)();

function hasOwnKey(o: object): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return true;
  return false;
}

function isFalse(v: unknown): boolean {
  return (
    v === null ||
    v === undefined ||
    v === false ||
    v === '' ||
    (Array.isArray(v) && v.length === 0) ||
    (isObject(v) && !hasOwnKey(v))
  );
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function limitError(env: Env, what: string): PolicyExpressionError {
  return new PolicyExpressionError(
    'E_LIMIT',
    `JMESPath evaluation of ${JSON.stringify(clip(env.expression))} stopped: ${what}`,
    env.expression,
  );
}

function clip(s: string): string {
  return s.length > 120 ? s.slice(0, 117) + '...' : s;
}

function tick(env: Env): void {
  env.steps++;
  if (env.steps > env.maxSteps) throw limitError(env, `more than ${env.maxSteps} evaluation steps`);
  if ((env.steps & 1023) === 0) {
    if (Date.now() > env.deadline) throw limitError(env, 'deadline exceeded');
    if (env.signal?.aborted) throw limitError(env, 'aborted');
  }
}

function checkSize(v: unknown, env: Env): unknown {
  if (typeof v === 'string' && v.length > LIMITS.maxStringLength) {
    throw limitError(env, `string result longer than ${LIMITS.maxStringLength} characters`);
  }
  if (Array.isArray(v) && v.length > LIMITS.maxArrayLength) {
    throw limitError(env, `array result longer than ${LIMITS.maxArrayLength} elements`);
  }
  return v;
}

/**
 * Kyverno's NotFoundError as a value: a missing object key on a path yields this sentinel, which
 * sub-expressions pass on and every other node type turns into null (soft/quiet). Only a search that
 * ends with it reports "Unknown key" — no exception (and no stack trace) per missing key.
 */
const NOT_FOUND: unique symbol = Symbol('JMESPath NotFound');

/**
 * A result list with room for `max` elements, filled by index and cut to its length by trimmed(): an
 * empty list grown by push gets room for 17 elements at its first push, and projections run for most
 * queries. (The storage is allocated at once; the elements are all set before the list is returned.)
 */
function upTo(max: number): unknown[] {
  return new Array<unknown>(max);
}

function trimmed(list: unknown[], n: number): unknown[] {
  if (n < list.length) list.length = n;
  return list;
}

/** Evaluates and turns NotFound into null (what most Kyverno node types do). */
function soft(f: Eval, value: unknown, env: Env): unknown {
  const r = f(value, env);
  return r === NOT_FOUND ? null : r;
}

/** Evaluates and turns NotFound and any evaluation error into null (left side of filters, flatten, value projections). */
function quiet(f: Eval, value: unknown, env: Env): unknown {
  try {
    const r = f(value, env);
    return r === NOT_FOUND ? null : r;
  } catch (err) {
    if (err instanceof JmesPathRuntimeError) return null;
    throw err;
  }
}

function sliceParams(
  len: number,
  start: number | null,
  stop: number | null,
  step: number | null,
): [number, number, number] {
  const s = step ?? 1;
  const cap = (v: number): number => {
    if (v < 0) {
      v += len;
      if (v < 0) v = s < 0 ? -1 : 0;
    } else if (v >= len) v = s < 0 ? len - 1 : len;
    return v;
  };
  const a = start === null ? (s < 0 ? len - 1 : 0) : cap(start);
  const b = stop === null ? (s < 0 ? -1 : len) : cap(stop);
  return [a, b, s];
}

function doSlice<T>(list: T[], start: number | null, stop: number | null, step: number | null): T[] {
  const [a, b, s] = sliceParams(list.length, start, stop, step);
  const out: T[] = [];
  if (s > 0) for (let i = a; i < b; i += s) out.push(list[i] as T);
  else for (let i = a; i > b; i += s) out.push(list[i] as T);
  return out;
}

function callFunction(name: string, args: unknown[], env: Env): unknown {
  const fn = KYVERNO_FUNCTION_MAP.get(name);
  if (fn) {
    if (args.length !== fn.args.length) {
      throw new JmesPathRuntimeError(
        `JMESPath function '${name}': expected ${fn.args.length} argument${fn.args.length === 1 ? '' : 's'}, got ${args.length}`,
      );
    }
    // loops, not forEach/some with closures: Kyverno functions run for many queries
    for (let i = 0; i < fn.args.length; i++) {
      const types = fn.args[i] as (typeof fn.args)[number];
      const v = args[i];
      if (v === undefined) continue;
      let ok = false;
      for (let j = 0; j < types.length && !ok; j++) ok = typeMatches(v, types[j] as (typeof types)[number]);
      if (!ok) {
        throw new JmesPathRuntimeError(
          `JMESPath function '${name}': argument #${i + 1} is not of type ${typeLabel(types)}`,
        );
      }
    }
    return checkSize(fn.handler(args, env.fenv), env);
  }
  if (!builtins.runtime.isRegistered(name)) {
    throw new JmesPathRuntimeError(`unknown function: ${name}()`);
  }
  // Built-in sizes we bound before calling: padding widths.
  if (
    (name === 'pad_left' || name === 'pad_right') &&
    typeof args[1] === 'number' &&
    args[1] > LIMITS.maxStringLength
  ) {
    throw limitError(env, `${name} width over ${LIMITS.maxStringLength}`);
  }
  (builtins as unknown as { _rootValue: unknown })._rootValue = env.root;
  try {
    return checkSize(callBuiltin(name, args as JSONValue[]), env);
  } catch (err) {
    if (err instanceof PolicyExpressionError) throw err;
    throw new JmesPathRuntimeError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/** The parts of the library's Runtime that callBuiltin uses (its function table and type checks). */
interface BuiltinRuntime {
  _functionTable: Record<
    string,
    { _func: (args: JSONValue[]) => unknown; _signature: ArgSignature[] } | undefined
  >;
  callFunction(name: string, args: JSONValue[]): unknown;
  getTypeName(v: unknown): number | undefined;
  typeMatches(actual: number, expected: number, v: unknown): boolean;
}
interface ArgSignature {
  types: number[];
  optional?: boolean;
  variadic?: boolean;
}

/**
 * runtime.callFunction without its per-call garbage: the library's argument checks (validateArity,
 * validateTypes) filter the signature and make a closure per argument on every call. The same checks
 * are made here with loops; arguments they would reject (or a signature they would reject) go through
 * runtime.callFunction, so its error messages stay the library's own.
 */
function callBuiltin(name: string, args: JSONValue[]): unknown {
  const runtime = builtins.runtime as unknown as BuiltinRuntime;
  const entry = runtime._functionTable[name];
  if (entry === undefined || !argsValid(runtime, entry._signature, args)) {
    return runtime.callFunction(name, args);
  }
  return entry._func.call(runtime, args);
}

function argsValid(runtime: BuiltinRuntime, signature: ArgSignature[], args: JSONValue[]): boolean {
  let required = 0;
  for (let i = 0; i < signature.length; i++) {
    const sig = signature[i] as ArgSignature;
    if ('variadic' in sig && i !== signature.length - 1) return false;
    if (!(sig.optional ?? false)) required++;
  }
  const variadic = signature[signature.length - 1]?.variadic ?? false;
  if (args.length < required || (!variadic && args.length > signature.length)) return false;
  for (let i = 0; i < signature.length; i++) {
    const actual = runtime.getTypeName(args[i]);
    if (actual === undefined) continue;
    const types = (signature[i] as ArgSignature).types;
    let matched = false;
    for (let j = 0; j < types.length && !matched; j++) {
      matched = runtime.typeMatches(actual, types[j] as number, args[i]);
    }
    if (!matched) return false;
  }
  return true;
}

function lookupVar(scope: Scope | undefined, name: string): { found: boolean; value: unknown } {
  for (let s = scope; s; s = s.parent) {
    if (s.vars.has(name)) return { found: true, value: s.vars.get(name) };
  }
  return { found: false, value: null };
}

function toNum(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function build(node: Node): Eval {
  const n = node as Record<string, unknown> & { type: string };
  switch (n.type) {
    case 'Field': {
      const name = n.name as string;
      return (value, env) => {
        if (value === null || value === undefined) return null;
        if (isObject(value)) {
          if (Object.prototype.hasOwnProperty.call(value, name)) return value[name] ?? null;
          env.missingKey = name;
          return NOT_FOUND;
        }
        return null;
      };
    }
    case 'Subexpression':
    case 'IndexExpression': {
      const left = compileNode(n.left as Node);
      const right = compileNode(n.right as Node);
      return (value, env) => {
        const l = left(value, env);
        if (l === null || l === undefined || l === NOT_FOUND) return l ?? null;
        return right(l, env);
      };
    }
    case 'Index': {
      const idx = n.value as number;
      return (value) => {
        if (!Array.isArray(value)) return null;
        const i = idx < 0 ? value.length + idx : idx;
        const list = value as unknown[];
        return i >= 0 && i < list.length ? (list[i] ?? null) : null;
      };
    }
    case 'Slice': {
      const start = n.start as number | null;
      const stop = n.stop as number | null;
      const step = n.step as number | null;
      return (value) => {
        if (step === 0) throw new JmesPathRuntimeError('Invalid slice, step cannot be 0');
        if (Array.isArray(value)) return doSlice(value as unknown[], start, stop, step);
        if (typeof value === 'string') return doSlice([...value], start, stop, step).join('');
        return null;
      };
    }
    case 'Projection': {
      const leftNode = n.left as Node & { type: string; right?: Node & { type: string } };
      const allowString = leftNode.type === 'IndexExpression' && leftNode.right?.type === 'Slice';
      const left = compileNode(n.left as Node);
      const right = compileNode(n.right as Node);
      return (value, env) => {
        const base = soft(left, value, env);
        if (Array.isArray(base)) {
          const out = upTo(base.length);
          let n = 0;
          for (let i = 0; i < base.length; i++) {
            const r = soft(right, base[i], env);
            if (r !== null && r !== undefined) out[n++] = r;
          }
          return trimmed(out, n);
        }
        if (allowString && typeof base === 'string') return base;
        return null;
      };
    }
    case 'ValueProjection': {
      const left = compileNode(n.left as Node);
      const right = compileNode(n.right as Node);
      return (value, env) => {
        const base = quiet(left, value, env);
        if (!isObject(base)) return null;
        const out: unknown[] = [];
        for (const e of Object.values(base)) {
          const r = soft(right, e, env);
          if (r !== null && r !== undefined) out.push(r);
        }
        return out;
      };
    }
    case 'FilterProjection': {
      const left = compileNode(n.left as Node);
      const right = compileNode(n.right as Node);
      const cond = compileNode(n.condition as Node);
      return (value, env) => {
        const base = quiet(left, value, env);
        if (!Array.isArray(base)) return null;
        const out = upTo(base.length);
        let n = 0;
        for (let i = 0; i < base.length; i++) {
          const e: unknown = base[i];
          if (isFalse(soft(cond, e, env))) continue;
          const r = soft(right, e, env);
          if (r !== null && r !== undefined) out[n++] = r;
        }
        return trimmed(out, n);
      };
    }
    case 'Flatten': {
      const child = compileNode(n.child as Node);
      return (value, env) => {
        const base = quiet(child, value, env);
        if (!Array.isArray(base)) return null;
        let total = 0;
        for (let j = 0; j < base.length; j++) {
          const e: unknown = base[j];
          total += Array.isArray(e) ? e.length : 1;
        }
        const out = upTo(total);
        let n = 0;
        for (let j = 0; j < base.length; j++) {
          const e: unknown = base[j];
          if (Array.isArray(e)) for (let i = 0; i < e.length; i++) out[n++] = e[i];
          else out[n++] = e;
        }
        return checkSize(out, env);
      };
    }
    case 'Identity':
    case 'Current':
      return (value) => value;
    case 'Root':
      return (_v, env) => env.root;
    case 'Literal': {
      const lit = n.value;
      return () => lit;
    }
    case 'MultiSelectList': {
      const kids = (n.children as Node[]).map(compileNode);
      return (value, env) => kids.map((k) => soft(k, value, env));
    }
    case 'MultiSelectHash': {
      const kids = (n.children as { name: string; value: Node }[]).map(
        (c) => [c.name, compileNode(c.value)] as const,
      );
      return (value, env) => {
        const out: Record<string, unknown> = {};
        for (const [k, f] of kids) out[k] = soft(f, value, env);
        return out;
      };
    }
    case 'OrExpression': {
      const left = compileNode(n.left as Node);
      const right = compileNode(n.right as Node);
      return (value, env) => {
        const l = soft(left, value, env);
        return isFalse(l) ? soft(right, value, env) : l;
      };
    }
    case 'AndExpression': {
      const left = compileNode(n.left as Node);
      const right = compileNode(n.right as Node);
      return (value, env) => {
        const l = soft(left, value, env);
        return isFalse(l) ? l : right(value, env);
      };
    }
    case 'NotExpression': {
      const child = compileNode(n.child as Node);
      return (value, env) => isFalse(soft(child, value, env));
    }
    case 'Pipe': {
      const left = compileNode(n.left as Node);
      const right = compileNode(n.right as Node);
      return (value, env) => soft(right, soft(left, value, env), env);
    }
    case 'Comparator': {
      const left = compileNode(n.left as Node);
      const right = compileNode(n.right as Node);
      const op = n.name as string;
      return (value, env) => {
        const a = soft(left, value, env);
        const b = soft(right, value, env);
        if (op === 'EQ') return deepEqual(a, b);
        if (op === 'NE') return !deepEqual(a, b);
        const x = toNum(a);
        const y = toNum(b);
        if (x === undefined || y === undefined) return null;
        switch (op) {
          case 'GT':
            return x > y;
          case 'GTE':
            return x >= y;
          case 'LT':
            return x < y;
          default:
            return x <= y;
        }
      };
    }
    case 'Arithmetic': {
      const left = compileNode(n.left as Node);
      const right = compileNode(n.right as Node);
      const op = n.operator as string;
      return (value, env) => {
        const x = toNum(soft(left, value, env));
        const y = toNum(soft(right, value, env));
        if (x === undefined || y === undefined) return null;
        switch (op) {
          case 'Plus':
            return x + y;
          case 'Minus':
            return x - y;
          case 'Multiply':
          case 'Star':
            return x * y;
          case 'Divide':
            return x / y;
          case 'Modulo':
            return x % y;
          default:
            return Math.floor(x / y);
        }
      };
    }
    case 'Unary': {
      const operand = compileNode(n.operand as Node);
      const minus = n.operator === 'Minus';
      return (value, env) => {
        const x = toNum(soft(operand, value, env));
        if (x === undefined) return null;
        return minus ? -x : x;
      };
    }
    case 'Ternary': {
      const cond = compileNode(n.condition as Node);
      const t = compileNode(n.trueExpr as Node);
      const f = compileNode(n.falseExpr as Node);
      return (value, env) => (isFalse(soft(cond, value, env)) ? soft(f, value, env) : soft(t, value, env));
    }
    case 'Function': {
      const name = n.name as string;
      const kids = (n.children as Node[]).map((c) => {
        const cn = c as { type: string; child?: Node };
        if (cn.type === 'ExpressionReference') {
          const ref = { expref: true, ...(cn.child as object) };
          const f: Eval = () => ref;
          return f;
        }
        return compileNode(c);
      });
      return (value, env) => {
        const args: unknown[] = new Array(kids.length);
        for (let i = 0; i < kids.length; i++) args[i] = soft(kids[i] as Eval, value, env);
        return callFunction(name, args, env);
      };
    }
    case 'ExpressionReference': {
      const ref = { expref: true, ...(n.child as object) };
      return () => ref;
    }
    case 'LetExpression': {
      const bindings = (n.bindings as { variable: string; reference: Node }[]).map(
        (b) => [b.variable, compileNode(b.reference)] as const,
      );
      const body = compileNode(n.expression as Node);
      return (value, env) => {
        const vars = new Map<string, unknown>();
        for (const [name, f] of bindings) vars.set(name, soft(f, value, env));
        const saved = env.scope;
        env.scope = { vars, parent: saved };
        try {
          return soft(body, value, env);
        } finally {
          env.scope = saved;
        }
      };
    }
    case 'Variable': {
      const name = n.name as string;
      return (_v, env) => {
        const r = lookupVar(env.scope, name);
        if (!r.found) throw new JmesPathRuntimeError(`variable not defined: $${name}`);
        return r.value;
      };
    }
    default:
      return () => {
        throw new JmesPathRuntimeError(`Unknown AST node: ${n.type}`);
      };
  }
}

function compileNode(node: Node): Eval {
  const f = build(node);
  return (value, env) => {
    tick(env);
    return f(value, env);
  };
}

function maxNesting(expr: string): number {
  let depth = 0;
  let max = 0;
  let quote: string | undefined;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '`' || c === "'" || c === '"') quote = c;
    else if (c === '(' || c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ')' || c === ']' || c === '}') depth--;
  }
  return max;
}

/** Best-effort 0-based position of a syntax error. */
function errorPosition(expr: string, message: string): number | undefined {
  if (/EOF/.test(message)) return expr.length;
  let tokens: ReturnType<typeof tokenize>;
  try {
    tokens = tokenize(expr);
  } catch {
    // Lexer error: the first unterminated quote, or the first character JMESPath does not know.
    const m = /[`'"]/.exec(expr);
    const bad = /[^A-Za-z0-9_@$.*[\]{}()|&!=<>:,?+\-%/\s`'"\\~…×÷−]/.exec(expr);
    return bad?.index ?? m?.index;
  }
  const tm = /\((\w+)\)/.exec(message) ?? /got: (\w+)/.exec(message);
  if (tm) {
    const t = tokens.find((x) => x.type === tm[1]);
    if (t) return t.start;
  }
  return undefined;
}

export function compileJmesPath(expression: string): CompiledJmesPath {
  if (expression.length > LIMITS.maxExpressionLength) {
    throw new PolicyExpressionError(
      'E_LIMIT',
      `JMESPath expression is ${expression.length} characters long; the limit is ${LIMITS.maxExpressionLength}`,
      expression,
    );
  }
  if (maxNesting(expression) > LIMITS.maxNesting) {
    throw new PolicyExpressionError(
      'E_LIMIT',
      `JMESPath expression nests deeper than ${LIMITS.maxNesting} levels`,
      expression,
    );
  }
  let ast: AstNode;
  try {
    ast = parseJmesPath(expression);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const pos = errorPosition(expression, msg);
    throw new PolicyExpressionError(
      'E_PARSE',
      `invalid JMESPath expression ${JSON.stringify(clip(expression))}${pos === undefined ? '' : ` at position ${pos}`}: ${msg}`,
      expression,
      pos,
      err,
    );
  }
  const root = compileNode(ast as Node);
  const find = (data: unknown, options?: SearchOptions): unknown => {
    const env = envPool.pop() ?? newEnv();
    env.root = data;
    env.missingKey = '';
    env.scope = undefined;
    env.steps = 0;
    env.maxSteps = options?.maxSteps ?? LIMITS.maxSteps;
    env.deadline = Date.now() + (options?.deadlineMs ?? LIMITS.deadlineMs);
    env.signal = options?.signal;
    env.fenv = options?.env
      ? {
          ...DEFAULT_FENV,
          ...options.env,
          localOffsetSeconds: options.env.localOffsetSeconds ?? DEFAULT_FENV.localOffsetSeconds,
        }
      : DEFAULT_FENV;
    env.expression = expression;
    try {
      const result = root(data ?? null, env);
      if (result === NOT_FOUND) return new JmesPathMissing(env.missingKey);
      return result === undefined ? null : result;
    } finally {
      // nothing of the search is kept: the environment goes back to the pool empty
      env.root = null;
      env.scope = undefined;
      env.signal = undefined;
      env.fenv = DEFAULT_FENV;
      if (envPool.length < 16) envPool.push(env);
    }
  };
  return {
    expression,
    find,
    search(data: unknown, options?: SearchOptions): unknown {
      const r = find(data, options);
      if (r instanceof JmesPathMissing) throw new JmesPathNotFoundError(r.key);
      return r;
    },
  };
}

/**
 * Search environments for reuse: a search takes one and gives it back (a nested search takes another),
 * instead of allocating an environment (and a boxed deadline) per search.
 */
const envPool: Env[] = [];
function newEnv(): Env {
  return {
    root: null,
    missingKey: '',
    scope: undefined,
    steps: 0,
    maxSteps: 0,
    deadline: 0,
    signal: undefined,
    fenv: DEFAULT_FENV,
    expression: '',
  };
}

const compiledCache = new Map<string, CompiledJmesPath>();
const MAX_CACHE = 4096;

/** Compiles with a bounded cache. */
export function cachedJmesPath(expression: string): CompiledJmesPath {
  let c = compiledCache.get(expression);
  if (!c) {
    c = compileJmesPath(expression);
    if (compiledCache.size >= MAX_CACHE) compiledCache.clear();
    compiledCache.set(expression, c);
  }
  return c;
}

export function searchJmesPath(expression: string, data: unknown, options?: SearchOptions): unknown {
  return cachedJmesPath(expression).search(data, options);
}
