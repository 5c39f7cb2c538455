/**
 * `kyverno test` compatible runner: reads `cli.kyverno.io/v1alpha1` Test files (kyverno-test.yaml) with
 * their policies, resources, values (variables) file, userinfo and context files, evaluates every
 * resource against every policy, and judges each expected result, counted per policy × rule × resource.
 *
 * Judging follows `kyverno test` (rule names match the rule or its autogen twins; the expected result
 * is compared with the rule's status; patchedResources are compared with the mutated resource), with one
 * deliberate difference: when the policy yields no rule response for an expected resource, Kyverno counts
 * it as passed whatever was expected; here that only passes when `skip` was expected.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Diagnostic } from '../../core/diagnostics.js';
import { evaluatePolicy, PolicyEngine, type EngineResponse, type Obj } from '../engine/index.js';
import { CEL_POLICY_KINDS } from '../celpolicy/index.js';
import { runCelTestFile, type CelTestCase } from '../celpolicy/testrun.js';
import {
  loadPolicyText,
  readYamlDocuments,
  type KyvernoPolicy,
  type OtherDocument,
  type PolicyExceptionDoc,
} from '../loader/index.js';

export interface TestCase {
  readonly test: string;
  readonly policy: string;
  readonly rule: string;
  readonly kind: string;
  readonly resource: string;
  readonly expected: string;
  /** The status found, `none` when the policy gave no result for the resource, `unsupported` for CEL policy types. */
  readonly actual: string;
  readonly ok: boolean;
  readonly reason: string;
  readonly message: string;
  /** Policy type, for per-type reporting: ClusterPolicy, Policy, ValidatingPolicy, MutatingPolicy… */
  readonly policyType: string;
}

export interface TestFileResult {
  readonly file: string;
  readonly name: string;
  readonly cases: TestCase[];
  readonly diagnostics: Diagnostic[];
}

type Values = {
  globalValues: Obj;
  policies: Map<string, { resources: Map<string, Obj>; rules: Map<string, Obj> }>;
  namespaceLabels: Record<string, Record<string, string>>;
};

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

async function readText(path: string, diags: Diagnostic[]): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    diags.push({
      code: 'E_IO',
      severity: 'error',
      message: `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`,
      location: { file: path },
    });
    return undefined;
  }
}

/** Reads resources from YAML files (List kinds are flattened). */
export async function readResources(paths: readonly string[], diags: Diagnostic[]): Promise<Obj[]> {
  const out: Obj[] = [];
  for (const p of paths) {
    const text = await readText(p, diags);
    if (text === undefined) continue;
    const y = readYamlDocuments(text, p);
    diags.push(...y.diagnostics);
    for (const d of y.docs) {
      if (!isObj(d.value)) continue;
      if (str(d.value['kind']).endsWith('List') && Array.isArray(d.value['items'])) {
        for (const it of d.value['items']) if (isObj(it)) out.push(it);
      } else out.push(d.value);
    }
  }
  return out;
}

async function readValues(path: string, diags: Diagnostic[]): Promise<Values> {
  const values: Values = { globalValues: {}, policies: new Map(), namespaceLabels: {} };
  const text = await readText(path, diags);
  if (text === undefined) return values;
  const y = readYamlDocuments(text, path);
  diags.push(...y.diagnostics);
  const v = y.docs[0]?.value;
  if (!isObj(v)) return values;
  if (isObj(v['globalValues'])) values.globalValues = v['globalValues'];
  for (const p of Array.isArray(v['policies']) ? v['policies'] : []) {
    if (!isObj(p)) continue;
    const entry = { resources: new Map<string, Obj>(), rules: new Map<string, Obj>() };
    for (const r of Array.isArray(p['resources']) ? p['resources'] : [])
      if (isObj(r) && isObj(r['values'])) entry.resources.set(str(r['name']), r['values']);
    for (const r of Array.isArray(p['rules']) ? p['rules'] : [])
      if (isObj(r) && isObj(r['values'])) entry.rules.set(str(r['name']), r['values']);
    values.policies.set(str(p['name']), entry);
  }
  for (const n of Array.isArray(v['namespaceSelector']) ? v['namespaceSelector'] : []) {
    if (isObj(n) && isObj(n['labels']))
      values.namespaceLabels[str(n['name'])] = n['labels'] as Record<string, string>;
  }
  return values;
}

function resourceName(r: Obj): { name: string; namespace: string } {
  const md = isObj(r['metadata']) ? r['metadata'] : {};
  return { name: str(md['name']) || str(md['generateName']), namespace: str(md['namespace']) };
}

function policyKey(p: { name: string; namespace: string | undefined; kind: string }): string {
  return p.kind === 'Policy' && p.namespace ? `${p.namespace}/${p.name}` : p.name;
}

/** Deep equality (key order ignored; numbers compared as JSON numbers). */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return (
      ka.length === kb.length &&
      ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]))
    );
  }
  return false;
}

/** Kyverno's resource.Tidy: drops nulls, empty maps and empty lists, recursively. */
export function tidy(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out = v.map(tidy).filter((x) => x !== null && x !== undefined);
    return out.length ? out : null;
  }
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      const t = tidy(x);
      if (t !== null && t !== undefined) out[k] = t;
    }
    return Object.keys(out).length ? out : null;
  }
  return v;
}

/** Built-in cluster-scoped kinds: the Kyverno CLI gives every other resource without one namespace `default`. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'StorageClass',
  'CustomResourceDefinition',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'APIService',
  'CertificateSigningRequest',
  'PodSecurityPolicy',
  'FlowSchema',
  'PriorityLevelConfiguration',
  'ClusterPolicy',
  'ClusterCleanupPolicy',
  'ClusterPolicyReport',
]);

/** The namespace as the Kyverno CLI sees it after loading (YamlToUnstructured defaults it). */
function namespaceOf(r: Obj): string {
  const ns = resourceName(r).namespace;
  return ns || (CLUSTER_SCOPED.has(str(r['kind'])) ? '' : 'default');
}

/** Kyverno's FixupGenerateLabels: generate.kyverno.io/* labels dropped, managed-by: kyverno set. */
function fixupGenerateLabels(r: Obj): Obj {
  const md: Obj = { ...(isObj(r['metadata']) ? r['metadata'] : {}) };
  const ns = namespaceOf(r);
  if (ns) md['namespace'] = ns;
  const labels: Record<string, unknown> = { 'app.kubernetes.io/managed-by': 'kyverno' };
  if (isObj(md['labels']))
    for (const [k, v] of Object.entries(md['labels']))
      if (!k.startsWith('generate.kyverno.io/')) labels[k] = v;
  return { ...r, metadata: { ...md, labels } };
}

/**
 * Compares an actual resource with the expected one as `kyverno test` does (getAndCompareResource):
 * generate labels fixed up on both sides, both tidied, then deep equality.
 */
export function sameResource(actual: Obj, expected: Obj): boolean {
  return deepEqual(tidy(fixupGenerateLabels(actual)), tidy(fixupGenerateLabels(expected)));
}

/** The resource of a file with the actual resource's apiVersion, kind, namespace and name. */
function expectedFor(actual: Obj, candidates: readonly Obj[]): Obj | undefined {
  const a = resourceName(actual);
  return candidates.find((e) => {
    return (
      str(e['apiVersion']) === str(actual['apiVersion']) &&
      str(e['kind']) === str(actual['kind']) &&
      resourceName(e).name === a.name &&
      namespaceOf(e) === namespaceOf(actual)
    );
  });
}

const CEL_FLAGS: Array<[string, string]> = [
  ['isValidatingPolicy', 'ValidatingPolicy'],
  ['isMutatingPolicy', 'MutatingPolicy'],
  ['isMUtatingPolicy', 'MutatingPolicy'],
  ['isGeneratingPolicy', 'GeneratingPolicy'],
  ['isImageValidatingPolicy', 'ImageValidatingPolicy'],
  ['isDeletingPolicy', 'DeletingPolicy'],
  ['isValidatingAdmissionPolicy', 'ValidatingAdmissionPolicy'],
  ['isMutatingAdmissionPolicy', 'MutatingAdmissionPolicy'],
];

/** Runs one kyverno-test.yaml file. */
export async function runTestFile(file: string): Promise<TestFileResult> {
  const diagnostics: Diagnostic[] = [];
  const dir = dirname(file);
  const text = await readText(file, diagnostics);
  const y = text === undefined ? undefined : readYamlDocuments(text, file);
  if (y) diagnostics.push(...y.diagnostics);
  const t = y?.docs[0]?.value;
  if (!isObj(t) || t['kind'] !== 'Test') {
    diagnostics.push({
      code: 'E_TEST_INVALID',
      severity: 'error',
      message: 'not a cli.kyverno.io Test document',
      location: { file },
    });
    return { file, name: '', cases: [], diagnostics };
  }
  const name = str(isObj(t['metadata']) ? t['metadata']['name'] : '') || str(t['name']);
  const rel = (p: unknown): string => resolve(dir, str(p));
  // policies
  const policies: KyvernoPolicy[] = [];
  const others: OtherDocument[] = [];
  const exceptions: PolicyExceptionDoc[] = [];
  // PolicyExceptions come from the test's `exceptions:` files (as kyverno test loads them)
  for (const p of Array.isArray(t['exceptions']) ? t['exceptions'] : []) {
    const path = rel(p);
    const etext = await readText(path, diagnostics);
    if (etext === undefined) continue;
    const r = loadPolicyText(etext, path);
    diagnostics.push(...r.diagnostics);
    exceptions.push(...r.exceptions);
  }
  for (const p of Array.isArray(t['policies']) ? t['policies'] : []) {
    const path = rel(p);
    const ptext = await readText(path, diagnostics);
    if (ptext === undefined) continue;
    const r = loadPolicyText(ptext, path);
    diagnostics.push(...r.diagnostics);
    policies.push(...r.policies);
    others.push(...r.others);
  }
  const resources = await readResources(
    (Array.isArray(t['resources']) ? t['resources'] : []).map(rel),
    diagnostics,
  );
  const values = t['variables'] ? await readValues(rel(t['variables']), diagnostics) : undefined;
  let userInfo: Obj = {};
  if (t['userinfo']) {
    const u = await readResources([rel(t['userinfo'])], diagnostics);
    userInfo = u[0] ?? {};
  }
  let contextResources: Obj[] = [];
  if (t['context']) {
    const c = await readResources([rel(t['context'])], diagnostics);
    const spec = c[0] && isObj(c[0]['spec']) ? c[0]['spec'] : {};
    contextResources = Array.isArray(spec['resources']) ? spec['resources'].filter(isObj) : [];
  }
  // clone sources (cloneSourceResource of the results) exist in the cluster generate rules see
  const cloneSourcePaths = new Set<string>();
  for (const res of Array.isArray(t['results']) ? t['results'] : [])
    if (isObj(res) && typeof res['cloneSourceResource'] === 'string' && res['cloneSourceResource'])
      cloneSourcePaths.add(rel(res['cloneSourceResource']));
  const existingResources = cloneSourcePaths.size
    ? await readResources([...cloneSourcePaths], diagnostics)
    : [];
  const engine = new PolicyEngine(policies, { exceptions });
  const ui = isObj(userInfo['userInfo']) ? userInfo['userInfo'] : {};
  const responses: EngineResponse[] = [];
  const byPolicy = new Map(engine.policies.map((cp) => [policyKey(cp.policy), cp] as const));
  for (const resource of resources) {
    const rn = resourceName(resource);
    for (const cp of engine.candidates(str(resource['kind']))) {
      const pv = values?.policies.get(cp.policy.name);
      const variables: Obj = { ...(values?.globalValues ?? {}), ...(pv?.resources.get(rn.name) ?? {}) };
      const ruleVariables: Record<string, Obj> = {};
      if (pv) for (const [k, v] of pv.rules) ruleVariables[k] = v;
      const r = evaluatePolicy(
        cp,
        {
          resource,
          ...(typeof variables['request.operation'] === 'string'
            ? { operation: variables['request.operation'] }
            : {}),
          // kyverno test simulates an UPDATE with the resource as its own old state
          ...(variables['request.operation'] === 'UPDATE' ? { oldResource: structuredClone(resource) } : {}),
          variables,
          ruleVariables,
          namespaceLabels: values?.namespaceLabels ?? {},
          userInfo: {
            username: str(ui['username']),
            groups: Array.isArray(ui['groups'])
              ? ui['groups'].filter((g): g is string => typeof g === 'string')
              : [],
          },
          roles: Array.isArray(userInfo['roles'])
            ? userInfo['roles'].filter((g): g is string => typeof g === 'string')
            : [],
          clusterRoles: Array.isArray(userInfo['clusterRoles'])
            ? userInfo['clusterRoles'].filter((g): g is string => typeof g === 'string')
            : [],
          configMaps: contextResources.filter((x) => x['kind'] === 'ConfigMap'),
          existingResources,
        },
        engine.exceptions,
      );
      if (r) responses.push(r);
    }
  }
  const cases: TestCase[] = [];
  const otherByName = new Map(others.map((o) => [o.name, o] as const));
  // CEL policy types (ValidatingPolicy, MutatingPolicy, GeneratingPolicy, VAP…) are judged by the
  // CEL evaluator's runner, with the same rules (a missing result passes only when skip was expected).
  const celCases = new Map<string, CelTestCase>();
  if (others.some((o) => CEL_POLICY_KINDS.has(o.kind)))
    for (const c of await runCelTestFile(file))
      celCases.set([c.policy, c.rule, c.kind, c.resource].join('\u0000'), c);
  for (const res of Array.isArray(t['results']) ? t['results'] : []) {
    if (!isObj(res)) continue;
    const policy = str(res['policy']);
    const rule = str(res['rule']);
    const kind = str(res['kind']);
    const expected = str(res['result']) || str(res['status']);
    const ns = str(res['namespace']);
    const names = Array.isArray(res['resources'])
      ? res['resources'].map(str)
      : res['resource']
        ? [str(res['resource'])]
        : [];
    const celFlag = CEL_FLAGS.find(([f]) => res[f] === true)?.[1];
    const cp = byPolicy.get(policy);
    const other = otherByName.get(policy.includes('/') ? (policy.split('/')[1] ?? policy) : policy);
    const policyType = celFlag ?? cp?.policy.kind ?? other?.kind ?? 'unknown';
    for (const resourceRef of names) {
      const base = { test: name, policy, rule, kind, resource: resourceRef, expected, policyType };
      const cel = other ? celCases.get([policy, rule, kind, resourceRef].join('\u0000')) : undefined;
      if (!cp && cel) {
        cases.push({
          ...base,
          policyType: cel.policyType || base.policyType,
          actual: cel.actual,
          ok: cel.ok,
          reason: cel.reason,
          message: '',
        });
        continue;
      }
      if (!cp) {
        const why = other
          ? `${other.kind} (${other.apiVersion}) policies are not supported by Palisade yet`
          : diagnostics.some((d) => d.severity === 'error')
            ? `policy ${policy} not loaded: ${diagnostics.find((d) => d.severity === 'error')?.message ?? ''}`
            : `policy ${policy} not found`;
        cases.push({ ...base, actual: other ? 'unsupported' : 'none', ok: false, reason: why, message: '' });
        continue;
      }
      const found = responses.filter((r) => {
        if (policyKey(r.policy) !== policy || str(r.resource['kind']) !== kind) return false;
        const rn = resourceName(r.resource);
        if (ns && rn.namespace !== ns) return false;
        return rn.name === resourceRef || `${rn.namespace || 'default'}/${rn.name}` === resourceRef;
      });
      const resourceExists = resources.some((r) => {
        const rn = resourceName(r);
        return (
          str(r['kind']) === kind && (rn.name === resourceRef || `${rn.namespace}/${rn.name}` === resourceRef)
        );
      });
      const rules = found.flatMap((r) =>
        r.rules
          .filter(
            (x) => x.name === rule || x.name === `autogen-${rule}` || x.name === `autogen-cronjob-${rule}`,
          )
          .map((x) => ({ r, x })),
      );
      if (!rules.length) {
        const ok = expected === 'skip' && resourceExists;
        cases.push({
          ...base,
          actual: 'none',
          ok,
          reason: resourceExists
            ? ok
              ? 'no result: the rule does not apply to the resource'
              : `want ${expected}, the rule gave no result for the resource`
            : `resource ${kind}/${resourceRef} not found in the test's resources`,
          message: '',
        });
        continue;
      }
      let ok = true;
      let reason = 'Ok';
      const actual = [...new Set(rules.map((m) => m.x.status))].join(',');
      for (const m of rules) {
        if (m.x.status !== expected) {
          ok = false;
          reason = `want ${expected}, got ${m.x.status}`;
        }
      }
      if (ok && res['patchedResources']) {
        const expectedRes = await readResources([rel(res['patchedResources'])], diagnostics);
        const target = rules[0]?.r.patchedResource;
        const want = target ? expectedFor(target, expectedRes) : undefined;
        if (!target || !want) {
          ok = false;
          reason = 'patched resource not found in the patchedResources file';
        } else if (!sameResource(target, want)) {
          ok = false;
          reason = "patched resource didn't match the patched resource in the test result";
        }
      }
      if (ok && (res['generatedResource'] || Array.isArray(res['generatedResources']))) {
        const files = [
          ...(typeof res['generatedResource'] === 'string' && res['generatedResource']
            ? [res['generatedResource']]
            : []),
          ...(Array.isArray(res['generatedResources']) ? res['generatedResources'].map(str) : []),
        ];
        const expectedRes = await readResources(files.map(rel), diagnostics);
        const gen = rules.flatMap((m) => m.x.generatedResources ?? []);
        if (!gen.length) {
          ok = false;
          reason = 'the rule generated no resource';
        }
        for (const g of gen) {
          const want = expectedFor(g, expectedRes);
          if (!want) {
            ok = false;
            reason = `generated resource ${str(g['kind'])}/${resourceName(g).name} not found in the generatedResource file`;
          } else if (!sameResource(g, want)) {
            ok = false;
            reason = "generated resource didn't match the generated resource in the test result";
          }
        }
      }
      cases.push({ ...base, actual, ok, reason, message: rules.map((m) => m.x.message).join('; ') });
    }
  }
  return { file, name, cases, diagnostics };
}
