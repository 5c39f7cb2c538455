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

function validateElement(
  resource: unknown,
  pattern: unknown,
  path: string,
  depth: number,
): PatternFailure | null {
  if (depth > MAX_DEPTH) return new PatternFailure(path, `pattern nesting deeper than ${MAX_DEPTH}`, 0);
  if (isObj(pattern)) {
    if (!isObj(resource)) {
      return new PatternFailure(
        path,
        `pattern and resource have different structures. Path: ${path}. Expected ${typeName(pattern)}, found ${typeName(resource)}`,
        0,
      );
    }
    return validateMap(resource, pattern, path, depth);
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(resource)) {
      return new PatternFailure(
        path,
        `validation rule failed at path ${path}, resource does not satisfy the expected overlay pattern`,
        0,
      );
    }
    return validateArray(resource, pattern, path, depth);
  }
  const pred = scalarPredicate(pattern);
  if (Array.isArray(resource)) {
    for (const r of resource) {
      if (!pred(r)) {
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
  readonly anchors: ReadonlyArray<readonly [Anchor, unknown]>;
  readonly plain: ReadonlyArray<readonly [string, unknown]>;
  /** metadata.labels/annotations with wildcard keys: expanded against each resource, not cached. */
  readonly expands: boolean;
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

function buildPlan(pattern: Obj): MapPlan {
  const anchors: Array<[Anchor, unknown]> = [];
  const plain: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(pattern)) {
    const a = parseAnchor(k);
    if (a && a.modifier !== 'addIfNotPresent') anchors.push([a, v]);
    else plain.push([a?.key ?? k, v]);
  }
  anchors.sort((x, y) => (ANCHOR_ORDER[x[0].modifier] ?? 9) - (ANCHOR_ORDER[y[0].modifier] ?? 9));
  // keys whose values hold anchors first, as upstream's getSortedNestedAnchorResource
  plain.sort((x, y) => Number(containsAnchor(y[1])) - Number(containsAnchor(x[1])));
  return { anchors, plain, expands: hasWildcardMetadata(pattern) };
}

function planOf(pattern: Obj): MapPlan {
  if (!cachePlans) return buildPlan(pattern);
  // only prepared (policy) patterns are cached: maps made by substitution for one evaluation would
  // leave weak entries on short-lived objects, which make every scavenge slower
  return mapPlans.get(pattern) ?? buildPlan(pattern);
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
  const walk = (node: unknown, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    if (Array.isArray(node)) for (const x of node) walk(x, depth + 1);
    else if (isObj(node)) {
      if (!mapPlans.has(node)) mapPlans.set(node, buildPlan(node));
      for (const k of Object.keys(node)) walk(node[k], depth + 1);
    }
  };
  walk(pattern, 0);
}

function validateMap(resource: Obj, patternIn: Obj, path: string, depth: number): PatternFailure | null {
  let plan = planOf(patternIn);
  if (plan.expands) {
    const expanded = expandInMetadata(patternIn, resource);
    if (expanded !== patternIn) plan = buildPlan(expanded);
  }
  for (const [a, v] of plan.anchors) {
    const f = handleAnchor(a, v, resource, path, depth);
    if (f) return f;
  }
  for (const [key, v] of plan.plain) {
    const current = `${path}${key}/`;
    const value = resource[key];
    if (v === '*') {
      if (value === null || value === undefined)
        return new PatternFailure(path, `${path}/${key} not found`, 0);
      continue;
    }
    const f = validateElement(value, v, current, depth + 1);
    if (f) return f;
  }
  return null;
}

function handleAnchor(
  a: Anchor,
  pattern: unknown,
  resource: Obj,
  path: string,
  depth: number,
): PatternFailure | null {
  const current = `${path}${a.key}/`;
  const present = Object.prototype.hasOwnProperty.call(resource, a.key);
  const value = resource[a.key];
  switch (a.modifier) {
    case 'negation':
      return present
        ? new PatternFailure(current, `negation anchor mismatch: ${current} is not allowed`, NEGATION)
        : null;
    case 'equality':
      return present ? validateElement(value, pattern, current, depth + 1) : null;
    case 'condition': {
      if (!present) {
        return new PatternFailure(
          current,
          `conditional anchor mismatch: conditional anchor key doesn't exist in the resource`,
          CONDITIONAL,
        );
      }
      const f = validateElement(value, pattern, current, depth + 1);
      return f
        ? new PatternFailure(f.path, `conditional anchor mismatch: ${f.message}`, f.kinds | CONDITIONAL)
        : null;
    }
    case 'global': {
      if (!present) return null;
      const f = validateElement(value, pattern, current, depth + 1);
      return f ? new PatternFailure(f.path, `global anchor mismatch: ${f.message}`, f.kinds | GLOBAL) : null;
    }
    case 'existence': {
      if (!present) return null;
      if (!Array.isArray(value)) {
        return new PatternFailure(
          current,
          `invalid resource type ${typeName(value)}: Existence ^ () anchor can be used only on list/array type resource`,
          0,
        );
      }
      if (!Array.isArray(pattern)) {
        return new PatternFailure(
          current,
          `invalid pattern type ${typeName(pattern)}: Pattern has to be of list to compare against resource`,
          0,
        );
      }
      for (const p of pattern) {
        if (!isObj(p)) {
          return new PatternFailure(
            current,
            `invalid pattern type ${typeName(pattern)}: Pattern has to be of type map to compare against items in resource`,
            0,
          );
        }
        let found = false;
        for (let i = 0; i < value.length; i++) {
          if (!validateElement(value[i], p, `${current}${i}/`, depth + 1)) {
            found = true;
            break;
          }
        }
        if (!found)
          return new PatternFailure(current, `existence anchor validation failed at path ${current}`, 0);
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
  path: string,
  depth: number,
): PatternFailure | null {
  if (pattern.length === 0) return new PatternFailure(path, 'pattern Array empty', 0);
  const first = pattern[0];
  if (isObj(first)) {
    let applied = 0;
    const skips: PatternFailure[] = [];
    for (let i = 0; i < resource.length; i++) {
      const f = validateElement(resource[i], first, `${path}${i}/`, depth + 1);
      if (f) {
        if (f.skip) {
          skips.push(f);
          continue;
        }
        return f;
      }
      applied++;
    }
    if (applied === 0 && skips.length > 0) {
      return new PatternFailure(
        path,
        skips.map((s) => s.message).join('; '),
        skips.reduce((k, s) => k | s.kinds, 0),
      );
    }
    return null;
  }
  if (!Array.isArray(first)) return validateElement(resource, first, path, depth + 1);
  if (resource.length < pattern.length) {
    return new PatternFailure(
      '',
      `validate Array failed, array length mismatch, resource Array len is ${resource.length} and pattern Array len is ${pattern.length}`,
      0,
    );
  }
  let applied = 0;
  const skips: PatternFailure[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const f = validateElement(resource[i], pattern[i], `${path}${i}/`, depth + 1);
    if (f) {
      if (f.skip) {
        skips.push(f);
        continue;
      }
      return f;
    }
    applied++;
  }
  if (applied === 0 && skips.length > 0) {
    return new PatternFailure(
      path,
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
  let f: PatternFailure | null;
  if (options.mutablePattern) {
    const saved = cachePlans;
    cachePlans = false;
    try {
      f = validateElement(resource, pattern, '/', 0);
    } finally {
      cachePlans = saved;
    }
  } else f = validateElement(resource, pattern, '/', 0);
  if (!f) return { status: 'pass' };
  if (f.skip) return { status: 'skip', message: f.message };
  return { status: 'fail', path: f.path, message: f.message };
}
