/**
 * `kyverno test` for CEL policies: reads a cli.kyverno.io Test file, evaluates its CEL policies
 * (ValidatingPolicy, MutatingPolicy, GeneratingPolicy, ValidatingAdmissionPolicy, …) and the
 * `validate.cel` rules of its ClusterPolicies, and judges every expected result (policy × rule ×
 * resource). As in policy/test, a missing result passes only when `skip` was expected.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { compilePolicy } from '../engine/index.js';
import { loadPolicyText } from '../loader/index.js';
import {
  evaluateCelPolicy,
  evaluateCelValidate,
  isCelPolicy,
  type CelDeps,
  type CelRuleResult,
} from './index.js';

type Obj = Record<string, unknown>;

export interface CelTestCase {
  readonly policy: string;
  readonly rule: string;
  readonly kind: string;
  readonly resource: string;
  readonly expected: string;
  readonly actual: string;
  readonly ok: boolean;
  readonly reason: string;
  readonly policyType: string;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function meta(o: Obj): Obj {
  return isObj(o['metadata']) ? o['metadata'] : {};
}

async function readDocs(path: string): Promise<Obj[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const out: Obj[] = [];
  for (const d of parseAllDocuments(text)) {
    if (d.errors.length) continue;
    const v: unknown = d.toJS({ maxAliasCount: 100 });
    if (!isObj(v)) continue;
    if (str(v['kind']).endsWith('List') && Array.isArray(v['items'])) out.push(...v['items'].filter(isObj));
    else out.push(v);
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
  }
  return false;
}

const FLAGS: Array<[string, string]> = [
  ['isValidatingPolicy', 'ValidatingPolicy'],
  ['isMutatingPolicy', 'MutatingPolicy'],
  ['isMUtatingPolicy', 'MutatingPolicy'],
  ['isGeneratingPolicy', 'GeneratingPolicy'],
  ['isImageValidatingPolicy', 'ImageValidatingPolicy'],
  ['isDeletingPolicy', 'DeletingPolicy'],
  ['isValidatingAdmissionPolicy', 'ValidatingAdmissionPolicy'],
];

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'CSIDriver',
  'CSINode',
  'APIService',
  'ClusterPolicy',
  'ClusterIssuer',
  'VolumeSnapshotClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'CertificateSigningRequest',
]);

interface Found {
  results: CelRuleResult[];
}

/** Runs one test file; only expectations about CEL policies or CEL rules are returned. */
export async function runCelTestFile(file: string): Promise<CelTestCase[]> {
  const dir = dirname(file);
  const t = (await readDocs(file))[0];
  if (!t || t['kind'] !== 'Test') return [];
  const rel = (p: unknown): string => resolve(dir, str(p));
  const policyDocs: Obj[] = [];
  const policyTexts: Array<{ text: string; path: string }> = [];
  for (const p of Array.isArray(t['policies']) ? t['policies'] : []) {
    policyDocs.push(...(await readDocs(rel(p))));
    try {
      policyTexts.push({ text: await readFile(rel(p), 'utf8'), path: rel(p) });
    } catch {
      /* missing policy files show up as missing results */
    }
  }
  const resources: Obj[] = [];
  for (const r of Array.isArray(t['resources']) ? t['resources'] : [])
    resources.push(...(await readDocs(rel(r))));
  // the resource as evaluated: namespaced resources without a namespace are in "default" (Kyverno CLI)
  const inDefault = (r: Obj): Obj =>
    meta(r)['namespace'] === undefined && !CLUSTER_SCOPED.has(str(r['kind']))
      ? { ...r, metadata: { ...meta(r), namespace: 'default' } }
      : r;
  let ctxResources: Obj[] = [];
  let images: Obj[] = [];
  if (t['context']) {
    const c = (await readDocs(rel(t['context'])))[0];
    const spec = c && isObj(c['spec']) ? c['spec'] : {};
    ctxResources = Array.isArray(spec['resources']) ? spec['resources'].filter(isObj) : [];
    images = Array.isArray(spec['images']) ? spec['images'].filter(isObj) : [];
  }
  const namespaceLabels: Record<string, Record<string, string>> = {};
  let operation: string | undefined;
  if (t['variables']) {
    const v = (await readDocs(rel(t['variables'])))[0];
    for (const n of v && Array.isArray(v['namespaceSelector']) ? v['namespaceSelector'] : [])
      if (isObj(n) && isObj(n['labels']))
        namespaceLabels[str(n['name'])] = n['labels'] as Record<string, string>;
    const gv = v && isObj(v['globalValues']) ? v['globalValues'] : {};
    if (typeof gv['request.operation'] === 'string') operation = gv['request.operation'];
  }
  let userInfo: { username: string; groups: string[] } | undefined;
  if (t['userinfo']) {
    const u = (await readDocs(rel(t['userinfo'])))[0];
    const ui = u && isObj(u['userInfo']) ? u['userInfo'] : {};
    userInfo = {
      username: str(ui['username']),
      groups: Array.isArray(ui['groups']) ? ui['groups'].map(String) : [],
    };
  }
  for (const r of resources)
    if (r['kind'] === 'Namespace' && isObj(meta(r)['labels']))
      namespaceLabels[str(meta(r)['name'])] ??= meta(r)['labels'] as Record<string, string>;
  const deps: CelDeps = {
    data: { resources: [...ctxResources, ...resources.filter((r) => r['kind'] === 'Namespace')], images },
    bindings: policyDocs.filter((d) => str(d['kind']).endsWith('Binding')),
    exceptions: policyDocs.filter(
      (d) => d['kind'] === 'PolicyException' && str(d['apiVersion']).startsWith('policies.kyverno.io'),
    ),
  };
  const celPolicies = policyDocs.filter(isCelPolicy);
  // ClusterPolicies with validate.cel rules, through the Kyverno policy loader and matcher
  const compiled = policyTexts.flatMap(({ text, path }) =>
    loadPolicyText(text, path).policies.map(compilePolicy),
  );

  const evalFor = (policyName: string, resource: Obj): { type: string; found?: Found } | undefined => {
    const name = policyName.includes('/') ? (policyName.split('/')[1] ?? policyName) : policyName;
    const req = {
      resource,
      ...(operation ? { operation } : {}),
      namespaceLabels,
      ...(userInfo ? { userInfo } : {}),
    };
    const cp = celPolicies.find((p) => meta(p)['name'] === name);
    if (cp) return { type: str(cp['kind']), found: { results: evaluateCelPolicy(cp, req, deps) } };
    const kp = compiled.find((c) => c.policy.name === name);
    if (!kp) return undefined;
    const celRules = kp.rules.filter(
      (r) => isObj(r.raw['validate']) && r.raw['validate']['cel'] !== undefined,
    );
    if (!celRules.length) return { type: 'ClusterPolicy (no CEL rules)' };
    const results: CelRuleResult[] = [];
    for (const rule of celRules) {
      const why = rule.match({
        resource,
        operation: operation ?? 'CREATE',
        ...(namespaceLabels[str(meta(resource)['namespace'])]
          ? { namespaceLabels: namespaceLabels[str(meta(resource)['namespace'])] ?? {} }
          : {}),
        userInfo: userInfo ?? {},
      });
      if (why !== undefined) continue;
      const pre = rule.raw['celPreconditions'];
      if (Array.isArray(pre)) {
        const check = evaluateCelPolicy(
          {
            kind: 'ValidatingPolicy',
            metadata: { name: rule.name },
            spec: {
              matchConstraints: {
                resourceRules: [{ apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }],
              },
              matchConditions: pre,
              validations: [],
            },
          },
          req,
          deps,
        )[0];
        if (check && check.status !== 'pass') {
          results.push({ name: rule.name, type: 'Validation', status: check.status, message: check.message });
          continue;
        }
      }
      const v = evaluateCelValidate((rule.raw['validate'] as Obj)['cel'], req, deps);
      results.push({ name: rule.name, type: 'Validation', ...v });
    }
    return { type: `${kp.policy.kind} (CEL rules)`, found: { results } };
  };

  const cases: CelTestCase[] = [];
  for (const res of Array.isArray(t['results']) ? t['results'] : []) {
    if (!isObj(res)) continue;
    const policy = str(res['policy']);
    const rule = str(res['rule']);
    const kind = str(res['kind']);
    const expected = str(res['result']) || str(res['status']);
    const flag = FLAGS.find(([f]) => res[f] === true)?.[1];
    const names = Array.isArray(res['resources'])
      ? res['resources'].map(str)
      : res['resource']
        ? [str(res['resource'])]
        : [];
    for (const rname of names) {
      const resource = resources.find((r) => {
        const md = meta(r);
        return (
          str(r['kind']) === kind &&
          (md['name'] === rname || `${str(md['namespace']) || 'default'}/${str(md['name'])}` === rname)
        );
      });
      const probe = resource ? evalFor(policy, inDefault(resource)) : evalFor(policy, {});
      if (!probe) continue; // not a CEL policy of this file: helper-21's suite counts it
      if (probe.type === 'ClusterPolicy (no CEL rules)' || probe.type === 'Policy (no CEL rules)') continue;
      if (!flag && !probe.type.includes('CEL rules') && !probe.type) continue;
      const base = { policy, rule, kind, resource: rname, expected, policyType: flag ?? probe.type };
      if (!resource) {
        cases.push({ ...base, actual: 'none', ok: false, reason: `resource ${kind}/${rname} not found` });
        continue;
      }
      let results = probe.found?.results ?? [];
      if (rule) {
        const named = results.filter(
          (r) => r.name === rule || r.name === `autogen-${rule}` || r.name === `autogen-cronjob-${rule}`,
        );
        results = named;
      }
      if (!results.length) {
        const ok = expected === 'skip';
        cases.push({
          ...base,
          actual: 'none',
          ok,
          reason: ok ? 'no result' : `want ${expected}, the policy gave no result`,
        });
        continue;
      }
      const actual = [...new Set(results.map((r) => r.status))].join(',');
      let ok = results.every((r) => r.status === expected);
      let reason = ok
        ? 'Ok'
        : `want ${expected}, got ${actual}: ${results
            .map((r) => r.message)
            .join('; ')
            .slice(0, 300)}`;
      if (ok && res['patchedResources']) {
        const want = (await readDocs(rel(res['patchedResources']))).find(
          (e) => str(e['kind']) === kind && meta(e)['name'] === meta(resource)['name'],
        );
        let got = results.find((r) => r.patchedResource)?.patchedResource ?? resource;
        if (meta(resource)['namespace'] === undefined && meta(got)['namespace'] === 'default') {
          const { namespace: _ns, ...md } = meta(got);
          got = { ...got, metadata: md };
        }
        if (!want || !same(got, want)) {
          ok = false;
          reason = `patched resource differs: ${JSON.stringify(got).slice(0, 400)}`;
        }
      }
      if (ok && res['generatedResource']) {
        const want = await readDocs(rel(res['generatedResource']));
        const gen = results.flatMap((r) => r.generatedResources ?? []);
        if (!want.every((w) => gen.some((g) => same(g, w)))) {
          ok = false;
          reason = `generated resources differ: ${JSON.stringify(gen).slice(0, 400)}`;
        }
      }
      cases.push({ ...base, actual, ok, reason });
    }
  }
  return cases;
}
