/**
 * `{{ }}` variable and `$( )` reference substitution, following Kyverno's
 * pkg/engine/variables/vars.go:
 * - a string that is exactly one variable becomes the variable's typed value;
 *   a variable embedded in text is replaced by its string form (JSON for
 *   non-strings);
 * - nested variables resolve inside out; `\{{ }}` is an escape and loses its
 *   backslash; object keys are substituted too;
 * - `{{@}}` is the value at the same path under request.object (or `target`);
 * - on DELETE requests request.object reads as request.oldObject;
 * - `$(./../path)` reads another value of the same document, relative to the
 *   element's path, with an optional operator prefix (>=, <=, >, <, !).
 */
import { QueryFailure, type PolicyContext } from './context.js';

// Same expressions as Kyverno's regex package (Go RE2); both are linear in practice here
// because the alternatives inside the repetition cannot overlap.
const REGEX_VARIABLES = /(^|[^\\])(\{\{(?:\{[^{}]*\}|[^{}])*\}\})/g;
const REGEX_VARIABLE_INIT = /^\{\{(\{[^{}]*\}|[^{}])*\}\}/;
const REGEX_ESCAPED_VARIABLES = /\\\{\{(\{[^{}]*\}|[^{}])*\}\}/g;
const REGEX_REFERENCES = /^\$\(.[^ ]*\)|[^\\]\$\(.[^ ]*\)/g;
const REGEX_ESCAPED_REFERENCES = /\\\$\(.[^ ]*\)/g;

/** Bounds: substitution rounds per string (nested and self-producing variables) and string size. */
export const SUBSTITUTION_LIMITS = { maxRounds: 64, maxStringLength: 1 << 20, maxDepth: 256 } as const;

export interface SubstituteOptions {
  /** JSON-pointer-like path of `value` inside its rule, e.g. "/validate/pattern" (for `{{@}}` and `$()`). */
  path?: string;
  /** Prefixes errors with "variable substitution failed for rule <name>: ". */
  ruleName?: string;
  /** Substitute `$( )` references against the document (default true). */
  references?: boolean;
}

export type SubstituteResult = { value: unknown } | { error: string };

class SubstitutionError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function isVariable(s: string): boolean {
  REGEX_VARIABLES.lastIndex = 0;
  return REGEX_VARIABLES.test(s);
}

export function isReference(s: string): boolean {
  REGEX_REFERENCES.lastIndex = 0;
  return REGEX_REFERENCES.test(s);
}

/** The variables (without braces, trimmed) a string mentions at its outer level. */
export function findVariables(s: string): string[] {
  return [...s.matchAll(REGEX_VARIABLES)].map((m) => replaceBracesAndTrim(m[2] ?? ''));
}

function replaceBracesAndTrim(v: string): string {
  return v.split('{{').join('').split('}}').join('').trim();
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function pointerParts(path: string): string[] {
  return path
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** jsonpointer.ParsePath(path).SkipPast("foreach").SkipN(2).Prepend(prefix...).JMESPath() */
function atPathToJmesPath(path: string, prefix: string[]): string {
  let parts = pointerParts(path);
  const fe = parts.lastIndexOf('foreach');
  if (fe >= 0) parts = parts.slice(fe + 1);
  parts = [...prefix, ...parts.slice(2)];
  let out = '';
  for (const p of parts) {
    if (/^[0-9]+$/.test(p)) out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += (out === '' ? '' : '.') + JSON.stringify(p);
  }
  return out;
}

/** `\{{ x }}` → `{{ x }}` (one function, not a closure per call). */
const dropEscape = (m: string): string => m.slice(1);

function jsonString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && !Number.isFinite(v)) {
    throw new SubstitutionError(`json: unsupported value: ${v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN'}`);
  }
  return JSON.stringify(v ?? null);
}

/** One `{{ }}` occurrence of a round: the match, whether it starts the string, the variable text. */
interface VariableRef {
  readonly old: string;
  readonly initial: boolean;
  readonly v: string;
  readonly name: string;
}

// The occurrences of each string, parsed once (bounded): rule strings repeat on every request.
const variableRefs = new Map<string, readonly VariableRef[]>();
const MAX_VARIABLE_REFS = 4096;

/** End (exclusive) of the occurrence nextVariable found last. */
let variableEnd = 0;

/**
 * Where the next match of REGEX_VARIABLES at or after `from` starts (-1 when none), its end in
 * variableEnd: the match is `{{ }}` with the character before it, unless it starts the string. A
 * scanner instead of the regular expression's matchAll: the strings that later substitution rounds see
 * are new on every request, and the iterator and match arrays were a visible share of each request's
 * garbage. The body `(?:\{[^{}]*\}|[^{}])*` cannot backtrack to another end (a shorter body would have
 * to be followed by `}}` at a character it consumed, which is never a `}`), so one greedy pass decides.
 */
function nextVariable(s: string, from: number): number {
  for (let p = from; p < s.length; p++) {
    // `^` alternative first (only at 0), then `[^\\]` followed by `{{`
    if (p === 0 && s.startsWith('{{', 0)) {
      const end = variableBodyEnd(s, 2);
      if (end >= 0) {
        variableEnd = end;
        return 0;
      }
    }
    if (s.charCodeAt(p) !== 92 /* \\ */ && s.startsWith('{{', p + 1)) {
      const end = variableBodyEnd(s, p + 3);
      if (end >= 0) {
        variableEnd = end;
        return p;
      }
    }
  }
  return -1;
}

/** The end of `(?:\{[^{}]*\}|[^{}])*\}\}` matched from i, or -1. */
function variableBodyEnd(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 125 /* } */) break;
    if (c !== 123 /* { */) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && s.charCodeAt(j) !== 123 && s.charCodeAt(j) !== 125) j++;
    if (j >= n || s.charCodeAt(j) !== 125) break;
    i = j + 1;
  }
  return s.charCodeAt(i) === 125 && s.charCodeAt(i + 1) === 125 ? i + 2 : -1;
}

function parseVariables(s: string): readonly VariableRef[] {
  // counted first, then a list of that size (pushing onto an empty list made room for 17)
  let n = 0;
  for (let at = nextVariable(s, 0); at >= 0; at = nextVariable(s, variableEnd)) n++;
  if (n === 0) return NO_VARIABLES;
  const out = new Array<VariableRef>(n);
  let i = 0;
  for (let at = nextVariable(s, 0); at >= 0; at = nextVariable(s, variableEnd)) {
    const old = s.slice(at, variableEnd);
    const initial = REGEX_VARIABLE_INIT.test(old);
    const v = initial ? old : old.slice(1);
    out[i++] = { old, initial, v, name: variableName(v) };
  }
  return out;
}
const NO_VARIABLES: readonly VariableRef[] = [];

/** replaceBracesAndTrim of a `{{ }}` occurrence; without inner braces (the usual case) a slice. */
function variableName(v: string): string {
  for (let i = 2; i < v.length - 2; i++) {
    const c = v.charCodeAt(i);
    if (c === 123 || c === 125) return replaceBracesAndTrim(v);
  }
  return v.slice(2, v.length - 2).trim();
}

function variablesOf(s: string): readonly VariableRef[] {
  let refs = variableRefs.get(s);
  if (refs === undefined) {
    refs = parseVariables(s);
    if (s.length <= 4096) {
      if (variableRefs.size >= MAX_VARIABLE_REFS) variableRefs.clear();
      variableRefs.set(s, refs);
    }
  }
  return refs;
}

function substituteString(
  value: string,
  ctx: PolicyContext,
  path: string,
  isDelete = ctx.get('request.operation') === 'DELETE',
): unknown {
  let current = value;
  for (let round = 0; ; round++) {
    // the rule's own string (round 0) repeats on every request and is parsed once; the strings later
    // rounds see are results, which are not cached
    const vars =
      round === 0 ? variablesOf(current) : current.includes('{{') ? parseVariables(current) : NO_VARIABLES;
    if (vars.length === 0) break;
    if (round >= SUBSTITUTION_LIMITS.maxRounds) {
      throw new SubstitutionError(
        `variable substitution at path ${path} did not settle after ${round} rounds`,
      );
    }
    const originalPattern = current;
    for (let j = 0; j < vars.length; j++) {
      const { old, initial, v, name } = vars[j] as VariableRef;
      let variable = name;
      if (variable === '@') {
        const prefix = ctx.tryQuery('target');
        const base = 'error' in prefix ? ['request', 'object'] : ['target'];
        variable = variable.replace(/@/g, atPathToJmesPath(path, base));
      }
      if (isDelete) variable = variable.split('request.object').join('request.oldObject');
      const resolved = ctx.lookup(variable);
      if (resolved instanceof QueryFailure) {
        if (resolved.notFound) throw new SubstitutionError(resolved.error);
        throw new SubstitutionError(`failed to resolve ${variable} at path ${path}: ${resolved.error}`);
      }
      if (originalPattern === v) return resolved;
      const prefix = initial ? '' : (old[0] ?? '');
      let replacement: string;
      try {
        replacement = jsonString(resolved);
      } catch (err) {
        throw new SubstitutionError(
          `failed to resolve ${variable} at path ${path}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      // Kyverno replaces in the pattern as it was at the start of the round (`old` is prefix + v)
      const at = originalPattern.indexOf(old);
      current =
        at < 0
          ? originalPattern
          : originalPattern.slice(0, at + prefix.length) +
            replacement +
            originalPattern.slice(at + old.length);
      if (current.length > SUBSTITUTION_LIMITS.maxStringLength) {
        throw new SubstitutionError(
          `substituted value at path ${path} is longer than ${SUBSTITUTION_LIMITS.maxStringLength} characters`,
        );
      }
    }
  }
  return current.replace(REGEX_ESCAPED_VARIABLES, dropEscape);
}

// ---------------------------------------------------------------- references

const OPERATORS = ['>=', '<=', '>', '<', '!'];

function operatorOf(pattern: string): string {
  if (pattern.length < 2) return '';
  return OPERATORS.find((op) => pattern.startsWith(op)) ?? '';
}

/** anchor.RemoveAnchorsFromPath: "(name)", "=(x)", "^(x)", "+(x)", "X(x)", "<(x)" → the key. */
function removeAnchorsFromPath(path: string): string {
  return path
    .split('/')
    .map((seg) => {
      const m = /^(?:\(|=\(|\^\(|\+\(|X\(|<\()(.*)\)$/.exec(seg);
      return m ? (m[1] ?? '') : seg;
    })
    .join('/');
}

function cleanPosix(p: string): string {
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
    } else out.push(part);
  }
  return (rooted ? '/' : '') + out.join('/');
}

function valueAtPath(doc: unknown, wanted: string, base: string): unknown {
  let found: unknown = undefined;
  const walk = (node: unknown, path: string, depth: number): void => {
    if (depth > SUBSTITUTION_LIMITS.maxDepth) return;
    if (removeAnchorsFromPath(path) === wanted) found = node;
    if (Array.isArray(node)) node.forEach((x, i) => walk(x, `${path}/${i}`, depth + 1));
    else if (isObject(node))
      for (const [k, x] of Object.entries(node)) walk(x, `${path}/${escapePointer(k)}`, depth + 1);
  };
  walk(doc, base, 0);
  return found;
}

function goFloatF(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63 ? n.toFixed(6) : n.toFixed(6);
}

function substituteReferencesInString(value: string, doc: unknown, base: string, path: string): string {
  let current = value;
  for (const match of value.matchAll(REGEX_REFERENCES)) {
    const old = match[0];
    const initial = old.startsWith('$(');
    const ref = initial ? old : old.slice(1);
    let p = ref.replace(/^[$()]+|[$()]+$/g, '');
    const op = operatorOf(p);
    p = p.slice(op.length);
    if (p.length === 0)
      throw new SubstitutionError(
        `failed to resolve ${ref} at path ${path}: expected path, found empty reference`,
      );
    const absolute = p.startsWith('/') ? cleanPosix(p) : cleanPosix(`${path}/${p}`);
    const found = valueAtPath(doc, absolute, base);
    if (found === undefined || found === null) {
      throw new SubstitutionError(`got nil resolved variable ${ref} at path ${path}: <nil>`);
    }
    let resolved: unknown = found;
    if (op !== '') {
      let text: string;
      if (typeof found === 'string') text = found;
      else if (typeof found === 'number') text = goFloatF(found);
      else {
        throw new SubstitutionError(
          `failed to resolve ${ref} at path ${path}: incorrect expression: operator ${op} does not match with value ${JSON.stringify(found)}`,
        );
      }
      resolved = op + text;
    }
    if (typeof resolved !== 'string') {
      throw new SubstitutionError(`NotResolvedReferenceErr,reference ${ref} not resolved at path ${path}`);
    }
    const prefix = initial ? '' : (old[0] ?? '');
    current = current.replace(old, () => prefix + resolved);
  }
  return current.replace(REGEX_ESCAPED_REFERENCES, dropEscape);
}

// ---------------------------------------------------------------- traversal

type Leaf = (s: string, path: string) => unknown;

function traverse(node: unknown, path: string, depth: number, leaf: Leaf): unknown {
  if (depth > SUBSTITUTION_LIMITS.maxDepth) {
    throw new SubstitutionError(
      `document nests deeper than ${SUBSTITUTION_LIMITS.maxDepth} levels at path ${path}`,
    );
  }
  if (typeof node === 'string') return leaf(node, path);
  if (Array.isArray(node)) return node.map((x, i) => traverse(x, `${path}/${i}`, depth + 1, leaf));
  if (isObject(node)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const key = leaf(k, `${path}/${escapePointer(k)}`);
      const keyText = typeof key === 'string' ? key : jsonString(key);
      out[keyText] = traverse(v, `${path}/${escapePointer(k)}`, depth + 1, leaf);
    }
    return out;
  }
  return node;
}

/**
 * Substitutes `$( )` references (against `value` itself) and then `{{ }}`
 * variables (against the context) everywhere in `value`.
 */
export function substituteVariables(
  value: unknown,
  ctx: PolicyContext,
  opts: SubstituteOptions = {},
): SubstituteResult {
  const base = (opts.path ?? '').replace(/\/+$/, '');
  try {
    let doc = value;
    if (opts.references !== false) {
      doc = traverse(value, base, 0, (s, path) => substituteReferencesInString(s, value, base, path));
    }
    return { value: traverse(doc, base, 0, (s, path) => substituteString(s, ctx, path)) };
  } catch (err) {
    if (!(err instanceof SubstitutionError)) throw err;
    const message = opts.ruleName
      ? `variable substitution failed for rule ${opts.ruleName}: ${err.message}`
      : err.message;
    return { error: message };
  }
}

/** Substitutes `{{ }}` in one string (e.g. a JMESPath expression in a context entry). */
export function substituteInString(s: string, ctx: PolicyContext, path = ''): SubstituteResult {
  return substituteShared(s, ctx, { path, references: false });
}

// ---------------------------------------------------------------- compiled plans

/** A string of a rule fragment that holds `{{ }}` or `$( )`: where it is and its text. */
interface Site {
  /** Keys and indices from the fragment's root. */
  readonly at: readonly (string | number)[];
  /** The same place as a JSON-pointer suffix ("/0/key"), for `{{@}}`, `$( )` and messages. */
  readonly pointer: string;
  readonly text: string;
  readonly refs: boolean;
}

/**
 * What substitution has to visit in a fragment, computed once per fragment object: the strings that
 * may hold variables or references. 'full' when an object key holds one (keys are renamed, rare) or
 * the fragment is too deep; those take the general traversal.
 */
type Plan = readonly Site[] | 'full';

const plans = new WeakMap<object, Plan>();
const mayHold = (s: string): boolean => s.includes('{{') || s.includes('$(');

function planOf(value: object): Plan {
  const plan = plans.get(value);
  return plan !== undefined ? plan : buildSubstitutionPlan(value);
}

// apart from planOf: its closure's context would be allocated on every call, also on a cache hit
function buildSubstitutionPlan(value: object): Plan {
  const sites: Site[] = [];
  const walk = (node: unknown, at: (string | number)[], pointer: string, depth: number): boolean => {
    if (depth > SUBSTITUTION_LIMITS.maxDepth) return false;
    if (typeof node === 'string') {
      if (mayHold(node)) sites.push({ at: [...at], pointer, text: node, refs: node.includes('$(') });
      return true;
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        at.push(i);
        const ok = walk(node[i], at, `${pointer}/${i}`, depth + 1);
        at.pop();
        if (!ok) return false;
      }
      return true;
    }
    if (isObject(node)) {
      for (const k of Object.keys(node)) {
        if (mayHold(k)) return false;
        at.push(k);
        const ok = walk(node[k], at, `${pointer}/${escapePointer(k)}`, depth + 1);
        at.pop();
        if (!ok) return false;
      }
    }
    return true;
  };
  const plan: Plan = walk(value, [], '', 0) ? sites : 'full';
  plans.set(value, plan);
  return plan;
}

/** True when the value (keys included) may hold variables or references. */
export function hasSubstitutions(value: unknown): boolean {
  if (typeof value === 'string') return mayHold(value);
  if (value === null || typeof value !== 'object') return false;
  const plan = planOf(value);
  return plan === 'full' || plan.length > 0;
}

/** Copy-on-write set: copies each container on the way once (the copies above `start` in freshCopies), shares the rest. */
function setShared(root: unknown, at: readonly (string | number)[], v: unknown, start: number): unknown {
  if (at.length === 0) return v;
  const top = copyOnce(root, start);
  let cur = top as Record<string | number, unknown>;
  for (let i = 0; i < at.length - 1; i++) {
    const k = at[i] as string | number;
    const child = copyOnce(cur[k], start) as Record<string | number, unknown>;
    cur[k] = child;
    cur = child;
  }
  cur[at[at.length - 1] as string | number] = v;
  return top;
}

function copyOnce(node: unknown, start: number): unknown {
  if (node === null || typeof node !== 'object') return node;
  for (let i = start; i < freshTop; i++) if (freshCopies[i] === node) return node;
  const copy = Array.isArray(node) ? node.slice() : { ...(node as Record<string, unknown>) };
  freshCopies[freshTop++] = copy;
  return copy;
}

/**
 * The copies one substitution has made so far (copy-on-write: each container is copied once), kept in
 * one module-wide array from `start` up to freshTop — an array per substitution grown by push had room
 * for 17 at the first push. Substitutions do not nest, but each takes the part above where it started.
 */
const freshCopies: object[] = [];
let freshTop = 0;

function releaseFresh(start: number): void {
  // no references kept to the copies (they belong to the results)
  while (freshTop > start) freshCopies[--freshTop] = EMPTY;
}
const EMPTY = {};

/**
 * substituteVariables with a compiled plan: only the strings that hold `{{ }}` or `$( )` are visited,
 * and the result shares every unchanged part with `value` (the value itself when nothing changed). The
 * result is read-only: callers that modify it must copy first. Same results and errors as
 * substituteVariables (references everywhere first, then variables, in document order).
 */
export function substituteShared(
  value: unknown,
  ctx: PolicyContext,
  opts: SubstituteOptions = {},
): SubstituteResult {
  if (typeof value === 'string') {
    // one string (condition keys and values, messages): no site list, no copies
    if (!mayHold(value)) return { value };
    return substituteSharedString(value, ctx, opts);
  }
  if (value === null || typeof value !== 'object') return { value };
  const plan = planOf(value);
  if (plan === 'full') return substituteVariables(value, ctx, opts);
  if (plan.length === 0) return { value };
  const sites = plan;
  const base = basePath(opts.path);
  try {
    // references everywhere first (read from the unsubstituted value), then variables
    let texts: string[] | undefined;
    if (opts.references !== false) {
      for (let i = 0; i < sites.length; i++) {
        const site = sites[i] as Site;
        if (!site.refs) continue;
        texts ??= sites.map((x) => x.text);
        texts[i] = substituteReferencesInString(site.text, value, base, base + site.pointer);
      }
    }
    const isDelete = ctx.get('request.operation') === 'DELETE';
    let out: unknown = value;
    const start = freshTop; // copies made from here on: the paths to the substituted strings
    try {
      for (let i = 0; i < sites.length; i++) {
        const site = sites[i] as Site;
        const text = texts ? (texts[i] as string) : site.text;
        const v = text.includes('{{') ? substituteString(text, ctx, base + site.pointer, isDelete) : text;
        if (v !== site.text) out = setShared(out, site.at, v, start);
      }
    } finally {
      releaseFresh(start);
    }
    return { value: out };
  } catch (err) {
    return substitutionFailure(err, opts);
  }
}

/** substituteShared of a string that may hold variables or references. */
function substituteSharedString(
  value: string,
  ctx: PolicyContext,
  opts: SubstituteOptions,
): SubstituteResult {
  const base = basePath(opts.path);
  try {
    const text =
      opts.references !== false && value.includes('$(')
        ? substituteReferencesInString(value, value, base, base)
        : value;
    const isDelete = ctx.get('request.operation') === 'DELETE';
    return { value: text.includes('{{') ? substituteString(text, ctx, base, isDelete) : text };
  } catch (err) {
    return substitutionFailure(err, opts);
  }
}

/** The path without trailing slashes (no regular expression run for the usual path without one). */
function basePath(path: string | undefined): string {
  if (!path) return '';
  return path.endsWith('/') ? path.replace(/\/+$/, '') : path;
}

function substitutionFailure(err: unknown, opts: SubstituteOptions): SubstituteResult {
  if (!(err instanceof SubstitutionError)) throw err;
  const message = opts.ruleName
    ? `variable substitution failed for rule ${opts.ruleName}: ${err.message}`
    : err.message;
  return { error: message };
}
