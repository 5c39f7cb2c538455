/**
 * Preconditions and deny conditions: `{{ }}` substituted in key and value, then the operator applied.
 * Accepts the old list form (all must hold) and the any/all form (every `all` and at least one `any`).
 */
import { substituteShared, type PolicyContext, type SubstituteOptions } from '../context/index.js';
import { evaluateOperator } from '../pattern/conditions.js';
import { mayHaveVariables } from './substitute.js';

type Obj = Record<string, unknown>;

export type ConditionOutcome = { ok: true; value: boolean; message: string } | { ok: false; error: string };

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// The {key, value} part of each condition, one object per condition, so its substitution plan is
// compiled once and reused (plans are cached by object identity); and whether key and value can be
// substituted one at a time (no `$( )` reference, which reads the {key, value} map itself): then no
// copy of the map is made per evaluation.
interface KeyValue {
  readonly kv: Obj;
  readonly split: boolean;
  readonly keyVars: boolean;
  readonly valueVars: boolean;
  /** The list path and index keyOpts and valueOpts were last made for. */
  listPath: string;
  index: number;
  /** Substitution options of key and value (their paths, no references), made with the paths. */
  keyOpts: SubstituteOptions;
  valueOpts: SubstituteOptions;
}
const keyValues = new WeakMap<Obj, KeyValue>();
const NO_PATH: SubstituteOptions = { references: false };

function splittable(v: unknown): boolean {
  return typeof v === 'string' ? !v.includes('$(') : !mayHaveVariables(v);
}

function keyValueOf(c: Obj): KeyValue {
  let kv = keyValues.get(c);
  if (!kv) {
    const key = c['key'];
    const value = c['value'];
    const whole: Obj = { key, value };
    kv = {
      kv: whole,
      split: splittable(key) && splittable(value),
      keyVars: mayHaveVariables(key),
      valueVars: mayHaveVariables(value),
      listPath: '',
      index: -1,
      keyOpts: NO_PATH,
      valueOpts: NO_PATH,
    };
    keyValues.set(c, kv);
  }
  return kv;
}

/** The key's and value's substitution options (made once per condition and list path, not per evaluation). */
function pathsOf(kv: KeyValue, path: string, i: number): KeyValue {
  if (kv.index !== i || kv.listPath !== path) {
    kv.listPath = path;
    kv.index = i;
    kv.keyOpts = { path: `${path}/${i}/key`, references: false };
    kv.valueOpts = { path: `${path}/${i}/value`, references: false };
  }
  return kv;
}

type Outcome = ConditionOutcome;
const HOLDS: Outcome = { ok: true, value: true, message: '' };
const FAILS: Outcome = { ok: true, value: false, message: '' };

function evalList(list: unknown, ctx: PolicyContext, path: string, mode: 'any' | 'all'): ConditionOutcome {
  if (!Array.isArray(list) || list.length === 0) return HOLDS;
  let anyTrue = false;
  for (let i = 0; i < list.length; i++) {
    const c: unknown = list[i];
    if (!isObj(c)) return { ok: false, error: `condition ${path}/${i} is not a map` };
    const kv0 = keyValueOf(c);
    let key = kv0.kv['key'];
    let value = kv0.kv['value'];
    if (kv0.split) {
      // key, then value: the order the whole map's substitution visits them
      if (kv0.keyVars) {
        const sub = substituteShared(key, ctx, pathsOf(kv0, path, i).keyOpts);
        if ('error' in sub) return { ok: false, error: sub.error };
        key = sub.value;
      }
      if (kv0.valueVars) {
        const sub = substituteShared(value, ctx, pathsOf(kv0, path, i).valueOpts);
        if ('error' in sub) return { ok: false, error: sub.error };
        value = sub.value;
      }
    } else if (kv0.keyVars || kv0.valueVars) {
      const sub = substituteShared(kv0.kv, ctx, { path: `${path}/${i}` });
      if ('error' in sub) return { ok: false, error: sub.error };
      const kv = sub.value as Obj;
      key = kv['key'];
      value = kv['value'];
    }
    const op = typeof c['operator'] === 'string' ? c['operator'] : '';
    const r = evaluateOperator(op, key, value);
    if (r === undefined) return { ok: false, error: `unknown condition operator ${JSON.stringify(op)}` };
    if (mode === 'all' && !r) {
      const msg = typeof c['message'] === 'string' ? c['message'] : '';
      return msg === '' ? FAILS : { ok: true, value: false, message: msg };
    }
    if (r) anyTrue = true;
    if (mode === 'any' && r) return HOLDS;
  }
  return mode === 'all' || anyTrue ? HOLDS : FAILS;
}

// `${path}/all` and `${path}/any` for the few paths callers pass, made once
const subPaths = new Map<string, { all: string; any: string }>();
function subPath(path: string, which: 'all' | 'any'): string {
  let p = subPaths.get(path);
  if (p === undefined) {
    p = { all: `${path}/all`, any: `${path}/any` };
    if (subPaths.size >= 256) subPaths.clear();
    subPaths.set(path, p);
  }
  return p[which];
}

/** Evaluates a conditions block; undefined/null holds. */
export function evaluateConditions(block: unknown, ctx: PolicyContext, path: string): ConditionOutcome {
  if (block === undefined || block === null) return HOLDS;
  if (Array.isArray(block)) return evalList(block, ctx, path, 'all');
  if (!isObj(block)) return { ok: false, error: `${path}: conditions must be a list or any/all` };
  const allList = block['all'];
  if (Array.isArray(allList) && allList.length > 0) {
    const all = evalList(allList, ctx, subPath(path, 'all'), 'all');
    if (!all.ok || !all.value) return all;
  }
  const anyList = block['any'];
  if (Array.isArray(anyList) && anyList.length > 0)
    return evalList(anyList, ctx, subPath(path, 'any'), 'any');
  return HOLDS;
}
