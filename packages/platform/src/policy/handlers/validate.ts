/**
 * The validate rule handler (Kyverno's pkg/engine/handlers/validation): pattern, anyPattern, deny,
 * foreach (nested, with element/elementIndex and per-element context and preconditions) and
 * podSecurity. CEL, manifests and assert checks yield `error` with a message saying they are not
 * supported, never a silent pass.
 */
import {
  loadContextEntries,
  substituteInString,
  type ContextEntry,
  type ContextSources,
  type PolicyContext,
} from '../context/index.js';
import { matchSubstitutedPattern, preparePattern } from '../pattern/validate.js';
import { wildcardMatch } from '../pattern/wildcard.js';
import {
  applyPodSecurityExclusions,
  compilePodSecurity,
  denyingChecks,
  exclusionProblems,
  extractPod,
  formatKyvernoChecks,
  parsePodSecurityPolicy,
  readExclusion,
  type PodSecurityControlResult,
  type RemainingCheck,
} from '../pss/index.js';
import type { Obj, PodSecurityCheck, RuleResponse } from '../engine/types.js';
import { evaluateCelValidate } from '../celpolicy/index.js';
import { evaluateConditions } from './conditions.js';
import { mayHaveVariables, substituteIfNeeded } from './substitute.js';

export interface RuleEnv {
  readonly ctx: PolicyContext;
  /** The resource patterns apply to (request.object, or request.oldObject on DELETE). */
  readonly resource: Obj;
  readonly ruleName: string;
  readonly sources: ContextSources;
  /** podSecurity exclusions from matching PolicyExceptions, with the exceptions' keys. */
  readonly podSecurityExceptions?: { readonly keys: readonly string[]; readonly excludes: readonly Obj[] };
}

/**
 * Context entries still to load: an entry whose name (or a path below it, such as
 * `imageData.configData.created`) has a supplied value is not loaded, as `kyverno test` does with values.
 */
export function entriesToLoad(
  entries: unknown,
  variables: Readonly<Record<string, unknown>> | undefined,
): ContextEntry[] {
  if (!Array.isArray(entries)) return [];
  const keys = Object.keys(variables ?? {});
  return (entries as ContextEntry[]).filter((e) => {
    const name = typeof e?.name === 'string' ? e.name : '';
    return !keys.some((k) => k === name || k.startsWith(`${name}.`));
  });
}

const MAX_FOREACH_ELEMENTS = 10_000;
const MAX_FOREACH_NESTING = 8;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Partial = {
  readonly status: 'pass' | 'fail' | 'skip' | 'error';
  readonly message: string;
  readonly checks?: PodSecurityCheck[];
};

// Outcomes and options that do not depend on the request, made once (read-only)
const RULE_SKIPPED: Partial = { status: 'skip', message: 'rule skipped' };
const RULE_PASSED: Partial = { status: 'pass', message: 'rule passed' };
const PATTERN_PATH = { path: '/validate/pattern' } as const;
const ANY_PATTERN_PATH = { path: '/validate/anyPattern' } as const;

// The pass outcome of a rule ("validation rule '<rule>' passed.") by rule name, bounded: most validate
// rules pass on most requests
const passOutcomes = new Map<string, Partial>();
function passed(rule: string): Partial {
  let p = passOutcomes.get(rule);
  if (p === undefined) {
    p = { status: 'pass', message: `validation rule '${rule}' passed.` };
    if (passOutcomes.size >= 4096) passOutcomes.clear();
    passOutcomes.set(rule, p);
  }
  return p;
}

function messageOf(raw: unknown, env: RuleEnv): string {
  if (typeof raw !== 'string' || raw === '') return '';
  if (!mayHaveVariables(raw)) return raw;
  const r = substituteInString(raw, env.ctx);
  return 'error' in r ? raw : typeof r.value === 'string' ? r.value : JSON.stringify(r.value);
}

/** Kyverno's buildErrorMessage: the rule's message gets a period only when it lacks one. */
export function patternFailMessage(msg: string, rule: string, path: string): string {
  if (!msg) return `validation error: rule ${rule} failed at path ${path}`;
  return `validation error: ${msg.endsWith('.') ? msg : `${msg}.`} rule ${rule} failed at path ${path}`;
}

function runPatterns(v: Obj, target: Obj, env: RuleEnv, msg: string): Partial {
  if (v['pattern'] !== undefined) {
    const raw = v['pattern'];
    preparePattern(raw);
    let pattern: unknown = raw;
    // most patterns hold no variables: no substitution result is made for those
    if (mayHaveVariables(raw)) {
      const sub = substituteIfNeeded(raw, env.ctx, PATTERN_PATH);
      if ('error' in sub)
        return {
          status: 'error',
          message: `variable substitution failed for rule ${env.ruleName}: ${sub.error}`,
        };
      pattern = sub.value;
    }
    const out = matchSubstitutedPattern(target, pattern, raw);
    if (out.status === 'pass') return passed(env.ruleName);
    if (out.status === 'skip')
      return {
        status: 'skip',
        message: `validation rule '${env.ruleName}' anchor not satisfied: ${out.message}`,
      };
    return { status: 'fail', message: patternFailMessage(msg, env.ruleName, out.path) };
  }
  const list = v['anyPattern'];
  if (!Array.isArray(list)) return { status: 'error', message: 'anyPattern must be a list' };
  preparePattern(list);
  const sub = substituteIfNeeded(list, env.ctx, ANY_PATTERN_PATH);
  if ('error' in sub)
    return {
      status: 'error',
      message: `variable substitution failed for rule ${env.ruleName}: ${sub.error}`,
    };
  const failures: string[] = [];
  let skipped = 0;
  (sub.value as unknown[]).forEach((p, i) => {
    const out = matchSubstitutedPattern(target, p, list[i]);
    if (out.status === 'pass') failures.push('');
    else if (out.status === 'skip') skipped++;
    else failures.push(`rule ${env.ruleName}[${i}] failed at path ${out.path}`);
  });
  if (failures.includes(''))
    return { status: 'pass', message: `validation rule '${env.ruleName}' anyPattern[...] passed.` };
  if (skipped === list.length)
    return { status: 'skip', message: `validation rule '${env.ruleName}' anyPattern skipped` };
  return { status: 'fail', message: `validation error: ${msg ? `${msg}. ` : ''}${failures.join(' ')}` };
}

function runDeny(v: Obj, env: RuleEnv, msg: string): Partial {
  const deny = v['deny'];
  const conditions = isObj(deny) ? deny['conditions'] : undefined;
  if (conditions === undefined || conditions === null) {
    return { status: 'fail', message: msg || `validation error: rule ${env.ruleName} failed` };
  }
  const r = evaluateConditions(conditions, env.ctx, '/validate/deny/conditions');
  if (!r.ok) return { status: 'error', message: `failed to check deny conditions: ${r.error}` };
  if (r.value) return { status: 'fail', message: msg || `validation error: rule ${env.ruleName} failed` };
  return passed(env.ruleName);
}

/**
 * A podSecurity rule (Kyverno's validate_pss handler): the pod is evaluated with field errors, the
 * rule's exclusions are applied, then, when it still fails, the exclusions of matching PolicyExceptions
 * (pss/exclude.ts has the semantics). The failure message is Kyverno's.
 */
function runPodSecurity(v: Obj, target: Obj, env: RuleEnv): Partial {
  // Kyverno does not judge a pod being deleted (it returns no result; a skip here, so a delete is
  // never denied for the pod's settings)
  if (env.ctx.get('request.operation') === 'DELETE')
    return { status: 'skip', message: 'skipping PSS validation on deleted resource' };
  const ps = v['podSecurity'] as Obj;
  const level = typeof ps['level'] === 'string' ? ps['level'] : '';
  const rawVersion = typeof ps['version'] === 'string' ? ps['version'] : '';
  const version = rawVersion === '' ? 'latest' : rawVersion;
  const parsed = parsePodSecurityPolicy(level, version);
  if (!parsed.ok) return { status: 'error', message: parsed.error };
  const compiled = compilePodSecurity({ level, version, kyverno: true });
  const result = compiled.evaluate(target, { fieldErrors: true });
  const pod = extractPod(target);
  const exclusions = (Array.isArray(ps['exclude']) ? ps['exclude'].filter(isObj) : []).map(readExclusion);
  // Kyverno refuses a policy with such exclusions; an error says why instead of evaluating it
  const invalid = exclusions.flatMap((ex, i) =>
    exclusionProblems(ex, level, `validate.podSecurity.exclude[${i}]`),
  );
  if (invalid.length)
    return { status: 'error', message: `invalid podSecurity exclusions: ${invalid.join('; ')}` };
  let remaining = denyingChecks(result.results);
  if (pod && exclusions.length && remaining.length)
    remaining = applyPodSecurityExclusions(
      compiled,
      exclusions,
      remaining,
      pod.metadata,
      pod.spec,
      wildcardMatch,
    );
  const malformed = result.problems.length > 0;
  if (!remaining.length && !malformed)
    return {
      status: 'pass',
      message: `Validation rule '${env.ruleName}' passed.`,
      checks: checksOf(result.results, remaining),
    };
  const pe = env.podSecurityExceptions;
  if (pe && pod && !malformed) {
    const withExceptions = applyPodSecurityExclusions(
      compiled,
      pe.excludes.map(readExclusion),
      remaining,
      pod.metadata,
      pod.spec,
      wildcardMatch,
    );
    if (!withExceptions.length)
      return {
        status: 'skip',
        message: `rule is skipped due to policy exceptions ${pe.keys.join(', ')}`,
        checks: checksOf(result.results, withExceptions),
      };
    remaining = withExceptions;
  }
  remaining.sort((a, b) => (a.control.control < b.control.control ? -1 : 1));
  let details = formatKyvernoChecks(remaining, pod?.kind);
  if (malformed)
    details += `(invalid pod: ${result.problems.map((p) => `${p.path}: ${p.message}`).join('; ')})`;
  return {
    status: 'fail',
    message: `Validation rule '${env.ruleName}' failed. It violates PodSecurity "${level}:${rawVersion}": ${details}`,
    checks: checksOf(result.results, remaining),
  };
}

/** Every control evaluated, denying only when it still has errors after the exclusions. */
function checksOf(
  results: readonly PodSecurityControlResult[],
  remaining: readonly RemainingCheck[],
): PodSecurityCheck[] {
  const denied = new Set(remaining.map((r) => r.control.control));
  return results.map((c) => ({
    id: c.control,
    title: c.title,
    allowed: !denied.has(c.control),
    reason: c.reason,
    detail: c.detail,
  }));
}

function runForEach(list: unknown, env: RuleEnv, target: Obj, nesting: number): Partial | undefined {
  if (!Array.isArray(list)) return { status: 'error', message: 'foreach must be a list' };
  if (nesting >= MAX_FOREACH_NESTING)
    return { status: 'error', message: `foreach nested deeper than ${MAX_FOREACH_NESTING}` };
  let applied = 0;
  for (const fe of list) {
    if (!isObj(fe)) return { status: 'error', message: 'a foreach entry must be a map' };
    const expr = typeof fe['list'] === 'string' ? fe['list'] : '';
    const sub = substituteInString(expr, env.ctx);
    if ('error' in sub)
      return { status: 'error', message: `failed to substitute variables in foreach list: ${sub.error}` };
    const q = env.ctx.tryQuery(String(sub.value));
    if ('error' in q) return { status: 'error', message: `failed to evaluate list ${expr}: ${q.error}` };
    const elements = q.value;
    if (elements === null || elements === undefined) continue;
    if (!Array.isArray(elements))
      return { status: 'error', message: `failed to evaluate list ${expr}: not a list` };
    if (elements.length > MAX_FOREACH_ELEMENTS)
      return { status: 'error', message: `foreach list longer than ${MAX_FOREACH_ELEMENTS}` };
    const elementScope = fe['elementScope'] !== false;
    for (let i = 0; i < elements.length; i++) {
      const element: unknown = elements[i];
      env.ctx.checkpoint();
      try {
        env.ctx.setElement(element, i, nesting);
        if (Array.isArray(fe['context'])) {
          const lr = loadContextEntries(
            entriesToLoad(fe['context'], env.sources.variables),
            env.ctx,
            env.sources,
          );
          if (!lr.ok)
            return { status: 'error', message: `failed to load context: ${lr.error?.message ?? ''}` };
        }
        const pre = evaluateConditions(fe['preconditions'], env.ctx, '/validate/foreach/preconditions');
        if (!pre.ok) return { status: 'error', message: `failed to evaluate preconditions: ${pre.error}` };
        if (!pre.value) continue;
        const elTarget = elementScope && isObj(element) ? element : target;
        const r = runChecks(fe, env, elTarget, nesting + 1, '');
        if (r === undefined || r.status === 'skip') continue;
        if (r.status === 'error') return { status: 'error', message: `validation failure: ${r.message}` };
        if (r.status === 'fail') return { status: 'fail', message: r.message };
        applied++;
      } finally {
        env.ctx.reset();
      }
    }
  }
  if (applied === 0) return nesting > 0 ? undefined : RULE_SKIPPED;
  return RULE_PASSED;
}

/** Runs whichever check a validate block (or a foreach entry) holds. */
function runChecks(
  v: Obj,
  env: RuleEnv,
  target: Obj,
  nesting: number,
  rawMessage: string,
): Partial | undefined {
  const msg = messageOf(rawMessage || v['message'], env);
  if (v['deny'] !== undefined) return runDeny(v, env, msg);
  if (v['pattern'] !== undefined || v['anyPattern'] !== undefined) return runPatterns(v, target, env, msg);
  if (v['foreach'] !== undefined) {
    const r = runForEach(v['foreach'], env, target, nesting);
    if (r && r.status === 'fail' && msg && nesting === 0)
      return { status: 'fail', message: `validation failure: ${msg}` };
    return r;
  }
  if (v['podSecurity'] !== undefined) return runPodSecurity(v, target, env);
  if (v['cel'] !== undefined) {
    const op = env.ctx.get('request.operation');
    const r = evaluateCelValidate(
      v['cel'],
      { resource: env.resource, ...(typeof op === 'string' && op !== '' ? { operation: op } : {}) },
      {
        data: {
          resources: (env.sources.configMaps ?? []).filter(
            (x): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x),
          ),
          ...(env.sources.globalContext ? { globalContext: env.sources.globalContext } : {}),
        },
      },
    );
    // A CEL validation gives pass/fail/skip/error; `warn` is a policy-level outcome here.
    return { status: r.status === 'warn' ? 'fail' : r.status, message: r.message };
  }
  if (v['manifests'] !== undefined)
    return { status: 'error', message: 'validate.manifests (signed manifests) is not supported by Palisade' };
  if (v['assert'] !== undefined)
    return { status: 'error', message: 'validate.assert (assertion trees) is not supported by Palisade yet' };
  return { status: 'error', message: 'validate rule has no check' };
}

/** Evaluates a rule's validate block (context, preconditions and match were handled by the engine). */
export function runValidate(validate: Obj, env: RuleEnv): RuleResponse {
  const r = runChecks(validate, env, env.resource, 0, '') ?? RULE_SKIPPED;
  const name = env.ruleName;
  const type = 'Validation';
  return r.checks
    ? { name, type, status: r.status, message: r.message, podSecurityChecks: r.checks }
    : { name, type, status: r.status, message: r.message };
}
