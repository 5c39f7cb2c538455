/**
 * What a background scan runs, as Kyverno's background scan does: the validate rules of policies
 * with `spec.background` not false (Kyverno's default is true) and the ValidatingPolicies with
 * `spec.evaluation.background.enabled` not false. A background scan has no admission request, so
 * rules that read who made it (`request.userInfo`, `request.roles`, `request.clusterRoles`,
 * `serviceAccountName`, `serviceAccountNamespace`) or match on it (`subjects`, `roles`,
 * `clusterRoles`) are left out, as Kyverno leaves them out of background processing.
 *
 * Pure: loaded policies and discovery data in, a plan and the kinds to watch out.
 */
import { autogenVariants } from '../../policy/celpolicy/autogen.js';
import type { KyvernoPolicy } from '../../policy/loader/index.js';
import { kindsOf, parseKind } from '../../policy/match/index.js';
import type { DiscoveredResource } from '../webhook/config.js';
import {
  CEL_VALIDATING_KINDS,
  celBackgroundEnabled,
  type CelPolicy,
  type LoadedPolicies,
} from '../webhook/policyset.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Variables that only an admission request has. */
const REQUEST_ONLY =
  /request\.userInfo|request\.roles|request\.clusterRoles|serviceAccountName|serviceAccountNamespace/;

/** Why a rule cannot run in the background, or undefined when it can. */
export function backgroundSkipReason(rule: Obj): string | undefined {
  for (const k of ['match', 'exclude']) {
    const m = rule[k];
    const filters = isObj(m)
      ? [m, ...(['any', 'all'] as const).flatMap((x) => (Array.isArray(m[x]) ? (m[x] as unknown[]) : []))]
      : [];
    for (const f of filters)
      if (
        isObj(f) &&
        (f['subjects'] !== undefined || f['roles'] !== undefined || f['clusterRoles'] !== undefined)
      )
        return `${k} selects by user info, which a background scan does not have`;
  }
  const m = REQUEST_ONLY.exec(JSON.stringify(rule));
  if (m) return `uses ${m[0]}, which a background scan does not have`;
  return undefined;
}

/** The report's name of a policy: `namespace/name` for namespaced policies, `name` otherwise. */
export function reportPolicyName(p: { name: string; namespace: string | undefined }): string {
  return p.namespace ? `${p.namespace}/${p.name}` : p.name;
}

export interface BackgroundPlan {
  /** Policies reduced to the validate rules that run in the background. */
  readonly policies: readonly KyvernoPolicy[];
  readonly celPolicies: readonly CelPolicy[];
  /** Rules left out, with the reason (for logs). */
  readonly skipped: readonly { policy: string; rule: string; reason: string }[];
  /** Report names of the policies the scan evaluates (it owns their results). */
  readonly owned: ReadonlySet<string>;
  /** Report names of every loaded policy (results of others are stale). */
  readonly loaded: ReadonlySet<string>;
  /** Equal for plans that evaluate the same policies (a rescan is needed only when it changes). */
  readonly fingerprint: string;
}

export function backgroundPlan(l: LoadedPolicies): BackgroundPlan {
  const policies: KyvernoPolicy[] = [];
  const skipped: { policy: string; rule: string; reason: string }[] = [];
  const owned = new Set<string>();
  for (const p of l.policies) {
    if (p.spec['background'] === false) continue;
    const rules: Obj[] = [];
    for (const r of p.rules) {
      if (r['validate'] === undefined) continue;
      const why = backgroundSkipReason(r);
      if (why) skipped.push({ policy: reportPolicyName(p), rule: String(r['name']), reason: why });
      else rules.push(r);
    }
    if (!rules.length) continue;
    policies.push({ ...p, rules });
    owned.add(reportPolicyName(p));
  }
  const celPolicies: CelPolicy[] = [];
  for (const p of l.celPolicies) {
    if (!CEL_VALIDATING_KINDS.has(p.kind) || !celBackgroundEnabled(p)) continue;
    const m = REQUEST_ONLY.exec(JSON.stringify(p.spec));
    if (m) {
      skipped.push({
        policy: reportPolicyName(p),
        rule: p.name,
        reason: `uses ${m[0]}, which a background scan does not have`,
      });
      continue;
    }
    celPolicies.push(p);
    owned.add(reportPolicyName(p));
  }
  const loaded = new Set([...l.policies, ...l.celPolicies].map(reportPolicyName));
  const fingerprint = JSON.stringify([
    policies.map((p) => [p.kind, p.namespace, p.name, p.rules]),
    celPolicies.map((p) => p.doc),
    l.exceptions.map((e) => [e.namespace, e.name, e.spec]),
    l.celExceptions,
  ]);
  return { policies, celPolicies, skipped, owned, loaded, fingerprint };
}

/** One resource type to list and watch. */
export interface WatchedKind {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

function wildcard(pattern: string): RegExp {
  return new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
}

/**
 * The resource types the plan's policies match, resolved through discovery (the group's preferred
 * version unless a policy names one). Only top-level resources: subresources are not objects to
 * scan. A bare `*` kind is not watched (it would mean every object of the cluster); it is returned
 * in `unresolved`, with kinds discovery does not know.
 */
export function kindsToWatch(
  plan: BackgroundPlan,
  discovery: readonly DiscoveredResource[],
): { kinds: WatchedKind[]; unresolved: string[] } {
  const out = new Map<string, WatchedKind>();
  const unresolved = new Set<string>();
  const top = discovery.filter((d) => !d.resource.includes('/'));
  const add = (d: DiscoveredResource): void => {
    out.set(`${d.group}/${d.resource}`, {
      group: d.group,
      version: d.version,
      plural: d.resource,
      kind: d.kind,
      namespaced: d.namespaced,
    });
  };
  for (const p of plan.policies)
    for (const r of p.rules)
      for (const spec of kindsOf(r['match'])) {
        const k = parseKind(spec);
        if (k.subresource) continue;
        if (k.kind === '*' && (k.group === undefined || k.group === '*')) {
          unresolved.add(spec);
          continue;
        }
        const re = wildcard(k.kind);
        const hits = top.filter(
          (d) =>
            re.test(d.kind) &&
            (k.group === undefined || k.group === '*' || d.group === k.group) &&
            (k.version === undefined || k.version === '*' ? d.preferred : d.version === k.version),
        );
        if (!hits.length) unresolved.add(spec);
        for (const h of hits) add(h);
      }
  for (const p of plan.celPolicies)
    for (const variant of autogenVariants(p.name, p.spec)) {
      const mc = variant.spec['matchConstraints'];
      for (const rr of isObj(mc) && Array.isArray(mc['resourceRules'])
        ? (mc['resourceRules'] as unknown[])
        : []) {
        if (!isObj(rr)) continue;
        const list = (k: string): string[] =>
          Array.isArray(rr[k]) ? (rr[k] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
        const versions = list('apiVersions');
        for (const g of list('apiGroups'))
          for (const res of list('resources')) {
            if (res === '*' || res.includes('/')) {
              if (res === '*') unresolved.add(`${g}/*`);
              continue;
            }
            const hits = top.filter(
              (d) =>
                (g === '*' || d.group === g) &&
                d.resource === res &&
                (versions.includes('*') || !versions.length ? d.preferred : versions.includes(d.version)),
            );
            // several listed versions of one resource: watch one (the preferred when listed)
            const best = hits.find((h) => h.preferred) ?? hits[0];
            if (!best) unresolved.add(`${g}/${res}`);
            else add(best);
          }
      }
    }
  return {
    kinds: [...out.values()].sort((a, b) => `${a.group}/${a.plural}`.localeCompare(`${b.group}/${b.plural}`)),
    unresolved: [...unresolved].sort(),
  };
}
