/**
 * Mutations of MutatingPolicy: RFC 6902 JSON patches (add, remove, replace, move, copy, test) and
 * ApplyConfiguration merges (server-side-apply style: maps merge, lists keyed by the Kubernetes
 * merge keys merge by key, other lists are replaced).
 */
type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function tokens(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, toks: string[]): unknown {
  let cur = doc;
  for (const t of toks.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObj(cur)) cur = cur[t];
    else throw new PatchError(`path not found: /${toks.join('/')}`);
    if (cur === undefined) throw new PatchError(`path not found: /${toks.join('/')}`);
  }
  return cur;
}

function getAt(doc: unknown, toks: string[]): unknown {
  let cur = doc;
  for (const t of toks) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObj(cur)) cur = cur[t];
    else return undefined;
  }
  return cur;
}

function add(doc: unknown, toks: string[], value: unknown): unknown {
  if (!toks.length) return value;
  const parent = parentOf(doc, toks);
  const last = toks[toks.length - 1] ?? '';
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length)
      throw new PatchError(`index out of range: ${last}`);
    parent.splice(i, 0, value);
  } else if (isObj(parent)) parent[last] = value;
  else throw new PatchError(`path not found: /${toks.join('/')}`);
  return doc;
}

function remove(doc: unknown, toks: string[]): unknown {
  const parent = parentOf(doc, toks);
  const last = toks[toks.length - 1] ?? '';
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length)
      throw new PatchError(`index out of range: ${last}`);
    parent.splice(i, 1);
  } else if (isObj(parent) && Object.hasOwn(parent, last)) delete parent[last];
  else throw new PatchError(`path not found: /${toks.join('/')}`);
  return doc;
}

/** Applies JSON patch operations to a copy of doc. */
export function applyJsonPatch(doc: unknown, ops: readonly unknown[]): unknown {
  let out = clone(doc);
  for (const op of ops) {
    if (!isObj(op)) throw new PatchError('JSON patch operation must be an object');
    const path = tokens(typeof op['path'] === 'string' ? op['path'] : '');
    switch (op['op']) {
      case 'add':
        out = add(out, path, clone(op['value']));
        break;
      case 'remove':
        out = remove(out, path);
        break;
      case 'replace':
        out = remove(out, path);
        out = add(out, path, clone(op['value']));
        break;
      case 'move': {
        const from = tokens(typeof op['from'] === 'string' ? op['from'] : '');
        const v = getAt(out, from);
        out = add(remove(out, from), path, v);
        break;
      }
      case 'copy':
        out = add(out, path, clone(getAt(out, tokens(typeof op['from'] === 'string' ? op['from'] : ''))));
        break;
      case 'test':
        if (JSON.stringify(getAt(out, path)) !== JSON.stringify(op['value']))
          throw new PatchError(`test operation failed at ${String(op['path'])}`);
        break;
      default:
        throw new PatchError(`unknown JSON patch operation ${JSON.stringify(op['op'])}`);
    }
  }
  return out;
}

/** Merge keys of Kubernetes list-type=map fields (by field name). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  env: 'name',
  imagePullSecrets: 'name',
  ports: 'containerPort',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
};

function merge(target: unknown, patch: unknown, field: string): unknown {
  if (isObj(patch)) {
    const base: Obj = isObj(target) ? { ...target } : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete base[k];
      else base[k] = merge(base[k], v, k);
    }
    return base;
  }
  if (Array.isArray(patch)) {
    const key = MERGE_KEYS[field];
    if (!key || !Array.isArray(target) || !patch.every((p) => isObj(p) && p[key] !== undefined))
      return clone(patch);
    const out: unknown[] = [...(target as unknown[])];
    for (const p of patch as Obj[]) {
      const i = out.findIndex((t) => isObj(t) && t[key] === p[key]);
      if (i === -1) out.push(clone(p));
      else out[i] = merge(out[i], p, '');
    }
    return out;
  }
  return patch;
}

/** Applies an apply configuration (the value an ApplyConfiguration expression returns). */
export function applyConfiguration(doc: unknown, config: unknown): unknown {
  if (!isObj(config)) throw new PatchError('applyConfiguration expression must return an object');
  return merge(doc, config, '');
}
