/**
 * The policy engine: compiles Kyverno policies once (match/exclude predicates, rules indexed by the kinds
 * they can match) and evaluates resources against them, returning one EngineResponse per policy that
 * has a rule matching the resource.
 *
 * Per rule, as Kyverno's engine does: match/exclude → context entries → preconditions → the rule's
 * handler. Mutate rules run first, in order, and later rules (and the validate rules) see the patched
 * resource.
 */
import { evaluateCelPolicy } from '../celpolicy/index.js';
import { loadContextEntries, PolicyContext, type ContextSources } from '../context/index.js';
import { evaluateConditions } from '../handlers/conditions.js';
import { runGenerate } from '../handlers/generate.js';
import { runMutate } from '../handlers/mutate.js';
import { entriesToLoad, runValidate } from '../handlers/validate.js';
import type { KyvernoPolicy, PolicyExceptionDoc } from '../loader/index.js';
import {
  compileMatch,
  kindsOf,
  matchKindFilter,
  parseKind,
  type CompiledMatch,
  type MatchRequest,
} from '../match/index.js';
import { compileExceptions, matchingExceptions, type CompiledException } from './exceptions.js';
import type { EngineRequest, EngineResponse, Obj, RuleResponse, RuleType } from './types.js';

export type * from './types.js';
export { compileExceptions, matchingExceptions, type CompiledException } from './exceptions.js';

interface CompiledRule {
  readonly name: string;
  readonly raw: Obj;
  readonly type: RuleType;
  readonly match: CompiledMatch;
  /** Kinds the resource must have for the match to pass; undefined when any kind may. */
  readonly kinds: ReadonlySet<string> | undefined;
}

export interface CompiledPolicy {
  readonly policy: KyvernoPolicy;
  readonly rules: readonly CompiledRule[];
  /** The rules in evaluation order: mutate rules first (Kyverno mutates before it validates). */
  readonly ordered: readonly CompiledRule[];
  /** Kinds (Kind part) its rules can match; '*' when any. */
  readonly kinds: ReadonlySet<string>;
  /** The policy as responses name it (one object for all of them). */
  readonly ref: EngineResponse['policy'];
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function ruleType(r: Obj): RuleType {
  if (r['mutate'] !== undefined) return 'Mutation';
  if (r['generate'] !== undefined) return 'Generation';
  if (r['verifyImages'] !== undefined) return 'ImageVerify';
  return 'Validation';
}

/** Compiles one loaded policy. */
export function compilePolicy(policy: KyvernoPolicy): CompiledPolicy {
  const kinds = new Set<string>();
  const rules = policy.rules.map((r): CompiledRule => {
    const ks = kindsOf(r['match']);
    if (!ks.length) kinds.add('*');
    for (const k of ks) {
      const kind = parseKind(k).kind;
      kinds.add(/[*?]/.test(kind) ? '*' : kind);
    }
    return {
      name: String(r['name']),
      raw: r,
      type: ruleType(r),
      match: compileMatch(r['match'], r['exclude']),
      kinds: matchKindFilter(r['match']),
    };
  });
  const ordered = [
    ...rules.filter((r) => r.type === 'Mutation'),
    ...rules.filter((r) => r.type !== 'Mutation'),
  ];
  const ref = { kind: policy.kind, name: policy.name, namespace: policy.namespace };
  return { policy, rules, ordered, kinds, ref };
}

function kindOf(o: Obj): string {
  const k = o['kind'];
  return typeof k === 'string' ? k : '';
}

function metaOf(o: Obj | undefined): Obj {
  return o && isObj(o['metadata']) ? o['metadata'] : {};
}

/** A set of compiled policies, indexed by kind. */
export class PolicyEngine {
  private readonly byKind = new Map<string, CompiledPolicy[]>();
  private readonly anyKind: CompiledPolicy[] = [];
  readonly policies: readonly CompiledPolicy[];
  /** PolicyExceptions, compiled once, applied to every evaluation. */
  readonly exceptions: readonly CompiledException[];

  constructor(
    policies: readonly KyvernoPolicy[],
    options: { exceptions?: readonly PolicyExceptionDoc[] } = {},
  ) {
    this.policies = policies.map(compilePolicy);
    this.exceptions = compileExceptions(options.exceptions ?? []);
    for (const cp of this.policies) {
      if (cp.kinds.has('*')) {
        this.anyKind.push(cp);
        continue;
      }
      for (const k of cp.kinds) {
        const list = this.byKind.get(k) ?? [];
        list.push(cp);
        this.byKind.set(k, list);
      }
    }
  }

  /** Policies that can match a kind, in load order. */
  candidates(kind: string): CompiledPolicy[] {
    const specific = this.byKind.get(kind) ?? [];
    if (!this.anyKind.length) return specific;
    const set = new Set([...specific, ...this.anyKind]);
    return this.policies.filter((p) => set.has(p));
  }

  /** Evaluates a resource against every policy; responses only for policies with a matching rule. */
  evaluate(req: EngineRequest): EngineResponse[] {
    const kind = typeof req.resource['kind'] === 'string' ? req.resource['kind'] : '';
    const out: EngineResponse[] = [];
    const shared: SharedContext = {};
    for (const cp of this.candidates(kind)) {
      const r = evaluatePolicy(cp, req, this.exceptions, shared);
      if (r) out.push(r);
    }
    return out;
  }
}

/** A request's JSON context, built once and shared by the policies evaluated for that request. */
export interface SharedContext {
  ctx?: PolicyContext;
  for?: Obj;
  /** The context of the request's own resource (kept when a mutation moves ctx to a patched one). */
  base?: { ctx: PolicyContext; for: Obj };
  /** What every policy derives from the request alone, computed once per request. */
  facts?: RequestFacts;
}

interface RequestFacts {
  readonly req: EngineRequest;
  readonly operation: string;
  readonly resNs: string;
  /** The match request for the request's resource (rules after a mutation copy it with the new one). */
  readonly matchReq: MatchRequest;
  readonly baseVariables: Record<string, unknown>;
  readonly baseSources: ContextSources;
  readonly baseEntries: ReadonlyArray<[string, unknown]>;
  /** request.userInfo and the roles of the JSON contexts (one copy per request, shared by its contexts). */
  readonly ctxUserInfo: { username: string; groups: string[] };
  readonly ctxAdmissionInfo: { roles: string[]; clusterRoles: string[] };
}

function factsOf(req: EngineRequest, shared: SharedContext): RequestFacts {
  if (shared.facts?.req === req) return shared.facts;
  const operation =
    req.operation ??
    (typeof req.variables?.['request.operation'] === 'string'
      ? req.variables['request.operation']
      : 'CREATE');
  const resource = req.resource;
  const md = metaOf(resource);
  const resNs = typeof md['namespace'] === 'string' ? md['namespace'] : '';
  const nsName =
    resource['kind'] === 'Namespace' ? (typeof md['name'] === 'string' ? md['name'] : '') : resNs;
  const namespaceLabels = req.namespaceLabels?.[nsName];
  const userInfo = {
    ...(req.userInfo?.username !== undefined ? { username: req.userInfo.username } : {}),
    ...(req.userInfo?.groups ? { groups: req.userInfo.groups } : {}),
    ...(req.roles ? { roles: req.roles } : {}),
    ...(req.clusterRoles ? { clusterRoles: req.clusterRoles } : {}),
  };
  const matchReq: MatchRequest = {
    resource,
    operation,
    ...(req.subresource ? { subresource: req.subresource } : {}),
    ...(namespaceLabels ? { namespaceLabels } : {}),
    userInfo,
  };
  const baseVariables = req.variables ?? {};
  const baseSources: ContextSources = {
    variables: baseVariables,
    ...(req.configMaps ? { configMaps: req.configMaps } : {}),
    ...(req.apiCalls ? { apiCalls: req.apiCalls } : {}),
    ...(req.globalContext ? { globalContext: req.globalContext } : {}),
  };
  const facts: RequestFacts = {
    req,
    operation,
    resNs,
    matchReq,
    baseVariables,
    baseSources,
    baseEntries: Object.entries(baseVariables),
    ctxUserInfo: { username: req.userInfo?.username ?? '', groups: [...(req.userInfo?.groups ?? [])] },
    ctxAdmissionInfo: { roles: [...(req.roles ?? [])], clusterRoles: [...(req.clusterRoles ?? [])] },
  };
  shared.facts = facts;
  return facts;
}

const NO_EXCEPTIONS: readonly CompiledException[] = [];

function sourcesWith(base: ContextSources, variables: Record<string, unknown>): ContextSources {
  return { ...base, variables };
}

/**
 * Rule responses as they are made, for all evaluatePolicy calls on the stack (each uses the part above
 * where it started, and takes an exact-size copy at its end): an array per policy grown by push got
 * room for 17 responses on its first push, where most policies answer one or two. Used up to
 * `pendingTop` (an index: `length = 0` would free the storage and the next push grow it again).
 */
const pending: Array<RuleResponse | undefined> = [];
let pendingTop = 0;

function respond(r: RuleResponse): void {
  pending[pendingTop++] = r;
}

/** Drops the responses above `start` (no references kept to them). */
function dropPending(start: number): void {
  while (pendingTop > start) pending[--pendingTop] = undefined;
}

/** Evaluates one compiled policy; undefined when no rule matched the resource. */
export function evaluatePolicy(
  cp: CompiledPolicy,
  req: EngineRequest,
  exceptions: readonly CompiledException[] = [],
  shared: SharedContext = {},
): EngineResponse | undefined {
  const policy = cp.policy;
  const policyKey =
    policy.kind === 'Policy' ? `${policy.namespace ?? 'default'}/${policy.name}` : policy.name;
  const facts = factsOf(req, shared);
  // a namespaced Policy applies only to resources of its namespace
  if (policy.kind === 'Policy' && facts.resNs !== policy.namespace) return undefined;
  const start = pendingTop;
  let resource: Obj;
  try {
    resource = evaluateRules(cp, req, exceptions, shared, facts, policyKey);
  } catch (err) {
    dropPending(start);
    throw err;
  }
  if (pendingTop === start) return undefined;
  const rules = pending.slice(start, pendingTop) as RuleResponse[];
  dropPending(start);
  return {
    policy: cp.ref,
    resource: req.resource,
    patchedResource: resource,
    validationFailureAction: policy.validationFailureAction,
    rules,
  };
}

/** The rules of evaluatePolicy; responses go to `pending`, the patched resource is returned. */
function evaluateRules(
  cp: CompiledPolicy,
  req: EngineRequest,
  exceptions: readonly CompiledException[],
  shared: SharedContext,
  facts: RequestFacts,
  policyKey: string,
): Obj {
  const policy = cp.policy;
  const { operation, baseVariables, baseSources, baseEntries } = facts;
  let resource = req.resource;
  let matchReq = facts.matchReq;
  const ordered = cp.ordered;
  for (let r = 0; r < ordered.length; r++) {
    const rule = ordered[r] as CompiledRule;
    // a rule for other kinds (autogen rules for pod controllers, on a Pod) is skipped before its match
    if (rule.kinds !== undefined && !rule.kinds.has(kindOf(resource))) continue;
    if (matchReq.resource !== resource) matchReq = { ...facts.matchReq, resource };
    const why = rule.match(matchReq);
    if (why !== undefined) continue;
    const ruleVars = req.ruleVariables?.[rule.name];
    const variables = ruleVars ? { ...baseVariables, ...ruleVars } : baseVariables;
    // one JSON context per resource state, shared by the rules (and the policies of one request);
    // each rule's variables and context entries live above a checkpoint that is dropped after it
    // (the request's own resource keeps its context apart: every policy starts from it again after
    // another policy's mutation)
    if (resource === req.resource && shared.base?.for === resource) {
      shared.ctx = shared.base.ctx;
      shared.for = resource;
    } else if (shared.ctx === undefined || shared.for !== resource) {
      shared.ctx = PolicyContext.forRequest({
        object: operation === 'DELETE' ? null : resource,
        oldObject: req.oldResource ?? (operation === 'DELETE' ? resource : null),
        operation,
        userInfo: facts.ctxUserInfo,
        admissionInfo: facts.ctxAdmissionInfo,
        // after a mutation: the images of the request's own context, if the containers' images are the same
        previous: shared.base
          ? {
              object: operation === 'DELETE' ? (req.oldResource ?? req.resource) : req.resource,
              context: shared.base.ctx,
            }
          : undefined,
      });
      shared.for = resource;
      if (resource === req.resource) shared.base = { ctx: shared.ctx, for: resource };
    }
    const ctx = shared.ctx;
    ctx.checkpoint();
    try {
      const entries = ruleVars ? Object.entries(variables) : baseEntries;
      for (let i = 0; i < entries.length; i++) {
        const [k, v] = entries[i] as [string, unknown];
        ctx.set(k, v);
      }
      const sources = ruleVars ? sourcesWith(baseSources, variables) : baseSources;
      // responses written out, not `{ name, type, status, message }`: a spread clone given new keys
      // survives scavenges (engine/copy.ts)
      const name = rule.name;
      const type = rule.type;
      if (Array.isArray(rule.raw['context'])) {
        const lr = loadContextEntries(entriesToLoad(rule.raw['context'], variables), ctx, sources);
        if (!lr.ok) {
          respond({
            name,
            type,
            status: 'error',
            message: `failed to load context: ${lr.error?.message ?? ''}`,
          });
          continue;
        }
      }
      const pre = evaluateConditions(rule.raw['preconditions'], ctx, '/preconditions');
      if (!pre.ok) {
        respond({
          name,
          type,
          status: 'error',
          message: `failed to evaluate preconditions: ${pre.error}`,
        });
        continue;
      }
      if (!pre.value) {
        respond({
          name,
          type,
          status: 'skip',
          message: pre.message ? `preconditions not met: ${pre.message}` : 'preconditions not met',
        });
        continue;
      }
      const celPre = rule.raw['celPreconditions'];
      if (Array.isArray(celPre) && celPre.length > 0) {
        // celPreconditions are CEL match conditions: false skips the rule, as in Kyverno.
        const check = evaluateCelPolicy(
          {
            kind: 'ValidatingPolicy',
            metadata: { name: rule.name },
            spec: {
              matchConstraints: {
                resourceRules: [{ apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }],
              },
              matchConditions: celPre,
              validations: [],
            },
          },
          { resource, ...(operation ? { operation } : {}) },
          {
            data: {
              resources: (sources.configMaps ?? []).filter(
                (x): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x),
              ),
            },
          },
        )[0];
        if (check && check.status !== 'pass') {
          respond({
            name,
            type,
            status: check.status === 'error' ? 'error' : 'skip',
            message: check.message || 'celPreconditions not met',
          });
          continue;
        }
      }
      const target = operation === 'DELETE' ? (req.oldResource ?? resource) : resource;
      const env = { ctx, resource: target, ruleName: rule.name, sources };
      const exc = exceptions.length
        ? matchingExceptions(exceptions, policyKey, rule.name, matchReq, ctx)
        : NO_EXCEPTIONS;
      const podSecurityRule =
        isObj(rule.raw['validate']) && rule.raw['validate']['podSecurity'] !== undefined;
      if (exc.length) {
        const keys = exc.map((e) => e.key);
        const whole = exc.find((e) => !e.podSecurity.length);
        if (!podSecurityRule) {
          // Kyverno's messages, literally (validate and mutate join without a space)
          const message =
            rule.type === 'Generation'
              ? `rule is skipped due to policy exception ${keys.join(', ')}`
              : `rule is skipped due to policy exceptions${keys.join(', ')}`;
          respond({ name, type, status: 'skip', message, exceptions: keys });
          continue;
        }
        if (whole) {
          respond({
            name,
            type,
            status: 'skip',
            message: `rule is skipped due to policy exception ${whole.key}`,
            exceptions: [whole.key],
          });
          continue;
        }
      }
      if (rule.type === 'Validation' && isObj(rule.raw['validate'])) {
        respond(
          runValidate(
            rule.raw['validate'],
            exc.length
              ? {
                  ...env,
                  podSecurityExceptions: {
                    keys: exc.map((e) => e.key),
                    excludes: exc.flatMap((e) => e.podSecurity),
                  },
                }
              : env,
          ),
        );
      } else if (rule.type === 'Mutation' && isObj(rule.raw['mutate'])) {
        const m = runMutate(rule.raw['mutate'], env);
        respond(m.response);
        if (m.patched) resource = m.patched;
      } else if (rule.type === 'Generation' && isObj(rule.raw['generate'])) {
        respond(
          runGenerate(rule.raw['generate'], {
            ...env,
            policyName: policy.name,
            policyNamespace: policy.namespace,
            trigger: resource,
            existing: req.existingResources ?? [],
          }),
        );
      } else {
        respond({
          name,
          type,
          status: 'error',
          message: `${rule.type} rules are not supported by Palisade yet`,
        });
      }
    } finally {
      ctx.reset();
    }
  }
  return resource;
}
