/**
 * What the admission webhook evaluates: the loaded Kyverno policies split, as Kyverno's webhooks are,
 * by endpoint (mutate rules on the mutating webhook, validate rules on the validating one) and by
 * failure policy (`Fail` and `Ignore` policies are served on different paths so that the apiserver
 * applies the right failurePolicy to each). Each group is one compiled PolicyEngine, built once
 * per policy change and swapped atomically.
 */
import { PolicyEngine } from '../../policy/engine/index.js';
import type { KyvernoPolicy, PolicyExceptionDoc } from '../../policy/loader/index.js';

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

/** `spec.failurePolicy` (or `spec.webhookConfiguration.failurePolicy`); Kyverno's default is Fail. */
export function failurePolicyOf(p: KyvernoPolicy, fallback: FailurePolicy = 'Fail'): FailurePolicy {
  const wc = p.spec['webhookConfiguration'];
  const v = (isObj(wc) ? wc['failurePolicy'] : undefined) ?? p.spec['failurePolicy'];
  return v === 'Ignore' ? 'Ignore' : v === 'Fail' ? 'Fail' : fallback;
}

/** `spec.webhookTimeoutSeconds` (or `spec.webhookConfiguration.timeoutSeconds`), clamped to 1..30. */
export function timeoutSecondsOf(p: KyvernoPolicy, fallback = TIMEOUT_DEFAULT_SECONDS): number {
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
export function failureActionFor(p: KyvernoPolicy, ruleName: string, namespace: string): FailureAction {
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

export interface PolicyGroup {
  readonly endpoint: Endpoint;
  readonly failurePolicy: FailurePolicy;
  /** The largest timeoutSeconds among the group's policies (Kyverno's default 10 when empty). */
  readonly timeoutSeconds: number;
  /** Policies reduced to the rules this endpoint runs. */
  readonly policies: readonly KyvernoPolicy[];
  readonly engine: PolicyEngine;
  /** One engine per policy, in order (mutate: each policy sees the previous one's result). */
  readonly chain: readonly PolicyEngine[];
}

export interface WebhookPolicySet {
  /** Every admission-enabled policy as loaded (all rule types), by `namespace/name` or `name`. */
  readonly byKey: ReadonlyMap<string, KyvernoPolicy>;
  readonly groups: Readonly<Record<`${Endpoint}/${FailurePolicy}`, PolicyGroup>>;
  /** A counter bumped on every rebuild (for logs and tests). */
  readonly generation: number;
}

export function policyKey(p: { kind: string; name: string; namespace: string | undefined }): string {
  return p.kind === 'Policy' ? `${p.namespace ?? 'default'}/${p.name}` : p.name;
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
): WebhookPolicySet {
  const defaultTimeout = defaults.timeoutSeconds ?? TIMEOUT_DEFAULT_SECONDS;
  const enabled = policies.filter(admissionEnabled);
  const byKey = new Map(enabled.map((p) => [policyKey(p), p]));
  const group = (endpoint: Endpoint, failurePolicy: FailurePolicy): PolicyGroup => {
    const keep = endpoint === 'mutate' ? isMutate : isValidate;
    const reduced: KyvernoPolicy[] = [];
    for (const p of enabled) {
      if (failurePolicyOf(p, defaults.failurePolicy) !== failurePolicy) continue;
      const rules = p.rules.filter(keep);
      if (rules.length) reduced.push({ ...p, rules });
    }
    const timeoutSeconds = reduced.length
      ? Math.max(...reduced.map((p) => timeoutSecondsOf(p, defaultTimeout)))
      : defaultTimeout;
    return {
      endpoint,
      failurePolicy,
      timeoutSeconds,
      policies: reduced,
      engine: new PolicyEngine(reduced, { exceptions }),
      chain: endpoint === 'mutate' ? reduced.map((p) => new PolicyEngine([p], { exceptions })) : [],
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
  };
}
