/**
 * Reads Kubernetes manifests: plain YAML or JSON, Helm-rendered and kustomize
 * output (multi-document, `# Source:` comments), and `List`/`*List` kinds, whose
 * items are read as objects of their own. Every object keeps its file and line.
 * Bad input is a diagnostic with file and line and the rest of the file is still
 * read: a malformed document, a document that is not an object, an object without
 * kind or apiVersion, an unknown kind. Input is bounded: file size, documents per
 * file, alias expansion and nesting depth.
 *
 * Two parsers, one result (see docs/adr/0013-fast-manifest-reader.md):
 * - the fast path: the file is cut into documents at their `---`/`...` marker lines
 *   (YAML forbids those lines inside any node, so the cut is exact) and each document
 *   is loaded with js-yaml, with a scalar schema that resolves exactly as the `yaml`
 *   library's YAML 1.2 core schema does. A parse listener records the line of every
 *   mapping key and sequence item, so a finding's path maps to its line without a
 *   second parse.
 * - the reference path: the `yaml` library (full Document with source ranges), used
 *   for every document the fast path does not take: one that js-yaml rejects (so
 *   malformed YAML is reported by the same parser, with the same message and line as
 *   before), one with anchors (`&`: alias expansion is bounded there), one nested
 *   deeper than the limit, and whole files with `%` directives. It also answers a
 *   path lookup when the listener's record of a collection does not match the value
 *   (rare shapes such as explicit `? key` entries), so lines are never guessed.
 * `parser: 'yaml'` reads everything with the reference path (the differential test
 * compares both over real manifests).
 */
import type { Node } from 'yaml';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument } from 'yaml';
import type * as JsYaml from 'js-yaml';
import type { LoadOptions, State as JsYamlState, Type } from 'js-yaml';
import { lazy } from '../core/lazy.js';
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
  /** 'auto' (default): js-yaml where it applies, `yaml` for the rest; 'yaml': the `yaml` library only. */
  parser?: 'auto' | 'yaml';
}

export interface ReadResult {
  objects: AuditObject[];
  diagnostics: Diagnostics;
}

type Limits = typeof MANIFEST_LIMITS;

/** Where the objects and diagnostics of one file go. */
interface Sink {
  file: string;
  limits: Limits;
  positions: boolean;
  objects: AuditObject[];
  diagnostics: Diagnostics;
}

// ---------------------------------------------------------------------------
// Objects from one parsed document (shared by both parsers)

/**
 * Adds the object(s) of one document: `line` is the document's first content line,
 * `lineOf` resolves a path from the document root (undefined when positions are off).
 */
function addDocument(
  sink: Sink,
  value: unknown,
  line: number,
  lineOf: ((path: Path) => number | undefined) | undefined,
): void {
  const { file, diagnostics } = sink;
  const addObject = (v: unknown, objLine: number, basePath: Path): void => {
    if (!isRec(v)) {
      diagnostics.error('E_MANIFEST', 'document is not a Kubernetes object (a mapping)', {
        file,
        line: objLine,
      });
      return;
    }
    const kind = str(v['kind']);
    const apiVersion = str(v['apiVersion']);
    if (!kind || !apiVersion) {
      diagnostics.error('E_MANIFEST', `object without ${kind ? 'apiVersion' : 'kind'}; skipped`, {
        file,
        line: objLine,
      });
      return;
    }
    if (kind.endsWith('List') && Array.isArray(v['items'])) {
      (v['items'] as unknown[]).forEach((item, i) => {
        const itemPath = [...basePath, 'items', i];
        addObject(item, lineOf?.(itemPath) ?? objLine, itemPath);
      });
      return;
    }
    if (!KNOWN_KINDS.has(kind)) {
      diagnostics.warn('W_UNKNOWN_KIND', `unknown kind ${apiVersion}/${kind}: no checks apply`, {
        file,
        line: objLine,
      });
    }
    const metadata = isRec(v['metadata']) ? v['metadata'] : {};
    const o: AuditObject = {
      kind,
      apiVersion,
      name: str(metadata['name']),
      namespace: str(metadata['namespace']),
      object: v,
      location: { file, line: objLine },
    };
    if (sink.positions && lineOf) {
      o.lineOf = basePath.length === 0 ? lineOf : (path: Path) => lineOf([...basePath, ...path]);
    }
    sink.objects.push(o);
  };
  addObject(value, line, []);
}

// ---------------------------------------------------------------------------
// The reference path: the `yaml` library

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

/** The node a path points at: the deepest key (or item) of the path that exists. */
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

/**
 * Reads `text` (a whole file, or one document of it starting at 0-based line
 * `lineOffset`) with the `yaml` library. Returns the number of documents read.
 */
function readWithYaml(sink: Sink, text: string, lineOffset: number, docBudget: number): number {
  const { file, limits, diagnostics } = sink;
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
    return 0;
  }
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.length > docBudget) {
    diagnostics.error('E_LIMIT', `more than ${limits.maxDocuments} documents; only the first are read`, {
      file,
    });
  }
  const lineAt = (offset: number): number => lc.linePos(offset).line + lineOffset;
  for (const doc of list.slice(0, docBudget)) {
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
    // An empty document (`---` with only comments, or with nothing before the end of the
    // file, where `yaml` gives an empty plain scalar) holds no object and is no error.
    const c = doc.contents;
    if (c === null || (isScalar(c) && c.value === null && c.source === '' && !c.tag && !c.anchor)) continue;
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
        { file, line: docLine },
      );
      continue;
    }
    const contents = doc.contents as Node;
    const startLine = contents.range ? lineAt(contents.range[0]) : docLine;
    const lineOf = (path: Path): number | undefined => {
      const node = nodeAt(contents, path);
      return node?.range ? lineAt(node.range[0]) : undefined;
    };
    addDocument(sink, value, startLine, lineOf);
  }
  return list.length;
}

// ---------------------------------------------------------------------------
// The fast path: js-yaml with the `yaml` library's core schema

/** Loaded on first use (ADR 0004: the CLI's start-up loads no parser it does not need). */
const jsYaml = lazy<typeof JsYaml>('js-yaml');

const scalarType = (tag: string, resolve: (s: string) => boolean, construct: (s: string) => unknown): Type =>
  new (jsYaml().Type)(tag, {
    kind: 'scalar',
    resolve: (s: unknown) => typeof s === 'string' && resolve(s),
    construct,
  });

const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT_RE = /^0o[0-7]+$/;
const INT_RE = /^[-+]?[0-9]+$/;
const INT_HEX_RE = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
/** A digit or a sign: the first character of every int and float but `.5`/`.inf`/`.nan`. */
const NUMERIC_START = (c: number): boolean => (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b;

/**
 * YAML 1.2 core schema with exactly the `yaml` library's resolution rules (its
 * schema/core tags: null, bool, int in base 8/10/16, float incl. .inf/.nan), so both
 * parsers give the same values; js-yaml's own core schema also takes `0b…`, `1_000`
 * and signed hex, which `yaml` leaves as strings.
 */
let coreSchema: JsYaml.Schema | undefined;
const CORE_SCHEMA = (): JsYaml.Schema =>
  (coreSchema ??= jsYaml().FAILSAFE_SCHEMA.extend({
    implicit: [
      scalarType(
        'tag:yaml.org,2002:null',
        (s) => s.length === 0 || (s.length <= 4 && NULL_RE.test(s)),
        () => null,
      ),
      scalarType(
        'tag:yaml.org,2002:bool',
        (s) => (s.length === 4 || s.length === 5) && BOOL_RE.test(s),
        (s) => s[0] === 't' || s[0] === 'T',
      ),
      scalarType(
        'tag:yaml.org,2002:int',
        (s) => NUMERIC_START(s.charCodeAt(0)) && (INT_RE.test(s) || INT_OCT_RE.test(s) || INT_HEX_RE.test(s)),
        (s) =>
          INT_OCT_RE.test(s)
            ? parseInt(s.substring(2), 8)
            : INT_HEX_RE.test(s)
              ? parseInt(s.substring(2), 16)
              : parseInt(s, 10),
      ),
      scalarType(
        'tag:yaml.org,2002:float',
        (s) =>
          (NUMERIC_START(s.charCodeAt(0)) || s.charCodeAt(0) === 0x2e) &&
          (FLOAT_RE.test(s) || FLOAT_EXP_RE.test(s) || FLOAT_NAN_RE.test(s)),
        (s) =>
          FLOAT_NAN_RE.test(s)
            ? s.slice(-3).toLowerCase() === 'nan'
              ? NaN
              : s[0] === '-'
                ? Number.NEGATIVE_INFINITY
                : Number.POSITIVE_INFINITY
            : parseFloat(s),
      ),
    ],
  }));

/**
 * What the parse listener keeps of one collection: its children's values and the
 * 0-based line where each child starts, in source order. A mapping's children are its
 * keys and values in turn ([key, line, value, line, …]); a sequence's are its items.
 */
type Children = unknown[];

/** Listener state for one document (reused: js-yaml's load is synchronous). */
const listen = {
  /** Children of the open nodes, flattened: value, line, value, line, … */
  kids: [] as unknown[],
  /** For each open node: where its children start in `kids`, and its first line. */
  starts: [] as number[],
  lines: [] as number[],
  tables: new Map<object, Children>(),
  rootKind: null as string | null,
  rootLine: 0,
  /** A mapping key that js-yaml turns into a property name differently from `yaml`. */
  keysDiffer: false,
};

function onParseEvent(event: 'open' | 'close', st: JsYamlState): void {
  const l = listen;
  if (event === 'open') {
    l.starts.push(l.kids.length);
    l.lines.push(st.line);
    return;
  }
  const start = l.starts.pop() as number;
  const line = l.lines.pop() as number;
  const r: unknown = st.result;
  if (typeof r === 'object' && r !== null && (st.kind === 'mapping' || st.kind === 'sequence')) {
    // A node whose content is a collection read by an inner call ("keep the result")
    // is already recorded; only the innermost call knows the children.
    if (!l.tables.has(r)) {
      let end = l.kids.length;
      // A block mapping's last, empty call (it found no further key) is not a child.
      if (st.kind === 'mapping') {
        if (((end - start) / 2) % 2 === 1 && l.kids[end - 2] === null) end -= 2;
        // A null or collection key: js-yaml names it "null" / "[object Object]", `yaml`
        // '' / its YAML text; leave such a document to the reference parser.
        for (let i = start; i < end; i += 4) {
          const k = l.kids[i];
          if (k === null || typeof k === 'object') l.keysDiffer = true;
        }
      }
      l.tables.set(r, l.kids.slice(start, end));
    }
  }
  l.kids.length = start;
  if (l.starts.length === 0) {
    l.rootKind = typeof st.kind === 'string' ? st.kind : null; // null for an empty document
    l.rootLine = line;
  } else l.kids.push(r, line);
}

const hasOwn = (o: object, k: PropertyKey): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Line (0-based, in the document) for a path, from the listener's record, with the
 * same answer as nodeAt() on the `yaml` tree: the deepest key or item of the path
 * that exists. `null` when the record of a collection on the way does not match its
 * value (then the reference parser answers).
 */
function recordedLine(
  tables: Map<object, Children>,
  root: unknown,
  rootLine: number,
  path: Path,
): number | null {
  let n = root;
  let best = rootLine;
  for (const key of path) {
    if (typeof n !== 'object' || n === null) return best;
    const t = tables.get(n);
    if (!t) return null;
    if (Array.isArray(n)) {
      if (typeof key !== 'number') return best;
      if (t.length !== n.length * 2) return null;
      if (key < 0 || key >= n.length || !Number.isInteger(key)) return best;
      if (!Object.is(t[key * 2], n[key])) return null;
      best = t[key * 2 + 1] as number;
      n = n[key];
      continue;
    }
    if (t.length % 4 !== 0) return null;
    let first = -1;
    let last = -1;
    for (let i = 0; i < t.length; i += 4) {
      if (t[i] === key) {
        if (first < 0) first = i;
        last = i;
      }
    }
    const rec = n as Record<string, unknown>;
    if (first < 0) {
      // A key the record lacks but the object has: the record is off.
      return typeof key === 'string' && hasOwn(rec, key) ? null : best;
    }
    if (typeof key !== 'string' || !hasOwn(rec, key) || !Object.is(rec[key], t[last + 2])) return null;
    best = t[first + 1] as number;
    n = rec[key];
  }
  return best;
}

const MARKER_END = (c: number): boolean =>
  c === 0x0a || c === 0x20 || c === 0x09 || c === 0x0d || Number.isNaN(c);

/** `---` or `...` at `i`, a line start, followed by a blank or the end of the line/file. */
function markerAt(text: string, i: number): '-' | '.' | undefined {
  const c = text.charCodeAt(i);
  if (c !== 0x2d && c !== 0x2e) return undefined;
  if (text.charCodeAt(i + 1) !== c || text.charCodeAt(i + 2) !== c || !MARKER_END(text.charCodeAt(i + 3)))
    return undefined;
  return c === 0x2d ? '-' : '.';
}

function readFast(sink: Sink, text: string): void {
  const { file, limits, diagnostics } = sink;
  // Directives (`%YAML 1.1`, `%TAG`) change how the documents after them read.
  if (text.charCodeAt(0) === 0x25 || text.includes('\n%')) {
    readWithYaml(sink, text, 0, limits.maxDocuments);
    return;
  }
  const options = {
    schema: CORE_SCHEMA(),
    json: true, // a duplicated key keeps the last value, as `yaml` with uniqueKeys: false
    maxDepth: limits.maxDepth + 1, // parser calls nest one deeper than values; deeper → reference path
    listener: onParseEvent,
  } as LoadOptions;
  let docs = 0;
  let segStart = 0;
  let segLine = 0;
  let pos = 0;
  let line = 0;
  const doDocument = (end: number): boolean => {
    const seg = text.slice(segStart, end);
    const first = segLine;
    // Documents are counted as js-yaml and `yaml` see them: a `---` opens one; text
    // before the first marker is one only when it has content (checked below).
    if (docs >= limits.maxDocuments) {
      diagnostics.error('E_LIMIT', `more than ${limits.maxDocuments} documents; only the first are read`, {
        file,
      });
      return false;
    }
    if (seg.includes('&')) {
      docs += readWithYaml(sink, seg, first, limits.maxDocuments - docs);
      return true;
    }
    let value: unknown;
    const l = listen;
    l.tables = new Map();
    l.rootKind = null;
    l.rootLine = 0;
    l.kids.length = 0;
    l.starts.length = 0;
    l.lines.length = 0;
    l.keysDiffer = false;
    try {
      value = jsYaml().load(seg, options);
      if (l.keysDiffer) throw new Error('keys differ');
    } catch {
      // Malformed for js-yaml (or nested too deep, or with null or collection keys):
      // the reference parser decides and reports.
      docs += readWithYaml(sink, seg, first, limits.maxDocuments - docs);
      return true;
    }
    if (value === undefined) return true;
    docs++;
    if (value === null && l.rootKind === null) return true; // `---` with nothing (or only comments) after it
    if (!sink.positions) {
      addDocument(sink, value, first + 1, undefined);
      return true;
    }
    const tables = l.tables;
    const rootLine = l.rootLine;
    let reference: ((path: Path) => number | undefined) | undefined;
    const lineOf = (path: Path): number | undefined => {
      const r = recordedLine(tables, value, rootLine, path);
      if (r !== null) return r + first + 1;
      if (!reference) {
        const lc = new LineCounter();
        const doc = parseDocument(seg, {
          lineCounter: lc,
          prettyErrors: false,
          uniqueKeys: false,
          strict: false,
        });
        reference = (p: Path) => {
          const node = nodeAt(doc.contents, p);
          return node?.range ? lc.linePos(node.range[0]).line + first : undefined;
        };
      }
      return reference(path);
    };
    addDocument(sink, value, rootLine + first + 1, lineOf);
    return true;
  };
  const n = text.length;
  while (pos < n) {
    const m = markerAt(text, pos);
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = n;
    if (m === '-') {
      // `---` starts a document (its line belongs to it: `--- {a: 1}` is valid).
      if (pos > segStart && !doDocument(pos)) return;
      segStart = pos;
      segLine = line;
    } else if (m === '.') {
      // `...` ends one; the marker line itself belongs to none.
      if (pos > segStart && !doDocument(pos)) return;
      segStart = nl + 1;
      segLine = line + 1;
    }
    pos = nl + 1;
    line++;
  }
  if (segStart < n) doDocument(n);
}

/** Reads every object of one manifest file. `file` is the name shown in locations. */
export function readManifests(text: string, file: string, options: ReadOptions = {}): ReadResult {
  const limits = { ...MANIFEST_LIMITS, ...options.limits };
  const sink: Sink = {
    file,
    limits,
    positions: options.positions ?? true,
    objects: [],
    diagnostics: new Diagnostics(),
  };
  if (text.length > limits.maxBytes) {
    sink.diagnostics.error('E_LIMIT', `file is larger than ${limits.maxBytes} bytes; not read`, { file });
    return { objects: sink.objects, diagnostics: sink.diagnostics };
  }
  if (options.parser === 'yaml') readWithYaml(sink, text, 0, limits.maxDocuments);
  else readFast(sink, text);
  return { objects: sink.objects, diagnostics: sink.diagnostics };
}
