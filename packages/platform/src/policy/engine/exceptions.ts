/**
 * PolicyException (kyverno.io/v2, v2beta1) compiled once and applied per rule, as Kyverno's engine does
 * (pkg/exceptions selector + pkg/engine/utils MatchesException): an exception applies to a rule when
 * one of its `exceptions[]` names the policy (`<namespace>/<name>` for a namespaced Policy) and a rule
 * name pattern (wildcards) matching the rule, its `match` (any/all) matches the resource and request,
 * and its `conditions` hold. A matching exception turns the rule into `skip` with Kyverno's message;
 * for podSecurity rules, an exception that lists `podSecurity` controls adds them to the rule's
 * exclusions instead.
 */
import type { PolicyContext } from '../context/index.js';
import { evaluateConditions } from '../handlers/conditions.js';
import type { PolicyExceptionDoc } from '../loader/index.js';
import { compileMatch, type CompiledMatch, type MatchRequest } from '../match/index.js';
import { wildcardMatch } from '../pattern/wildcard.js';
import type { Obj } from './types.js';

export interface CompiledException {
  /** `namespace/name`, or `name` for an exception without a namespace (cache.MetaNamespaceKeyFunc). */
  readonly key: string;
  /** True when the exception names this policy key and a rule pattern matching the rule. */
  readonly contains: (policyKey: string, ruleName: string) => boolean;
  readonly match: CompiledMatch;
  readonly conditions: unknown;
  /** podSecurity exclusions (controlName, images, restrictedField, values). */
  readonly podSecurity: readonly Obj[];
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyList(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0;
}

/** Compiles loaded exceptions (once, with the policies). */
export function compileExceptions(docs: readonly PolicyExceptionDoc[]): CompiledException[] {
  return docs.map((d) => {
    const entries = (Array.isArray(d.spec['exceptions']) ? d.spec['exceptions'] : [])
      .filter(isObj)
      .map((e) => ({
        policy: typeof e['policyName'] === 'string' ? e['policyName'] : '',
        rules: (Array.isArray(e['ruleNames']) ? e['ruleNames'] : []).filter(
          (r): r is string => typeof r === 'string',
        ),
      }));
    const m = d.spec['match'];
    // Kyverno's MatchResources has only any/all: an exception without either matches nothing
    const usable = isObj(m) && (nonEmptyList(m['any']) || nonEmptyList(m['all']));
    const compiled = usable ? compileMatch(m, undefined) : (): string => 'the exception has no match';
    return {
      key: d.namespace ? `${d.namespace}/${d.name}` : d.name,
      contains: (policyKey, ruleName) =>
        entries.some((e) => e.policy === policyKey && e.rules.some((r) => wildcardMatch(r, ruleName))),
      match: compiled,
      conditions: d.spec['conditions'],
      podSecurity: (Array.isArray(d.spec['podSecurity']) ? d.spec['podSecurity'] : []).filter(isObj),
    };
  });
}

/** The exceptions that apply to one rule for one request (conditions evaluated in the rule's context). */
export function matchingExceptions(
  exceptions: readonly CompiledException[],
  policyKey: string,
  ruleName: string,
  req: MatchRequest,
  ctx: PolicyContext,
): CompiledException[] {
  const out: CompiledException[] = [];
  for (const ex of exceptions) {
    if (!ex.contains(policyKey, ruleName)) continue;
    if (ex.match(req) !== undefined) continue;
    if (ex.conditions !== undefined && ex.conditions !== null) {
      const c = evaluateConditions(ex.conditions, ctx, '/spec/conditions');
      // an exception whose conditions cannot be evaluated is ignored (Kyverno logs and continues)
      if (!c.ok || !c.value) continue;
    }
    out.push(ex);
  }
  return out;
}
