/**
 * Ignore files: `.palisadeignore` / `.trivyignore` in Trivy's plain format and
 * `.trivyignore.yaml` (any `.yaml`/`.yml` name) in Trivy's YAML format. See
 * docs/scan-suppression.md for the semantics and where they differ from Trivy.
 *
 * Plain format: one rule a line, the first field is the ID, `#` starts a
 * comment line, an optional `exp:YYYY-MM-DD` field sets an expiry. A line with
 * an unparsable expiry is skipped with a warning (as Trivy does).
 *
 * YAML format: `vulnerabilities`, `secrets`, `misconfigurations`, `licenses`
 * lists of `{id, paths, purls, expired_at, statement}`. An entry with an
 * invalid glob or purl is skipped with an error diagnostic (Trivy rejects the
 * whole file); malformed input never throws.
 *
 * A rule whose expiry is before `now` is dropped (Trivy's Prune): an
 * `exp:2025-01-01` rule stops applying at 2025-01-01T00:00:00Z.
 */
import { open, readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Document, LineCounter as LineCounterT, Node as YamlNode } from 'yaml';
import type * as YamlLib from 'yaml';
import type { Diagnostic } from '../../core/diagnostics.js';
import { PalisadeError, errorMessage } from '../../core/errors.js';
import { lazy } from '../../core/lazy.js';
import type { SourceLocation } from '../../core/location.js';
import type { CompiledGlob } from './glob.js';
import { compileGlob } from './glob.js';
import type { ParsedPurl } from './purl.js';
import { parsePurl } from './purl.js';

const yamlLib = lazy<typeof YamlLib>('yaml');

export const IGNORE_LIMITS = {
  /** Bytes of one ignore file. */
  maxFileBytes: 8 * 1024 * 1024,
  /** Rules in one file (all kinds together). */
  maxRules: 100_000,
  /** Longest line of a plain file that is read; longer lines are skipped. */
  maxLineLength: 4096,
};

export type IgnoreKind = 'vulnerabilities' | 'secrets' | 'misconfigurations' | 'licenses';
export const IGNORE_KINDS: readonly IgnoreKind[] = [
  'vulnerabilities',
  'secrets',
  'misconfigurations',
  'licenses',
];

export interface IgnoreRule {
  /** The ID to match; undefined in a YAML entry without `id` (matches any ID within its paths/purls). */
  id?: string;
  paths: CompiledGlob[];
  purls: ParsedPurl[];
  /** Expiry as written (`2025-01-01` or an RFC 3339 time). */
  expiredAt?: string;
  statement?: string;
  /** File and line of the rule, for `file:line` in suppression statements. */
  location: SourceLocation;
}

export interface IgnoreRules {
  /** The file the rules came from, as given. */
  file: string;
  format: 'plain' | 'yaml';
  rules: Record<IgnoreKind, IgnoreRule[]>;
  /** Rules dropped because their expiry had passed. */
  expired: IgnoreRule[];
}

export interface IgnoreLoad {
  ignore: IgnoreRules;
  diagnostics: Diagnostic[];
}

export interface IgnoreParseOptions {
  /** Clock for expiries (default: now). */
  now?: Date;
  /** Forces a format; by default `.yaml`/`.yml` names are YAML, others plain. */
  format?: 'plain' | 'yaml';
}

/** Default names looked up in the working directory, in this order. */
export const DEFAULT_IGNORE_FILES = [
  '.palisadeignore',
  '.palisadeignore.yaml',
  '.trivyignore',
  '.trivyignore.yaml',
] as const;

export function ignoreFormatOf(file: string): 'plain' | 'yaml' {
  const ext = extname(basename(file)).toLowerCase();
  return ext === '.yaml' || ext === '.yml' ? 'yaml' : 'plain';
}

function emptyRules(file: string, format: 'plain' | 'yaml'): IgnoreRules {
  return {
    file,
    format,
    rules: { vulnerabilities: [], secrets: [], misconfigurations: [], licenses: [] },
    expired: [],
  };
}

/** `YYYY-MM-DD` (Go's 2006-01-02 layout) → UTC midnight, or undefined. */
function parseDay(s: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined;
  return t;
}

/** YAML `expired_at`: a date or an RFC 3339 timestamp, as yaml.v3 decodes into time.Time. */
function parseExpiry(s: string): Date | undefined {
  const day = parseDay(s);
  if (day) return day;
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*([Zz]|[+-]\d{2}(:?\d{2})?)?$/.test(s))
    return undefined;
  const t = new Date(s.replace(' ', 'T'));
  return Number.isNaN(t.getTime()) ? undefined : t;
}

/** Parses the plain format (`.trivyignore`). */
function parsePlain(text: string, file: string, now: Date, out: IgnoreLoad): void {
  const lines = text.split(/\r?\n/);
  let count = 0;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i] as string;
    if (raw.length > IGNORE_LIMITS.maxLineLength) {
      out.diagnostics.push({
        code: 'IGNORE_LINE_TOO_LONG',
        severity: 'warning',
        message: `line is longer than ${IGNORE_LIMITS.maxLineLength} characters; skipped`,
        location: { file, line: lineNo },
      });
      continue;
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let expiry: Date | undefined;
    let expText: string | undefined;
    let bad = false;
    // Trivy reads the first `exp:` field; other fields are accepted and have no meaning.
    for (const f of fields.slice(1)) {
      if (f.startsWith('exp:')) {
        expText = f.slice(4);
        expiry = parseDay(expText);
        if (!expiry) bad = true;
        break;
      }
    }
    if (bad) {
      out.diagnostics.push({
        code: 'IGNORE_BAD_EXPIRY',
        severity: 'warning',
        message: `cannot parse expiry "exp:${expText ?? ''}" (want exp:YYYY-MM-DD); rule skipped`,
        location: { file, line: lineNo, snippet: line },
      });
      continue;
    }
    const unknown = fields.slice(1).filter((f) => !f.startsWith('exp:'));
    if (unknown.length > 0)
      out.diagnostics.push({
        code: 'IGNORE_UNKNOWN_FIELD',
        severity: 'info',
        message: `fields after the ID have no meaning and are ignored: ${unknown.join(' ')}`,
        location: { file, line: lineNo },
      });
    if (++count > IGNORE_LIMITS.maxRules) {
      out.diagnostics.push({
        code: 'IGNORE_TOO_MANY_RULES',
        severity: 'error',
        message: `more than ${IGNORE_LIMITS.maxRules} rules; the rest of the file is not read`,
        location: { file, line: lineNo },
      });
      break;
    }
    const rule: IgnoreRule = {
      id: fields[0] as string,
      paths: [],
      purls: [],
      location: { file, line: lineNo },
      ...(expText !== undefined ? { expiredAt: expText } : {}),
    };
    if (expiry && expiry.getTime() < now.getTime()) {
      out.ignore.expired.push(rule);
      continue;
    }
    // IDs in the plain format apply to every kind of finding (Trivy).
    for (const k of IGNORE_KINDS) out.ignore.rules[k].push(rule);
  }
}

function lineOf(node: YamlNode | null | undefined, lc: LineCounterT): number | undefined {
  const r = node?.range;
  if (!r) return undefined;
  return lc.linePos(r[0]).line;
}

/** Parses the YAML format (`.trivyignore.yaml`). */
function parseYaml(text: string, file: string, now: Date, out: IgnoreLoad): void {
  const Y = yamlLib();
  const lc = new Y.LineCounter();
  let doc: Document.Parsed;
  try {
    doc = Y.parseDocument(text, { lineCounter: lc, uniqueKeys: false });
  } catch (err) {
    out.diagnostics.push({
      code: 'IGNORE_YAML',
      severity: 'error',
      message: `cannot parse YAML: ${errorMessage(err)}; no rules read`,
      location: { file },
    });
    return;
  }
  if (doc.errors.length > 0) {
    for (const e of doc.errors.slice(0, 20)) {
      const pos = e.linePos?.[0];
      out.diagnostics.push({
        code: 'IGNORE_YAML',
        severity: 'error',
        message: `${e.message.split('\n')[0] ?? e.code}; no rules read`,
        location: pos ? { file, line: pos.line, column: pos.col } : { file },
      });
    }
    return;
  }
  const root = doc.contents;
  if (root === null || (Y.isScalar(root) && (root.value === null || root.value === ''))) return;
  if (!Y.isMap(root)) {
    out.diagnostics.push({
      code: 'IGNORE_YAML',
      severity: 'error',
      message: 'the top level must be a map with vulnerabilities/secrets/misconfigurations/licenses lists',
      location: { file, ...(lineOf(root, lc) !== undefined ? { line: lineOf(root, lc) as number } : {}) },
    });
    return;
  }
  let count = 0;
  for (const pair of root.items) {
    const key = Y.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const keyLine = lineOf(pair.key, lc);
    const at = (line: number | undefined): SourceLocation => (line !== undefined ? { file, line } : { file });
    if (!(IGNORE_KINDS as readonly string[]).includes(key)) {
      out.diagnostics.push({
        code: 'IGNORE_UNKNOWN_FIELD',
        severity: 'warning',
        message: `unknown top-level key "${key}" (expected ${IGNORE_KINDS.join(', ')}); ignored`,
        location: at(keyLine),
      });
      continue;
    }
    const kind = key as IgnoreKind;
    const list = pair.value as YamlNode | null;
    if (list === null || (Y.isScalar(list) && list.value === null)) continue;
    if (!Y.isSeq(list)) {
      out.diagnostics.push({
        code: 'IGNORE_YAML',
        severity: 'error',
        message: `${kind} must be a list of entries`,
        location: at(keyLine),
      });
      continue;
    }
    for (const item of list.items as (YamlNode | null)[]) {
      const line = lineOf(item, lc) ?? keyLine;
      const bad = (message: string): void => {
        out.diagnostics.push({
          code: 'IGNORE_BAD_RULE',
          severity: 'error',
          message: `${kind} entry: ${message}; entry skipped`,
          location: at(line),
        });
      };
      if (!Y.isMap(item)) {
        bad('must be a map with id, paths, purls, expired_at, statement');
        continue;
      }
      if (++count > IGNORE_LIMITS.maxRules) {
        out.diagnostics.push({
          code: 'IGNORE_TOO_MANY_RULES',
          severity: 'error',
          message: `more than ${IGNORE_LIMITS.maxRules} rules; the rest of the file is not read`,
          location: at(line),
        });
        return;
      }
      const obj = item.toJS(doc, { maxAliasCount: 100 }) as Record<string, unknown>;
      const rule: IgnoreRule = { paths: [], purls: [], location: at(line) };
      let ok = true;
      let expired = false;
      for (const [k, v] of Object.entries(obj)) {
        if (k === 'id') {
          if (typeof v === 'string' || typeof v === 'number') rule.id = String(v);
          else if (v !== null) {
            bad('id must be a string');
            ok = false;
          }
        } else if (k === 'statement') {
          if (v === null || v === undefined) continue;
          if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
            bad('statement must be a string');
            ok = false;
          } else rule.statement = String(v);
        } else if (k === 'expired_at') {
          if (v === null || v === undefined) continue;
          const s =
            v instanceof Date
              ? v.toISOString()
              : typeof v === 'string' || typeof v === 'number'
                ? String(v)
                : JSON.stringify(v);
          const t = v instanceof Date ? v : parseExpiry(s);
          if (!t) {
            bad(`cannot parse expired_at "${s}" (want YYYY-MM-DD or an RFC 3339 time)`);
            ok = false;
          } else rule.expiredAt = s;
          if (t && t.getTime() < now.getTime()) expired = true;
        } else if (k === 'paths' || k === 'purls') {
          if (v === null || v === undefined) continue;
          if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
            bad(`${k} must be a list of strings`);
            ok = false;
            continue;
          }
          for (const s of v as string[]) {
            if (k === 'paths') {
              try {
                rule.paths.push(compileGlob(s));
              } catch (err) {
                bad(`invalid path pattern "${s}": ${errorMessage(err)}`);
                ok = false;
              }
            } else {
              const p = parsePurl(s);
              if (!p) {
                bad(`invalid purl "${s}"`);
                ok = false;
              } else rule.purls.push(p);
            }
          }
        } else {
          out.diagnostics.push({
            code: 'IGNORE_UNKNOWN_FIELD',
            severity: 'warning',
            message: `${kind} entry: unknown key "${k}" ignored`,
            location: at(line),
          });
        }
      }
      if (!ok) continue;
      if (rule.id === undefined && rule.paths.length === 0 && rule.purls.length === 0) {
        bad('an entry needs an id, or paths or purls to match');
        continue;
      }
      if (expired) {
        out.ignore.expired.push(rule);
        continue;
      }
      out.ignore.rules[kind].push(rule);
    }
  }
}

/** Parses ignore-file text; never throws on bad content. */
export function parseIgnoreFile(text: string, file: string, opts: IgnoreParseOptions = {}): IgnoreLoad {
  const format = opts.format ?? ignoreFormatOf(file);
  const now = opts.now ?? new Date();
  const out: IgnoreLoad = { ignore: emptyRules(file, format), diagnostics: [] };
  if (format === 'yaml') parseYaml(text, file, now, out);
  else parsePlain(text, file, now, out);
  return out;
}

/**
 * Reads and parses an ignore file. A missing file is an E_NOT_FOUND error
 * unless `optional` (then no rules), as Trivy skips a missing default file.
 */
export async function readIgnoreFile(
  path: string,
  opts: IgnoreParseOptions & { optional?: boolean } = {},
): Promise<IgnoreLoad> {
  let buf: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (st.size > IGNORE_LIMITS.maxFileBytes)
        throw new PalisadeError(
          'E_LIMIT',
          `${path} is ${st.size} bytes, over the ${IGNORE_LIMITS.maxFileBytes}-byte limit for ignore files`,
        );
      buf = await readFile(fh);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof PalisadeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && opts.optional)
      return { ignore: emptyRules(path, opts.format ?? ignoreFormatOf(path)), diagnostics: [] };
    throw new PalisadeError(
      code === 'ENOENT' ? 'E_NOT_FOUND' : 'E_IO',
      `cannot read ignore file ${path}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  return parseIgnoreFile(buf.toString('utf8'), path, opts);
}
