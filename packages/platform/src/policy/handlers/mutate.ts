/**
 * The mutate rule handler: patchStrategicMerge with Kyverno's anchor preprocessing (strategic.ts),
 * patchesJson6902 (RFC 6902 with Kyverno's options: missing parents created on add, missing paths
 * ignored on remove, negative indices) and foreach. As in Kyverno, a mutation that changes nothing yields `skip`.
 */
import { parse as parseYaml } from 'yaml';
import { loadContextEntries, substituteInString } from '../context/index.js';
import type { Obj, RuleResponse } from '../engine/types.js';
import { evaluateConditions } from './conditions.js';
import { deepEqual, strategicMergePatch } from './strategic.js';
import { cloneJson } from '../engine/copy.js';
import { mayHaveVariables, substituteIfNeeded } from './substitute.js';
import { entriesToLoad, type RuleEnv } from './validate.js';

export interface MutateOutcome {
  readonly response: RuleResponse;
  readonly patched?: Obj;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function applyJsonPatch(doc: unknown, ops: unknown[]): unknown {
  let root = cloneJson(doc);
  for (const op of ops) {
    if (!isObj(op)) throw new Error('a JSON patch operation must be a map');
    const kind = String(op['op']);
    const path = typeof op['path'] === 'string' ? op['path'] : '';
    const parts = path === '' ? [] : path.split('/').slice(1).map(unescapePointer);
    const get = (ps: string[]): unknown =>
      ps.reduce<unknown>(
        (cur, p) =>
          Array.isArray(cur)
            ? (cur as unknown[])[Number(p) < 0 ? cur.length + Number(p) : Number(p)]
            : isObj(cur)
              ? cur[p]
              : undefined,
        root,
      );
    /**
     * evanphx/json-patch's EnsurePathExistsOnAdd (Kyverno's options): missing parents of an `add` are
     * created, as a list when the next segment is an index or `-`, else as a map.
     */
    const ensurePath = (ps: string[]): void => {
      let cur: unknown = root;
      for (let i = 0; i < ps.length - 1; i++) {
        const part = ps[i] as string;
        const next = ps[i + 1] as string;
        const existing: unknown = Array.isArray(cur)
          ? (cur as unknown[])[Number(part)]
          : isObj(cur)
            ? cur[part]
            : undefined;
        if (existing !== undefined && existing !== null) {
          cur = existing;
          continue;
        }
        const n = Number(next);
        const child: unknown = next === '-' || (next !== '' && Number.isInteger(n)) ? [] : {};
        if (Array.isArray(child) && Number.isInteger(n) && n > 0)
          for (let k = 0; k < n; k++) child.push(null);
        if (Array.isArray(cur)) {
          const idx = part === '-' ? cur.length : Number(part);
          if (!Number.isInteger(idx) || idx < 0) return;
          while (cur.length < idx) cur.push(null);
          cur.splice(idx, 0, child);
        } else if (isObj(cur)) cur[part] = child;
        else return;
        cur = child;
      }
    };
    const setAt = (ps: string[], value: unknown, insert: boolean): void => {
      if (!ps.length) {
        root = value;
        return;
      }
      const parent = get(ps.slice(0, -1));
      const last = ps[ps.length - 1] as string;
      if (Array.isArray(parent)) {
        let i = last === '-' ? parent.length : Number(last);
        // SupportNegativeIndices
        if (Number.isInteger(i) && i < 0 && i >= -parent.length) i += parent.length;
        if (!Number.isInteger(i) || i < 0 || i > parent.length)
          throw new Error(`index ${last} out of range at ${path}`);
        if (insert) parent.splice(i, 0, value);
        else parent[i] = value;
      } else if (isObj(parent)) parent[last] = value;
      else throw new Error(`path ${path} not found`);
    };
    const remove = (ps: string[]): unknown => {
      const parent = get(ps.slice(0, -1));
      const last = ps[ps.length - 1] as string;
      if (Array.isArray(parent)) {
        let i = Number(last);
        if (Number.isInteger(i) && i < 0 && i >= -parent.length) i += parent.length;
        if (Number.isInteger(i) && i >= 0 && i < parent.length) return parent.splice(i, 1)[0];
      } else if (isObj(parent) && Object.prototype.hasOwnProperty.call(parent, last)) {
        const v = parent[last];
        delete parent[last];
        return v;
      }
      // AllowMissingPathOnRemove
      if (kind === 'remove') return undefined;
      throw new Error(`path ${path} not found`);
    };
    switch (kind) {
      case 'add':
        ensurePath(parts);
        setAt(parts, cloneJson(op['value']), true);
        break;
      case 'replace':
        if (get(parts) === undefined) throw new Error(`path ${path} not found`);
        setAt(parts, cloneJson(op['value']), false);
        break;
      case 'remove':
        remove(parts);
        break;
      case 'move':
      case 'copy': {
        const from = (typeof op['from'] === 'string' ? op['from'] : '')
          .split('/')
          .slice(1)
          .map(unescapePointer);
        const v = kind === 'move' ? remove(from) : cloneJson(get(from));
        setAt(parts, v, true);
        break;
      }
      case 'test':
        if (JSON.stringify(get(parts)) !== JSON.stringify(op['value']))
          throw new Error(`test failed at ${path}`);
        break;
      default:
        throw new Error(`unknown JSON patch op ${kind}`);
    }
  }
  return root;
}

// Parsed patchesJson6902 texts (after substitution), bounded: foreach rules substitute the same text
// for the same elements request after request, and the YAML parse was most of such a rule's cost.
// The parsed operations are read-only: applyJsonPatch copies the values it inserts.
const patchTexts = new Map<string, unknown>();
const TRANSIENT = { transient: true } as const;
const STABLE = { transient: false } as const;
const MAX_PATCH_TEXTS = 1024;
const MAX_CACHED_TEXT = 64 * 1024;

function parsePatchText(text: string): unknown {
  if (patchTexts.has(text)) return patchTexts.get(text);
  const ops: unknown = parseYaml(text, { maxAliasCount: 100 });
  if (text.length <= MAX_CACHED_TEXT) {
    if (patchTexts.size >= MAX_PATCH_TEXTS) patchTexts.clear();
    patchTexts.set(text, ops);
  }
  return ops;
}

/** Substitution paths of a mutate block's patches (made once: patchOnce runs per foreach element). */
interface PatchPaths {
  readonly strategic: { readonly path: string };
  readonly json6902: string;
}
const pathsOf = (path: string): PatchPaths => ({
  strategic: { path: `${path}/patchStrategicMerge` },
  json6902: `${path}/patchesJson6902`,
});
const MUTATE_PATHS = pathsOf('/mutate');
const FOREACH_PATHS = pathsOf('/mutate/foreach');

function patchOnce(
  m: Obj,
  env: RuleEnv,
  resource: Obj,
  paths: PatchPaths,
): { ok: true; value: Obj } | { ok: false; error: string } {
  if (m['patchStrategicMerge'] !== undefined) {
    const raw = m['patchStrategicMerge'];
    let overlay: unknown = raw;
    // an overlay without variables needs no substitution result
    if (mayHaveVariables(raw)) {
      const sub = substituteIfNeeded(raw, env.ctx, paths.strategic);
      if ('error' in sub) return { ok: false, error: `variable substitution failed: ${sub.error}` };
      overlay = sub.value;
    }
    if (!isObj(overlay)) return { ok: false, error: 'patchStrategicMerge must be a map' };
    try {
      const transient = overlay !== raw;
      return { ok: true, value: strategicMergePatch(resource, overlay, transient ? TRANSIENT : STABLE) };
    } catch (err) {
      return {
        ok: false,
        error: `failed to apply patchStrategicMerge: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }
  if (typeof m['patchesJson6902'] === 'string') {
    const sub = substituteInString(m['patchesJson6902'], env.ctx, paths.json6902);
    if ('error' in sub) return { ok: false, error: `variable substitution failed: ${sub.error}` };
    try {
      const ops = parsePatchText(String(sub.value));
      if (!Array.isArray(ops)) return { ok: false, error: 'patchesJson6902 must be a list of operations' };
      return { ok: true, value: applyJsonPatch(resource, ops) as Obj };
    } catch (err) {
      return {
        ok: false,
        error: `failed to apply JSON patch: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }
  return { ok: false, error: 'empty mutate rule' };
}

function runForEach(
  list: unknown[],
  env: RuleEnv,
  resource: Obj,
  nesting: number,
): { ok: true; value: Obj } | { ok: false; error: string } {
  let current = resource;
  for (const fe of list) {
    if (!isObj(fe)) return { ok: false, error: 'a foreach entry must be a map' };
    const expr = typeof fe['list'] === 'string' ? fe['list'] : '';
    const sub = substituteInString(expr, env.ctx);
    if ('error' in sub) return { ok: false, error: sub.error };
    env.ctx.checkpoint();
    try {
      env.ctx.set('request.object', current);
      const q = env.ctx.tryQuery(String(sub.value));
      if ('error' in q) return { ok: false, error: `failed to evaluate list ${expr}: ${q.error}` };
      const elements = Array.isArray(q.value) ? q.value : [];
      // Kyverno applies JSON patches in reverse element order so indices stay valid
      const descending =
        fe['order'] === 'Descending' ||
        (fe['order'] === undefined && typeof fe['patchesJson6902'] === 'string');
      const n = elements.length;
      for (let k = 0; k < n; k++) {
        const i = descending ? n - 1 - k : k;
        env.ctx.checkpoint();
        try {
          env.ctx.setElement(elements[i], i, nesting, current);
          if (Array.isArray(fe['context'])) {
            const lr = loadContextEntries(
              entriesToLoad(fe['context'], env.sources.variables),
              env.ctx,
              env.sources,
            );
            if (!lr.ok) return { ok: false, error: `failed to load context: ${lr.error?.message ?? ''}` };
          }
          const pre = evaluateConditions(fe['preconditions'], env.ctx, '/mutate/foreach/preconditions');
          if (!pre.ok) return { ok: false, error: pre.error };
          if (!pre.value) continue;
          const r = Array.isArray(fe['foreach'])
            ? runForEach(fe['foreach'], env, current, nesting + 1)
            : patchOnce(fe, env, current, FOREACH_PATHS);
          if (!r.ok) return r;
          current = r.value;
        } finally {
          env.ctx.reset();
        }
      }
    } finally {
      env.ctx.reset();
    }
  }
  return { ok: true, value: current };
}

export function runMutate(mutate: Obj, env: RuleEnv): MutateOutcome {
  // responses written out, not `{ ...base, status, message }`: a spread clone given new keys
  // survives scavenges (engine/copy.ts)
  const name = env.ruleName;
  const type = 'Mutation' as const;
  if (mutate['targets'] !== undefined) {
    return {
      response: {
        name,
        type,
        status: 'error',
        message: 'mutate.targets (mutate existing resources) is not supported by Palisade yet',
      },
    };
  }
  const r = Array.isArray(mutate['foreach'])
    ? runForEach(mutate['foreach'], env, env.resource, 0)
    : patchOnce(mutate, env, env.resource, MUTATE_PATHS);
  if (!r.ok) return { response: { name, type, status: 'error', message: r.error } };
  if (r.value === env.resource || deepEqual(r.value, env.resource)) {
    return { response: { name, type, status: 'skip', message: 'no patches applied' } };
  }
  return { response: { name, type, status: 'pass', message: 'mutated resource' }, patched: r.value };
}
