/**
 * kube-bench's test semantics (check/test.go, check/check.go): a test item looks for a flag in
 * the audit output (`--flag=value`, `flag: value`, `--flag value`, a bare `--flag` = true), a
 * JSONPath in the audit_config output (JSON or YAML), or an environment variable in the audit_env
 * output; `set` says whether it must be present, `compare` how its value must compare. Items are
 * combined with bin_op (and | or); `use_multiple_values` applies an item to every output line.
 */
import { parse as parseYaml } from 'yaml';
import type { CompareOp, TestItem } from './controls.js';
import { compileJsonPath, evalJsonPath } from './jsonpath.js';

export type AuditUsed = 'command' | 'config' | 'env';

export interface ItemOutput {
  result: boolean;
  found: boolean;
  expected: string;
  actual: string;
  error?: string;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function goRegex(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
  }
}

function findFlag(item: TestItem, s: string): { match: boolean; value: string; error?: string } {
  if (s === '' || item.flag === '') return { match: false, value: '' };
  if (!s.includes(item.flag)) return { match: false, value: '' };
  // kube-bench builds `(flag)(=|: *)*([^\s]*) *` with the flag unescaped.
  const re = goRegex(`(${item.flag})(=|: *)*([^\\s]*) *`);
  const vals = re?.exec(s);
  if (!vals) return { match: true, value: '', error: `invalid flag in testItem definition: ${s}` };
  if (vals[3]) return { match: true, value: vals[3] };
  if (item.compare.op !== '') {
    const sp = new RegExp(`${escapeRe(item.flag)}\\s+([^\\s-][^\\s]*)`).exec(s);
    if (sp?.[1]) return { match: true, value: sp[1] };
  }
  return { match: true, value: item.flag.startsWith('--') ? 'true' : (vals[1] ?? '') };
}

function findPath(item: TestItem, s: string): { match: boolean; value: string; error?: string } {
  let data: unknown;
  try {
    data = JSON.parse(s);
  } catch {
    try {
      data = parseYaml(s, { maxAliasCount: 100 });
    } catch (e) {
      return {
        match: false,
        value: '',
        error: `failed to load YAML or JSON from input "${s}": ${e instanceof Error ? e.message : String(e)}`,
      };
    }
  }
  let value: string;
  try {
    value = evalJsonPath(compileJsonPath(item.path), data);
  } catch (e) {
    return {
      match: false,
      value: '',
      error: `unable to parse path expression "${item.path}": ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  return { match: value !== '', value };
}

function findEnv(item: TestItem, s: string): { match: boolean; value: string; error?: string } {
  if (s === '' || item.env === '') return { match: false, value: '' };
  const m = new RegExp(`${escapeRe(item.env)}=.*(?:$|\\n)`, 'm').exec(s);
  const out = (m?.[0] ?? '').replace('\n', '').replace(`${item.env}=`, '');
  return out.length ? { match: true, value: out } : { match: false, value: '' };
}

function splitElements(s: string): string[] {
  const clean = s.trim().replace(/,+$/, '');
  if (clean === '') return [];
  return clean.split(',').map((x) => x.trim());
}

function toInt(s: string): number | undefined {
  const t = s.trim();
  return /^[-+]?[0-9]+$/.test(t) ? Number(t) : undefined;
}

/** kube-bench's compareOp: the expected-result sentence and the outcome. */
export function compareOp(op: CompareOp, flagVal: string, want: string, name: string): [string, boolean] {
  switch (op) {
    case 'eq':
    case 'noteq': {
      const lower = flagVal.toLowerCase();
      const eq = lower === 'false' || lower === 'true' ? lower === want : flagVal === want;
      return op === 'eq'
        ? [`'${name}' is equal to '${want}'`, eq]
        : [`'${name}' is not equal to '${want}'`, !eq];
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const a = toInt(flagVal);
      const b = toInt(want);
      if (a === undefined || b === undefined)
        return [`Invalid Number(s) used for comparison: '${flagVal}' '${want}'`, false];
      if (op === 'gt') return [`'${name}' is greater than ${want}`, a > b];
      if (op === 'gte') return [`'${name}' is greater or equal to ${want}`, a >= b];
      if (op === 'lt') return [`'${name}' is lower than ${want}`, a < b];
      return [`'${name}' is lower or equal to ${want}`, a <= b];
    }
    case 'has':
      return [`'${name}' has '${want}'`, flagVal.includes(want)];
    case 'nothave':
      return [`'${name}' does not have '${want}'`, !flagVal.includes(want)];
    case 'regex':
      return [`'${name}' matched by regex expression '${want}'`, goRegex(want)?.test(flagVal) ?? false];
    case 'valid_elements': {
      const s = splitElements(flagVal);
      const t = splitElements(want);
      let r: boolean;
      if (s.length === 0 && t.length === 0) r = true;
      else if (s.length === 0 || t.length === 0) r = false;
      else r = s.every((x) => t.includes(x));
      return [`'${name}' contains valid elements from '${want}'`, r];
    }
    case 'bitmask': {
      if (!/^[-+]?[0-7]+$/.test(flagVal)) return [`Not numeric value - flag: ${flagVal}`, false];
      const requested = parseInt(flagVal, 8);
      const max = parseInt(want, 8);
      return [
        `'${name}' has permissions ${flagVal}, expected ${want} or more restrictive`,
        (max & requested) === requested,
      ];
    }
  }
}

function evaluateOne(item: TestItem, used: AuditUsed, s: string): ItemOutput {
  const name = used === 'config' ? item.path : used === 'env' ? item.env : item.flag;
  const f = used === 'config' ? findPath(item, s) : used === 'env' ? findEnv(item, s) : findFlag(item, s);
  if (f.error) return { result: false, found: false, expected: '', actual: f.error, error: f.error };
  let result: boolean;
  let expected: string;
  if (item.set) {
    if (f.match && item.compare.op !== '')
      [expected, result] = compareOp(item.compare.op, f.value, item.compare.value, name);
    else {
      expected = `'${name}' is present`;
      result = f.match;
    }
  } else {
    expected = `'${name}' is not present`;
    result = !f.match;
  }
  return { result, found: f.match, expected, actual: s };
}

/** testItem.execute: trims trailing blanks and newlines; with multiple values every line must pass. */
export function executeItem(item: TestItem, used: AuditUsed, output: string, multiple: boolean): ItemOutput {
  const s = output.replace(/[ \n]+$/, '');
  const rows = multiple ? s.split('\n') : [s];
  let r: ItemOutput = { result: false, found: false, expected: '', actual: s };
  for (const row of rows) {
    r = evaluateOne(item, used, row);
    if (!r.result) break;
  }
  return { ...r, actual: s };
}

export interface TestsOutput {
  result: boolean;
  expected: string;
  actual: string;
}

/**
 * Check.execute: each item against the audit output, then (when not found and there is an
 * audit_config) against the config output, then the env output; combined with bin_op.
 */
export function executeTests(
  tests: { binOp: 'and' | 'or'; items: TestItem[] },
  outputs: { audit: string; config: string | undefined; env: string | undefined },
  multiple: boolean,
): TestsOutput {
  const res = tests.items.map((item) => {
    let r = executeItem(item, 'command', outputs.audit, multiple);
    if (!r.found && outputs.config !== undefined) {
      r = executeItem(item, 'config', outputs.config, multiple);
      if (!r.found && item.env !== '') r = executeItem(item, 'env', outputs.env ?? '', multiple);
    }
    if (!r.found && item.env !== '') r = executeItem(item, 'env', outputs.env ?? '', multiple);
    return r;
  });
  const result = tests.binOp === 'or' ? res.some((r) => r.result) : res.every((r) => r.result);
  return {
    result,
    expected: res.map((r) => r.expected).join(tests.binOp === 'or' ? ' OR ' : ' AND '),
    actual: res[0]?.actual ?? '',
  };
}
