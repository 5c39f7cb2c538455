/**
 * Validate patterns: the tree walk of Kyverno's pkg/engine/validate.MatchPattern. A pattern is matched
 * against a resource element by element; anchors change what a key means; a failed conditional or global
 * anchor makes the rule (or, inside an array of maps, that element) not apply rather than fail.
 *
 * The outcome is one of pass, fail (with the path of the first mismatch, e.g. `/spec/containers/0/image/`)
 * or skip (a conditional or global anchor did not hold).
 */
import { parseAnchor, containsAnchor, type Anchor } from './anchor.js';
import { compileScalarPattern, type ScalarPredicate } from './scalar.js';
import { hasWildcard, wildcardMatch } from './wildcard.js';

export type PatternOutcome =
  | { readonly status: 'pass' }
  | { readonly status: 'fail'; readonly path: string; readonly message: string }
  | { readonly status: 'skip'; readonly message: string };

const CONDITIONAL = 1;
const GLOBAL = 2;
const NEGATION = 4;

class PatternFailure {
  constructor(
    readonly path: string,
    readonly message: string,
    readonly kinds: number,
  ) {}
  get skip(): boolean {
    return (this.kinds & (CONDITIONAL | GLOBAL)) !== 0;
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const scalarCache = new Map<string, ScalarPredicate>();
function scalarPredicate(pattern: unknown): ScalarPredicate {
  if (typeof pattern !== 'string') return compileScalarPattern(pattern);
  let p = scalarCache.get(pattern);
  if (!p) {
    p = compileScalarPattern(pattern);
    if (scalarCache.size < 50_000) scalarCache.set(pattern, p);
  }
  return p;
}

/** Go's %v for messages. */
function show(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  return `map[${Object.keys(v)
    .sort()
    .map((k) => `${k}:${show((v as Obj)[k])}`)
    .join(' ')}]`;
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'object') return 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return typeof v;
}

const MAX_DEPTH = 200;

/**
 * The walk's path below the root, as keys and indices; a failure's path (`/spec/containers/0/image/`) is
 * joined from it when the failure is made. Building `${path}${key}/` for every visited key was most of
 * the garbage of a walk that passes. matchPattern empties it after each walk.
 */
const segments: Array<string | number> = [];
/** How many of `segments` are in use: an index, not push/pop and `length = 0`, which would free the
 * array's storage after every walk and grow it again in the next. Segments are pattern keys and indices. */
let top = 0;

function enter(segment: string | number): void {
  segments[top++] = segment;
}

function leave(): void {
  top--;
}

/** The current path, as the walk used to carry it ("/" and every segment followed by "/"). */
function currentPath(): string {
  let p = '/';
  for (let i = 0; i < top; i++) p += `${segments[i] as string | number}/`;
  return p;
}

/**
 * `original`: the same place in the policy's own (prepared) pattern when `pattern` is a substituted copy
 * of it, so the copy's maps can walk by the original's plans (undefined when unknown).
 */
function validateElement(
  resource: unknown,
  pattern: unknown,
  original: unknown,
  depth: number,
): PatternFailure | null {
  if (depth > MAX_DEPTH)
    return new PatternFailure(currentPath(), `pattern nesting deeper than ${MAX_DEPTH}`, 0);
  if (isObj(pattern)) {
    if (!isObj(resource)) {
      const path = currentPath();
      return new PatternFailure(
        path,
        `pattern and resource have different structures. Path: ${path}. Expected ${typeName(pattern)}, found ${typeName(resource)}`,
        0,
      );
    }
    return validateMap(resource, pattern, original, depth);
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(resource)) {
      const path = currentPath();
      return new PatternFailure(
        path,
        `validation rule failed at path ${path}, resource does not satisfy the expected overlay pattern`,
        0,
      );
    }
    return validateArray(resource, pattern, original, depth);
  }
  const pred = scalarPredicate(pattern);
  if (Array.isArray(resource)) {
    for (const r of resource) {
      if (!pred(r)) {
        const path = currentPath();
        return new PatternFailure(
          path,
          `resource value '${show(resource)}' does not match '${show(pattern)}' at path ${path}`,
          0,
        );
      }
    }
    return null;
  }
  if (!pred(resource)) {
    const path = currentPath();
    return new PatternFailure(
      path,
      `resource value '${show(resource)}' does not match '${show(pattern)}' at path ${path}`,
      0,
    );
  }
  return null;
}

/** Wildcard keys under metadata.labels / metadata.annotations expand to the resource's matching keys. */
function expandInMetadata(patternMap: Obj, resourceMap: Obj): Obj {
  const pm = patternMap['metadata'];
  const rm = resourceMap['metadata'];
  if (!isObj(pm) || !isObj(rm)) return patternMap;
  let out: Obj | undefined;
  for (const tag of ['labels', 'annotations']) {
    for (const pk of Object.keys(pm)) {
      if ((parseAnchor(pk)?.key ?? pk) !== tag) continue;
      const pdata = pm[pk];
      const rdata = rm[tag];
      if (!isObj(pdata) || !isObj(rdata)) continue;
      if (!Object.keys(pdata).some(hasWildcard)) continue;
      const expanded: Obj = {};
      for (const [k, v] of Object.entries(pdata)) {
        const a = parseAnchor(k);
        const bare = a ? a.key : k;
        if (!hasWildcard(bare)) {
          expanded[k] = v;
          continue;
        }
        for (const rk of Object.keys(rdata)) {
          if (!wildcardMatch(bare, rk)) continue;
          const key = a ? k.replace(`(${bare})`, `(${rk})`) : rk;
          expanded[key] = v;
        }
      }
      out ??= { ...patternMap, metadata: { ...pm } };
      (out['metadata'] as Obj)[pk] = expanded;
    }
  }
  return out ?? patternMap;
}

const ANCHOR_ORDER: Record<string, number> = {
  global: 0,
  condition: 1,
  existence: 2,
  equality: 3,
  negation: 4,
  addIfNotPresent: 5,
};

/**
 * How a pattern map is walked — anchors in Kyverno's order, then the plain keys (bare key, value), those
 * whose values hold anchors first — computed once per pattern object (cached by identity; policy
 * patterns and the unchanged parts of substituted ones keep their identity between requests).
 */
interface MapPlan {
  /** Anchored keys: the anchor and the key as the pattern spells it. */
  readonly anchors: ReadonlyArray<readonly [Anchor, string]>;
  /** Plain keys: the bare key, the key as spelled, and whether the value holds anchors. */
  readonly plain: ReadonlyArray<readonly [string, string, boolean]>;
  /** metadata.labels/annotations with wildcard keys: expanded against each resource, not cached. */
  readonly expands: boolean;
  /** Number of keys. */
  readonly size: number;
}

const mapPlans = new WeakMap<Obj, MapPlan>();
/**
 * False while matching patterns that their caller modifies between calls (strategic merge
 * preprocessing works on a copy it edits), so no plan outlives the keys it was built from.
 */
let cachePlans = true;

function hasWildcardMetadata(pattern: Obj): boolean {
  const pm = pattern['metadata'];
  if (!isObj(pm)) return false;
  return Object.keys(pm).some((pk) => {
    const tag = parseAnchor(pk)?.key ?? pk;
    const data = pm[pk];
    return (tag === 'labels' || tag === 'annotations') && isObj(data) && Object.keys(data).some(hasWildcard);
  });
}

/** The plan holds keys, not values: a copy with the same keys walks by it (values read from the copy). */
function buildPlan(pattern: Obj): MapPlan {
  const anchors: Array<[Anchor, string]> = [];
  const plain: Array<[string, string, boolean]> = [];
  for (const k of Object.keys(pattern)) {
    const a = parseAnchor(k);
    if (a && a.modifier !== 'addIfNotPresent') anchors.push([a, k]);
    else plain.push([a?.key ?? k, k, containsAnchor(pattern[k])]);
  }
  anchors.sort((x, y) => (ANCHOR_ORDER[x[0].modifier] ?? 9) - (ANCHOR_ORDER[y[0].modifier] ?? 9));
  // keys whose values hold anchors first, as upstream's getSortedNestedAnchorResource
  plain.sort((x, y) => Number(y[2]) - Number(x[2]));
  return { anchors, plain, expands: hasWildcardMetadata(pattern), size: anchors.length + plain.length };
}

/**
 * The plan of `pattern`; for a substituted copy of a prepared map (`original`), the original's plan when
 * it holds for the copy: the same keys, the same answer to "holds anchors" for every value that differs
 * (a substituted string may have become a map), and metadata unchanged (wildcard expansion).
 */
function planOf(pattern: Obj, original: unknown): MapPlan {
  if (!cachePlans) return buildPlan(pattern);
  // only prepared (policy) patterns are cached: maps made by substitution for one evaluation would
  // leave weak entries on short-lived objects, which make every scavenge slower
  const own = mapPlans.get(pattern);
  if (own) return own;
  if (original === pattern || !isObj(original)) return buildPlan(pattern);
  const plan = mapPlans.get(original);
  if (!plan || !sameShape(pattern, original, plan)) return buildPlan(pattern);
  return plan;
}

function sameShape(copy: Obj, original: Obj, plan: MapPlan): boolean {
  let n = 0;
  for (const k in copy) {
    if (!Object.prototype.hasOwnProperty.call(copy, k)) continue;
    if (!Object.prototype.hasOwnProperty.call(original, k)) return false;
    n++;
  }
  if (n !== plan.size) return false;
  if (copy['metadata'] !== original['metadata']) return false;
  for (let i = 0; i < plan.plain.length; i++) {
    const [, k, anchored] = plan.plain[i] as readonly [string, string, boolean];
    const v = copy[k];
    if (v !== original[k] && containsAnchor(v) !== anchored) return false;
  }
  return true;
}

const prepared = new WeakSet<object>();

/**
 * Compiles the walk plans of a policy's pattern (every map in it) once; call it with the pattern as the
 * policy holds it (before variable substitution — the unchanged parts of a substituted pattern are the
 * same objects). The pattern must not be modified afterwards.
 */
export function preparePattern(pattern: unknown): void {
  if (pattern === null || typeof pattern !== 'object' || prepared.has(pattern)) return;
  prepared.add(pattern);
  preparePlans(pattern, 0);
}

// a function of its own, not a closure in preparePattern: a closure's context would be allocated on
// every call, also the usual one that returns at once
function preparePlans(node: unknown, depth: number): void {
  if (depth > MAX_DEPTH) return;
  if (Array.isArray(node)) for (const x of node) preparePlans(x, depth + 1);
  else if (isObj(node)) {
    if (!mapPlans.has(node)) mapPlans.set(node, buildPlan(node));
    for (const k of Object.keys(node)) preparePlans(node[k], depth + 1);
  }
}

function childOf(original: unknown, key: string): unknown {
  return isObj(original) ? original[key] : undefined;
}

function validateMap(resource: Obj, patternIn: Obj, original: unknown, depth: number): PatternFailure | null {
  let plan = planOf(patternIn, original);
  let pattern = patternIn;
  if (plan.expands) {
    const expanded = expandInMetadata(patternIn, resource);
    if (expanded !== patternIn) {
      plan = buildPlan(expanded);
      pattern = expanded;
      original = undefined;
    }
  }
  for (let i = 0; i < plan.anchors.length; i++) {
    const [a, k] = plan.anchors[i] as readonly [Anchor, string];
    enter(a.key);
    const f = handleAnchor(a, pattern[k], childOf(original, k), resource, depth);
    leave();
    if (f) return f;
  }
  for (let i = 0; i < plan.plain.length; i++) {
    const [key, k] = plan.plain[i] as readonly [string, string, boolean];
    const v = pattern[k];
    const value = resource[key];
    if (v === '*') {
      if (value === null || value === undefined) {
        const path = currentPath();
        return new PatternFailure(path, `${path}/${key} not found`, 0);
      }
      continue;
    }
    enter(key);
    const f = validateElement(value, v, childOf(original, k), depth + 1);
    leave();
    if (f) return f;
  }
  return null;
}

/** One anchored key; its key is the last of the walk's segments. */
function handleAnchor(
  a: Anchor,
  pattern: unknown,
  original: unknown,
  resource: Obj,
  depth: number,
): PatternFailure | null {
  const present = Object.prototype.hasOwnProperty.call(resource, a.key);
  const value = resource[a.key];
  switch (a.modifier) {
    case 'negation': {
      if (!present) return null;
      const current = currentPath();
      return new PatternFailure(current, `negation anchor mismatch: ${current} is not allowed`, NEGATION);
    }
    case 'equality':
      return present ? validateElement(value, pattern, original, depth + 1) : null;
    case 'condition': {
      if (!present) {
        return new PatternFailure(
          currentPath(),
          `conditional anchor mismatch: conditional anchor key doesn't exist in the resource`,
          CONDITIONAL,
        );
      }
      const f = validateElement(value, pattern, original, depth + 1);
      return f
        ? new PatternFailure(f.path, `conditional anchor mismatch: ${f.message}`, f.kinds | CONDITIONAL)
        : null;
    }
    case 'global': {
      if (!present) return null;
      const f = validateElement(value, pattern, original, depth + 1);
      return f ? new PatternFailure(f.path, `global anchor mismatch: ${f.message}`, f.kinds | GLOBAL) : null;
    }
    case 'existence': {
      if (!present) return null;
      if (!Array.isArray(value)) {
        return new PatternFailure(
          currentPath(),
          `invalid resource type ${typeName(value)}: Existence ^ () anchor can be used only on list/array type resource`,
          0,
        );
      }
      if (!Array.isArray(pattern)) {
        return new PatternFailure(
          currentPath(),
          `invalid pattern type ${typeName(pattern)}: Pattern has to be of list to compare against resource`,
          0,
        );
      }
      for (let j = 0; j < pattern.length; j++) {
        const p: unknown = pattern[j];
        if (!isObj(p)) {
          return new PatternFailure(
            currentPath(),
            `invalid pattern type ${typeName(pattern)}: Pattern has to be of type map to compare against items in resource`,
            0,
          );
        }
        const o = Array.isArray(original) ? (original[j] as unknown) : undefined;
        let found = false;
        for (let i = 0; i < value.length; i++) {
          enter(i);
          const f = validateElement(value[i], p, o, depth + 1);
          leave();
          if (!f) {
            found = true;
            break;
          }
        }
        if (!found) {
          const current = currentPath();
          return new PatternFailure(current, `existence anchor validation failed at path ${current}`, 0);
        }
      }
      return null;
    }
    case 'addIfNotPresent':
      return null;
  }
}

function validateArray(
  resource: unknown[],
  pattern: unknown[],
  original: unknown,
  depth: number,
): PatternFailure | null {
  if (pattern.length === 0) return new PatternFailure(currentPath(), 'pattern Array empty', 0);
  const originals = Array.isArray(original) ? original : undefined;
  const first = pattern[0];
  if (isObj(first)) {
    let applied = 0;
    let skips: PatternFailure[] | undefined;
    for (let i = 0; i < resource.length; i++) {
      enter(i);
      const f = validateElement(resource[i], first, originals?.[0], depth + 1);
      leave();
      if (f) {
        if (f.skip) {
          (skips ??= []).push(f);
          continue;
        }
        return f;
      }
      applied++;
    }
    if (applied === 0 && skips !== undefined) {
      return new PatternFailure(
        currentPath(),
        skips.map((s) => s.message).join('; '),
        skips.reduce((k, s) => k | s.kinds, 0),
      );
    }
    return null;
  }
  if (!Array.isArray(first)) return validateElement(resource, first, originals?.[0], depth + 1);
  if (resource.length < pattern.length) {
    return new PatternFailure(
      '',
      `validate Array failed, array length mismatch, resource Array len is ${resource.length} and pattern Array len is ${pattern.length}`,
      0,
    );
  }
  let applied = 0;
  let skips: PatternFailure[] | undefined;
  for (let i = 0; i < pattern.length; i++) {
    enter(i);
    const f = validateElement(resource[i], pattern[i], originals?.[i], depth + 1);
    leave();
    if (f) {
      if (f.skip) {
        (skips ??= []).push(f);
        continue;
      }
      return f;
    }
    applied++;
  }
  if (applied === 0 && skips !== undefined) {
    return new PatternFailure(
      currentPath(),
      skips.map((s) => s.message).join('; '),
      skips.reduce((k, s) => k | s.kinds, 0),
    );
  }
  return null;
}

/**
 * Matches a resource against a validate pattern. The pattern is read-only: its walk plans are cached by
 * identity, unless `mutablePattern` says the caller edits it between calls.
 */
export function matchPattern(
  resource: unknown,
  pattern: unknown,
  options: { readonly mutablePattern?: boolean } = {},
): PatternOutcome {
  return walk(resource, pattern, undefined, options.mutablePattern === true);
}

/**
 * matchPattern of a pattern that variable substitution made from `original`, a prepared policy pattern
 * (preparePattern): the copy's maps walk by the original's plans where those hold.
 */
export function matchSubstitutedPattern(
  resource: unknown,
  pattern: unknown,
  original: unknown,
): PatternOutcome {
  return walk(resource, pattern, original, false);
}

const PASS: PatternOutcome = { status: 'pass' };

function walk(
  resource: unknown,
  pattern: unknown,
  original: unknown,
  mutablePattern: boolean,
): PatternOutcome {
  let f: PatternFailure | null;
  // the walk starts at the root (a walk that threw may have left segments behind)
  top = 0;
  const savedCache = cachePlans;
  if (mutablePattern) cachePlans = false;
  try {
    f = validateElement(resource, pattern, original, 0);
  } finally {
    cachePlans = savedCache;
    top = 0;
  }
  if (!f) return PASS;
  if (f.skip) return { status: 'skip', message: f.message };
  return { status: 'fail', path: f.path, message: f.message };
}
