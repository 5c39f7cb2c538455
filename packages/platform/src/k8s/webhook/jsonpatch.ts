/**
 * RFC 6902 JSON Patch between two JSON values, as an admission webhook returns it (`patchType:
 * JSONPatch`). Objects are diffed key by key; arrays of equal length element by element; an array
 * whose length changed is replaced whole (simple, always correct, and what the apiserver applies
 * without ambiguity). Paths are RFC 6901 pointers (`~` → `~0`, `/` → `~1`).
 */
export interface PatchOp {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObj(a)) {
    if (!isObj(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

export function createPatch(from: unknown, to: unknown, path = ''): PatchOp[] {
  const ops: PatchOp[] = [];
  diff(from, to, path, ops);
  return ops;
}

function diff(a: unknown, b: unknown, path: string, ops: PatchOp[]): void {
  if (deepEqual(a, b)) return;
  if (isObj(a) && isObj(b)) {
    for (const k of Object.keys(a)) {
      const p = `${path}/${escapePointer(k)}`;
      if (!Object.hasOwn(b, k)) ops.push({ op: 'remove', path: p });
      else diff(a[k], b[k], p, ops);
    }
    for (const k of Object.keys(b)) {
      if (!Object.hasOwn(a, k)) ops.push({ op: 'add', path: `${path}/${escapePointer(k)}`, value: b[k] });
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) diff(a[i], b[i], `${path}/${i}`, ops);
    return;
  }
  ops.push({ op: 'replace', path, value: b });
}

/** Applies a patch made by createPatch (tests use it to check patches round-trip). */
export function applyPatch(doc: unknown, ops: readonly PatchOp[]): unknown {
  let root = structuredClone(doc);
  for (const op of ops) {
    const tokens = op.path
      .split('/')
      .slice(1)
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (!tokens.length) {
      root = op.op === 'remove' ? undefined : structuredClone(op.value);
      continue;
    }
    let parent: unknown = root;
    for (const t of tokens.slice(0, -1)) parent = (parent as Record<string, unknown>)[t];
    const last = tokens[tokens.length - 1] as string;
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op.op === 'remove') parent.splice(i, 1);
      else if (op.op === 'add') parent.splice(i, 0, structuredClone(op.value));
      else parent[i] = structuredClone(op.value);
    } else if (isObj(parent)) {
      if (op.op === 'remove') delete parent[last];
      else parent[last] = structuredClone(op.value);
    } else {
      throw new Error(`patch path ${op.path} has no parent`);
    }
  }
  return root;
}
