/**
 * Bounded multi-document YAML reading with positions: the size of the text, the number of alias
 * expansions (billion-laughs documents) and the nesting depth are limited, and every document keeps its
 * parsed node tree so errors can point at file:line:col.
 */
import { LineCounter, parseAllDocuments, isMap, isSeq, type Document } from 'yaml';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { SourceLocation } from '../../core/location.js';

export const YAML_LIMITS = {
  /** Largest file read, in characters. */
  maxChars: 16 * 1024 * 1024,
  /** Alias expansions per document (yaml's own guard against alias bombs). */
  maxAliasCount: 1000,
  /** Deepest nesting of maps and lists. */
  maxDepth: 200,
  /** Documents per file. */
  maxDocuments: 10_000,
};

export interface YamlDoc {
  readonly value: unknown;
  readonly doc: Document.Parsed;
  /** 1-based line of the document's first node. */
  readonly line: number;
}

export interface YamlReadResult {
  readonly docs: YamlDoc[];
  readonly diagnostics: Diagnostic[];
  /** Position of a path inside a document, when the path exists. */
  locate(doc: YamlDoc, path: readonly (string | number)[]): SourceLocation;
}

function depthOf(v: unknown, limit: number): number {
  // iterative, so a hostile document cannot overflow the stack here
  const stack: Array<[unknown, number]> = [[v, 1]];
  let max = 0;
  while (stack.length) {
    const [x, d] = stack.pop() as [unknown, number];
    if (d > max) max = d;
    if (max > limit) return max;
    if (x !== null && typeof x === 'object') {
      for (const c of Array.isArray(x) ? x : Object.values(x))
        if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
    }
  }
  return max;
}

function nodeDepth(node: unknown, limit: number): number {
  const stack: Array<[unknown, number]> = [[node, 1]];
  let max = 0;
  while (stack.length) {
    const [n, d] = stack.pop() as [unknown, number];
    if (d > max) max = d;
    if (max > limit) return max;
    if (isMap(n)) for (const p of n.items) stack.push([p.value, d + 1]);
    else if (isSeq(n)) for (const c of n.items) stack.push([c, d + 1]);
  }
  return max;
}

/** Parses every document of a YAML (or JSON) text. Documents that are empty or broken are reported and left out. */
export function readYamlDocuments(text: string, file: string): YamlReadResult {
  const diagnostics: Diagnostic[] = [];
  const lc = new LineCounter();
  const at = (offset: number): SourceLocation => {
    const p = lc.linePos(offset);
    return { file, line: p.line, column: p.col };
  };
  const locate = (d: YamlDoc, path: readonly (string | number)[]): SourceLocation => {
    for (let n = path.length; n >= 0; n--) {
      const node = d.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return at(node.range[0]);
    }
    return { file, line: d.line };
  };
  if (text.length > YAML_LIMITS.maxChars) {
    diagnostics.push({
      code: 'E_POLICY_LIMIT',
      severity: 'error',
      message: `file is ${text.length} characters, over the limit of ${YAML_LIMITS.maxChars}`,
      location: { file },
    });
    return { docs: [], diagnostics, locate };
  }
  const parsed = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(parsed) ? parsed : [];
  const docs: YamlDoc[] = [];
  for (const doc of list) {
    if (docs.length >= YAML_LIMITS.maxDocuments) {
      diagnostics.push({
        code: 'E_POLICY_LIMIT',
        severity: 'error',
        message: `more than ${YAML_LIMITS.maxDocuments} documents; the rest are not read`,
        location: { file },
      });
      break;
    }
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    if (doc.errors.length) {
      for (const e of doc.errors) {
        diagnostics.push({
          code: 'E_POLICY_YAML',
          severity: 'error',
          message: e.message.split('\n')[0] ?? e.message,
          location: at(e.pos[0]),
        });
      }
      continue;
    }
    if (doc.contents === null) continue;
    if (nodeDepth(doc.contents, YAML_LIMITS.maxDepth) > YAML_LIMITS.maxDepth) {
      diagnostics.push({
        code: 'E_POLICY_LIMIT',
        severity: 'error',
        message: `document nested deeper than ${YAML_LIMITS.maxDepth} levels`,
        location: at(start),
      });
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
    } catch (err) {
      diagnostics.push({
        code: 'E_POLICY_LIMIT',
        severity: 'error',
        message: `document not read: ${err instanceof Error ? err.message : String(err)}`,
        location: at(start),
      });
      continue;
    }
    if (depthOf(value, YAML_LIMITS.maxDepth) > YAML_LIMITS.maxDepth) {
      diagnostics.push({
        code: 'E_POLICY_LIMIT',
        severity: 'error',
        message: `document nested deeper than ${YAML_LIMITS.maxDepth} levels after alias expansion`,
        location: at(start),
      });
      continue;
    }
    if (value === null || value === undefined) continue;
    docs.push({ value, doc, line: lc.linePos(start).line });
  }
  return { docs, diagnostics, locate };
}
