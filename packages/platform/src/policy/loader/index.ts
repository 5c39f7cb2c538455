/**
 * Policy loader: reads Kyverno policy documents from YAML text (several per file), checks them and
 * prepares them for compilation.
 *
 * - `kyverno.io/v1` and `kyverno.io/v2beta1` ClusterPolicy and Policy are checked field by field; a
 *   broken policy is reported (code E_POLICY_INVALID with file:line:col of the offending field) and left
 *   out; unknown fields are reported as warnings (W_POLICY_UNKNOWN_FIELD), not silently dropped.
 * - Pod-controller twins of Pod rules are added as Kyverno's autogen does (see autogen.ts).
 * - `kyverno.io/v2*` PolicyException documents are returned as exceptions.
 * - Other policy kinds (the CEL types of policies.kyverno.io, ValidatingAdmissionPolicy) are returned
 *   in `others` so callers can report them as unsupported instead of ignoring them.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import type { SourceLocation } from '../../core/location.js';
import { computeRules } from './autogen.js';
import { readYamlDocuments, type YamlDoc, type YamlReadResult } from './yaml.js';

export { readYamlDocuments, YAML_LIMITS, type YamlDoc } from './yaml.js';
export { computeRules, canAutoGen, AUTOGEN_ANNOTATION } from './autogen.js';

export type Obj = Record<string, unknown>;

export interface KyvernoPolicy {
  readonly kind: 'ClusterPolicy' | 'Policy';
  readonly apiVersion: string;
  readonly name: string;
  /** Namespace of a Policy; undefined for a ClusterPolicy. */
  readonly namespace: string | undefined;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: Obj;
  /** The rules as written followed by the autogen twins. */
  readonly rules: readonly Obj[];
  /** spec.validationFailureAction, normalised: Audit (default) or Enforce. */
  readonly validationFailureAction: 'Audit' | 'Enforce';
  readonly location: SourceLocation;
  /** Location of each rule as written (autogen rules point at their source rule). */
  readonly ruleLocations: Readonly<Record<string, SourceLocation>>;
  readonly raw: Obj;
}

export interface PolicyExceptionDoc {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly spec: Obj;
  readonly location: SourceLocation;
}

export interface OtherDocument {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly location: SourceLocation;
  readonly raw: Obj;
}

export interface PolicyLoadResult {
  readonly policies: KyvernoPolicy[];
  readonly exceptions: PolicyExceptionDoc[];
  readonly others: OtherDocument[];
  readonly diagnostics: Diagnostic[];
}

const POLICY_API = new Set(['kyverno.io/v1', 'kyverno.io/v2beta1']);
const EXCEPTION_API = new Set(['kyverno.io/v2', 'kyverno.io/v2beta1', 'kyverno.io/v2alpha1']);

const SPEC_FIELDS = new Set([
  'rules',
  'validationFailureAction',
  'validationFailureActionOverrides',
  'background',
  'failurePolicy',
  'webhookTimeoutSeconds',
  'mutateExistingOnPolicyUpdate',
  'generateExisting',
  'generateExistingOnPolicyUpdate',
  'schemaValidation',
  'useServerSideApply',
  'admission',
  'applyRules',
  'webhookConfiguration',
  'emitWarning',
  'evaluation',
]);
const RULE_FIELDS = new Set([
  'name',
  'match',
  'exclude',
  'context',
  'preconditions',
  'celPreconditions',
  'validate',
  'mutate',
  'generate',
  'verifyImages',
  'skipBackgroundRequests',
  'imageExtractors',
  'reportProperties',
]);
const VALIDATE_FIELDS = new Set([
  'message',
  'pattern',
  'anyPattern',
  'deny',
  'foreach',
  'podSecurity',
  'cel',
  'manifests',
  'assert',
  'failureAction',
  'failureActionOverrides',
  'allowExistingViolations',
]);
const MUTATE_FIELDS = new Set([
  'patchStrategicMerge',
  'patchesJson6902',
  'foreach',
  'targets',
  'mutateExistingOnPolicyUpdate',
]);
const GENERATE_FIELDS = new Set([
  'apiVersion',
  'kind',
  'name',
  'namespace',
  'uid',
  'data',
  'clone',
  'cloneList',
  'synchronize',
  'orphanDownstreamOnPolicyDelete',
  'generateExisting',
  'foreach',
]);

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Checker {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];
  constructor(
    private readonly y: YamlReadResult,
    private readonly d: YamlDoc,
  ) {}
  at(path: readonly (string | number)[]): SourceLocation {
    return this.y.locate(this.d, path);
  }
  error(path: readonly (string | number)[], message: string): void {
    this.errors.push({
      code: 'E_POLICY_INVALID',
      severity: 'error',
      message: `${fmtPath(path)}: ${message}`,
      location: this.at(path),
    });
  }
  unknown(obj: Obj, known: ReadonlySet<string>, path: readonly (string | number)[]): void {
    for (const k of Object.keys(obj)) {
      if (!known.has(k)) {
        this.warnings.push({
          code: 'W_POLICY_UNKNOWN_FIELD',
          severity: 'warning',
          message: `unknown field ${fmtPath([...path, k])}`,
          location: this.at([...path, k]),
        });
      }
    }
  }
}

function fmtPath(path: readonly (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '(document)';
}

function checkConditions(c: Checker, v: unknown, path: (string | number)[]): void {
  if (v === undefined || v === null) return;
  const list = (arr: unknown, p: (string | number)[]): void => {
    if (!Array.isArray(arr)) {
      c.error(p, 'must be a list of conditions');
      return;
    }
    arr.forEach((cond, i) => {
      if (!isObj(cond)) c.error([...p, i], 'a condition must be a map with key, operator and value');
      else if (cond['operator'] === undefined)
        c.error([...p, i, 'operator'], 'a condition needs an operator');
    });
  };
  if (Array.isArray(v)) list(v, path);
  else if (isObj(v)) {
    for (const k of Object.keys(v)) {
      if (k !== 'any' && k !== 'all') c.error([...path, k], 'conditions take only any and all');
      else if (v[k] !== null) list(v[k], [...path, k]);
    }
  } else c.error(path, 'must be a list of conditions or a map with any/all');
}

function checkRule(c: Checker, rule: unknown, i: number, names: Set<string>): void {
  const path = ['spec', 'rules', i];
  if (!isObj(rule)) {
    c.error(path, 'a rule must be a map');
    return;
  }
  c.unknown(rule, RULE_FIELDS, path);
  const name = rule['name'];
  if (typeof name !== 'string' || name === '') c.error([...path, 'name'], 'a rule needs a name');
  else {
    if (name.length > 63)
      c.error([...path, 'name'], `rule name ${JSON.stringify(name)} is longer than 63 characters`);
    if (names.has(name)) c.error([...path, 'name'], `duplicate rule name ${JSON.stringify(name)}`);
    names.add(name);
  }
  if (!isObj(rule['match'])) c.error([...path, 'match'], 'a rule needs a match block');
  const types = ['validate', 'mutate', 'generate', 'verifyImages'].filter(
    (t) => rule[t] !== undefined && rule[t] !== null,
  );
  if (types.length !== 1) {
    c.error(
      path,
      types.length === 0
        ? 'a rule needs one of validate, mutate, generate or verifyImages'
        : `a rule has one type, found ${types.join(', ')}`,
    );
  }
  checkConditions(c, rule['preconditions'], [...path, 'preconditions']);
  if (rule['context'] !== undefined && !Array.isArray(rule['context']))
    c.error([...path, 'context'], 'context must be a list');
  const v = rule['validate'];
  if (v !== undefined && v !== null) {
    if (!isObj(v)) c.error([...path, 'validate'], 'validate must be a map');
    else {
      c.unknown(v, VALIDATE_FIELDS, [...path, 'validate']);
      const kinds = [
        'pattern',
        'anyPattern',
        'deny',
        'foreach',
        'podSecurity',
        'cel',
        'manifests',
        'assert',
      ].filter((k) => v[k] !== undefined && v[k] !== null);
      if (kinds.length !== 1) {
        c.error(
          [...path, 'validate'],
          kinds.length === 0
            ? 'validate needs one of pattern, anyPattern, deny, foreach, podSecurity, cel, manifests or assert'
            : `validate takes one of its checks, found ${kinds.join(', ')}`,
        );
      }
      if (v['anyPattern'] !== undefined && !Array.isArray(v['anyPattern']))
        c.error([...path, 'validate', 'anyPattern'], 'anyPattern must be a list');
      if (isObj(v['deny']))
        checkConditions(c, v['deny']['conditions'], [...path, 'validate', 'deny', 'conditions']);
      if (v['foreach'] !== undefined && !Array.isArray(v['foreach']))
        c.error([...path, 'validate', 'foreach'], 'foreach must be a list');
      const ps = v['podSecurity'];
      if (ps !== undefined) {
        if (!isObj(ps) || typeof ps['level'] !== 'string')
          c.error([...path, 'validate', 'podSecurity'], 'podSecurity needs a level');
      }
      const fa = v['failureAction'];
      if (fa !== undefined && !(typeof fa === 'string' && /^(audit|enforce)$/i.test(fa)))
        c.error(
          [...path, 'validate', 'failureAction'],
          `failureAction must be Audit or Enforce, not ${JSON.stringify(fa)}`,
        );
    }
  }
  const m = rule['mutate'];
  if (isObj(m)) c.unknown(m, MUTATE_FIELDS, [...path, 'mutate']);
  const g = rule['generate'];
  if (isObj(g)) c.unknown(g, GENERATE_FIELDS, [...path, 'generate']);
}

function loadPolicyDoc(y: YamlReadResult, d: YamlDoc, raw: Obj, out: PolicyLoadResult): void {
  const c = new Checker(y, d);
  const md = isObj(raw['metadata']) ? raw['metadata'] : {};
  const name = md['name'];
  if (typeof name !== 'string' || name === '') c.error(['metadata', 'name'], 'a policy needs metadata.name');
  const spec = raw['spec'];
  const kind = raw['kind'] as 'ClusterPolicy' | 'Policy';
  if (!isObj(spec)) c.error(['spec'], 'a policy needs a spec');
  else {
    c.unknown(spec, SPEC_FIELDS, ['spec']);
    const rules = spec['rules'];
    if (!Array.isArray(rules) || rules.length === 0)
      c.error(['spec', 'rules'], 'a policy needs at least one rule');
    else {
      const names = new Set<string>();
      rules.forEach((r, i) => checkRule(c, r, i, names));
    }
    const vfa = spec['validationFailureAction'];
    if (vfa !== undefined && !(typeof vfa === 'string' && /^(audit|enforce)$/i.test(vfa)))
      c.error(['spec', 'validationFailureAction'], `must be Audit or Enforce, not ${JSON.stringify(vfa)}`);
  }
  out.diagnostics.push(...c.warnings);
  if (c.errors.length || !isObj(spec)) {
    out.diagnostics.push(...c.errors);
    return;
  }
  const annotations: Record<string, string> = {};
  if (isObj(md['annotations']))
    for (const [k, v] of Object.entries(md['annotations'])) if (typeof v === 'string') annotations[k] = v;
  const rulesAsWritten = spec['rules'] as Obj[];
  const ruleLocations: Record<string, SourceLocation> = {};
  rulesAsWritten.forEach((r, i) => {
    const loc = c.at(['spec', 'rules', i]);
    const n = r['name'] as string;
    ruleLocations[n] = loc;
    ruleLocations[`autogen-${n}`.slice(0, 63)] = loc;
    ruleLocations[`autogen-cronjob-${n}`.slice(0, 63)] = loc;
  });
  const vfa =
    typeof spec['validationFailureAction'] === 'string' &&
    spec['validationFailureAction'].toLowerCase() === 'enforce'
      ? 'Enforce'
      : 'Audit';
  out.policies.push({
    kind,
    apiVersion: raw['apiVersion'] as string,
    name: name as string,
    namespace:
      kind === 'Policy'
        ? typeof md['namespace'] === 'string' && md['namespace']
          ? md['namespace']
          : 'default'
        : undefined,
    annotations,
    spec,
    rules: computeRules(rulesAsWritten, annotations),
    validationFailureAction: vfa,
    location: c.at([]),
    ruleLocations,
    raw,
  });
}

/** Loads every policy document of a YAML text. Never throws for bad input. */
export function loadPolicyText(text: string, file: string): PolicyLoadResult {
  const y = readYamlDocuments(text, file);
  const out: PolicyLoadResult = { policies: [], exceptions: [], others: [], diagnostics: [...y.diagnostics] };
  for (const d of y.docs) {
    const raw = d.value;
    if (!isObj(raw)) {
      out.diagnostics.push({
        code: 'E_POLICY_INVALID',
        severity: 'error',
        message: 'a document must be a map',
        location: { file, line: d.line },
      });
      continue;
    }
    const apiVersion = typeof raw['apiVersion'] === 'string' ? raw['apiVersion'] : '';
    const kind = typeof raw['kind'] === 'string' ? raw['kind'] : '';
    const md = isObj(raw['metadata']) ? raw['metadata'] : {};
    const name = typeof md['name'] === 'string' ? md['name'] : '';
    if ((kind === 'ClusterPolicy' || kind === 'Policy') && POLICY_API.has(apiVersion)) {
      loadPolicyDoc(y, d, raw, out);
    } else if (kind === 'PolicyException' && EXCEPTION_API.has(apiVersion)) {
      if (!isObj(raw['spec'])) {
        out.diagnostics.push({
          code: 'E_POLICY_INVALID',
          severity: 'error',
          message: 'a PolicyException needs a spec',
          location: y.locate(d, ['spec']),
        });
        continue;
      }
      out.exceptions.push({
        name,
        namespace: typeof md['namespace'] === 'string' ? md['namespace'] : undefined,
        spec: raw['spec'],
        location: y.locate(d, []),
      });
    } else if (!kind || !apiVersion) {
      out.diagnostics.push({
        code: 'E_POLICY_INVALID',
        severity: 'error',
        message: 'a document needs apiVersion and kind',
        location: y.locate(d, []),
      });
    } else {
      out.others.push({ apiVersion, kind, name, location: y.locate(d, []), raw });
    }
  }
  return out;
}
