/**
 * Reads Kubernetes manifests: plain YAML or JSON, Helm-rendered and kustomize
 * output (multi-document, `# Source:` comments), and `List`/`*List` kinds, whose
 * items are read as objects of their own. Every object keeps its file and line.
 * Bad input is a diagnostic with file and line and the rest of the file is still
 * read: a malformed document, a document that is not an object, an object without
 * kind or apiVersion, an unknown kind. Input is bounded: file size, documents per
 * file, alias expansion and nesting depth.
 */
import type { Node } from 'yaml';
import { isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { Diagnostics } from '../core/diagnostics.js';
import type { AuditObject, Path } from './types.js';
import { isRec, str } from './util.js';
import { KNOWN_KINDS } from './kinds.js';

export const MANIFEST_LIMITS = {
  /** Bytes per file. */
  maxBytes: 32 * 1024 * 1024,
  /** Documents per file. */
  maxDocuments: 100_000,
  /** Alias nodes resolved per document (billion-laughs guard). */
  maxAliasCount: 100,
  /** Nesting depth of a document. */
  maxDepth: 64,
};

export interface ReadOptions {
  limits?: Partial<typeof MANIFEST_LIMITS>;
  /** Keep a path → line resolver on each object (needs the parsed document kept alive). Default true. */
  positions?: boolean;
}

export interface ReadResult {
  objects: AuditObject[];
  diagnostics: Diagnostics;
}

function depthExceeds(v: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length > 0) {
    const [x, d] = stack.pop() as [unknown, number];
    if (d > limit) return true;
    if (typeof x !== 'object' || x === null) continue;
    for (const c of Array.isArray(x) ? x : Object.values(x)) {
      if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
    }
  }
  return false;
}

/** Nesting depth of the syntax tree, checked before toJS() recurses into it. */
function nodeDepthExceeds(node: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[node, 0]];
  while (stack.length > 0) {
    const [n, d] = stack.pop() as [unknown, number];
    if (d > limit) return true;
    if (isMap(n)) for (const p of n.items) stack.push([p.value, d + 1]);
    else if (isSeq(n)) for (const it of n.items) stack.push([it, d + 1]);
  }
  return false;
}

function nodeAt(root: unknown, path: Path): Node | undefined {
  let n: unknown = root;
  let best: Node | undefined = isMap(n) || isSeq(n) ? n : undefined;
  for (const key of path) {
    if (isMap(n)) {
      const pair = n.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (!pair) return best;
      best = (pair.key as Node | null) ?? best;
      n = pair.value;
    } else if (isSeq(n) && typeof key === 'number') {
      n = n.items[key];
      if (isMap(n) || isSeq(n) || (n !== null && typeof n === 'object')) best = n as Node;
      else return best;
    } else return best;
  }
  return best;
}

/** Reads every object of one manifest file. `file` is the name shown in locations. */
export function readManifests(text: string, file: string, options: ReadOptions = {}): ReadResult {
  const limits = { ...MANIFEST_LIMITS, ...options.limits };
  const positions = options.positions ?? true;
  const diagnostics = new Diagnostics();
  const objects: AuditObject[] = [];
  if (text.length > limits.maxBytes) {
    diagnostics.error('E_LIMIT', `file is larger than ${limits.maxBytes} bytes; not read`, { file });
    return { objects, diagnostics };
  }
  const lc = new LineCounter();
  let docs;
  try {
    docs = parseAllDocuments(text, {
      lineCounter: lc,
      prettyErrors: false,
      uniqueKeys: false,
      strict: false,
    });
  } catch (err) {
    diagnostics.error('E_PARSE', `cannot parse YAML: ${err instanceof Error ? err.message : String(err)}`, {
      file,
    });
    return { objects, diagnostics };
  }
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.length > limits.maxDocuments) {
    diagnostics.error('E_LIMIT', `more than ${limits.maxDocuments} documents; only the first are read`, {
      file,
    });
  }
  const lineAt = (offset: number): number => lc.linePos(offset).line;
  for (const doc of list.slice(0, limits.maxDocuments)) {
    const docLine = lineAt(doc.range[0]);
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const at = e ? lineAt(e.pos[0]) : docLine;
      const first = doc.contents?.range ? lineAt(doc.contents.range[0]) : docLine;
      diagnostics.error(
        'E_PARSE',
        `malformed YAML document (error at line ${at}): ${e?.message.split('\n')[0] ?? 'parse error'}; document skipped`,
        { file, line: Math.min(first, at) },
      );
      continue;
    }
    if (doc.contents === null) continue; // empty document (`---` with only comments)
    if (nodeDepthExceeds(doc.contents, limits.maxDepth)) {
      diagnostics.error('E_LIMIT', `document nested deeper than ${limits.maxDepth} levels; skipped`, {
        file,
        line: docLine,
      });
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
    } catch (err) {
      diagnostics.error('E_LIMIT', `document skipped: ${err instanceof Error ? err.message : String(err)}`, {
        file,
        line: docLine,
      });
      continue;
    }
    if (depthExceeds(value, limits.maxDepth)) {
      diagnostics.error(
        'E_LIMIT',
        `document nested deeper than ${limits.maxDepth} levels after aliases; skipped`,
        {
          file,
          line: docLine,
        },
      );
      continue;
    }
    const contents = doc.contents as Node;
    const startLine = contents.range ? lineAt(contents.range[0]) : docLine;
    const addObject = (v: unknown, line: number, basePath: Path): void => {
      if (!isRec(v)) {
        diagnostics.error('E_MANIFEST', 'document is not a Kubernetes object (a mapping)', { file, line });
        return;
      }
      const kind = str(v['kind']);
      const apiVersion = str(v['apiVersion']);
      if (!kind || !apiVersion) {
        diagnostics.error('E_MANIFEST', `object without ${kind ? 'apiVersion' : 'kind'}; skipped`, {
          file,
          line,
        });
        return;
      }
      if (/List$/.test(kind) && Array.isArray(v['items'])) {
        (v['items'] as unknown[]).forEach((item, i) => {
          const itemPath = [...basePath, 'items', i];
          const node = nodeAt(contents, itemPath);
          addObject(item, node?.range ? lineAt(node.range[0]) : line, itemPath);
        });
        return;
      }
      if (!KNOWN_KINDS.has(kind)) {
        diagnostics.warn('W_UNKNOWN_KIND', `unknown kind ${apiVersion}/${kind}: no checks apply`, {
          file,
          line,
        });
      }
      const metadata = isRec(v['metadata']) ? v['metadata'] : {};
      const o: AuditObject = {
        kind,
        apiVersion,
        name: str(metadata['name']),
        namespace: str(metadata['namespace']),
        object: v,
        location: { file, line },
      };
      if (positions) {
        o.lineOf = (path: Path): number | undefined => {
          const node = nodeAt(contents, [...basePath, ...path]);
          return node?.range ? lineAt(node.range[0]) : undefined;
        };
      }
      objects.push(o);
    };
    addObject(value, startLine, []);
  }
  return { objects, diagnostics };
}
