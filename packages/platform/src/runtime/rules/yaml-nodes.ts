/** Thin helpers over `yaml` nodes with yaml-cpp's notions (defined, null, scalar, map, sequence). */
import type { Document, LineCounter, Node } from 'yaml';
import { isAlias, isMap, isScalar, isSeq } from 'yaml';

export type YNode = Node | null | undefined;

export interface YamlDoc {
  doc: Document.Parsed;
  lines: LineCounter;
  text: string;
}

/** Bound on alias expansions per document (YAML alias bombs). */
export const MAX_ALIAS_RESOLUTIONS = 10_000;

export class NodeReader {
  private aliasCount = 0;
  constructor(readonly y: YamlDoc) {}

  deref(n: YNode): YNode {
    let cur = n;
    let hops = 0;
    while (cur && isAlias(cur)) {
      if (++this.aliasCount > MAX_ALIAS_RESOLUTIONS || ++hops > 100)
        throw new Error(`too many YAML alias expansions (more than ${MAX_ALIAS_RESOLUTIONS})`);
      cur = cur.resolve(this.y.doc);
    }
    return cur;
  }

  get(map: YNode, key: string): YNode {
    const m = this.deref(map);
    if (!m || !isMap(m)) return undefined;
    for (const pair of m.items) {
      const k = this.deref(pair.key as YNode);
      if (k && isScalar(k) && String(k.value) === key) {
        const v = this.deref(pair.value as YNode);
        // `key:` with nothing after it: defined, null
        return v ?? null;
      }
    }
    return undefined;
  }

  has(map: YNode, key: string): boolean {
    return this.get(map, key) !== undefined;
  }

  isNull(n: YNode): boolean {
    const d = this.deref(n);
    return d === null || (d !== undefined && isScalar(d) && d.value === null);
  }

  isScalar(n: YNode): boolean {
    const d = this.deref(n);
    return !!d && isScalar(d) && d.value !== null;
  }

  isMap(n: YNode): boolean {
    const d = this.deref(n);
    return !!d && isMap(d);
  }

  isSeq(n: YNode): boolean {
    const d = this.deref(n);
    return !!d && isSeq(d);
  }

  /** A scalar's text as written (yaml-cpp's Scalar()). */
  scalar(n: YNode): string {
    const d = this.deref(n);
    if (!d || !isScalar(d) || d.value === null) return '';
    const v: unknown = d.value;
    if (typeof v === 'string') return v;
    if (typeof d.source === 'string') return d.source;
    return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : '';
  }

  items(n: YNode): YNode[] {
    const d = this.deref(n);
    if (!d || !isSeq(d)) return [];
    return d.items.map((i) => this.deref(i as YNode));
  }

  mapPairs(n: YNode): [YNode, YNode][] {
    const d = this.deref(n);
    if (!d || !isMap(d)) return [];
    return d.items.map((p) => [this.deref(p.key as YNode), this.deref(p.value as YNode)]);
  }

  /** 1-based line and column of a node, with its line as a snippet. */
  position(n: YNode): { line: number; column: number; snippet?: string } {
    const d = n ?? undefined;
    const off = d?.range?.[0];
    if (off === undefined) return { line: 0, column: 0 };
    const p = this.y.lines.linePos(off);
    const lineStart = this.y.lines.lineStarts[p.line - 1] ?? 0;
    const end = this.y.text.indexOf('\n', lineStart);
    const snippet = this.y.text.slice(lineStart, end < 0 ? undefined : end);
    return { line: p.line, column: p.col, snippet };
  }
}
