/**
 * trivy-secret.yaml, Trivy's secret scanner configuration: custom `rules`,
 * `allow-rules` and `exclude-block`, and the `enable-builtin-rules`,
 * `disable-rules` and `disable-allow-rules` lists. Read with the `yaml`
 * library; every problem is a diagnostic with file:line:column. Regexes are
 * Go RE2 syntax, as in Trivy, and are checked here so a bad pattern points at
 * its line.
 */
import { readFile } from 'node:fs/promises';
import type { Severity } from '@palisade/api';
import { SEVERITIES } from '@palisade/api';
import type { Node as YamlNode, Pair } from 'yaml';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Diagnostic } from '../../core/diagnostics.js';
import { PalisadeError, errorMessage } from '../../core/errors.js';
import type { SourceLocation } from '../../core/location.js';
import { builtinAllowRules } from './builtin-allow-rules.js';
import { builtinRules } from './builtin-rules.js';
import { GoRegexp } from './regex.js';
import type { AllowRuleSpec, RuleSpec } from './rule.js';
import type { ScannerSpec, SecretScanner } from './scanner.js';
import { compileScanner, defaultScanner } from './scanner.js';

/** Bound on the configuration file: it is user input like any other. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface SecretConfig {
  /** When non-empty, only these built-in rules are on (custom rules are always on). */
  enableBuiltinRules: string[];
  disableRules: string[];
  disableAllowRules: string[];
  rules: RuleSpec[];
  allowRules: AllowRuleSpec[];
  excludeBlock?: { description?: string; regexes: string[] };
}

export interface ConfigLoad {
  /** Absent when there were errors. */
  config?: SecretConfig;
  diagnostics: Diagnostic[];
}

const TOP_KEYS = new Set([
  'enable-builtin-rules',
  'disable-rules',
  'disable-allow-rules',
  'rules',
  'allow-rules',
  'exclude-block',
]);
const RULE_KEYS = new Set([
  'id',
  'category',
  'title',
  'severity',
  'regex',
  'keywords',
  'path',
  'allow-rules',
  'exclude-block',
  'secret-group-name',
]);
const ALLOW_KEYS = new Set(['id', 'description', 'regex', 'path']);
const BLOCK_KEYS = new Set(['description', 'regexes']);

class Reader {
  readonly diagnostics: Diagnostic[] = [];
  private readonly lc = new LineCounter();

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  get lineCounter(): LineCounter {
    return this.lc;
  }

  where(node: YamlNode | Pair | null | undefined): SourceLocation {
    const range = node && 'range' in node ? node.range : undefined;
    const offset =
      range?.[0] ?? (node && 'key' in node ? (node.key as YamlNode | null)?.range?.[0] : undefined);
    if (offset === undefined) return { file: this.file };
    const { line, col } = this.lc.linePos(offset);
    return { file: this.file, line, column: col };
  }

  error(message: string, node?: YamlNode | Pair | null): void {
    this.diagnostics.push({ code: 'E_CONFIG', severity: 'error', message, location: this.where(node) });
  }

  warn(message: string, node?: YamlNode | Pair | null): void {
    this.diagnostics.push({
      code: 'SECRET_CONFIG',
      severity: 'warning',
      message,
      location: this.where(node),
    });
  }

  entries(node: unknown, what: string, known: Set<string>): Map<string, YamlNode> {
    const out = new Map<string, YamlNode>();
    if (!isMap(node)) {
      this.error(`${what} must be a mapping`, node as YamlNode);
      return out;
    }
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) {
        this.error(`${what}: keys must be plain strings`, pair.key as YamlNode);
        continue;
      }
      if (!known.has(key)) {
        this.warn(`${what}: unknown key "${key}" is ignored`, pair.key as YamlNode);
        continue;
      }
      out.set(key, pair.value as YamlNode);
    }
    return out;
  }

  string(node: YamlNode | undefined, what: string): string | undefined {
    if (node === undefined || node === null) return undefined;
    if (isScalar(node) && node.value === null) return undefined;
    if (
      isScalar(node) &&
      (typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'boolean')
    ) {
      return String(node.value);
    }
    this.error(`${what} must be a string`, node);
    return undefined;
  }

  strings(node: YamlNode | undefined, what: string): string[] {
    if (node === undefined || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) {
      this.error(`${what} must be a list of strings`, node);
      return [];
    }
    const out: string[] = [];
    for (const item of node.items) {
      const s = this.string(item as YamlNode, `${what} item`);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  /** A regex field, checked by compiling it. */
  regex(node: YamlNode | undefined, what: string): string | undefined {
    const s = this.string(node, what);
    if (s === undefined) return undefined;
    try {
      GoRegexp.compile(s);
      return s;
    } catch (err) {
      this.error(`${what}: invalid regular expression: ${errorMessage(err)}`, node);
      return undefined;
    }
  }
}

function severityOf(r: Reader, node: YamlNode | undefined, id: string): Severity {
  const s = r.string(node, `rule ${id}: severity`);
  const upper = (s ?? '').toUpperCase();
  if ((SEVERITIES as readonly string[]).includes(upper)) return upper as Severity;
  // Trivy's convertSeverity: anything else (or nothing) becomes UNKNOWN, with a warning.
  r.warn(`rule ${id}: severity "${s ?? ''}" is not one of ${SEVERITIES.join(', ')}; using UNKNOWN`, node);
  return 'UNKNOWN';
}

function readAllowRules(r: Reader, node: YamlNode | undefined, what: string): AllowRuleSpec[] {
  if (node === undefined || (isScalar(node) && node.value === null)) return [];
  if (!isSeq(node)) {
    r.error(`${what} must be a list`, node);
    return [];
  }
  const out: AllowRuleSpec[] = [];
  for (const item of node.items) {
    const e = r.entries(item, `${what} item`, ALLOW_KEYS);
    const id = r.string(e.get('id'), `${what}: id`) ?? '';
    const spec: AllowRuleSpec = { id };
    const description = r.string(e.get('description'), `${what} ${id}: description`);
    if (description !== undefined) spec.description = description;
    const regex = r.regex(e.get('regex'), `${what} ${id}: regex`);
    if (regex !== undefined) spec.regex = regex;
    const path = r.regex(e.get('path'), `${what} ${id}: path`);
    if (path !== undefined) spec.path = path;
    if (regex === undefined && path === undefined)
      r.warn(`${what} ${id}: has neither regex nor path and allows nothing`, item as YamlNode);
    out.push(spec);
  }
  return out;
}

function readExcludeBlock(r: Reader, node: YamlNode | undefined, what: string): SecretConfig['excludeBlock'] {
  if (node === undefined || (isScalar(node) && node.value === null)) return undefined;
  const e = r.entries(node, what, BLOCK_KEYS);
  const out: NonNullable<SecretConfig['excludeBlock']> = { regexes: [] };
  const description = r.string(e.get('description'), `${what}: description`);
  if (description !== undefined) out.description = description;
  const list = e.get('regexes');
  if (list !== undefined && !(isScalar(list) && list.value === null)) {
    if (!isSeq(list)) r.error(`${what}: regexes must be a list`, list);
    else
      for (const [i, item] of list.items.entries()) {
        const re = r.regex(item as YamlNode, `${what}: regexes[${i}]`);
        if (re !== undefined) out.regexes.push(re);
      }
  }
  return out;
}

function readRule(r: Reader, item: unknown): RuleSpec | undefined {
  const e = r.entries(item, 'rules item', RULE_KEYS);
  const id = r.string(e.get('id'), 'rule: id');
  if (!id) {
    r.error('rule: id is required', item as YamlNode);
    return undefined;
  }
  const regex = r.regex(e.get('regex'), `rule ${id}: regex`);
  if (regex === undefined) {
    if (!e.has('regex')) r.error(`rule ${id}: regex is required`, item as YamlNode);
    return undefined;
  }
  const spec: RuleSpec = {
    id,
    category: r.string(e.get('category'), `rule ${id}: category`) ?? '',
    title: r.string(e.get('title'), `rule ${id}: title`) ?? '',
    severity: severityOf(r, e.get('severity'), id),
    regex,
    keywords: r.strings(e.get('keywords'), `rule ${id}: keywords`),
  };
  const group = r.string(e.get('secret-group-name'), `rule ${id}: secret-group-name`);
  if (group) {
    spec.secretGroupName = group;
    if (!GoRegexp.compile(regex).hasGroup(group)) {
      r.warn(
        `rule ${id}: the regex has no group named "${group}"; the rule can never report`,
        e.get('secret-group-name'),
      );
    }
  }
  const path = r.regex(e.get('path'), `rule ${id}: path`);
  if (path !== undefined) spec.path = path;
  const allow = readAllowRules(r, e.get('allow-rules'), `rule ${id}: allow-rules`);
  if (allow.length > 0) spec.allowRules = allow;
  const block = readExcludeBlock(r, e.get('exclude-block'), `rule ${id}: exclude-block`);
  if (block) spec.excludeBlock = block;
  return spec;
}

/** Parses the text of a trivy-secret.yaml. */
export function parseSecretConfig(text: string, file: string): ConfigLoad {
  const r = new Reader(file, text);
  const doc = parseDocument(text, { lineCounter: r.lineCounter, uniqueKeys: true });
  for (const err of doc.errors) {
    const pos = err.linePos?.[0];
    r.diagnostics.push({
      code: 'E_CONFIG',
      severity: 'error',
      message: err.message.split('\n')[0] ?? err.message,
      location: pos ? { file, line: pos.line, column: pos.col } : { file },
    });
  }
  if (doc.errors.length > 0) return { diagnostics: r.diagnostics };
  let aliased = false;
  const visit = (n: unknown): void => {
    if (aliased) return;
    if (isAlias(n)) {
      aliased = true;
      r.error('YAML aliases are not supported in a secret configuration', n);
      return;
    }
    if (isMap(n) || isSeq(n)) for (const item of n.items) visit(isMap(n) ? (item as Pair).value : item);
  };
  visit(doc.contents);
  if (aliased) return { diagnostics: r.diagnostics };

  const config: SecretConfig = {
    enableBuiltinRules: [],
    disableRules: [],
    disableAllowRules: [],
    rules: [],
    allowRules: [],
  };
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { config, diagnostics: r.diagnostics };
  const top = r.entries(root, 'secret configuration', TOP_KEYS);
  config.enableBuiltinRules = r.strings(top.get('enable-builtin-rules'), 'enable-builtin-rules');
  config.disableRules = r.strings(top.get('disable-rules'), 'disable-rules');
  config.disableAllowRules = r.strings(top.get('disable-allow-rules'), 'disable-allow-rules');
  const rules = top.get('rules');
  if (rules !== undefined && !(isScalar(rules) && rules.value === null)) {
    if (!isSeq(rules)) r.error('rules must be a list', rules);
    else
      for (const item of rules.items) {
        const spec = readRule(r, item);
        if (spec) config.rules.push(spec);
      }
  }
  config.allowRules = readAllowRules(r, top.get('allow-rules'), 'allow-rules');
  const block = readExcludeBlock(r, top.get('exclude-block'), 'exclude-block');
  if (block) config.excludeBlock = block;

  const builtinIds = new Set(builtinRules.map((x) => x.id));
  const enableNode = top.get('enable-builtin-rules');
  for (const id of config.enableBuiltinRules) {
    if (!builtinIds.has(id)) r.warn(`enable-builtin-rules: "${id}" is not a built-in rule`, enableNode);
  }
  if (r.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: r.diagnostics };
  return { config, diagnostics: r.diagnostics };
}

/**
 * Reads a trivy-secret.yaml. A missing file means "built-in rules only", as in
 * Trivy (returns undefined config, no error); an unreadable or oversized one is an error.
 */
export async function loadSecretConfig(path: string): Promise<ConfigLoad> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { diagnostics: [] };
    throw new PalisadeError('E_IO', `cannot read secret configuration ${path}: ${errorMessage(err)}`, {
      cause: err,
      location: { file: path },
    });
  }
  if (buf.length > MAX_CONFIG_BYTES) {
    return {
      diagnostics: [
        {
          code: 'E_CONFIG',
          severity: 'error',
          message: `secret configuration is ${buf.length} bytes, more than the limit of ${MAX_CONFIG_BYTES}`,
          location: { file: path },
        },
      ],
    };
  }
  return parseSecretConfig(buf.toString('utf8'), path);
}

/** Throws the first error of a load as a coded error with its location. */
export function throwIfConfigErrors(load: ConfigLoad): void {
  const first = load.diagnostics.find((d) => d.severity === 'error');
  if (first) {
    throw new PalisadeError('E_CONFIG', first.message, first.location ? { location: first.location } : {});
  }
}

/** The scanner spec a configuration selects, with Trivy's precedence rules. */
export function scannerSpec(config: SecretConfig | undefined): ScannerSpec {
  if (!config) return { rules: builtinRules, allowRules: builtinAllowRules };
  const enabled =
    config.enableBuiltinRules.length > 0
      ? builtinRules.filter((x) => config.enableBuiltinRules.includes(x.id))
      : builtinRules;
  // Custom rules are on whatever enable-builtin-rules says; disable-rules applies to both.
  const rules = [...enabled, ...config.rules].filter((x) => !config.disableRules.includes(x.id));
  const allowRules = [...builtinAllowRules, ...config.allowRules].filter(
    (x) => !config.disableAllowRules.includes(x.id),
  );
  const spec: ScannerSpec = { rules, allowRules };
  if (config.excludeBlock) spec.excludeBlock = config.excludeBlock;
  return spec;
}

/** The compiled scanner for a configuration (the shared built-in one when there is none). */
export function scannerFromConfig(config: SecretConfig | undefined): SecretScanner {
  return config ? compileScanner(scannerSpec(config)) : defaultScanner();
}
