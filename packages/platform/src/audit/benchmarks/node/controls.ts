/**
 * kube-bench control files (cfg/<benchmark>/{master,node,etcd,controlplane,policies}.yaml) read
 * at run time: checks with their audits compiled once (parsed shell, JSONPath, regexes) and their
 * tests validated, so a bad op or bin_op is a load error with file:line.
 */
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { PalisadeError } from '../../../core/errors.js';
import { compileJsonPath, JsonPathError } from './jsonpath.js';
import { parseShell, ShellSyntaxError } from './shell.js';
import type { List } from './shell.js';

export const COMPARE_OPS = [
  'eq',
  'noteq',
  'gt',
  'gte',
  'lt',
  'lte',
  'has',
  'nothave',
  'regex',
  'valid_elements',
  'bitmask',
] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
export const NODE_TYPES = ['master', 'node', 'etcd', 'controlplane', 'policies', 'managedservices'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export interface TestItem {
  flag: string;
  path: string;
  env: string;
  set: boolean;
  compare: { op: CompareOp | ''; value: string };
  line: number;
}

/** An audit command as written, and parsed (or why it could not be). */
export interface Audit {
  source: string;
  parsed: List | undefined;
  /** Syntax outside the supported subset. */
  unsupported: string | undefined;
}

export interface CheckDef {
  id: string;
  text: string;
  type: string;
  scored: boolean;
  audit: Audit | undefined;
  auditConfig: Audit | undefined;
  auditEnv: Audit | undefined;
  useMultipleValues: boolean;
  tests: { binOp: 'and' | 'or'; items: TestItem[] } | undefined;
  remediation: string;
  file: string;
  line: number;
}

export interface GroupDef {
  id: string;
  text: string;
  type: string;
  checks: CheckDef[];
}

export interface ControlsDef {
  id: string;
  version: string;
  text: string;
  type: NodeType;
  groups: GroupDef[];
  file: string;
}

/**
 * kube-bench's files continue some double-quoted scalars on a line indented no deeper than their
 * key (go-yaml accepts that; YAML 1.2 and the `yaml` package do not). Such continuation lines
 * are indented two more spaces before parsing; line numbers do not change.
 */
export function reindentQuotedContinuations(text: string): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const m = /^(\s*)(?:- )?[A-Za-z0-9_]+:\s+"/.exec(line);
    if (!m) continue;
    const startQuote = m[0].length - 1;
    if (closesQuote(line, startQuote + 1)) continue;
    const indent = (m[1] as string).length;
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j] as string;
      const lead = /^\s*/.exec(l)?.[0].length ?? 0;
      if (l.trim() !== '' && lead <= indent + (line.trimStart().startsWith('- ') ? 2 : 0))
        lines[j] = ' '.repeat(indent + 4 - lead) + l;
      if (closesQuote(l, 0)) {
        i = j;
        break;
      }
    }
  }
  return lines.join('\n');
}

function closesQuote(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return true;
  }
  return false;
}

function compileAudit(source: unknown): Audit | undefined {
  if (source === undefined || source === null) return undefined;
  const s = typeof source === 'string' ? source : JSON.stringify(source);
  if (s.trim() === '') return undefined;
  try {
    return { source: s, parsed: parseShell(s), unsupported: undefined };
  } catch (err) {
    if (err instanceof ShellSyntaxError) return { source: s, parsed: undefined, unsupported: err.message };
    throw err;
  }
}

/** Go's yaml.v2 string from a scalar (`value: 0` → "0", `value: true` → "true"). */
function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  return typeof v === 'object' ? JSON.stringify(v) : `${v as number | boolean}`;
}

/** Reads one control file; throws PalisadeError E_PARSE with file:line for a bad definition. */
export function loadControls(text: string, file: string): ControlsDef {
  const lc = new LineCounter();
  const doc = parseDocument(reindentQuotedContinuations(text), { lineCounter: lc, uniqueKeys: false });
  const lineOf = (n: YamlNode | null | undefined): number => (n?.range ? lc.linePos(n.range[0]).line : 1);
  const err = (msg: string, line: number): never => {
    throw new PalisadeError('E_PARSE', msg, { location: { file, line } });
  };
  if (doc.errors.length) {
    const e = doc.errors[0];
    err(`not a kube-bench control file: ${e?.message.split('\n')[0] ?? ''}`, e?.linePos?.[0].line ?? 1);
  }
  const root = doc.contents;
  if (!isMap(root)) return err('a kube-bench control file is a YAML mapping (controls:, groups:)', 1);
  const top = root.toJSON() as Record<string, unknown>;
  const type = str(top['type']);
  if (!(NODE_TYPES as readonly string[]).includes(type))
    err(`unknown node type '${type}' (one of ${NODE_TYPES.join(', ')})`, lineOf(root.get('type', true)));
  const groupsNode = root.get('groups', true) as YamlNode | undefined;
  if (!isSeq(groupsNode)) return err("'groups' must be a list", lineOf(groupsNode ?? root));
  const groups: GroupDef[] = [];
  for (const gNode of groupsNode.items) {
    if (!isMap(gNode)) err('a group must be a mapping', lineOf(gNode as YamlNode));
    const gm = gNode as import('yaml').YAMLMap;
    const g = gm.toJSON() as Record<string, unknown>;
    const checksNode = gm.get('checks', true) as YamlNode | undefined;
    const checks: CheckDef[] = [];
    if (checksNode !== undefined && !isSeq(checksNode)) err("'checks' must be a list", lineOf(checksNode));
    for (const cNode of isSeq(checksNode) ? checksNode.items : []) {
      if (!isMap(cNode)) err('a check must be a mapping', lineOf(cNode as YamlNode));
      const cm = cNode as import('yaml').YAMLMap;
      const c = cm.toJSON() as Record<string, unknown>;
      const line = lineOf(cm);
      const id = str(c['id']);
      if (!id) err('a check needs an id', line);
      let tests: CheckDef['tests'];
      const tNode = cm.get('tests', true) as YamlNode | undefined;
      if (tNode !== undefined && tNode !== null && (tNode as { value?: unknown }).value !== null) {
        if (!isMap(tNode)) err(`check ${id}: 'tests' must be a mapping`, lineOf(tNode));
        const tm = tNode as import('yaml').YAMLMap;
        const binOp = str(tm.get('bin_op'));
        if (binOp !== '' && binOp !== 'and' && binOp !== 'or')
          err(`check ${id}: unknown bin_op '${binOp}' (and, or)`, lineOf(tm.get('bin_op', true) ?? tm));
        const itemsNode = tm.get('test_items', true) as YamlNode | undefined;
        const items: TestItem[] = [];
        if (itemsNode !== undefined && !isSeq(itemsNode))
          err(`check ${id}: 'test_items' must be a list`, lineOf(itemsNode));
        for (const iNode of isSeq(itemsNode) ? itemsNode.items : []) {
          if (!isMap(iNode)) err(`check ${id}: a test item must be a mapping`, lineOf(iNode as YamlNode));
          const im = iNode as import('yaml').YAMLMap;
          const it = im.toJSON() as Record<string, unknown>;
          const iline = lineOf(im);
          const cmp = (it['compare'] ?? {}) as Record<string, unknown>;
          if (typeof cmp !== 'object') err(`check ${id}: 'compare' must be a mapping`, iline);
          const op = str(cmp['op']);
          const cmpNode = im.get('compare', true) as YamlNode | undefined;
          const opLine = isMap(cmpNode) ? lineOf(cmpNode.get('op', true) ?? cmpNode) : iline;
          if (op !== '' && !(COMPARE_OPS as readonly string[]).includes(op))
            err(`check ${id}: unknown compare op '${op}' (${COMPARE_OPS.join(', ')})`, opLine);
          const value = str(cmp['value']);
          if (op === 'regex') {
            try {
              new RegExp(value);
            } catch (e) {
              err(`check ${id}: bad regex '${value}': ${e instanceof Error ? e.message : String(e)}`, opLine);
            }
          }
          if (op === 'bitmask' && !/^[0-7]+$/.test(value))
            err(`check ${id}: bitmask value '${value}' is not an octal number`, opLine);
          if (
            (op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte') &&
            !/^\s*[-+]?[0-9]+\s*$/.test(value)
          )
            err(`check ${id}: '${op}' needs an integer value, not '${value}'`, opLine);
          const set = it['set'] === undefined ? true : it['set'];
          if (typeof set !== 'boolean') err(`check ${id}: 'set' must be true or false`, iline);
          const path = str(it['path']);
          if (path) {
            try {
              compileJsonPath(path);
            } catch (e) {
              if (e instanceof JsonPathError) err(`check ${id}: ${e.message}`, iline);
              throw e;
            }
          }
          items.push({
            flag: str(it['flag']),
            path,
            env: str(it['env']),
            set: set as boolean,
            compare: { op: op as CompareOp | '', value },
            line: iline,
          });
        }
        tests = { binOp: binOp === 'or' ? 'or' : 'and', items };
      }
      const scored = c['scored'];
      checks.push({
        id,
        text: str(c['text']),
        type: str(c['type']),
        scored: scored === true,
        audit: compileAudit(c['audit']),
        auditConfig: compileAudit(c['audit_config']),
        auditEnv: compileAudit(c['audit_env']),
        useMultipleValues: c['use_multiple_values'] === true,
        tests,
        remediation: str(c['remediation']),
        file,
        line,
      });
    }
    groups.push({ id: str(g['id']), text: str(g['text']), type: str(g['type']), checks });
  }
  return {
    id: str(top['id']),
    version: str(top['version']),
    text: str(top['text']),
    type: type as NodeType,
    groups,
    file,
  };
}

// ---------------------------------------------------------------- config.yaml

export interface ComponentDef {
  name: string;
  optional: boolean;
  bins: string[];
  /** conf, svc, kubeconfig, cafile, datadir: candidates and default. */
  files: Record<string, { candidates: string[]; default: string }>;
}

export interface BenchConfig {
  /** Per target (master, node, etcd, controlplane, policies): its components. */
  targets: Record<string, { components: ComponentDef[] }>;
  versionMapping: Record<string, string>;
  targetMapping: Record<string, string[]>;
}

export const FILE_KINDS = ['conf', 'svc', 'kubeconfig', 'cafile', 'datadir'] as const;

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(str).filter(Boolean) : [];
}

/** Reads cfg/config.yaml (and merges a benchmark's own config.yaml over it, as kube-bench does). */
export function loadBenchConfig(texts: { text: string; file: string }[]): BenchConfig {
  const merged: Record<string, unknown> = {};
  for (const { text, file } of texts) {
    const doc = parseDocument(reindentQuotedContinuations(text));
    if (doc.errors.length)
      throw new PalisadeError(
        'E_PARSE',
        `cannot read ${file}: ${doc.errors[0]?.message.split('\n')[0] ?? ''}`,
        {
          location: { file, line: doc.errors[0]?.linePos?.[0].line ?? 1 },
        },
      );
    const v = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v))
      throw new PalisadeError('E_PARSE', `${file} is not a mapping`, { location: { file, line: 1 } });
    deepMerge(merged, v as Record<string, unknown>);
  }
  const targets: BenchConfig['targets'] = {};
  for (const t of ['master', 'node', 'etcd', 'controlplane', 'policies', 'managedservices']) {
    const sec = merged[t] as Record<string, unknown> | undefined;
    if (!sec || typeof sec !== 'object') continue;
    const components: ComponentDef[] = [];
    for (const name of strings(sec['components'])) {
      const c = (sec[name] ?? {}) as Record<string, unknown>;
      const files: ComponentDef['files'] = {};
      for (const k of FILE_KINDS) {
        const plural = k === 'conf' ? 'confs' : k === 'datadir' ? 'datadirs' : k;
        const candidates = strings(c[plural]);
        const def = str(c[`default${k}`]);
        if (candidates.length || def) files[k] = { candidates, default: def };
      }
      components.push({ name, optional: c['optional'] === true, bins: strings(c['bins']), files });
    }
    targets[t] = { components };
  }
  const versionMapping: Record<string, string> = {};
  for (const [k, v] of Object.entries((merged['version_mapping'] ?? {}) as Record<string, unknown>))
    versionMapping[k] = str(v);
  const targetMapping: Record<string, string[]> = {};
  for (const [k, v] of Object.entries((merged['target_mapping'] ?? {}) as Record<string, unknown>))
    targetMapping[k] = strings(v);
  return { targets, versionMapping, targetMapping };
}

function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (
      cur &&
      v &&
      typeof cur === 'object' &&
      typeof v === 'object' &&
      !Array.isArray(cur) &&
      !Array.isArray(v)
    )
      deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>);
    else into[k] = v;
  }
}
