/**
 * The secret scanner (Trivy: pkg/fanal/secret): rules compiled once, then
 * every file is checked against them. For each rule that applies to the path
 * and whose keywords occur in the file, the rule's regex finds candidate
 * matches; allow rules and exclude blocks drop some; every remaining secret is
 * overwritten with `*` in a private copy of the file, and the reported match
 * line and code context are cut from that copy, so no output ever carries a
 * secret that any rule found.
 */
import type { SecretFinding, Severity } from '@palisade/api';
import { PalisadeError, errorMessage } from '../../core/errors.js';
import { builtinAllowRules } from './builtin-allow-rules.js';
import { builtinRules } from './builtin-rules.js';
import { GoRegexp } from './regex.js';
import type { Span } from './regex.js';
import type { AllowRuleSpec, CompiledAllowRule, CompiledRule, RuleSpec } from './rule.js';

/** Bump when findings change for the same input and rules: invalidates cached layer results. */
export const SCANNER_VERSION = 1;

/** Trivy's secret analyzer warns above this size; we skip such files (see docs/secret-scanning.md). */
export const DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024;
/** Bound on findings reported for one file, whatever the rules. */
export const DEFAULT_MAX_FINDINGS_PER_FILE = 1000;
/** Bound on exclude-block spans looked at per file. */
const MAX_BLOCKS = 10_000;
/** Bytes at the start of a file looked at for a NUL byte (git's binary heuristic). */
const BINARY_SNIFF_BYTES = 8000;
/** Lines longer than this are cut in the output (Trivy's maxLineLength). */
const MAX_LINE_LENGTH = 100;
/** Context lines before a secret; Trivy shows this many before and one fewer after. */
const CONTEXT_RADIUS = 2;

export interface ScannerSpec {
  rules: readonly RuleSpec[];
  allowRules: readonly AllowRuleSpec[];
  excludeBlock?: { regexes: readonly string[] };
}

export interface SecretScanner {
  readonly rules: readonly CompiledRule[];
  readonly allowRules: readonly CompiledAllowRule[];
  readonly excludeBlocks: readonly GoRegexp[];
  /**
   * Changes whenever rules or scanner code change, for cache keys: a
   * 31-bit number mixing SCANNER_VERSION with a hash of the rule set.
   */
  readonly version: number;
}

export interface ScanOptions {
  maxFileSize?: number;
  maxFindings?: number;
}

export type SkipReason = 'binary' | 'too-large' | 'allowed-path';

export interface FileScan {
  findings: SecretFinding[];
  /** Set when the file was not scanned. */
  skipped?: SkipReason;
  /** The allow rule that skipped the path, when skipped is `allowed-path`. */
  allowRule?: string;
  /** True when the findings were cut at maxFindings. */
  truncated?: boolean;
}

function compileOne(source: string, what: string): GoRegexp {
  try {
    return GoRegexp.compile(source);
  } catch (err) {
    throw new PalisadeError('E_CONFIG', `${what}: invalid regular expression: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

function compileAllow(a: AllowRuleSpec): CompiledAllowRule {
  const out: CompiledAllowRule = { id: a.id };
  if (a.regex !== undefined) out.regex = compileOne(a.regex, `allow rule ${a.id} regex`);
  if (a.path !== undefined) out.path = compileOne(a.path, `allow rule ${a.id} path`);
  return out;
}

export function compileRule(r: RuleSpec): CompiledRule {
  const rule: CompiledRule = {
    id: r.id,
    category: r.category,
    title: r.title,
    severity: r.severity,
    regex: compileOne(r.regex, `rule ${r.id} regex`),
    keywords: (r.keywords ?? []).map((k) => Buffer.from(k.toLowerCase(), 'utf8')),
    allowRules: (r.allowRules ?? []).map(compileAllow),
    excludeBlocks: (r.excludeBlock?.regexes ?? []).map((x, i) =>
      compileOne(x, `rule ${r.id} exclude-block regex ${i + 1}`),
    ),
  };
  if (r.secretGroupName) rule.secretGroupName = r.secretGroupName;
  if (r.path !== undefined) rule.path = compileOne(r.path, `rule ${r.id} path`);
  return rule;
}

/** FNV-1a over a string, 32 bits. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function compileScanner(spec: ScannerSpec): SecretScanner {
  const rules = spec.rules.map(compileRule);
  const allowRules = spec.allowRules.map(compileAllow);
  const excludeBlocks = (spec.excludeBlock?.regexes ?? []).map((x, i) =>
    compileOne(x, `exclude-block regex ${i + 1}`),
  );
  const fingerprint = JSON.stringify([
    SCANNER_VERSION,
    spec.rules,
    spec.allowRules,
    spec.excludeBlock ?? null,
  ]);
  // Keep SCANNER_VERSION visible in the low bits and the rule hash above them; stays a positive int.
  const version = ((fnv1a(fingerprint) & 0x3fffff) * 256 + (SCANNER_VERSION & 0xff)) >>> 0;
  return { rules, allowRules, excludeBlocks, version };
}

let defaultScannerCache: SecretScanner | undefined;

/** Built-in rules and allow rules, compiled once per process. */
export function defaultScanner(): SecretScanner {
  defaultScannerCache ??= compileScanner({ rules: builtinRules, allowRules: builtinAllowRules });
  return defaultScannerCache;
}

/** True when a NUL byte occurs near the start of the file. */
export function isBinary(content: Uint8Array): boolean {
  const n = Math.min(content.length, BINARY_SNIFF_BYTES);
  for (let i = 0; i < n; i++) if (content[i] === 0) return true;
  return false;
}

/** The first allow rule whose path pattern matches `path`. */
export function allowedPath(allowRules: readonly CompiledAllowRule[], path: string): string | undefined {
  for (const a of allowRules) if (a.path?.test(path)) return a.id;
  return undefined;
}

function allowedMatch(rules: readonly CompiledAllowRule[], text: string): boolean {
  for (const a of rules) if (a.regex?.test(text)) return true;
  return false;
}

function matchesKeywords(rule: CompiledRule, lower: () => Buffer): boolean {
  if (rule.keywords.length === 0) return true;
  const hay = lower();
  for (const k of rule.keywords) if (hay.includes(k)) return true;
  return false;
}

/** Spans of every exclude-block match, found on first use. */
class Blocks {
  private spans: Span[] | undefined;
  constructor(
    private readonly content: Buffer,
    private readonly regexes: readonly GoRegexp[],
    private readonly limit: number,
  ) {}

  contains(loc: Span): boolean {
    if (this.regexes.length === 0) return false;
    this.spans ??= this.regexes.flatMap((r) =>
      r.findAll(this.content, undefined, this.limit).map((m) => m.match),
    );
    return this.spans.some((b) => b.start <= loc.start && loc.end <= b.end);
  }
}

interface Hit {
  rule: CompiledRule;
  loc: Span;
}

/**
 * Scans one file. `path` is matched against allow rules and rule paths as
 * given (relative for directories, `/`-prefixed for image files).
 */
export function scanFile(
  scanner: SecretScanner,
  path: string,
  content: Buffer,
  opts: ScanOptions = {},
): FileScan {
  const maxFileSize = opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const maxFindings = opts.maxFindings ?? DEFAULT_MAX_FINDINGS_PER_FILE;
  const allowed = allowedPath(scanner.allowRules, path);
  if (allowed !== undefined) return { findings: [], skipped: 'allowed-path', allowRule: allowed };
  if (content.length > maxFileSize) return { findings: [], skipped: 'too-large' };
  if (isBinary(content)) return { findings: [], skipped: 'binary' };

  let lowered: Buffer | undefined;
  const lower = (): Buffer => (lowered ??= Buffer.from(content.toString('utf8').toLowerCase(), 'utf8'));
  const globalBlocks = new Blocks(content, scanner.excludeBlocks, MAX_BLOCKS);
  // Every match is censored, even past the findings cap: an unreported secret must not
  // show up in the context lines of a reported one.
  const hits: Hit[] = [];

  for (const rule of scanner.rules) {
    if (rule.path && !rule.path.test(path)) continue;
    if (allowedPath(rule.allowRules, path) !== undefined) continue;
    if (!matchesKeywords(rule, lower)) continue;
    const ruleBlocks = new Blocks(content, rule.excludeBlocks, MAX_BLOCKS);
    // Matches cannot overlap within one rule, so there are at most content.length of them.
    const matches = rule.regex.findAll(content, rule.secretGroupName, content.length + 1);
    for (const m of matches) {
      const text = content.toString('utf8', m.match.start, m.match.end);
      if (allowedMatch(scanner.allowRules, text) || allowedMatch(rule.allowRules, text)) continue;
      const loc = rule.secretGroupName !== undefined ? m.group : m.match;
      if (!loc || loc.end <= loc.start) continue;
      if (globalBlocks.contains(loc) || ruleBlocks.contains(loc)) continue;
      hits.push({ rule, loc });
    }
  }
  if (hits.length === 0) return { findings: [] };

  const censored = Buffer.from(content);
  for (const h of hits) censor(censored, h.loc);
  const lines = new LineIndex(censored);
  const truncated = hits.length > maxFindings;
  const findings = hits.slice(0, maxFindings).map((h) => toFinding(h, censored, lines));
  findings.sort((a, b) => cmp(a.ruleId, b.ruleId) || cmp(a.match, b.match) || a.startLine - b.startLine);
  return truncated ? { findings, truncated } : { findings };
}

/** The findings of scanFile() with the built-in rules unless `opts.scanner` is given. */
export function scanSecrets(
  path: string,
  content: Buffer,
  opts: ScanOptions & { scanner?: SecretScanner } = {},
): SecretFinding[] {
  return scanFile(opts.scanner ?? defaultScanner(), path, content, opts).findings;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Overwrites every byte of the span with `*`, keeping line breaks (Trivy's censorLocation). */
function censor(buf: Buffer, loc: Span): void {
  for (let i = loc.start; i < loc.end; i++) if (buf[i] !== 0x0a) buf[i] = 0x2a;
}

/** Offsets of line breaks, for line numbers and line slices. */
class LineIndex {
  private readonly breaks: number[] = [];
  constructor(private readonly buf: Buffer) {
    let i = buf.indexOf(0x0a);
    while (i !== -1) {
      this.breaks.push(i);
      i = buf.indexOf(0x0a, i + 1);
    }
  }

  /** Lines as Go's bytes.Split(content, "\n") counts them. */
  get count(): number {
    return this.breaks.length + 1;
  }

  /** 0-based line holding byte `offset`. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.breaks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.breaks[mid] ?? Infinity) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  start(line: number): number {
    return line === 0 ? 0 : (this.breaks[line - 1] ?? this.buf.length) + 1;
  }

  end(line: number): number {
    return this.breaks[line] ?? this.buf.length;
  }
}

function toFinding(hit: Hit, content: Buffer, lines: LineIndex): SecretFinding {
  const { start, end } = hit.loc;
  const startLine = lines.lineOf(start);
  // Line breaks before `end`, as Trivy counts: start line plus the breaks inside the secret.
  const endLine = lines.lineOf(end);
  let lineStart = lines.start(startLine);
  let lineEnd = lines.end(startLine);
  if (lineEnd - lineStart > MAX_LINE_LENGTH) {
    lineStart = Math.max(lineStart, start - 30);
    lineEnd = Math.min(lineEnd, end + 20);
  }
  const match = content.toString('utf8', lineStart, lineEnd);

  const codeStart = Math.max(0, startLine - CONTEXT_RADIUS);
  const codeEnd = Math.min(lines.count, endLine + CONTEXT_RADIUS);
  const code: { number: number; content: string; isCause: boolean }[] = [];
  for (let l = codeStart; l < codeEnd; l++) {
    const isCause = l >= startLine && l <= endLine;
    const s = lines.start(l);
    const e = lines.end(l);
    let text: string;
    if (e - s > MAX_LINE_LENGTH) text = isCause ? match : content.toString('utf8', s, s + MAX_LINE_LENGTH);
    else text = content.toString('utf8', s, e);
    code.push({ number: l + 1, content: text, isCause });
  }
  const severity: Severity = hit.rule.severity;
  return {
    ruleId: hit.rule.id,
    category: hit.rule.category,
    severity,
    title: hit.rule.title,
    startLine: startLine + 1,
    endLine: endLine + 1,
    match,
    code: { lines: code },
  };
}
