/**
 * Policies from the cluster: kyverno.io/v1 ClusterPolicy and Policy and kyverno.io/v2
 * PolicyException objects, watched through the shared informer factory (one list + watch each),
 * checked by the same loader as policy files, and rebuilt into a WebhookPolicySet shortly after
 * any change (changes are coalesced for `debounceMs`). Namespaces are watched too, for the labels
 * that policies' namespaceSelectors test.
 *
 * A policy that does not load is left out and reported through `onDiagnostics`; the previous set
 * stays in force until a rebuild succeeds.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { nullLogger, type Logger } from '../../core/logger.js';
import { loadPolicyText, type KyvernoPolicy, type PolicyExceptionDoc } from '../../policy/loader/index.js';
import {
  defineResource,
  Namespaces,
  type Informer,
  type KubeObject,
  type SharedInformerFactory,
} from '../client/index.js';
import { buildPolicySet, type PolicySetDefaults, type WebhookPolicySet } from './policyset.js';

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

export interface ClusterPolicySourceOptions {
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
  diagnostics: Diagnostic[];
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
    const key = `${obj.kind ?? ''}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    const rv = obj.metadata?.resourceVersion ?? '';
    const hit = this.cache.get(key);
    if (hit && hit.rv === rv && rv) return hit;
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
    const loaded: Loaded = { rv, policies: r.policies, exceptions: r.exceptions, diagnostics: r.diagnostics };
    this.cache.set(key, loaded);
    return loaded;
  }

  /** Rebuilds the policy set from the informer caches. */
  rebuild(): WebhookPolicySet {
    const policies: KyvernoPolicy[] = [];
    const exceptions: PolicyExceptionDoc[] = [];
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
        seen.add(`${obj.kind ?? ''}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`);
        policies.push(...l.policies);
        exceptions.push(...l.exceptions);
        diagnostics.push(...l.diagnostics);
      }
    }
    for (const k of [...this.cache.keys()]) if (!seen.has(k)) this.cache.delete(k);
    this.set = buildPolicySet(policies, exceptions, this.o.defaults);
    this.rebuilds++;
    this.log.info(
      { policies: policies.length, exceptions: exceptions.length, generation: this.set.generation },
      'policies loaded',
    );
    if (diagnostics.length) this.o.onDiagnostics?.(diagnostics);
    this.o.onChange?.(this.set);
    return this.set;
  }
}
