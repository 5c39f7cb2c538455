/**
 * The CEL environment Palisade evaluates Kubernetes and Kyverno CEL expressions in: the
 * @marcbachmann/cel-js interpreter (docs/adr/0007-cel-implementation.md) with optional types, the
 * Kubernetes libraries (k8s.ts) and Kyverno's libraries (kyverno.ts).
 *
 * Compile once, evaluate many: `compileCel` parses, rewrites `matches` to the RE2 matcher (linear
 * time), wraps every comprehension body in a cost counter, and returns a program or a coded error.
 * Bounds: expression length, AST nodes and depth at compile time; a runtime cost budget (one unit per
 * comprehension iteration) and a wall-clock deadline at evaluation time.
 */
import { Environment, Optional, serialize } from '@marcbachmann/cel-js';
import { registerKubernetesLibraries } from './k8s.js';
import { kyvernoBindings, registerKyvernoLibraries, type CelData } from './kyverno.js';
import { fromCel } from './values.js';

/** Longest expression accepted (characters). */
export const MAX_EXPRESSION_LENGTH = 20_000;
/** Runtime cost budget per evaluation: comprehension iterations. */
export const DEFAULT_COST_LIMIT = 1_000_000;
/** Wall-clock budget per evaluation (ms). */
export const DEFAULT_DEADLINE_MS = 1_000;

const COST_FN = '__palisade_cost';
const OR_VALUE_FN = '__palisade_or_value';
const HAS_FN = '__palisade_has';
const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

export type CelErrorCode = 'E_CEL_PARSE' | 'E_CEL_LIMIT' | 'E_CEL_EVAL';

export class CelError extends Error {
  constructor(
    readonly code: CelErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CelError';
  }
}

interface Budget {
  cost: number;
  limit: number;
  deadline: number;
}
let budget: Budget | undefined;

let shared: Environment | undefined;

/** The shared environment (built once; environments are expensive). */
export function celEnvironment(): Environment {
  if (shared) return shared;
  const env = new Environment({
    unlistedVariablesAreDyn: true,
    enableOptionalTypes: true,
    homogeneousAggregateLiterals: false,
    limits: {
      maxAstNodes: 20_000,
      maxDepth: 120,
      maxListElements: 5_000,
      maxMapEntries: 5_000,
      maxCallArguments: 32,
    },
  });
  registerKubernetesLibraries(env);
  registerKyvernoLibraries(env);
  env.registerFunction(`${COST_FN}(dyn): dyn`, (v: unknown) => {
    const b = budget;
    if (b) {
      b.cost++;
      if (b.cost > b.limit)
        throw new CelError('E_CEL_LIMIT', `operation cancelled: actual cost limit exceeded (${b.limit})`);
      if ((b.cost & 1023) === 0 && Date.now() > b.deadline)
        throw new CelError('E_CEL_LIMIT', 'operation cancelled: evaluation deadline exceeded');
    }
    return v;
  });
  env.registerFunction(`${OR_VALUE_FN}(dyn, dyn): dyn`, (o: unknown, d: unknown) =>
    o instanceof Optional ? (o.hasValue() ? (o.value() as unknown) : d) : o,
  );
  env.registerFunction(`${HAS_FN}(dyn, string): bool`, (o: unknown, f: string) => {
    if (o instanceof Map) return o.has(f);
    if (o !== null && typeof o === 'object' && !Array.isArray(o)) return Object.hasOwn(o, f);
    throw new CelError('E_CEL_EVAL', `has(): field ${f} selected on a non-map value`);
  });
  shared = env;
  return env;
}

type Node = { op: string; args: unknown };

/** Builds call nodes from a template such as `f(a, b)`, replacing its arguments. */
type Make = (template: string, args: unknown[]) => unknown;

function isSimpleChain(n: unknown): boolean {
  const x = n as Node;
  if (x.op === 'id') return true;
  return x.op === '.' && Array.isArray(x.args) && isSimpleChain(x.args[0]);
}

/**
 * Rewrites a parsed expression (bottom-up, returns the replacement node):
 * - `matches` → the RE2 matcher;
 * - comprehension bodies wrapped in the cost counter;
 * - `?:` branches wrapped in dyn() (cel-go checks JSON-typed values dynamically);
 * - `x.orValue(d)` → a function that also accepts a non-optional receiver (cel-go's dynamic dispatch);
 * - `has(f(x).y)` → a field-presence function (the interpreter only allows has() on identifier chains).
 */
function rewrite(node: unknown, make: Make): unknown {
  if (!node || typeof node !== 'object') return node;
  const n = node as Node;
  if (!Array.isArray(n.args)) return node;
  const args = n.args as unknown[];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (Array.isArray(a)) {
      for (let j = 0; j < a.length; j++) {
        const x: unknown = a[j];
        if (Array.isArray(x)) for (let k = 0; k < x.length; k++) x[k] = rewrite(x[k], make);
        else a[j] = rewrite(x, make);
      }
    } else args[i] = rewrite(a, make);
  }
  if ((n.op === 'rcall' || n.op === 'call') && args[0] === 'matches') args[0] = 're2Matches';
  if (n.op === 'rcall' && MACROS.has(String(args[0])) && Array.isArray(args[2])) {
    const a = args[2] as unknown[];
    if (a.length >= 2) a[a.length - 1] = make(`${COST_FN}(x)`, [a[a.length - 1]]);
  }
  if (n.op === '?:') {
    args[1] = make('dyn(x)', [args[1]]);
    args[2] = make('dyn(x)', [args[2]]);
  }
  if (n.op === 'rcall' && args[0] === 'orValue' && Array.isArray(args[2]) && args[2].length === 1)
    return make(`${OR_VALUE_FN}(a, b)`, [args[1], (args[2] as unknown[])[0]]);
  if (n.op === 'call' && args[0] === 'has' && Array.isArray(args[1]) && args[1].length === 1) {
    const sel = args[1][0] as Node;
    if (sel.op === '.' && Array.isArray(sel.args) && !isSimpleChain(sel.args[0]))
      return make(`${HAS_FN}(a, ${JSON.stringify(String(sel.args[1]))})`, [sel.args[0]]);
  }
  return node;
}

export interface CelProgram {
  readonly expression: string;
  /** Evaluates with the given variables (JSON values already converted with toCel). */
  readonly run: (activation: Record<string, unknown>) => unknown;
}

const cache = new Map<string, CelProgram | CelError>();

/** Compiles an expression (cached by text); a CelError for syntax errors and exceeded bounds. */
export function compileCel(expression: string): CelProgram | CelError {
  const hit = cache.get(expression);
  if (hit) return hit;
  const r = compileUncached(expression);
  if (cache.size > 4096) cache.clear();
  cache.set(expression, r);
  return r;
}

function compileUncached(expression: string): CelProgram | CelError {
  if (expression.length > MAX_EXPRESSION_LENGTH)
    return new CelError(
      'E_CEL_LIMIT',
      `expression too long (${expression.length} > ${MAX_EXPRESSION_LENGTH} characters)`,
    );
  const env = celEnvironment();
  try {
    const first = env.parse(expression);
    const make: Make = (template, args) => {
      const holder = env.parse(template).ast as unknown as Node;
      const list = (holder.args as [string, unknown[]])[1];
      args.forEach((a, i) => (list[i] = a));
      return holder;
    };
    const root = rewrite(first.ast, make) as typeof first.ast;
    const text = serialize(root);
    const program = env.parse(text);
    return { expression, run: (activation): unknown => program(activation) as unknown };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return new CelError(
      /limit|exceed|too (many|deep)/i.test(msg) ? 'E_CEL_LIMIT' : 'E_CEL_PARSE',
      firstLine(msg),
    );
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

export interface EvalOptions {
  readonly costLimit?: number;
  readonly deadlineMs?: number;
}

export type CelResult = { ok: true; value: unknown } | { ok: false; error: CelError };

/** Runs a compiled program under the cost and time budget; values come back as CEL values. */
export function runCel(
  p: CelProgram,
  activation: Record<string, unknown>,
  opts: EvalOptions = {},
): CelResult {
  const outer = budget;
  budget = outer ?? {
    cost: 0,
    limit: opts.costLimit ?? DEFAULT_COST_LIMIT,
    deadline: Date.now() + (opts.deadlineMs ?? DEFAULT_DEADLINE_MS),
  };
  try {
    const value = p.run(activation);
    if (value instanceof Promise)
      return { ok: false, error: new CelError('E_CEL_EVAL', 'asynchronous evaluation is not supported') };
    return { ok: true, value };
  } catch (e) {
    if (e instanceof CelError) return { ok: false, error: e };
    const cause = e instanceof Error && e.cause instanceof CelError ? e.cause : undefined;
    if (cause) return { ok: false, error: cause };
    return {
      ok: false,
      error: new CelError('E_CEL_EVAL', firstLine(e instanceof Error ? e.message : String(e))),
    };
  } finally {
    budget = outer;
  }
}

/** One-shot helper for tests and simple callers: compile, bind the Kyverno libraries, run, JSON out. */
export function evaluateCel(
  expression: string,
  variables: Record<string, unknown>,
  data: CelData = {},
  opts: EvalOptions = {},
): CelResult {
  const p = compileCel(expression);
  if (p instanceof CelError) return { ok: false, error: p };
  const r = runCel(p, { ...kyvernoBindings(data), ...variables }, opts);
  return r.ok ? { ok: true, value: fromCel(r.value) } : r;
}
