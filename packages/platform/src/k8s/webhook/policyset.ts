/**
 * What the admission webhook evaluates: the loaded Kyverno policies split, as Kyverno's webhooks are,
 * by endpoint (mutate rules on the mutating webhook, validate rules on the validating one) and by
 * failure policy (`Fail` and `Ignore` policies are served on different paths so that the apiserver
 * applies the right failurePolicy to each). Each group is one compiled PolicyEngine, built once
 * per policy change and swapped atomically.
 *
 * The CEL policy types of `policies.kyverno.io` (ValidatingPolicy, NamespacedValidatingPolicy,
 * MutatingPolicy, NamespacedMutatingPolicy) join the same groups: `CelAwareEngine` evaluates them
 * after the group's Kyverno policies and answers in the same EngineResponse shape, so the admission
 * handler treats both alike. Their `validationActions` become a policy-like entry in `byKey`
 * (Deny → Enforce; Warn → a warning; Audit alone → reported only).
 */
import { PolicyEngine, type EngineRequest, type EngineResponse } from '../../policy/engine/index.js';
import type { KyvernoPolicy, PolicyExceptionDoc } from '../../policy/loader/index.js';
import { evaluateCelPolicy } from '../../policy/celpolicy/index.js';

export type Endpoint = 'validate' | 'mutate';
export type FailurePolicy = 'Fail' | 'Ignore';
export type FailureAction = 'Audit' | 'Enforce';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Kyverno's webhook timeout bounds (seconds) and default. */
export const TIMEOUT_DEFAULT_SECONDS = 10;
export const TIMEOUT_MIN_SECONDS = 1;
export const TIMEOUT_MAX_SECONDS = 30;

/** What the webhook reads of a policy: its spec, rules and normalised failure action. */
export type PolicyLike = Pick<KyvernoPolicy, 'spec' | 'rules' | 'validationFailureAction'>;

/** `spec.failurePolicy` (or `spec.webhookConfiguration.failurePolicy`); Kyverno's default is Fail. */
export function failurePolicyOf(
  p: Pick<KyvernoPolicy, 'spec'>,
  fallback: FailurePolicy = 'Fail',
): FailurePolicy {
  const wc = p.spec['webhookConfiguration'];
  const v = (isObj(wc) ? wc['failurePolicy'] : undefined) ?? p.spec['failurePolicy'];
  return v === 'Ignore' ? 'Ignore' : v === 'Fail' ? 'Fail' : fallback;
}

/** `spec.webhookTimeoutSeconds` (or `spec.webhookConfiguration.timeoutSeconds`), clamped to 1..30. */
export function timeoutSecondsOf(p: Pick<KyvernoPolicy, 'spec'>, fallback = TIMEOUT_DEFAULT_SECONDS): number {
  const wc = p.spec['webhookConfiguration'];
  const v = (isObj(wc) ? wc['timeoutSeconds'] : undefined) ?? p.spec['webhookTimeoutSeconds'];
  const n = typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : fallback;
  return Math.min(TIMEOUT_MAX_SECONDS, Math.max(TIMEOUT_MIN_SECONDS, n));
}

/** `spec.admission` (default true): policies with `admission: false` run only in background scans. */
function admissionEnabled(p: KyvernoPolicy): boolean {
  return p.spec['admission'] !== false;
}

function isMutate(r: Obj): boolean {
  return r['mutate'] !== undefined;
}
function isValidate(r: Obj): boolean {
  return r['validate'] !== undefined;
}

function wildcardMatch(pattern: string, s: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
  );
  return re.test(s);
}

/**
 * The failure action of one validate rule for a resource in `namespace`: the rule's
 * `validate.failureAction(Overrides)` when set, else the policy's
 * `spec.validationFailureAction(Overrides)` (Kyverno's precedence). Overrides match namespaces by
 * wildcard.
 */
export function failureActionFor(p: PolicyLike, ruleName: string, namespace: string): FailureAction {
  const rule = p.rules.find((r) => r['name'] === ruleName);
  const v = rule && isObj(rule['validate']) ? rule['validate'] : undefined;
  const pick = (overrides: unknown, fallback: unknown): FailureAction | undefined => {
    if (Array.isArray(overrides) && namespace) {
      for (const o of overrides) {
        if (!isObj(o) || !Array.isArray(o['namespaces'])) continue;
        if (o['namespaces'].some((n) => typeof n === 'string' && wildcardMatch(n, namespace))) {
          const a = o['action'];
          if (typeof a === 'string') return a.toLowerCase() === 'enforce' ? 'Enforce' : 'Audit';
        }
      }
    }
    if (typeof fallback === 'string') return fallback.toLowerCase() === 'enforce' ? 'Enforce' : 'Audit';
    return undefined;
  };
  return (
    (v ? pick(v['failureActionOverrides'], v['failureAction']) : undefined) ??
    pick(p.spec['validationFailureActionOverrides'], undefined) ??
    p.validationFailureAction
  );
}

/** A `policies.kyverno.io` policy from the cluster (or a file), as its object. */
export interface CelPolicy {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly spec: Obj;
  readonly doc: Obj;
}

/** The CEL policy kinds the webhook serves, by endpoint. */
export const CEL_VALIDATING_KINDS: ReadonlySet<string> = new Set([
  'ValidatingPolicy',
  'NamespacedValidatingPolicy',
]);
export const CEL_MUTATING_KINDS: ReadonlySet<string> = new Set([
  'MutatingPolicy',
  'NamespacedMutatingPolicy',
]);

function evaluation(p: CelPolicy): Obj {
  return isObj(p.spec['evaluation']) ? p.spec['evaluation'] : {};
}
function enabledFlag(v: unknown): boolean {
  return !(isObj(v) && v['enabled'] === false);
}

/** `spec.evaluation.admission.enabled` (default true); JSON-mode policies never see admission. */
export function celAdmissionEnabled(p: CelPolicy): boolean {
  const e = evaluation(p);
  return e['mode'] !== 'JSON' && enabledFlag(e['admission']);
}

/** `spec.evaluation.background.enabled` (default true). */
export function celBackgroundEnabled(p: CelPolicy): boolean {
  const e = evaluation(p);
  return e['mode'] !== 'JSON' && enabledFlag(e['background']);
}

/** `spec.validationActions`; Kyverno's default is `[Deny]`. */
export function celValidationActions(p: CelPolicy): ReadonlySet<'Deny' | 'Audit' | 'Warn'> {
  const v = p.spec['validationActions'];
  const out = new Set<'Deny' | 'Audit' | 'Warn'>();
  if (Array.isArray(v))
    for (const a of v as unknown[]) if (a === 'Deny' || a === 'Audit' || a === 'Warn') out.add(a);
  if (!out.size) out.add('Deny');
  return out;
}

/** The policy-like entry of a CEL policy: Deny blocks (Enforce), Warn warns, Audit only reports. */
function celPolicyLike(p: CelPolicy): PolicyLike {
  const actions = celValidationActions(p);
  return {
    spec: { ...p.spec, emitWarning: actions.has('Warn') },
    rules: [],
    validationFailureAction: actions.has('Deny') ? 'Enforce' : 'Audit',
  };
}

/**
 * A PolicyEngine that also evaluates CEL policies: Kyverno policies first (the base engine), then
 * each CEL policy in order, answering one EngineResponse per CEL policy that selected the resource.
 * CEL PolicyExceptions (policies.kyverno.io) are passed to the CEL evaluator.
 */
export class CelAwareEngine extends PolicyEngine {
  readonly celPolicies: readonly CelPolicy[];
  private readonly celExceptions: readonly Obj[];

  constructor(
    policies: readonly KyvernoPolicy[],
    o: {
      exceptions?: readonly PolicyExceptionDoc[];
      celPolicies?: readonly CelPolicy[];
      celExceptions?: readonly Obj[];
    } = {},
  ) {
    super(policies, o.exceptions ? { exceptions: o.exceptions } : {});
    this.celPolicies = o.celPolicies ?? [];
    this.celExceptions = o.celExceptions ?? [];
  }

  override evaluate(req: EngineRequest): EngineResponse[] {
    const out = super.evaluate(req);
    for (const p of this.celPolicies) {
      const r = evaluateCelResponse(p, req, this.celExceptions);
      if (r) out.push(r);
    }
    return out;
  }
}

/** One CEL policy on one request as an EngineResponse; undefined when it does not select the resource. */
export function evaluateCelResponse(
  p: CelPolicy,
  req: EngineRequest,
  exceptions: readonly Obj[] = [],
): EngineResponse | undefined {
  let results;
  try {
    results = evaluateCelPolicy(p.doc, req, { exceptions });
  } catch (err) {
    results = [
      {
        name: p.name,
        type: CEL_MUTATING_KINDS.has(p.kind) ? ('Mutation' as const) : ('Validation' as const),
        status: 'error' as const,
        message: err instanceof Error ? err.message : String(err),
      },
    ];
  }
  if (!results.length) return undefined;
  let patched = req.resource;
  for (const r of results) if (r.status === 'pass' && r.patchedResource) patched = r.patchedResource;
  return {
    policy: { kind: p.kind, name: p.name, namespace: p.namespace },
    resource: req.resource,
    patchedResource: patched,
    validationFailureAction: celValidationActions(p).has('Deny') ? 'Enforce' : 'Audit',
    rules: results.map((r) => ({ name: r.name, type: r.type, status: r.status, message: r.message })),
  };
}

export interface PolicyGroup {
  readonly endpoint: Endpoint;
  readonly failurePolicy: FailurePolicy;
  /** The largest timeoutSeconds among the group's policies (Kyverno's default 10 when empty). */
  readonly timeoutSeconds: number;
  /** Policies reduced to the rules this endpoint runs. */
  readonly policies: readonly KyvernoPolicy[];
  /** CEL policies served on this endpoint and failure policy. */
  readonly celPolicies: readonly CelPolicy[];
  readonly engine: PolicyEngine;
  /** One engine per policy, in order (mutate: each policy sees the previous one's result). */
  readonly chain: readonly PolicyEngine[];
}

/** Everything that was loaded, admission-enabled or not (the background scan reads it). */
export interface LoadedPolicies {
  readonly policies: readonly KyvernoPolicy[];
  readonly exceptions: readonly PolicyExceptionDoc[];
  readonly celPolicies: readonly CelPolicy[];
  readonly celExceptions: readonly Obj[];
}

export interface WebhookPolicySet {
  /** Every admission-enabled policy as loaded (all rule types), by `policyKey`. */
  readonly byKey: ReadonlyMap<string, PolicyLike>;
  readonly groups: Readonly<Record<`${Endpoint}/${FailurePolicy}`, PolicyGroup>>;
  /** A counter bumped on every rebuild (for logs and tests). */
  readonly generation: number;
  readonly loaded: LoadedPolicies;
}

/** `namespace/name` for a Policy, `name` for a ClusterPolicy, `Kind:[namespace/]name` for CEL kinds. */
export function policyKey(p: { kind: string; name: string; namespace: string | undefined }): string {
  if (p.kind === 'Policy') return `${p.namespace ?? 'default'}/${p.name}`;
  if (p.kind === 'ClusterPolicy') return p.name;
  return `${p.kind}:${p.namespace ? `${p.namespace}/` : ''}${p.name}`;
}

let generations = 0;

/** Defaults for policies that do not set their own (`--failure-policy`, `--timeout-seconds`). */
export interface PolicySetDefaults {
  failurePolicy?: FailurePolicy;
  timeoutSeconds?: number;
}

/** Builds the four engines (validate/mutate × Fail/Ignore) from loaded policies and exceptions. */
export function buildPolicySet(
  policies: readonly KyvernoPolicy[],
  exceptions: readonly PolicyExceptionDoc[] = [],
  defaults: PolicySetDefaults = {},
  cel: { policies?: readonly CelPolicy[]; exceptions?: readonly Obj[] } = {},
): WebhookPolicySet {
  const defaultTimeout = defaults.timeoutSeconds ?? TIMEOUT_DEFAULT_SECONDS;
  const enabled = policies.filter(admissionEnabled);
  const celPolicies = cel.policies ?? [];
  const celExceptions = cel.exceptions ?? [];
  const celEnabled = celPolicies.filter(celAdmissionEnabled);
  const byKey = new Map<string, PolicyLike>(enabled.map((p) => [policyKey(p), p]));
  for (const p of celEnabled) byKey.set(policyKey(p), celPolicyLike(p));
  const group = (endpoint: Endpoint, failurePolicy: FailurePolicy): PolicyGroup => {
    const keep = endpoint === 'mutate' ? isMutate : isValidate;
    const reduced: KyvernoPolicy[] = [];
    for (const p of enabled) {
      if (failurePolicyOf(p, defaults.failurePolicy) !== failurePolicy) continue;
      const rules = p.rules.filter(keep);
      if (rules.length) reduced.push({ ...p, rules });
    }
    const celKinds = endpoint === 'mutate' ? CEL_MUTATING_KINDS : CEL_VALIDATING_KINDS;
    const celGroup = celEnabled.filter(
      (p) => celKinds.has(p.kind) && failurePolicyOf(p, defaults.failurePolicy) === failurePolicy,
    );
    const timeouts = [...reduced, ...celGroup].map((p) => timeoutSecondsOf(p, defaultTimeout));
    const timeoutSeconds = timeouts.length ? Math.max(...timeouts) : defaultTimeout;
    return {
      endpoint,
      failurePolicy,
      timeoutSeconds,
      policies: reduced,
      celPolicies: celGroup,
      engine: new CelAwareEngine(reduced, { exceptions, celPolicies: celGroup, celExceptions }),
      chain:
        endpoint === 'mutate'
          ? [
              ...reduced.map((p) => new PolicyEngine([p], { exceptions })),
              ...celGroup.map((p) => new CelAwareEngine([], { celPolicies: [p], celExceptions })),
            ]
          : [],
    };
  };
  return {
    byKey,
    groups: {
      'validate/Fail': group('validate', 'Fail'),
      'validate/Ignore': group('validate', 'Ignore'),
      'mutate/Fail': group('mutate', 'Fail'),
      'mutate/Ignore': group('mutate', 'Ignore'),
    },
    generation: ++generations,
    loaded: { policies, exceptions, celPolicies, celExceptions },
  };
}
