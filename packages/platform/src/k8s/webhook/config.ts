/**
 * Validating/MutatingWebhookConfigurations generated from the loaded policies, as Kyverno's
 * webhook controller does: one webhook per failure policy (`…-fail`, `…-ignore`), each with the
 * resource rules its policies match (kinds resolved to resources through API discovery; autogen
 * kinds included), the operations they name (CREATE and UPDATE when none), the largest
 * timeoutSeconds of its policies, and a namespaceSelector that leaves out kube-system and
 * Palisade's own namespace so a broken webhook can never lock the cluster out. CEL policies
 * (policies.kyverno.io) contribute their `matchConstraints.resourceRules` as written (and those of
 * their autogen twins for Pod controllers); their selectors and matchConditions are applied when a
 * request is evaluated.
 *
 * Pure: discovery data and the client config come in, plain objects go out. `discoverResources`
 * (the only I/O here) reads the apiserver's discovery documents.
 */
import { autogenVariants } from '../../policy/celpolicy/autogen.js';
import { kindsOf, parseKind } from '../../policy/match/index.js';
import type { KubeClient } from '../client/index.js';
import type { Endpoint, FailurePolicy, PolicyGroup, WebhookPolicySet } from './policyset.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One API resource as discovery lists it. */
export interface DiscoveredResource {
  group: string;
  version: string;
  /** `pods`, or `pods/exec` for a subresource. */
  resource: string;
  kind: string;
  namespaced: boolean;
  /** The group's preferred version. */
  preferred: boolean;
}

/** Reads `/api/v1` and every `/apis/<group>/<version>` (all served versions). */
export async function discoverResources(client: KubeClient): Promise<DiscoveredResource[]> {
  const out: DiscoveredResource[] = [];
  const read = async (path: string, group: string, version: string, preferred: boolean): Promise<void> => {
    const list = await client.request<{ resources?: { name: string; kind: string; namespaced: boolean }[] }>(
      'GET',
      path,
    );
    for (const r of list.resources ?? []) {
      out.push({ group, version, resource: r.name, kind: r.kind, namespaced: r.namespaced, preferred });
    }
  };
  await read('/api/v1', '', 'v1', true);
  const groups = await client.request<{
    groups?: { name: string; versions: { version: string }[]; preferredVersion?: { version: string } }[];
  }>('GET', '/apis');
  await Promise.all(
    (groups.groups ?? []).flatMap((g) =>
      g.versions.map((v) =>
        read(`/apis/${g.name}/${v.version}`, g.name, v.version, v.version === g.preferredVersion?.version),
      ),
    ),
  );
  return out;
}

export interface WebhookConfigOptions {
  /** Name of both configurations; default `palisade`. */
  name?: string;
  /** Where the apiserver calls: a base URL (paths are appended) or an in-cluster Service. */
  client: { url: string } | { service: { namespace: string; name: string; port?: number } };
  caBundlePem: string;
  /** Palisade's own namespace, never intercepted; default `palisade`. */
  ownNamespace?: string;
  /** Namespaces never intercepted; default kube-system and ownNamespace. */
  excludeNamespaces?: readonly string[];
  /** Labels put on the configurations (for cleanup and ownership). */
  labels?: Readonly<Record<string, string>>;
  /** A cluster-scoped owner: the garbage collector deletes the configurations with it. */
  owner?: { apiVersion: string; kind: string; name: string; uid: string };
}

interface RuleWithOperations {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: string[];
  scope: '*';
}

const DEFAULT_OPERATIONS = ['CREATE', 'UPDATE'];
const ALL_OPERATIONS = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

function operationsOf(match: unknown): string[] {
  const out = new Set<string>();
  const add = (f: unknown): void => {
    if (isObj(f) && isObj(f['resources']) && Array.isArray(f['resources']['operations']))
      for (const o of f['resources']['operations'])
        if (typeof o === 'string' && ALL_OPERATIONS.has(o)) out.add(o);
  };
  if (isObj(match)) {
    add(match);
    for (const k of ['any', 'all'])
      if (Array.isArray(match[k])) for (const f of match[k] as unknown[]) add(f);
  }
  return [...out];
}

/** Resource rules for a group's policies. Unknown kinds are returned so callers can report them. */
export function rulesFor(
  group: PolicyGroup,
  discovery: readonly DiscoveredResource[],
): { rules: RuleWithOperations[]; unknownKinds: string[] } {
  // key: group/version → resources, and operations per resource
  const byGv = new Map<string, { group: string; version: string; resources: Map<string, Set<string>> }>();
  const unknown = new Set<string>();
  const add = (g: string, v: string, resource: string, ops: readonly string[]): void => {
    const key = `${g}/${v}`;
    let e = byGv.get(key);
    if (!e) byGv.set(key, (e = { group: g, version: v, resources: new Map() }));
    const set = e.resources.get(resource) ?? new Set<string>();
    for (const o of ops) set.add(o);
    e.resources.set(resource, set);
  };
  for (const p of group.policies) {
    for (const r of p.rules) {
      let ops = operationsOf(r['match']);
      if (!ops.length) ops = DEFAULT_OPERATIONS;
      if (group.endpoint === 'mutate') ops = ops.filter((o) => o === 'CREATE' || o === 'UPDATE');
      if (!ops.length) continue;
      for (const spec of kindsOf(r['match'])) {
        const k = parseKind(spec);
        if (k.kind === '*' && k.group === undefined) {
          add('*', '*', k.subresource ? `*/${k.subresource}` : '*', ops);
          continue;
        }
        const re = new RegExp(
          '^' +
            k.kind
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '.*')
              .replace(/\?/g, '.') +
            '$',
        );
        const hits = discovery.filter(
          (d) =>
            re.test(d.kind) &&
            (k.group === undefined || k.group === '*' || d.group === k.group) &&
            (k.version === undefined || k.version === '*' || d.version === k.version) &&
            (k.subresource ? d.resource.endsWith(`/${k.subresource}`) : !d.resource.includes('/')) &&
            (k.version !== undefined || d.preferred),
        );
        if (!hits.length) {
          unknown.add(spec);
          continue;
        }
        for (const h of hits) add(h.group, h.version, h.resource, ops);
      }
    }
  }
  for (const p of group.celPolicies) {
    for (const variant of autogenVariants(p.name, p.spec)) {
      const mc = variant.spec['matchConstraints'];
      const rrs = isObj(mc) && Array.isArray(mc['resourceRules']) ? (mc['resourceRules'] as unknown[]) : [];
      for (const rr of rrs) {
        if (!isObj(rr)) continue;
        const list = (k: string): string[] =>
          Array.isArray(rr[k]) ? (rr[k] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
        let ops = list('operations');
        if (ops.includes('*')) ops = [...ALL_OPERATIONS];
        ops = ops.filter((o) => ALL_OPERATIONS.has(o));
        if (group.endpoint === 'mutate') ops = ops.filter((o) => o === 'CREATE' || o === 'UPDATE');
        if (!ops.length) continue;
        for (const g of list('apiGroups'))
          for (const v of list('apiVersions')) for (const r of list('resources')) add(g, v, r, ops);
      }
    }
  }
  const rules: RuleWithOperations[] = [];
  for (const e of [...byGv.values()].sort((a, b) =>
    `${a.group}/${a.version}`.localeCompare(`${b.group}/${b.version}`),
  )) {
    // one rule per distinct operation set, resources sorted: stable output, no churn
    const byOps = new Map<string, string[]>();
    for (const [res, ops] of e.resources) {
      const key = [...ops].sort().join(',');
      byOps.set(key, [...(byOps.get(key) ?? []), res]);
    }
    for (const [ops, resources] of [...byOps].sort((a, b) => a[0].localeCompare(b[0]))) {
      rules.push({
        apiGroups: [e.group],
        apiVersions: [e.version],
        resources: resources.sort(),
        operations: ops.split(','),
        scope: '*',
      });
    }
  }
  return { rules, unknownKinds: [...unknown].sort() };
}

function clientConfig(o: WebhookConfigOptions, path: string): Obj {
  const caBundle = Buffer.from(o.caBundlePem).toString('base64');
  if ('url' in o.client) return { url: `${o.client.url.replace(/\/$/, '')}${path}`, caBundle };
  const s = o.client.service;
  return { service: { namespace: s.namespace, name: s.name, port: s.port ?? 443, path }, caBundle };
}

function webhookFor(
  endpoint: Endpoint,
  fp: FailurePolicy,
  group: PolicyGroup,
  discovery: readonly DiscoveredResource[],
  o: WebhookConfigOptions,
): Obj | undefined {
  const { rules } = rulesFor(group, discovery);
  if (!rules.length) return undefined;
  const own = o.ownNamespace ?? 'palisade';
  const excluded = [...new Set(o.excludeNamespaces ?? ['kube-system', own])].sort();
  const suffix = fp === 'Fail' ? 'fail' : 'ignore';
  return {
    name: `${endpoint}.palisade.svc-${suffix}`,
    clientConfig: clientConfig(o, `/${endpoint}/${suffix}`),
    rules,
    failurePolicy: fp,
    matchPolicy: 'Equivalent',
    sideEffects: 'NoneOnDryRun',
    timeoutSeconds: group.timeoutSeconds,
    admissionReviewVersions: ['v1'],
    namespaceSelector: {
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: excluded }],
    },
    ...(endpoint === 'mutate' ? { reinvocationPolicy: 'Never' } : {}),
  };
}

export interface GeneratedConfigurations {
  validating: Obj;
  mutating: Obj;
  unknownKinds: string[];
}

export function webhookConfigurations(
  set: WebhookPolicySet,
  discovery: readonly DiscoveredResource[],
  o: WebhookConfigOptions,
): GeneratedConfigurations {
  const name = o.name ?? 'palisade';
  const metadata = {
    name,
    labels: { 'app.kubernetes.io/managed-by': 'palisade', ...(o.labels ?? {}) },
    ...(o.owner ? { ownerReferences: [{ ...o.owner, blockOwnerDeletion: false }] } : {}),
  };
  const hooks = (endpoint: Endpoint): Obj[] =>
    (['Fail', 'Ignore'] as const)
      .map((fp) => webhookFor(endpoint, fp, set.groups[`${endpoint}/${fp}`], discovery, o))
      .filter((w): w is Obj => w !== undefined);
  const unknownKinds = [
    ...new Set(Object.values(set.groups).flatMap((g) => rulesFor(g, discovery).unknownKinds)),
  ].sort();
  return {
    validating: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata,
      webhooks: hooks('validate'),
    },
    mutating: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata,
      webhooks: hooks('mutate'),
    },
    unknownKinds,
  };
}
