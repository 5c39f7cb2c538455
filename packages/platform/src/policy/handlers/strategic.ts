/**
 * patchStrategicMerge as Kyverno applies it (pkg/engine/mutate/patch): the patch is first
 * *preprocessed* against the resource — add-if-not-present anchors `+(key)` resolved, conditional
 * `(key)` and global `<(key)` anchors checked, and every list element holding anchors expanded into
 * one plain element per matching resource element (named after it) — then the anchors are deleted and
 * the plain patch is merged as a strategic merge patch (maps merged, `null` deletes, lists of maps
 * merged by their key field, other lists replaced).
 *
 * A conditional anchor that fails outside a list, or a global anchor that fails anywhere, turns the
 * whole patch into `{}` (nothing applied), as Kyverno does.
 */
import { cloneJson, copyObject } from '../engine/copy.js';
import type { Obj } from '../engine/types.js';
import { parseAnchor, type Anchor } from '../pattern/anchor.js';
import { matchPattern } from '../pattern/validate.js';

const MAX_DEPTH = 100;
/** matchPattern's options for the patch copies preprocessing edits (one object, not one per call). */
const MUTABLE_PATTERN = { mutablePattern: true } as const;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function has(o: unknown, k: string): o is Obj {
  return isObj(o) && Object.prototype.hasOwnProperty.call(o, k);
}

class ConditionError extends Error {
  constructor(
    message: string,
    readonly global: boolean,
  ) {
    super(message);
  }
}
/**
 * Anchor mismatches are control flow (the patch or an element is skipped) and their message is never
 * shown, so two preallocated errors are thrown instead of building one (and its stack) per mismatch.
 */
const GLOBAL_MISMATCH = new ConditionError('global condition failed', true);
const CONDITION_MISMATCH = new ConditionError('condition failed', false);

const isCondition = (a: Anchor | null): boolean => a?.modifier === 'condition';
const isGlobal = (a: Anchor | null): boolean => a?.modifier === 'global';
const containsCondition = (a: Anchor | null): boolean => isCondition(a) || isGlobal(a);
const isAddIfNotPresent = (a: Anchor | null): boolean => a?.modifier === 'addIfNotPresent';
const hasAnchor = (a: Anchor | null): boolean => containsCondition(a) || isAddIfNotPresent(a);

/** Renames a key in place, keeping the key order. */
function renameKey(o: Obj, from: string, to: string): void {
  const entries = Object.entries(o);
  for (const k of Object.keys(o)) delete o[k];
  for (const [k, v] of entries) o[k === from ? to : k] = v;
}

/** Resolves `+(key)`: dropped when the resource has the key, else renamed to the key. Returns the count. */
function handleAddIfNotPresent(pattern: unknown, resource: unknown): number {
  if (!isObj(pattern)) return 0;
  // most maps have no `+(key)`: look before taking a copy of the keys to edit them
  let any = false;
  for (const k in pattern) {
    if (isAddIfNotPresent(parseAnchor(k))) {
      any = true;
      break;
    }
  }
  if (!any) return 0;
  let n = 0;
  for (const k of Object.keys(pattern)) {
    const a = parseAnchor(k);
    if (!a || !isAddIfNotPresent(a)) continue;
    n++;
    if (has(resource, a.key)) delete pattern[k];
    else renameKey(pattern, k, a.key);
  }
  return n;
}

function validateConditionsOf(
  pattern: Obj,
  resource: unknown,
  filter: (a: Anchor | null) => boolean,
  global: boolean,
): void {
  // for-in: this loop edits children (handleAddIfNotPresent), never `pattern`'s own keys
  for (const k in pattern) {
    const a = parseAnchor(k);
    if (!a || !filter(a)) continue;
    if (!has(resource, a.key)) throw global ? GLOBAL_MISMATCH : CONDITION_MISMATCH;
    const pv = pattern[k];
    const rv = resource[a.key];
    if (handleAddIfNotPresent(pv, rv) > 0) continue;
    // the patch copy is edited as preprocessing goes on: no cached walk plans for it
    const out = matchPattern(rv, pv, MUTABLE_PATTERN);
    if (out.status !== 'pass') throw global ? GLOBAL_MISMATCH : CONDITION_MISMATCH;
  }
}

function hasAnchors(node: unknown, pred: (a: Anchor | null) => boolean): boolean {
  if (isObj(node)) {
    // for-in over JSON objects (own keys only): no entries array per visited map
    for (const k in node) {
      const a = parseAnchor(k);
      if (a && pred(a)) return true;
      const v = node[k];
      if (v !== null && v !== undefined && typeof v === 'object' && hasAnchors(v, pred)) return true;
    }
    return false;
  }
  if (Array.isArray(node)) {
    for (const e of node) if (hasAnchors(e, pred)) return true;
    return false;
  }
  if (typeof node === 'string') return containsCondition(parseAnchor(node));
  return false;
}

function preprocess(pattern: unknown, resource: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new Error(`patch nested deeper than ${MAX_DEPTH}`);
  if (isObj(pattern)) walkMap(pattern, resource, depth);
  else if (Array.isArray(pattern) && pattern.length && isObj(pattern[0]))
    processListOfMaps(pattern, resource, depth);
}

function walkMap(pattern: Obj, resource: unknown, depth: number): void {
  handleAddIfNotPresent(pattern, resource);
  validateConditionsOf(pattern, resource, isGlobal, true);
  validateConditionsOf(pattern, resource, isCondition, false);
  for (const k in pattern) {
    const a = parseAnchor(k);
    if (a && hasAnchor(a)) continue;
    preprocess(pattern[k], isObj(resource) ? resource[k] : undefined, depth + 1);
  }
}

function processListOfMaps(pattern: unknown[], resource: unknown, depth: number): void {
  const elements = [...pattern];
  const resourceElements = Array.isArray(resource) ? resource : [];
  for (const element of elements) {
    if (!hasAnchors(element, hasAnchor)) continue;
    const hasGlobal = hasAnchors(element, isGlobal);
    let anyGlobalPassed = false;
    let lastGlobal: ConditionError | undefined;
    // one copy for all resource elements, as Kyverno does
    const copy: unknown = cloneJson(element);
    for (const re of resourceElements) {
      try {
        preprocess(copy, re, depth + 1);
      } catch (err) {
        if (err instanceof ConditionError) {
          if (err.global) lastGlobal = err;
          continue;
        }
        throw err;
      }
      if (hasGlobal) anyGlobalPassed = true;
      else handlePatternName(pattern, copy, re);
    }
    if (resource === undefined || resource === null) {
      try {
        preprocess(copy, undefined, depth + 1);
      } catch (err) {
        if (err instanceof ConditionError && !err.global) continue;
        throw err;
      }
      if (hasGlobal) anyGlobalPassed = true;
    }
    if (!anyGlobalPassed && lastGlobal) throw lastGlobal;
  }
}

/** Appends a plain copy of the element (anchors deleted) named after the resource element. */
function handlePatternName(pattern: unknown[], element: unknown, resourceElement: unknown): void {
  if (!isObj(resourceElement)) return;
  const name = resourceElement['name'];
  if (name === undefined || name === null || name === '') return;
  let node: unknown;
  try {
    node = stripped(element, true);
  } catch (err) {
    if (err !== PROTO_KEY) throw err;
    // a `__proto__` key: the copy and deletion in place, whose assignments treat it their own way
    node = cloneJson(element);
    if (deleteAnchors(node, true)) node = DELETED;
  }
  if (node === DELETED || !isObj(node)) return;
  node['name'] = name;
  pattern.push(node);
}

const DELETED: unique symbol = Symbol('deleted');
/** Thrown by stripped() at a `__proto__` key (handlePatternName then copies and deletes in place). */
const PROTO_KEY = new Error('__proto__ key');

/**
 * What cloneJson(node) and then deleteAnchors(copy, deleteScalar) leave (DELETED where that says to
 * delete), built as new maps and lists instead: the deletions in place turned the copies into
 * dictionary-mode objects, and every later for-in over them allocated its list of keys.
 */
function stripped(node: unknown, deleteScalar: boolean): unknown {
  if (isObj(node)) return strippedMap(node);
  if (Array.isArray(node)) {
    const out: unknown[] = [];
    for (let i = 0; i < node.length; i++) {
      const e: unknown = node[i];
      if (hasAnchors(e, hasAnchor)) continue;
      const r = stripped(e, false);
      if (r !== DELETED) out.push(r);
    }
    return out.length === 0 && node.length !== 0 ? DELETED : out;
  }
  return deleteScalar ? DELETED : node;
}

/** deleteAnchorsInMap's three steps on a map, without changing it. */
function strippedMap(node: Obj): unknown {
  let src = node;
  let anchored = false;
  for (const k in node) {
    if (k === '__proto__') throw PROTO_KEY;
    if (containsCondition(parseAnchor(k))) anchored = true;
  }
  if (anchored) {
    // condition and global anchors: their values (deleted when nothing is left), then the keys renamed
    const obj: Obj = {};
    let anchorsExist = false;
    for (const k in node) {
      const a = parseAnchor(k);
      if (a && containsCondition(a)) {
        if (a.key === '__proto__') throw PROTO_KEY;
        const r = stripped(node[k], true);
        if (r === DELETED) continue;
        anchorsExist = true;
        obj[k] = r;
      } else obj[k] = node[k];
    }
    if (anchorsExist)
      for (const k of Object.keys(obj)) {
        const a = parseAnchor(k);
        if (a && containsCondition(a)) renameKey(obj, k, a.key);
      }
    src = obj;
  }
  const out: Obj = {};
  let empty = true;
  for (const k in src) {
    const r = stripped(src[k], false);
    if (r === DELETED) continue;
    empty = false;
    out[k] = r;
  }
  return empty ? DELETED : out;
}

/** Deletes condition anchors (and list elements holding anchors); true when the node is left empty. */
function deleteAnchors(node: unknown, deleteScalar: boolean): boolean {
  if (isObj(node)) return deleteAnchorsInMap(node);
  if (Array.isArray(node)) return deleteAnchorsInList(node);
  return deleteScalar;
}

function deleteAnchorsInMap(node: Obj): boolean {
  let anchorsExist = false;
  // for-in while deleting the visited key is well defined (keys not yet visited that are deleted are skipped)
  for (const k in node) {
    const a = parseAnchor(k);
    if (!a || !containsCondition(a)) continue;
    if (deleteAnchors(node[k], true)) delete node[k];
    else anchorsExist = true;
  }
  if (anchorsExist)
    for (const k of Object.keys(node)) {
      const a = parseAnchor(k);
      if (a && containsCondition(a)) renameKey(node, k, a.key);
    }
  let needToDelete = true;
  for (const k in node) {
    if (deleteAnchors(node[k], false)) delete node[k];
    else needToDelete = false;
  }
  return needToDelete;
}

function deleteAnchorsInList(node: unknown[]): boolean {
  const wasEmpty = node.length === 0;
  // compacted in place (a filter, then splice with the kept elements spread, made two arrays per list)
  let kept = 0;
  for (let i = 0; i < node.length; i++) {
    const e = node[i];
    if (hasAnchors(e, hasAnchor) ? false : !deleteAnchors(e, false)) node[kept++] = e;
  }
  node.length = kept;
  return node.length === 0 && !wasEmpty;
}

function deleteConditionElements(pattern: Obj): void {
  // for-in while deleting the visited key is well defined (no list of the keys made)
  for (const k in pattern) {
    if (deleteAnchors(pattern[k], containsCondition(parseAnchor(k)))) delete pattern[k];
  }
}

/** Deep equality of JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObj(a) && isObj(b)) {
    let na = 0;
    for (const k in a) {
      na++;
      if (!has(b, k) || !deepEqual(a[k], b[k])) return false;
    }
    let nb = 0;
    for (const k in b) if (has(b, k)) nb++;
    return na === nb;
  }
  return false;
}

/** Keys lists of maps are merged by (kyaml's associative keys), in order of preference. */
const MERGE_KEYS = ['name', 'mountPath', 'containerPort', 'devicePath', 'ip', 'topologyKey'];

function mergeValue(base: unknown, patch: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Error(`patch nested deeper than ${MAX_DEPTH}`);
  if (isObj(patch)) {
    // copyObject, not spread: the patch may add keys (engine/copy.ts)
    const out: Obj = isObj(base) ? copyObject(base) : {};
    for (const k in patch) {
      const v = patch[k];
      if (v === null) delete out[k];
      else if (k === '__proto__') {
        // A key like any other in a document: never the object's prototype.
        const own = Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined;
        Object.defineProperty(out, k, {
          value: mergeValue(own, v, depth + 1),
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else out[k] = mergeValue(out[k], v, depth + 1);
    }
    return out;
  }
  if (Array.isArray(patch) && patch.length && Array.isArray(base) && allMaps(patch)) {
    const key = mergeKeyOf(patch);
    if (key === undefined) return cloneJson(patch);
    const out = base.slice();
    for (const p of patch) {
      const i = indexByKey(out, key, p[key]);
      if (i >= 0) out[i] = mergeValue(out[i], p, depth + 1);
      else out.push(cloneJson(p));
    }
    return out;
  }
  return cloneJson(patch);
}

// loops rather than every/find/findIndex with closures: mergeValue runs for every list a patch touches

function allMaps(list: readonly unknown[]): list is Obj[] {
  for (let i = 0; i < list.length; i++) if (!isObj(list[i])) return false;
  return true;
}

/** The first merge key every element has; undefined when none. */
function mergeKeyOf(list: readonly Obj[]): string | undefined {
  for (const k of MERGE_KEYS) {
    let all = true;
    for (let i = 0; i < list.length; i++) {
      if (!has(list[i], k)) {
        all = false;
        break;
      }
    }
    if (all) return k;
  }
  return undefined;
}

function indexByKey(list: readonly unknown[], key: string, value: unknown): number {
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (isObj(e) && e[key] === value) return i;
  }
  return -1;
}

/**
 * cloneJson for preprocessing, except that list elements holding anchors are shared, not copied:
 * preprocessing only reads them (processListOfMaps copies an element before it edits it) and the
 * anchor deletion drops them from their lists without touching them.
 */
function cloneForPreprocess<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out: unknown[] = v.slice();
    for (let i = 0; i < out.length; i++) {
      const e: unknown = out[i];
      if (!hasAnchors(e, hasAnchor)) out[i] = cloneForPreprocess(e);
    }
    return out as T;
  }
  if (!isObj(v) || Object.getPrototypeOf(v) !== Object.prototype) return cloneJson(v);
  const out: Obj = {};
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    if (k === '__proto__') return cloneJson(v);
    out[k] = cloneForPreprocess(v[k]);
  }
  return out as T;
}

/** True when a map below the root (in a map or list, at any depth) has no keys. */
function hasEmptyMap(node: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) return true;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++)
      if (hasEmptyMap(node[i], depth + 1) || isEmptyMap(node[i])) return true;
    return false;
  }
  if (!isObj(node)) return false;
  for (const k in node) {
    const v = node[k];
    if (isEmptyMap(v) || hasEmptyMap(v, depth + 1)) return true;
  }
  return false;
}

function isEmptyMap(v: unknown): boolean {
  if (!isObj(v)) return false;
  for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k)) return false;
  return true;
}

/**
 * Overlays without any anchor preprocess the same way whatever the resource: their plain patch is
 * computed once per overlay object (variable-free overlays keep their identity between requests).
 */
const plainPatches = new WeakMap<Obj, Obj>();

/**
 * Applies a patchStrategicMerge overlay (variables already substituted) to a resource. `transient`:
 * the overlay was built for this evaluation only (not worth caching).
 */
export function strategicMergePatch(
  resource: Obj,
  overlay: Obj,
  options: { readonly transient?: boolean } = {},
): Obj {
  const cached = options.transient ? undefined : plainPatches.get(overlay);
  if (cached) return mergeValue(resource, cached, 0) as Obj;
  if (!hasAnchors(overlay, hasAnchor)) {
    // without anchors, preprocessing only prunes empty maps (and what empties with them): an overlay
    // without any is its own plain patch (mergeValue copies what it takes from a patch, never edits it)
    if (!hasEmptyMap(overlay, 0)) return mergeValue(resource, overlay, 0) as Obj;
    const plain = cloneJson(overlay);
    preprocess(plain, undefined, 0);
    deleteConditionElements(plain);
    // an overlay made for this one evaluation (variables substituted) is never seen again: caching it
    // would only add weak entries for the GC to process
    if (!options.transient) plainPatches.set(overlay, plain);
    return mergeValue(resource, plain, 0) as Obj;
  }
  let patch = cloneForPreprocess(overlay);
  try {
    preprocess(patch, resource, 0);
    deleteConditionElements(patch);
  } catch (err) {
    if (!(err instanceof ConditionError)) throw err;
    patch = {};
  }
  return mergeValue(resource, patch, 0) as Obj;
}
