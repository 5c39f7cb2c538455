/**
 * OpenVEX documents (https://openvex.dev/ns/v0.2.0, and the v0.0.x shapes
 * go-vex still reads): statements say a vulnerability does or does not affect
 * products. `not_affected` and `fixed` suppress a finding; `affected` and
 * `under_investigation` keep it. Matching follows Trivy (pkg/vex) and go-vex:
 *
 * - the statement's vulnerability `@id`, `name` or an alias equals the
 *   finding's ID (Palisade also tries the finding's aliases);
 * - products and subcomponents are matched by purl (`@id` or
 *   `identifiers.purl`): a product without a version matches every version,
 *   its qualifiers must all be on the finding's purl, which may have more;
 * - a statement with subcomponents applies when one product on a path from the
 *   vulnerable package to the root of the report (the package itself, the
 *   packages that depend on it, the artifact) matches the product and the
 *   vulnerable package matches a subcomponent; a finding is suppressed only if
 *   every path to the root passes such a product (Trivy's reachRoot);
 * - among matching statements the one with the latest timestamp (its own, else
 *   the document's) wins; on equal timestamps the later one in the document.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { PalisadeError, errorMessage } from '../../core/errors.js';
import { positionOf } from '../../core/location.js';
import type { ParsedPurl } from './purl.js';
import { parsePurl, purlMatches } from './purl.js';
import { readBoundedText } from '../bounded-file.js';

export const VEX_LIMITS = {
  maxFileBytes: 64 * 1024 * 1024,
  maxStatements: 200_000,
};

export type VexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';
const STATUSES: readonly string[] = ['not_affected', 'affected', 'fixed', 'under_investigation'];

export interface VexComponent {
  /** `@id` as written. */
  id?: string;
  /** Purls of `@id` (when it is a purl) and `identifiers.purl`. */
  purls: ParsedPurl[];
  /** Other identifiers and hashes, matched by equality. */
  others: string[];
}

export interface VexProduct extends VexComponent {
  subcomponents: VexComponent[];
}

export interface VexStatement {
  /** Index in the document's `statements`. */
  index: number;
  /** Vulnerability `@id`, `name` and aliases. */
  vulnerabilityIds: string[];
  products: VexProduct[];
  status: VexStatus;
  justification?: string;
  impactStatement?: string;
  /** Milliseconds since the epoch: the statement's timestamp, else the document's, else 0. */
  time: number;
}

export interface VexDocument {
  file: string;
  id?: string;
  statements: VexStatement[];
}

export interface VexLoad {
  document: VexDocument;
  diagnostics: Diagnostic[];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

function component(raw: unknown): VexComponent | undefined {
  if (typeof raw === 'string') raw = { '@id': raw }; // v0.0.1 products are strings
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  const c: VexComponent = { purls: [], others: [] };
  const id = str(o['@id']);
  if (id) {
    c.id = id;
    const p = id.startsWith('pkg:') ? parsePurl(id) : undefined;
    if (p) c.purls.push(p);
    else c.others.push(id);
  }
  const ids = o['identifiers'];
  if (ids && typeof ids === 'object' && !Array.isArray(ids)) {
    for (const [k, v] of Object.entries(ids as Record<string, unknown>)) {
      const s = str(v);
      if (!s) continue;
      const p = k === 'purl' ? parsePurl(s) : undefined;
      if (p) c.purls.push(p);
      else c.others.push(s);
    }
  }
  const hashes = o['hashes'];
  if (hashes && typeof hashes === 'object' && !Array.isArray(hashes))
    for (const v of Object.values(hashes as Record<string, unknown>)) {
      const s = str(v);
      if (s) c.others.push(s);
    }
  return c;
}

/** Parses an OpenVEX JSON document; structural problems are diagnostics, a non-JSON file an E_PARSE error. */
export function parseOpenVex(text: string, file: string): VexLoad {
  const diagnostics: Diagnostic[] = [];
  if (text.length > VEX_LIMITS.maxFileBytes)
    throw new PalisadeError(
      'E_LIMIT',
      `${file} is over the ${VEX_LIMITS.maxFileBytes}-byte limit for VEX files`,
    );
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec(errorMessage(err));
    const pos = m ? positionOf(text, Number(m[1])) : undefined;
    throw new PalisadeError('E_PARSE', `${file} is not JSON: ${errorMessage(err)}`, {
      cause: err,
      location: pos ? { file, line: pos.line, column: pos.column } : { file },
    });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new PalisadeError('E_PARSE', `${file}: an OpenVEX document is a JSON object`, {
      location: { file },
    });
  const d = doc as Record<string, unknown>;
  const ctx = str(d['@context']);
  if (!ctx || !ctx.startsWith('https://openvex.dev/ns'))
    throw new PalisadeError(
      'E_UNSUPPORTED',
      `${file}: not an OpenVEX document (@context ${ctx ? `"${ctx}"` : 'missing'}; want https://openvex.dev/ns/v0.2.0)`,
      { location: { file } },
    );
  const docTime = parseTime(d['timestamp']) ?? parseTime(d['last_updated']);
  if (d['timestamp'] !== undefined && docTime === undefined)
    diagnostics.push({
      code: 'VEX_BAD_TIMESTAMP',
      severity: 'warning',
      message: 'document timestamp is not an RFC 3339 time',
      location: { file, snippet: '/timestamp' },
    });
  const out: VexDocument = { file, statements: [] };
  const docId = str(d['@id']);
  if (docId) out.id = docId;
  const stmts = d['statements'];
  if (!Array.isArray(stmts)) {
    diagnostics.push({
      code: 'VEX_NO_STATEMENTS',
      severity: 'warning',
      message: 'the document has no statements list',
      location: { file },
    });
    return { document: out, diagnostics };
  }
  if (stmts.length > VEX_LIMITS.maxStatements)
    throw new PalisadeError(
      'E_LIMIT',
      `${file} has ${stmts.length} statements, over ${VEX_LIMITS.maxStatements}`,
    );
  stmts.forEach((raw: unknown, index) => {
    const where = { file, snippet: `/statements/${index}` };
    const bad = (message: string): void => {
      diagnostics.push({
        code: 'VEX_BAD_STATEMENT',
        severity: 'error',
        message: `statement ${index}: ${message}; skipped`,
        location: where,
      });
    };
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return bad('not an object');
    const s = raw as Record<string, unknown>;
    const vulnerabilityIds: string[] = [];
    const v = s['vulnerability'];
    if (typeof v === 'string') vulnerabilityIds.push(v);
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      const vo = v as Record<string, unknown>;
      for (const k of ['@id', 'name']) {
        const x = str(vo[k]);
        if (x) vulnerabilityIds.push(x);
      }
      if (Array.isArray(vo['aliases']))
        for (const a of vo['aliases']) if (str(a)) vulnerabilityIds.push(a as string);
    }
    if (vulnerabilityIds.length === 0) return bad('no vulnerability @id or name');
    const status = s['status'];
    if (typeof status !== 'string' || !STATUSES.includes(status))
      return bad(`status ${JSON.stringify(status)} is not one of ${STATUSES.join(', ')}`);
    const products: VexProduct[] = [];
    if (Array.isArray(s['products']))
      for (const p of s['products']) {
        const c = component(p);
        if (!c) continue;
        const subs: VexComponent[] = [];
        const rawSubs = (p as Record<string, unknown> | null)?.['subcomponents'];
        if (Array.isArray(rawSubs))
          for (const sc of rawSubs) {
            const x = component(sc);
            if (x) subs.push(x);
          }
        products.push({ ...c, subcomponents: subs });
      }
    if (products.length === 0) return bad('no products');
    const own = parseTime(s['timestamp']);
    if (s['timestamp'] !== undefined && own === undefined)
      diagnostics.push({
        code: 'VEX_BAD_TIMESTAMP',
        severity: 'warning',
        message: `statement ${index}: timestamp is not an RFC 3339 time; the document's is used`,
        location: where,
      });
    const st: VexStatement = {
      index,
      vulnerabilityIds,
      products,
      status: status as VexStatus,
      time: own ?? docTime ?? 0,
    };
    const j = str(s['justification']);
    if (j) st.justification = j;
    const is = str(s['impact_statement']);
    if (is) st.impactStatement = is;
    out.statements.push(st);
  });
  return { document: out, diagnostics };
}

function componentMatches(c: VexComponent, purl: ParsedPurl, raw: string): boolean {
  if (c.id === raw) return true;
  if (c.others.includes(raw)) return true;
  return c.purls.some((p) => purlMatches(p, purl, false));
}

/** go-vex Product.Matches: the product matches and (no subcomponent asked, or none listed, or one matches). */
function productMatches(
  p: VexProduct,
  product: { purl: ParsedPurl; raw: string },
  sub: { purl: ParsedPurl; raw: string } | undefined,
): boolean {
  if (!componentMatches(p, product.purl, product.raw)) return false;
  if (p.subcomponents.length === 0) return true;
  if (!sub) return false;
  return p.subcomponents.some((s) => componentMatches(s, sub.purl, sub.raw));
}

export interface VexRef {
  purl: ParsedPurl;
  raw: string;
}

/** The effective statement of one document for (vulnerability, product, subcomponent), or undefined. */
export function effectiveStatement(
  doc: VexDocument,
  vulnIds: readonly string[],
  product: VexRef,
  sub: VexRef | undefined,
): VexStatement | undefined {
  let best: VexStatement | undefined;
  for (const st of doc.statements) {
    if (!st.vulnerabilityIds.some((id) => vulnIds.includes(id))) continue;
    if (!st.products.some((p) => productMatches(p, product, sub))) continue;
    if (!best || st.time >= best.time) best = st;
  }
  return best;
}

export function describeStatement(st: VexStatement): string {
  const why = st.justification ?? st.impactStatement;
  return why ? `${st.status} (${why})` : st.status;
}

/** Reads an OpenVEX file from disk (bounded). */
export async function readOpenVex(path: string): Promise<VexLoad> {
  const text = await readBoundedText(path, VEX_LIMITS.maxFileBytes, 'VEX');
  return parseOpenVex(text, path);
}
