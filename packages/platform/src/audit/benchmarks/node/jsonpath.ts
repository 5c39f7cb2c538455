/**
 * The part of Kubernetes' JSONPath template language kube-bench's `path:` tests use
 * (`{.authentication.anonymous.enabled}`, `{.featureGates.RotateKubeletServerCertificate}`,
 * `{range .tlsCipherSuites[:]}{}{','}{end}`), evaluated as client-go's jsonpath with
 * AllowMissingKeys: a missing key prints nothing. Strings print raw, other values as JSON.
 */

type Node =
  { t: 'text'; s: string } | { t: 'field'; path: Step[] } | { t: 'range'; path: Step[]; body: Node[] };
type Step = { t: 'key'; k: string } | { t: 'index'; i: number } | { t: 'all' };

export class JsonPathError extends Error {}

function parsePath(expr: string): Step[] {
  let s = expr.trim();
  if (s === '' || s === '@' || s === '.') return [];
  if (s.startsWith('@')) s = s.slice(1);
  if (s.startsWith('$')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      i++;
      const m = /^[^.[\]]+/.exec(s.slice(i));
      if (!m) {
        if (i >= s.length) break;
        continue;
      }
      steps.push({ t: 'key', k: m[0] });
      i += m[0].length;
    } else if (c === '[') {
      const end = s.indexOf(']', i);
      if (end < 0) throw new JsonPathError(`unclosed '[' in '${expr}'`);
      const inner = s.slice(i + 1, end).trim();
      if (inner === '*' || inner === ':' || inner === '0:') steps.push({ t: 'all' });
      else if (/^-?[0-9]+$/.test(inner)) steps.push({ t: 'index', i: Number(inner) });
      else if (/^'[^']*'$/.test(inner) || /^"[^"]*"$/.test(inner))
        steps.push({ t: 'key', k: inner.slice(1, -1) });
      else throw new JsonPathError(`unsupported subscript '[${inner}]' in '${expr}'`);
      i = end + 1;
    } else {
      const m = /^[^.[\]]+/.exec(s.slice(i));
      if (!m) throw new JsonPathError(`unexpected '${c ?? ''}' in '${expr}'`);
      steps.push({ t: 'key', k: m[0] });
      i += m[0].length;
    }
  }
  return steps;
}

/** Compiles a template; throws JsonPathError on syntax outside the subset. */
export function compileJsonPath(tpl: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  let i = 0;
  while (i < tpl.length) {
    const open = tpl.indexOf('{', i);
    const cur = stack[stack.length - 1] as Node[];
    if (open < 0) {
      cur.push({ t: 'text', s: tpl.slice(i) });
      break;
    }
    if (open > i) cur.push({ t: 'text', s: tpl.slice(i, open) });
    // find the closing brace, skipping quoted text
    let j = open + 1;
    let q = '';
    for (; j < tpl.length; j++) {
      const c = tpl[j];
      if (q) {
        if (c === q) q = '';
      } else if (c === "'" || c === '"') q = c;
      else if (c === '}') break;
    }
    if (j >= tpl.length) throw new JsonPathError(`unclosed '{' in '${tpl}'`);
    const inner = tpl.slice(open + 1, j).trim();
    i = j + 1;
    if (inner.startsWith('range ')) {
      const n: Node = { t: 'range', path: parsePath(inner.slice(6)), body: [] };
      cur.push(n);
      stack.push(n.body);
    } else if (inner === 'end') {
      if (stack.length === 1) throw new JsonPathError(`'{end}' without '{range}' in '${tpl}'`);
      stack.pop();
    } else if (/^'[^']*'$/.test(inner) || /^"[^"]*"$/.test(inner))
      cur.push({ t: 'text', s: inner.slice(1, -1) });
    else cur.push({ t: 'field', path: parsePath(inner) });
  }
  if (stack.length !== 1) throw new JsonPathError(`'{range}' without '{end}' in '${tpl}'`);
  return root;
}

function select(v: unknown, path: Step[]): unknown[] {
  let cur: unknown[] = [v];
  for (const st of path) {
    const next: unknown[] = [];
    for (const x of cur) {
      if (st.t === 'key') {
        if (x && typeof x === 'object' && !Array.isArray(x) && Object.hasOwn(x, st.k))
          next.push((x as Record<string, unknown>)[st.k]);
      } else if (st.t === 'index') {
        if (Array.isArray(x)) {
          const k = st.i < 0 ? x.length + st.i : st.i;
          if (k >= 0 && k < x.length) next.push(x[k]);
        }
      } else if (Array.isArray(x)) next.push(...(x as unknown[]));
      else if (x && typeof x === 'object') next.push(...(Object.values(x) as unknown[]));
    }
    cur = next;
  }
  return cur;
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return v === null ? 'null' : '';
  return JSON.stringify(v);
}

export function evalJsonPath(nodes: Node[], data: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.s;
    else if (n.t === 'field') out += select(data, n.path).map(text).join(' ');
    else {
      let items = select(data, n.path);
      if (items.length === 1 && Array.isArray(items[0]) && n.path[n.path.length - 1]?.t !== 'all')
        items = items[0] as unknown[];
      for (const item of items) out += evalJsonPath(n.body, item);
    }
  }
  return out;
}
