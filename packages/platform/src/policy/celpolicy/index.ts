/**
 * Evaluators for the CEL policy types: Kubernetes ValidatingAdmissionPolicy (+ binding), Kyverno's
 * ValidatingPolicy / NamespacedValidatingPolicy, MutatingPolicy (ApplyConfiguration and JSONPatch),
 * GeneratingPolicy, ImageValidatingPolicy (as far as supplied data allows), CEL PolicyExceptions, and
 * ClusterPolicy `validate.cel` rules. Results use the engine's RuleResponse shape (pass/fail/skip/error).
 *
 * Per policy and resource, as Kyverno's CEL engine: matchConstraints (no result when they do not
 * select the resource) → matchConditions (false: skip) → exceptions (skip) → variables (lazy) →
 * validations in order (first false: fail with its message) / mutations / generate expressions.
 * Pod policies get autogen twins for the Pod controllers (Kyverno's pkg/cel/autogen).
 */
import { compileCel, CelError, fromCel, kyvernoBindings, runCel, toCel, type CelData } from '../cel/index.js';
import { GeneratorLib } from '../cel/kyverno.js';
import { applyJsonPatch, applyConfiguration } from './patch.js';
import { groupVersionOf, matchResources, type MatchInput } from './match.js';
import { desugarStructs } from './structs.js';
import { autogenVariants } from './autogen.js';

type Obj = Record<string, unknown>;

export type CelRuleStatus = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

/** The shape of the engine's RuleResponse (policy/engine/types.ts), so results merge directly. */
export interface CelRuleResult {
  readonly name: string;
  readonly type: 'Validation' | 'Mutation' | 'Generation' | 'ImageVerify';
  readonly status: CelRuleStatus;
  readonly message: string;
  readonly patchedResource?: Obj;
  readonly generatedResources?: readonly Obj[];
}

export interface CelRequest {
  readonly resource: Obj;
  readonly oldResource?: Obj;
  readonly operation?: string;
  readonly subresource?: string;
  readonly userInfo?: {
    readonly username?: string;
    readonly groups?: readonly string[];
    readonly uid?: string;
  };
  /** Labels of namespaces by name, for namespaceSelector. */
  readonly namespaceLabels?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface CelDeps {
  /** Supplied objects (resource.Get/List, paramRef, namespaceObject) and image data. */
  readonly data?: CelData;
  /** Bindings and exceptions that may apply (ValidatingAdmissionPolicyBinding, PolicyException). */
  readonly bindings?: readonly Obj[];
  readonly exceptions?: readonly Obj[];
}

export const CEL_POLICY_KINDS = new Set([
  'ValidatingAdmissionPolicy',
  'ValidatingPolicy',
  'NamespacedValidatingPolicy',
  'MutatingPolicy',
  'NamespacedMutatingPolicy',
  'GeneratingPolicy',
  'NamespacedGeneratingPolicy',
  'ImageValidatingPolicy',
  'NamespacedImageValidatingPolicy',
  'MutatingAdmissionPolicy',
  'DeletingPolicy',
]);

/** Whether a document is a CEL policy this module evaluates. */
export function isCelPolicy(doc: unknown): doc is Obj {
  return isObj(doc) && typeof doc['kind'] === 'string' && CEL_POLICY_KINDS.has(doc['kind']);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function meta(o: Obj | undefined): Obj {
  return o && isObj(o['metadata']) ? o['metadata'] : {};
}

interface Scope {
  readonly activation: Record<string, unknown>;
}

function run(expr: string, scope: Scope): { ok: true; value: unknown } | { ok: false; error: string } {
  const p = compileCel(desugarStructs(expr));
  if (p instanceof CelError) return { ok: false, error: `${p.code}: ${p.message}` };
  const r = runCel(p, scope.activation);
  return r.ok ? r : { ok: false, error: r.error.message };
}

/** Builds the activation: object, oldObject, request, namespaceObject, params, variables (lazy). */
function buildScope(
  req: CelRequest,
  variables: readonly unknown[],
  deps: CelDeps,
  params: unknown,
  generator: GeneratorLib,
): Scope {
  const op = req.operation ?? 'CREATE';
  const md = meta(req.resource);
  const ns = str(md['namespace']);
  const { group, version } = groupVersionOf(req.resource);
  const kind = str(req.resource['kind']);
  const nsObj = ns
    ? (deps.data?.resources ?? []).find((o) => o['kind'] === 'Namespace' && meta(o)['name'] === ns)
    : undefined;
  const vars: Record<string, unknown> = {};
  const activation: Record<string, unknown> = {
    ...kyvernoBindings(deps.data ?? {}),
    generator,
    object: op === 'DELETE' ? null : toCel(req.resource),
    oldObject: op === 'DELETE' ? toCel(req.resource) : req.oldResource ? toCel(req.oldResource) : null,
    request: toCel({
      operation: op,
      kind: { group, version, kind },
      resource: { group, version, resource: kind.toLowerCase() + 's' },
      name: str(md['name']),
      namespace: ns,
      userInfo: { username: req.userInfo?.username ?? '', groups: [...(req.userInfo?.groups ?? [])] },
      dryRun: false,
      subResource: req.subresource ?? '',
    }),
    namespaceObject: nsObj
      ? toCel(nsObj)
      : ns
        ? toCel({
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: ns, labels: req.namespaceLabels?.[ns] ?? {} },
          })
        : null,
    params: params === undefined ? null : toCel(params),
    variables: vars,
  };
  const scope = { activation };
  for (const v of variables) {
    if (!isObj(v)) continue;
    const name = str(v['name']);
    const expr = str(v['expression']);
    let cached: { value: unknown } | undefined;
    Object.defineProperty(vars, name, {
      enumerable: true,
      get(): unknown {
        if (cached) return cached.value;
        const r = run(expr, scope);
        if (!r.ok) throw new CelError('E_CEL_EVAL', `variable ${name}: ${r.error}`);
        cached = { value: r.value };
        return r.value;
      },
    });
  }
  return scope;
}

/** Evaluates matchConditions: undefined when all hold, else a skip/error result. */
function checkConditions(
  conds: unknown,
  scope: Scope,
): { status: 'skip' | 'error'; message: string } | undefined {
  for (const c of Array.isArray(conds) ? conds : []) {
    if (!isObj(c)) continue;
    const r = run(str(c['expression']), scope);
    if (!r.ok) return { status: 'error', message: `match condition ${str(c['name'])}: ${r.error}` };
    if (r.value !== true) return { status: 'skip', message: `match condition ${str(c['name'])} not met` };
  }
  return undefined;
}

function messageOf(v: Obj, scope: Scope): string {
  if (typeof v['messageExpression'] === 'string') {
    const r = run(v['messageExpression'], scope);
    if (r.ok && typeof r.value === 'string' && r.value.trim() !== '') return r.value;
  }
  if (typeof v['message'] === 'string' && v['message'] !== '') return v['message'];
  return `failed expression: ${str(v['expression'])}`;
}

/** Runs validations: first failing validation decides. */
function runValidations(validations: unknown, scope: Scope): { status: CelRuleStatus; message: string } {
  for (const v of Array.isArray(validations) ? validations : []) {
    if (!isObj(v)) continue;
    const r = run(str(v['expression']), scope);
    if (!r.ok) return { status: 'error', message: r.error };
    if (r.value !== true) {
      if (typeof r.value !== 'boolean')
        return { status: 'error', message: 'validation expression must return a bool' };
      return { status: 'fail', message: messageOf(v, scope) };
    }
  }
  return { status: 'pass', message: '' };
}

function exceptionApplies(policy: Obj, deps: CelDeps, req: CelRequest): boolean {
  const name = str(meta(policy)['name']);
  for (const ex of deps.exceptions ?? []) {
    const spec = isObj(ex['spec']) ? ex['spec'] : {};
    const refs = Array.isArray(spec['policyRefs']) ? spec['policyRefs'] : [];
    if (
      !refs.some(
        (r) => isObj(r) && r['name'] === name && (r['kind'] === undefined || r['kind'] === policy['kind']),
      )
    )
      continue;
    const scope = buildScope(req, [], deps, undefined, new GeneratorLib());
    const c = checkConditions(spec['matchConditions'], scope);
    if (c === undefined) return true;
  }
  return false;
}

function matchInput(req: CelRequest): MatchInput {
  const md = meta(req.resource);
  const ns = req.resource['kind'] === 'Namespace' ? str(md['name']) : str(md['namespace']);
  const labels = req.namespaceLabels?.[ns];
  return {
    resource: req.resource,
    operation: req.operation ?? 'CREATE',
    ...(req.subresource ? { subresource: req.subresource } : {}),
    ...(labels ? { namespaceLabels: labels } : {}),
  };
}

function typeOf(kind: string): CelRuleResult['type'] {
  if (kind.includes('Mutating')) return 'Mutation';
  if (kind.includes('Generating')) return 'Generation';
  if (kind.includes('ImageValidating')) return 'ImageVerify';
  return 'Validation';
}

/**
 * Evaluates one CEL policy against one request. Returns no results when the policy does not select
 * the resource (as Kyverno: no response), otherwise one result per policy (or autogen variant).
 */
export function evaluateCelPolicy(policy: Obj, req: CelRequest, deps: CelDeps = {}): CelRuleResult[] {
  const kind = str(policy['kind']);
  const name = str(meta(policy)['name']);
  const spec0 = isObj(policy['spec']) ? policy['spec'] : {};
  const type = typeOf(kind);
  // Namespaced policies apply to their namespace only
  if (
    kind.startsWith('Namespaced') &&
    str(meta(req.resource)['namespace']) !== str(meta(policy)['namespace'])
  )
    return [];
  const variants =
    kind === 'ValidatingAdmissionPolicy' ? [{ name, spec: spec0 }] : autogenVariants(name, spec0);
  const mi = matchInput(req);
  const out: CelRuleResult[] = [];
  for (const variant of variants) {
    const spec = variant.spec;
    if (!matchResources(spec['matchConstraints'], mi)) continue;
    if (kind === 'ValidatingAdmissionPolicy') {
      out.push(...evaluateVap(policy, spec, req, deps));
      continue;
    }
    const base = { name: variant.name, type };
    if (exceptionApplies(policy, deps, req)) {
      out.push({ ...base, status: 'skip', message: 'rule skipped due to policy exception' });
      continue;
    }
    const generator = new GeneratorLib();
    const scope = buildScope(
      req,
      Array.isArray(spec['variables']) ? spec['variables'] : [],
      deps,
      undefined,
      generator,
    );
    const cond = checkConditions(spec['matchConditions'], scope);
    if (cond) {
      out.push({ ...base, ...cond });
      continue;
    }
    if (type === 'Mutation') out.push({ ...base, ...runMutations(spec['mutations'], scope, req.resource) });
    else if (type === 'Generation') out.push({ ...base, ...runGenerate(spec['generate'], scope, generator) });
    else if (type === 'ImageVerify') out.push({ ...base, ...runImageValidations(spec, scope) });
    else out.push({ ...base, ...runValidations(spec['validations'], scope) });
  }
  return out;
}

function runMutations(
  mutations: unknown,
  scope: Scope,
  resource: Obj,
): { status: CelRuleStatus; message: string; patchedResource?: Obj } {
  let current: unknown = toCel(resource);
  for (const m of Array.isArray(mutations) ? mutations : []) {
    if (!isObj(m)) continue;
    scope.activation['object'] = current;
    const isJson = m['patchType'] === 'JSONPatch';
    const holder = isJson ? m['jsonPatch'] : m['applyConfiguration'];
    const expr = isObj(holder) ? str(holder['expression']) : '';
    const r = run(expr, scope);
    if (!r.ok) return { status: 'error', message: r.error };
    try {
      const value = fromCel(r.value);
      current = toCel(
        isJson
          ? applyJsonPatch(fromCel(current), Array.isArray(value) ? value : [value])
          : applyConfiguration(fromCel(current), value),
      );
    } catch (e) {
      return { status: 'error', message: e instanceof Error ? e.message : String(e) };
    }
  }
  const patched = fromCel(current) as Obj;
  return { status: 'pass', message: 'mutation applied', patchedResource: patched };
}

function runGenerate(
  generate: unknown,
  scope: Scope,
  generator: GeneratorLib,
): { status: CelRuleStatus; message: string; generatedResources?: Obj[] } {
  for (const g of Array.isArray(generate) ? generate : []) {
    if (!isObj(g)) continue;
    const r = run(str(g['expression']), scope);
    if (!r.ok) return { status: 'error', message: r.error };
  }
  return { status: 'pass', message: '', generatedResources: generator.generated };
}

function runImageValidations(spec: Obj, scope: Scope): { status: CelRuleStatus; message: string } {
  // signature and attestation checks need registry access; only plain validations over supplied data
  const uses = JSON.stringify(spec['validations'] ?? []);
  if (/verifyImageSignatures|verifyAttestationSignatures|payload\(|getImageData/.test(uses))
    return {
      status: 'error',
      message: 'image signature verification needs registry access, which policy tests do not have',
    };
  return runValidations(spec['validations'], scope);
}

/** ValidatingAdmissionPolicy: every binding that selects the request, with its params. */
function evaluateVap(policy: Obj, spec: Obj, req: CelRequest, deps: CelDeps): CelRuleResult[] {
  const name = str(meta(policy)['name']);
  const bindings = (deps.bindings ?? []).filter(
    (b) =>
      b['kind'] === 'ValidatingAdmissionPolicyBinding' &&
      isObj(b['spec']) &&
      b['spec']['policyName'] === name,
  );
  const out: CelRuleResult[] = [];
  const list = bindings.length ? bindings : [undefined];
  for (const b of list) {
    const bspec = b && isObj(b['spec']) ? b['spec'] : {};
    if (
      b &&
      bspec['matchResources'] !== undefined &&
      !matchResources(bspec['matchResources'], matchInput(req))
    )
      continue;
    const params = b ? paramsOf(spec, bspec, deps, req) : [undefined];
    if (params === 'missing') {
      out.push({
        name,
        type: 'Validation',
        status: 'error',
        message: 'no params found for the binding paramRef',
      });
      continue;
    }
    for (const p of params) {
      const scope = buildScope(
        req,
        Array.isArray(spec['variables']) ? spec['variables'] : [],
        deps,
        p,
        new GeneratorLib(),
      );
      const cond = checkConditions(spec['matchConditions'], scope);
      if (cond) {
        out.push({ name, type: 'Validation', ...cond });
        continue;
      }
      const v = runValidations(spec['validations'], scope);
      const actions = Array.isArray(bspec['validationActions']) ? bspec['validationActions'] : ['Deny'];
      const status = v.status === 'fail' && actions.length === 1 && actions[0] === 'Warn' ? 'warn' : v.status;
      out.push({ name, type: 'Validation', status, message: v.message });
    }
  }
  return out;
}

function paramsOf(spec: Obj, bspec: Obj, deps: CelDeps, req: CelRequest): unknown[] | 'missing' {
  const pk = isObj(spec['paramKind']) ? spec['paramKind'] : undefined;
  const ref = isObj(bspec['paramRef']) ? bspec['paramRef'] : undefined;
  if (!pk || !ref) return [undefined];
  const ns = str(ref['namespace']) || str(meta(req.resource)['namespace']);
  const cands = (deps.data?.resources ?? []).filter(
    (o) =>
      o['kind'] === pk['kind'] &&
      (pk['apiVersion'] === undefined || o['apiVersion'] === pk['apiVersion']) &&
      (ref['name'] === undefined || meta(o)['name'] === ref['name']) &&
      (meta(o)['namespace'] === undefined || ns === '' || meta(o)['namespace'] === ns),
  );
  if (cands.length) return cands;
  return ref['parameterNotFoundAction'] === 'Allow' ? [] : 'missing';
}

/**
 * ClusterPolicy `validate.cel`: expressions (with message/messageExpression), auditAnnotations,
 * variables and params from `paramKind`/`paramRef` in supplied resources. Returns one rule result.
 */
export function evaluateCelValidate(
  cel: unknown,
  req: CelRequest,
  deps: CelDeps = {},
): { status: CelRuleStatus; message: string } {
  if (!isObj(cel)) return { status: 'error', message: 'validate.cel must be an object' };
  let params: unknown[] = [undefined];
  if (isObj(cel['paramKind']) && isObj(cel['paramRef'])) {
    const p = paramsOf({ paramKind: cel['paramKind'] }, { paramRef: cel['paramRef'] }, deps, req);
    if (p === 'missing') return { status: 'error', message: 'no params found for validate.cel paramRef' };
    params = p;
  }
  for (const p of params) {
    const scope = buildScope(
      req,
      Array.isArray(cel['variables']) ? cel['variables'] : [],
      deps,
      p,
      new GeneratorLib(),
    );
    const v = runValidations(cel['expressions'], scope);
    if (v.status !== 'pass') return v;
  }
  return { status: 'pass', message: '' };
}

/** Compile-time check of every expression in a CEL policy (for loaders and `policy test` diagnostics). */
export function checkCelPolicy(policy: Obj): string[] {
  const errors: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (isObj(v))
      for (const [k, x] of Object.entries(v)) {
        if (
          (k === 'expression' || k === 'messageExpression' || k === 'valueExpression') &&
          typeof x === 'string'
        ) {
          const p = compileCel(desugarStructs(x));
          if (p instanceof CelError) errors.push(`${path}.${k}: ${p.message}`);
        } else walk(x, `${path}.${k}`);
      }
  };
  walk(policy['spec'], 'spec');
  return errors;
}
