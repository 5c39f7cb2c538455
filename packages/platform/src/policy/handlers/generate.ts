/**
 * The generate rule handler, as Kyverno's background generate controller computes the resources a
 * rule would create (pkg/background/generate: manageData, manageClone, manageCloneList, foreach), and
 * as `kyverno test` observes them: the "cluster" holds only what the request supplies (the trigger
 * and the test's clone sources), and a rule only reports resources it would *create* — a target that
 * already exists is updated (synchronize) or left alone, and neither is reported.
 *
 * A generated resource carries the target's apiVersion/kind/name/namespace, the data (or the clone
 * source without its server-set metadata: uid, resourceVersion, creationTimestamp, managedFields,
 * selfLink, and ownerReferences when cloned across namespaces), and Kyverno's labels
 * (`app.kubernetes.io/managed-by: kyverno` and the `generate.kyverno.io/*` policy and trigger labels).
 */
import { loadContextEntries, substituteInString, substituteVariables } from '../context/index.js';
import type { Obj, RuleResponse } from '../engine/types.js';
import { compileSelector } from '../match/index.js';
import { evaluateConditions } from './conditions.js';
import { entriesToLoad, type RuleEnv } from './validate.js';

/** What a generate rule needs beyond the rule environment. */
export interface GenerateEnv extends RuleEnv {
  readonly policyName: string;
  readonly policyNamespace: string | undefined;
  /** The resource that triggered the rule (request.object). */
  readonly trigger: Obj;
  /** Resources that already exist (the trigger is added by the handler). */
  readonly existing: readonly Obj[];
}

const MAX_FOREACH_ELEMENTS = 10_000;
const MAX_GENERATED = 10_000;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function meta(o: Obj): Obj {
  return isObj(o['metadata']) ? o['metadata'] : {};
}

interface Target {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

/** The Kubernetes Go client's `GetResource(apiVersion, kind, namespace, name)` over the supplied resources. */
function findResource(existing: readonly Obj[], t: Target): Obj | undefined {
  return existing.find((r) => {
    const md = meta(r);
    return (
      str(r['kind']) === t.kind &&
      (t.apiVersion === '' || str(r['apiVersion']) === t.apiVersion) &&
      str(md['name']) === t.name &&
      str(md['namespace']) === t.namespace
    );
  });
}

/** `v1/Secret`, `apps/v1/Deployment` or `Secret` → apiVersion and kind (kubeutils.GetKindFromGVK). */
function splitGvk(s: string): { apiVersion: string; kind: string } {
  const parts = s.split('/');
  if (parts.length === 1) return { apiVersion: '', kind: s };
  const kind = parts[parts.length - 1] ?? '';
  return { apiVersion: parts.slice(0, -1).join('/'), kind };
}

function labelsOf(o: Obj): Record<string, string> {
  const l = meta(o)['labels'];
  const out: Record<string, string> = {};
  if (isObj(l)) for (const [k, v] of Object.entries(l)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Sets or removes a metadata field as unstructured.Set* does (an empty string removes it). */
function setMeta(o: Obj, key: string, value: unknown): void {
  const md: Obj = isObj(o['metadata']) ? o['metadata'] : {};
  if (value === '' || value === undefined || value === null) delete md[key];
  else md[key] = value;
  o['metadata'] = md;
}

function groupVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Builds the resource to create from the response data and the target, with Kyverno's labels. */
function finish(data: Obj, t: Target, env: GenerateEnv, ruleName: string): Obj {
  const out = structuredClone(data);
  setMeta(out, 'name', t.name);
  setMeta(out, 'namespace', t.namespace);
  if (str(out['kind']) === '') out['kind'] = t.kind;
  out['apiVersion'] = t.apiVersion;
  const trig = meta(env.trigger);
  const gv = groupVersion(str(env.trigger['apiVersion']));
  const labels: Record<string, string> = {
    ...labelsOf(out),
    'app.kubernetes.io/managed-by': 'kyverno',
    'generate.kyverno.io/policy-name': env.policyName,
    'generate.kyverno.io/policy-namespace': env.policyNamespace ?? '',
    'generate.kyverno.io/rule-name': ruleName,
    'generate.kyverno.io/trigger-version': gv.version,
    'generate.kyverno.io/trigger-group': gv.group,
    'generate.kyverno.io/trigger-kind': str(env.trigger['kind']),
    'generate.kyverno.io/trigger-namespace': str(trig['namespace']),
    'generate.kyverno.io/trigger-uid': str(trig['uid']),
  };
  setMeta(out, 'labels', labels);
  setMeta(out, 'resourceVersion', '');
  return out;
}

type Gen = { ok: true; created: Obj[] } | { ok: false; error: string };

/** manageClone: the source copy to create at the target, or nothing when the target exists. */
function cloneOne(source: Obj, t: Target, existing: readonly Obj[]): Obj | undefined {
  const copy = structuredClone(source);
  const md = meta(copy);
  if (str(md['namespace']) !== t.namespace && md['ownerReferences'] !== undefined)
    delete md['ownerReferences'];
  for (const k of ['uid', 'selfLink', 'creationTimestamp', 'managedFields', 'resourceVersion']) delete md[k];
  const labels = labelsOf(copy);
  labels['generate.kyverno.io/clone-source'] = '';
  md['labels'] = labels;
  copy['metadata'] = md;
  if (findResource(existing, t)) return undefined; // update or no-op: not reported as created
  return copy;
}

function generateOnce(pattern: Obj, env: GenerateEnv, existing: readonly Obj[]): Gen {
  const t: Target = {
    apiVersion: str(pattern['apiVersion']),
    kind: str(pattern['kind']),
    name: str(pattern['name']),
    namespace: str(pattern['namespace']),
  };
  const created: Obj[] = [];
  const clone = isObj(pattern['clone']) ? pattern['clone'] : undefined;
  const cloneList = isObj(pattern['cloneList']) ? pattern['cloneList'] : undefined;
  const cloneKinds = Array.isArray(cloneList?.['kinds']) ? cloneList['kinds'].map(str) : [];
  if (clone && str(clone['name']) !== '') {
    const src: Target = { ...t, namespace: str(clone['namespace']), name: str(clone['name']) };
    if (src.namespace === t.namespace && src.name === t.name) return { ok: true, created }; // self-clone
    const source = findResource(existing, src);
    if (!source)
      return {
        ok: false,
        error: `source resource ${t.apiVersion}/${t.kind}/${t.namespace}/${t.name} not found: ${t.kind} ${src.namespace}/${src.name} is not among the supplied resources`,
      };
    const data = cloneOne(source, t, existing);
    if (data) created.push(finish(data, t, env, env.ruleName));
    return { ok: true, created };
  }
  if (cloneKinds.length) {
    const ns = str(cloneList?.['namespace']);
    const selector =
      cloneList?.['selector'] !== undefined ? compileSelector(cloneList['selector']) : undefined;
    for (const gvk of cloneKinds) {
      const { apiVersion, kind } = splitGvk(gvk);
      const sources = existing.filter(
        (r) =>
          str(r['kind']) === kind &&
          (apiVersion === '' || str(r['apiVersion']) === apiVersion) &&
          (ns === '' || str(meta(r)['namespace']) === ns) &&
          (!selector || selector(labelsOf(r))),
      );
      for (const s of sources) {
        const target: Target = {
          apiVersion: str(s['apiVersion']),
          kind: str(s['kind']),
          namespace: t.namespace,
          name: str(meta(s)['name']),
        };
        if (str(meta(s)['namespace']) === target.namespace) continue; // self-clone
        const data = cloneOne(s, target, existing);
        if (data) created.push(finish(data, target, env, env.ruleName));
      }
    }
    return { ok: true, created };
  }
  const data = pattern['data'];
  if (data === undefined || data === null) return { ok: true, created };
  if (!isObj(data)) return { ok: false, error: 'generate.data must be a map' };
  // a target that exists is updated (synchronize) or kept; only a new one is created
  if (findResource(existing, t)) return { ok: true, created };
  created.push(finish(data, t, env, env.ruleName));
  return { ok: true, created };
}

function substitutePattern(raw: Obj, env: GenerateEnv, path: string): { value: Obj } | { error: string } {
  const pattern: Obj = {};
  for (const [k, v] of Object.entries(raw)) if (k !== 'foreach') pattern[k] = v;
  const sub = substituteVariables(pattern, env.ctx, { path, ruleName: env.ruleName });
  if ('error' in sub) return { error: sub.error };
  return isObj(sub.value) ? { value: sub.value } : { error: 'generate must be a map' };
}

function runForEach(list: unknown[], env: GenerateEnv, existing: readonly Obj[]): Gen {
  const created: Obj[] = [];
  const errors: string[] = [];
  for (const [i, fe] of list.entries()) {
    if (!isObj(fe)) return { ok: false, error: 'a generate.foreach entry must be a map' };
    const sub = substituteInString(str(fe['list']), env.ctx);
    if ('error' in sub) {
      errors.push(`failed to evaluate ${i} foreach list: ${sub.error}`);
      continue;
    }
    const q = env.ctx.tryQuery(String(sub.value));
    if ('error' in q) {
      errors.push(`failed to evaluate ${i} foreach list: ${q.error}`);
      continue;
    }
    const elements = Array.isArray(q.value) ? q.value.slice(0, MAX_FOREACH_ELEMENTS) : [];
    for (const [index, element] of elements.entries()) {
      if (element === null || element === undefined) continue;
      env.ctx.checkpoint();
      try {
        env.ctx.set('element', element);
        env.ctx.set('elementIndex', index);
        env.ctx.set('element0', element);
        env.ctx.set('elementIndex0', index);
        if (Array.isArray(fe['context'])) {
          const lr = loadContextEntries(
            entriesToLoad(fe['context'], env.sources.variables),
            env.ctx,
            env.sources,
          );
          if (!lr.ok) {
            errors.push(
              `failed to process ${index} element: failed to load context: ${lr.error?.message ?? ''}`,
            );
            continue;
          }
        }
        const pre = evaluateConditions(fe['preconditions'], env.ctx, '/generate/foreach/preconditions');
        if (!pre.ok) {
          errors.push(`failed to process ${index} element: failed to evaluate preconditions: ${pre.error}`);
          continue;
        }
        if (!pre.value) continue;
        const p = substitutePattern(fe, env, `/generate/foreach/${i}`);
        if ('error' in p) {
          errors.push(`failed to process ${index} element: ${p.error}`);
          continue;
        }
        const g = generateOnce(p.value, env, [...existing, ...created]);
        if (!g.ok) errors.push(`failed to process ${index} element: ${g.error}`);
        else created.push(...g.created);
        if (created.length > MAX_GENERATED)
          return { ok: false, error: `more than ${MAX_GENERATED} generated resources` };
      } finally {
        env.ctx.reset();
      }
    }
  }
  if (errors.length) return { ok: false, error: errors.join('; ') };
  return { ok: true, created };
}

/**
 * Runs one generate rule whose match, context and preconditions already passed: `pass` with the
 * resources it would create (none when every target exists), or `error` when a clone source is
 * missing or substitution fails.
 */
export function runGenerate(generate: Obj, env: GenerateEnv): RuleResponse {
  const base = { name: env.ruleName, type: 'Generation' as const };
  const existing = [env.trigger, ...env.existing];
  let g: Gen;
  if (Array.isArray(generate['foreach'])) g = runForEach(generate['foreach'], env, existing);
  else {
    const p = substitutePattern(generate, env, '/generate');
    g = 'error' in p ? { ok: false, error: p.error } : generateOnce(p.value, env, existing);
  }
  if (!g.ok) return { ...base, status: 'error', message: `failed to generate resource: ${g.error}` };
  return { ...base, status: 'pass', message: '', generatedResources: g.created };
}
