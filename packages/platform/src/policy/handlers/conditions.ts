/**
 * Preconditions and deny conditions: `{{ }}` substituted in key and value, then the operator applied.
 * Accepts the old list form (all must hold) and the any/all form (every `all` and at least one `any`).
 */
import { substituteShared, type PolicyContext } from '../context/index.js';
import { evaluateOperator } from '../pattern/conditions.js';
import { mayHaveVariables } from './substitute.js';

type Obj = Record<string, unknown>;

export type ConditionOutcome = { ok: true; value: boolean; message: string } | { ok: false; error: string };

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// The {key, value} part of each condition, one object per condition, so its substitution plan is
// compiled once and reused (plans are cached by object identity).
const keyValues = new WeakMap<Obj, Obj>();
function keyValueOf(c: Obj): Obj {
  let kv = keyValues.get(c);
  if (!kv) {
    kv = { key: c['key'], value: c['value'] };
    keyValues.set(c, kv);
  }
  return kv;
}

function evalList(list: unknown, ctx: PolicyContext, path: string, mode: 'any' | 'all'): ConditionOutcome {
  if (!Array.isArray(list) || list.length === 0) return { ok: true, value: true, message: '' };
  let anyTrue = false;
  for (let i = 0; i < list.length; i++) {
    const c: unknown = list[i];
    if (!isObj(c)) return { ok: false, error: `condition ${path}/${i} is not a map` };
    const kv0 = keyValueOf(c);
    const sub = mayHaveVariables(kv0) ? substituteShared(kv0, ctx, { path: `${path}/${i}` }) : { value: kv0 };
    if ('error' in sub) return { ok: false, error: sub.error };
    const kv = sub.value as Obj;
    const op = typeof c['operator'] === 'string' ? c['operator'] : '';
    const r = evaluateOperator(op, kv['key'], kv['value']);
    if (r === undefined) return { ok: false, error: `unknown condition operator ${JSON.stringify(op)}` };
    if (mode === 'all' && !r) {
      const msg = typeof c['message'] === 'string' ? c['message'] : '';
      return { ok: true, value: false, message: msg };
    }
    if (r) anyTrue = true;
    if (mode === 'any' && r) return { ok: true, value: true, message: '' };
  }
  return { ok: true, value: mode === 'all' ? true : anyTrue, message: '' };
}

/** Evaluates a conditions block; undefined/null holds. */
export function evaluateConditions(block: unknown, ctx: PolicyContext, path: string): ConditionOutcome {
  if (block === undefined || block === null) return { ok: true, value: true, message: '' };
  if (Array.isArray(block)) return evalList(block, ctx, path, 'all');
  if (!isObj(block)) return { ok: false, error: `${path}: conditions must be a list or any/all` };
  const all = evalList(block['all'], ctx, `${path}/all`, 'all');
  if (!all.ok || !all.value) return all;
  const anyList = block['any'];
  if (Array.isArray(anyList) && anyList.length > 0) return evalList(anyList, ctx, `${path}/any`, 'any');
  return { ok: true, value: true, message: '' };
}
