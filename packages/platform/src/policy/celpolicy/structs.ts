/**
 * CEL object construction (`Object{spec: Object.spec{...}}`, `JSONPatch{op: "add", ...}`), which
 * MutatingPolicy and MutatingAdmissionPolicy expressions use, rewritten to map literals with quoted
 * field names before parsing: the interpreter has no protobuf message types, and Kubernetes' typed
 * objects (Object.*, JSONPatch) are plain maps once built. String literals are copied verbatim.
 */

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;

function stringEnd(src: string, i: number): number {
  let j = i;
  if (src[j] === 'r' || src[j] === 'R' || src[j] === 'b' || src[j] === 'B') j++;
  if (src[j] === 'r' || src[j] === 'R') j++;
  const raw = /[rR]/.test(src.slice(i, j));
  const q = src[j];
  if (q !== '"' && q !== "'") return -1;
  const triple = src.startsWith(q.repeat(3), j);
  const close = triple ? q.repeat(3) : q;
  j += close.length;
  while (j < src.length) {
    if (!raw && src[j] === '\\') {
      j += 2;
      continue;
    }
    if (src.startsWith(close, j)) return j + close.length;
    if (!triple && src[j] === '\n') return j;
    j++;
  }
  return src.length;
}

/** Rewrites struct literals to map literals; other text is unchanged. */
export function desugarStructs(src: string): string {
  let out = '';
  const stack: Array<'struct' | 'other'> = [];
  let expectField = false;
  let i = 0;
  let prev = '';
  while (i < src.length) {
    const c = src[i] ?? '';
    if (
      c === '"' ||
      c === "'" ||
      (/[rRbB]/.test(c) && /^[rRbB]{1,2}["']/.test(src.slice(i, i + 3)) && !/[A-Za-z0-9_]/.test(prev))
    ) {
      const end = stringEnd(src, i);
      if (end > i) {
        out += src.slice(i, end);
        i = end;
        prev = '"';
        expectField = false;
        continue;
      }
    }
    if (c === '/' && src[i + 1] === '/') {
      const nl = src.indexOf('\n', i);
      i = nl === -1 ? src.length : nl;
      continue;
    }
    IDENT.lastIndex = i;
    const m = IDENT.exec(src);
    if (m && !/[0-9]/.test(prev)) {
      // a qualified name: ident(.ident)*
      let j = i + m[0].length;
      let name = m[0];
      for (;;) {
        const dot = /^\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(j));
        if (!dot) break;
        name += `.${dot[1] ?? ''}`;
        j += dot[0].length;
      }
      const rest = src.slice(j);
      const ws = /^\s*/.exec(rest)?.[0] ?? '';
      const top = stack[stack.length - 1];
      if (prev !== '.' && rest[ws.length] === '{') {
        out += '{';
        stack.push('struct');
        expectField = true;
        i = j + ws.length + 1;
        prev = '{';
        continue;
      }
      if (top === 'struct' && expectField && rest[ws.length] === ':' && !name.includes('.')) {
        out += JSON.stringify(name);
        expectField = false;
        i = j;
        prev = 'a';
        continue;
      }
      out += src.slice(i, j);
      i = j;
      prev = 'a';
      expectField = false;
      continue;
    }
    if (c === '{' || c === '[' || c === '(') {
      stack.push('other');
      expectField = false;
    } else if (c === '}' || c === ']' || c === ')') {
      stack.pop();
    } else if (c === ',') {
      expectField = stack[stack.length - 1] === 'struct';
    }
    if (!/\s/.test(c)) prev = c;
    out += c;
    i++;
  }
  return out;
}
