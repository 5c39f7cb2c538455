/**
 * Policies from the cluster: kyverno.io/v1 ClusterPolicy and Policy and kyverno.io/v2
 * PolicyException objects, watched through the shared informer factory (one list + watch each),
 * checked by the same loader as policy files, and rebuilt into a WebhookPolicySet shortly after
 * any change (changes are coalesced for `debounceMs`). Namespaces are watched too, for the labels
 * that policies' namespaceSelectors test.
 *
 * The CEL policy types of `policies.kyverno.io` (ValidatingPolicy, NamespacedValidatingPolicy,
 * MutatingPolicy, NamespacedMutatingPolicy and their PolicyException) are watched too when the
 * apiserver serves them (`celResources`, picked from discovery by `celResourcesFrom`); each object's
 * expressions are compiled once per resourceVersion.
 *
 * A policy that does not load is left out and reported through `onDiagnostics`; the previous set
 * stays in force until a rebuild succeeds.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { nullLogger, type Logger } from '../../core/logger.js';
import { loadPolicyText, type KyvernoPolicy, type PolicyExceptionDoc } from '../../policy/loader/index.js';
import { checkCelPolicy } from '../../policy/celpolicy/index.js';
import {
  defineResource,
  Namespaces,
  type Informer,
  type KubeObject,
  type ResourceType,
  type SharedInformerFactory,
} from '../client/index.js';
import type { DiscoveredResource } from './config.js';
import {
  buildPolicySet,
  CEL_MUTATING_KINDS,
  CEL_VALIDATING_KINDS,
  type CelPolicy,
  type PolicySetDefaults,
  type WebhookPolicySet,
} from './policyset.js';

type Obj = Record<string, unknown>;

export const ClusterPolicies = defineResource<KubeObject & Obj>({
  group: 'kyverno.io',
  version: 'v1',
  plural: 'clusterpolicies',
  kind: 'ClusterPolicy',
  namespaced: false,
});
export const KyvernoPolicies = defineResource<KubeObject & Obj>({
  group: 'kyverno.io',
  version: 'v1',
  plural: 'policies',
  kind: 'Policy',
  namespaced: true,
});
export const PolicyExceptions = defineResource<KubeObject & Obj>({
  group: 'kyverno.io',
  version: 'v2',
  plural: 'policyexceptions',
  kind: 'PolicyException',
  namespaced: true,
});

/** The policies.kyverno.io kinds the webhook watches (policies and their exceptions). */
export const CEL_WATCHED_KINDS: ReadonlySet<string> = new Set([
  ...CEL_VALIDATING_KINDS,
  ...CEL_MUTATING_KINDS,
  'PolicyException',
]);

/**
 * The policies.kyverno.io resources to watch, from discovery: for each kind the webhook serves, the
 * group's preferred version when it serves that kind, else the newest version that does (Kyverno
 * 1.15 serves v1alpha1, later releases v1beta1 and v1 too; kinds absent here are not watched).
 */
export function celResourcesFrom(discovery: readonly DiscoveredResource[]): ResourceType<KubeObject & Obj>[] {
  const out: ResourceType<KubeObject & Obj>[] = [];
  const rank = (v: string): number =>
    v === 'v1' ? 3 : v.startsWith('v1beta') ? 2 : v.startsWith('v1alpha') ? 1 : 0;
  for (const kind of [...CEL_WATCHED_KINDS].sort()) {
    const hits = discovery.filter(
      (d) => d.group === 'policies.kyverno.io' && d.kind === kind && !d.resource.includes('/'),
    );
    if (!hits.length) continue;
    const best = [...hits].sort(
      (a, b) => Number(b.preferred) - Number(a.preferred) || rank(b.version) - rank(a.version),
    )[0];
    if (best)
      out.push(
        defineResource<KubeObject & Obj>({
          group: best.group,
          version: best.version,
          plural: best.resource,
          kind,
          namespaced: best.namespaced,
        }),
      );
  }
  return out;
}

export interface ClusterPolicySourceOptions {
  /** policies.kyverno.io resources to watch (from `celResourcesFrom`); default none. */
  celResources?: readonly ResourceType<KubeObject & Obj>[];
  /** Coalescing delay after a change; default 100 ms. */
  debounceMs?: number;
  /** Also watch PolicyExceptions (needs the CRD); default true. */
  exceptions?: boolean;
  logger?: Logger;
  onChange?: (set: WebhookPolicySet) => void;
  onDiagnostics?: (d: readonly Diagnostic[]) => void;
  /** failurePolicy and timeoutSeconds for policies that set none. */
  defaults?: PolicySetDefaults;
}

interface Loaded {
  rv: string;
  policies: KyvernoPolicy[];
  exceptions: PolicyExceptionDoc[];
  celPolicies: CelPolicy[];
  celExceptions: Obj[];
  diagnostics: Diagnostic[];
}

/** `group:Kind/namespace/name`: kyverno.io and policies.kyverno.io both have a PolicyException. */
function cacheKey(obj: KubeObject & Obj): string {
  const group = typeof obj.apiVersion === 'string' ? obj.apiVersion.split('/')[0] : '';
  return `${group ?? ''}:${obj.kind ?? ''}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A policies.kyverno.io object as the CEL evaluator reads it; diagnostics when an expression does not compile. */
export function loadCelObject(
  obj: Obj,
  source: string,
): { policy?: CelPolicy; exception?: Obj; diagnostics: Diagnostic[] } {
  const md = isObj(obj['metadata']) ? obj['metadata'] : {};
  const name = typeof md['name'] === 'string' ? md['name'] : '';
  const namespace = typeof md['namespace'] === 'string' && md['namespace'] ? md['namespace'] : undefined;
  const kind = typeof obj['kind'] === 'string' ? obj['kind'] : '';
  const spec = isObj(obj['spec']) ? obj['spec'] : undefined;
  const { status: _status, ...doc } = obj;
  void _status;
  if (!spec)
    return {
      diagnostics: [
        {
          code: 'E_POLICY_INVALID',
          severity: 'error',
          message: `${kind} ${name}: spec is missing`,
          location: { file: source },
        },
      ],
    };
  const errors = checkCelPolicy(doc);
  if (errors.length)
    return {
      diagnostics: errors.map((e) => ({
        code: 'E_POLICY_CEL',
        severity: 'error' as const,
        message: `${kind} ${name}: ${e}; policy left out`,
        location: { file: source },
      })),
    };
  if (kind === 'PolicyException') return { exception: doc, diagnostics: [] };
  return { policy: { kind, name, namespace, spec, doc }, diagnostics: [] };
}

export class ClusterPolicySource {
  private set: WebhookPolicySet = buildPolicySet([]);
  private readonly cache = new Map<string, Loaded>();
  private readonly informers: Informer<KubeObject & Obj>[];
  private readonly namespaces: Informer<KubeObject>;
  private timer: NodeJS.Timeout | undefined;
  private readonly o: ClusterPolicySourceOptions;
  private readonly log: Logger;
  private synced = false;
  rebuilds = 0;

  constructor(factory: SharedInformerFactory, o: ClusterPolicySourceOptions = {}) {
    this.o = o;
    this.log = (o.logger ?? nullLogger).child({ component: 'webhook-policies' });
    this.informers = [
      factory.informerFor(ClusterPolicies),
      factory.informerFor(KyvernoPolicies),
      ...(o.exceptions === false ? [] : [factory.informerFor(PolicyExceptions)]),
      ...(o.celResources ?? []).map((r) => factory.informerFor(r)),
    ];
    this.namespaces = factory.informerFor(Namespaces);
    const schedule = (): void => this.schedule();
    for (const inf of this.informers) {
      inf.addEventHandler({ onAdd: schedule, onUpdate: (a, b) => a !== b && schedule(), onDelete: schedule });
    }
  }

  /** The current policy set (swapped atomically on rebuild). */
  current = (): WebhookPolicySet => this.set;

  /** Labels of a namespace from the namespace informer. */
  namespaceLabels = (name: string): Readonly<Record<string, string>> | undefined =>
    this.namespaces.get(name)?.metadata?.labels ?? (this.namespaces.get(name) ? {} : undefined);

  /** True once every informer listed and the first set was built. */
  ready = (): boolean => this.synced;

  /** Waits for the informers, then builds the first set. */
  async sync(signal?: AbortSignal): Promise<boolean> {
    const ok = (
      await Promise.all([...this.informers, this.namespaces].map((i) => i.waitForSync(signal)))
    ).every(Boolean);
    if (ok) {
      this.rebuild();
      this.synced = true;
    }
    return ok;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (!this.synced || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.rebuild();
    }, this.o.debounceMs ?? 100);
  }

  private load(obj: KubeObject & Obj): Loaded {
    const key = cacheKey(obj);
    const rv = obj.metadata?.resourceVersion ?? '';
    const hit = this.cache.get(key);
    if (hit && hit.rv === rv && rv) return hit;
    if (typeof obj.apiVersion === 'string' && obj.apiVersion.startsWith('policies.kyverno.io/')) {
      const r = loadCelObject(obj, `cluster:${key}`);
      const loaded: Loaded = {
        rv,
        policies: [],
        exceptions: [],
        celPolicies: r.policy ? [r.policy] : [],
        celExceptions: r.exception ? [r.exception] : [],
        diagnostics: r.diagnostics,
      };
      this.cache.set(key, loaded);
      return loaded;
    }
    // the loader reads YAML; JSON is YAML, and locations then point into this text
    const { metadata, ...rest } = obj;
    const doc = {
      ...rest,
      metadata: {
        name: metadata?.name,
        ...(metadata?.namespace ? { namespace: metadata.namespace } : {}),
        ...(metadata?.annotations ? { annotations: metadata.annotations } : {}),
        ...(metadata?.labels ? { labels: metadata.labels } : {}),
      },
    };
    delete (doc as Obj)['status'];
    const r = loadPolicyText(JSON.stringify(doc), `cluster:${key}`);
    const loaded: Loaded = {
      rv,
      policies: r.policies,
      exceptions: r.exceptions,
      celPolicies: [],
      celExceptions: [],
      diagnostics: r.diagnostics,
    };
    this.cache.set(key, loaded);
    return loaded;
  }

  /** Rebuilds the policy set from the informer caches. */
  rebuild(): WebhookPolicySet {
    const policies: KyvernoPolicy[] = [];
    const exceptions: PolicyExceptionDoc[] = [];
    const celPolicies: CelPolicy[] = [];
    const celExceptions: Obj[] = [];
    const diagnostics: Diagnostic[] = [];
    const seen = new Set<string>();
    for (const inf of this.informers) {
      const objs = [...inf.list()].sort((a, b) =>
        `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`.localeCompare(
          `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`,
        ),
      );
      for (const obj of objs) {
        const l = this.load(obj);
        seen.add(cacheKey(obj));
        policies.push(...l.policies);
        exceptions.push(...l.exceptions);
        celPolicies.push(...l.celPolicies);
        celExceptions.push(...l.celExceptions);
        diagnostics.push(...l.diagnostics);
      }
    }
    for (const k of [...this.cache.keys()]) if (!seen.has(k)) this.cache.delete(k);
    this.set = buildPolicySet(policies, exceptions, this.o.defaults, {
      policies: celPolicies,
      exceptions: celExceptions,
    });
    this.rebuilds++;
    this.log.info(
      {
        policies: policies.length,
        exceptions: exceptions.length,
        celPolicies: celPolicies.length,
        generation: this.set.generation,
      },
      'policies loaded',
    );
    if (diagnostics.length) this.o.onDiagnostics?.(diagnostics);
    this.o.onChange?.(this.set);
    return this.set;
  }
}
