/**
 * `palisade operator`: keeps a VulnerabilityReport (and, with secret scanning, an
 * ExposedSecretReport) per workload container, as Trivy Operator does, with each unique image
 * digest scanned once (scans.ts) and reports written without churn (report-writer.ts).
 *
 * Flow: informers on Pods and their controllers (and on Palisade's own reports) → a work queue of
 * report-owner keys (`Kind/namespace/name`) → reconcile: the owner and its pod spec
 * (workloads.ts) → each container's image digest (pinned in the reference, else the Pod status
 * `imageID`, else a HEAD of the manifest in its registry with the pull secrets' credentials) → the
 * digest's scan result → reports built by k8s/reports → create, update or delete.
 * Reports of owners that are gone, inactive or lost a container are deleted by the operator
 * (no garbage collector is assumed). A periodic tick notices a new advisory database build and
 * due rescans; a periodic resync reconciles every owner again.
 */
import { setMaxListeners } from 'node:events';
import type { V1Secret, V1ServiceAccount } from '@kubernetes/client-node';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { nullLogger } from '../../core/logger.js';
import { RegistryClient } from '../../scan/artifact/registry/client.js';
import { formatReference, parseReference } from '../../scan/artifact/registry/reference.js';
import { Informer, stripServerBookkeeping } from '../client/informer.js';
import type { InformerEventHandler } from '../client/informer.js';
import { Deployments, Pods, Secrets, ServiceAccounts } from '../client/resources.js';
import type { KubeObject, ResourceType, Wire } from '../client/resources.js';
import { KubeApiError } from '../client/rest.js';
import type { KubeClient } from '../client/rest.js';
import { buildExposedSecretReport, buildVulnerabilityReport, DEFAULT_SCANNER } from '../reports/builders.js';
import {
  ANNOTATION_FINDINGS_KEPT,
  LABEL_MANAGED_BY,
  LABEL_RESOURCE_KIND,
  LABEL_RESOURCE_NAME,
  LABEL_RESOURCE_NAMESPACE,
  containerReportName,
} from '../reports/naming.js';
import { ExposedSecretReports, SbomReports, VulnerabilityReports } from '../reports/resources.js';
import { buildSbomReport } from '../reports/sbom.js';
import type { PullCredential } from './pull-secrets.js';
import { credentialFor, credentialsFromSecret } from './pull-secrets.js';
import { podSpecHash, slimPod } from './pod-cache.js';
import { ReportWriter, slimReport } from './report-writer.js';
import type { ReportObject } from './report-writer.js';
import {
  CronJobs,
  DaemonSets,
  Jobs,
  ReplicaSets,
  ReplicationControllers,
  StatefulSets,
} from './resources.js';
import type { DigestCache } from './digest-cache.js';
import { ScanService } from './scans.js';
import type { ScanTarget } from './scans.js';
import type { ImageScanner } from './scanner.js';
import { WorkQueue } from './workqueue.js';
import type { ClusterView, DesiredWorkload, Pod, WatchedKind, WorkloadObject } from './workloads.js';
import {
  containerImages,
  controllerOf,
  desiredWorkload,
  keysForChange,
  pinnedDigest,
  statusDigest,
  workloadKey,
} from './workloads.js';

export type Scanners = ReadonlySet<'vuln' | 'secret'>;

export interface OperatorOptions {
  scanner: ImageScanner;
  cache: DigestCache;
  /** The current advisory database build; undefined without vuln scanning. */
  databaseBuild?: () => { builtAt: string; checkedAt: string };
  scanners: Scanners;
  /**
   * SbomReports too (Trivy Operator's sbomGenerationEnabled; the CLI's default is on). The
   * scanner must keep every package (PipelineScanner's includePackages).
   */
  sbom?: boolean;
  /** Namespaces to watch; empty: all. */
  namespaces?: readonly string[];
  /** Namespaces never reported (default kube-system). */
  excludeNamespaces?: readonly string[];
  /** Concurrent image scans (default 2). */
  concurrency?: number;
  /** Concurrent reconciles (default 4). */
  reconcileWorkers?: number;
  /** Most owner keys queued (default 50 000). */
  maxQueue?: number;
  /** Most digests waiting for a scan (default 10 000). */
  maxPendingScans?: number;
  /** Rescan a digest when its result is this old; 0: never (default 24 h). */
  rescanIntervalMs?: number;
  /** Rescans start after a per-digest delay in [0, jitter) (default 10 min). */
  rescanJitterMs?: number;
  /** Rescans per minute (default 60); 0: unlimited. */
  rescanPerMinute?: number;
  /** How often the database build and due rescans are checked (default 60 s). */
  tickMs?: number;
  /** Informer resync: every owner reconciled again (default 10 min). */
  resyncMs?: number;
  /** Tag → digest resolutions are reused this long (default 5 min). */
  resolveTtlMs?: number;
  skipInitContainers?: boolean;
  /** Report size cap, bytes (the builders' default when unset). */
  reportMaxBytes?: number;
  /** Registry options for digest resolution. */
  insecureRegistry?: boolean;
  scannerInfo?: { name: string; vendor: string; version: string };
  logger?: Logger;
}

export interface OperatorStats {
  reconciles: number;
  reconcileErrors: number;
  registryResolutions: number;
  statusResolutions: number;
  secretReads: number;
}

type Secret = Wire<V1Secret>;
type ServiceAccount = Wire<V1ServiceAccount>;
type AnyInformer = Informer<WorkloadObject>;

const KIND_RESOURCES: Record<WatchedKind, ResourceType<WorkloadObject>> = {
  Pod: Pods,
  ReplicaSet: ReplicaSets,
  ReplicationController: ReplicationControllers,
  Deployment: Deployments,
  StatefulSet: StatefulSets,
  DaemonSet: DaemonSets,
  Job: Jobs,
  CronJob: CronJobs,
};

const REPORT_SELECTOR = `${LABEL_MANAGED_BY}=palisade`;

/** The owner key a report belongs to, from its labels (or the name annotation for long names). */
function reportOwnerKey(r: ReportObject): string | undefined {
  const l = r.metadata.labels ?? {};
  const kind = l[LABEL_RESOURCE_KIND];
  const ns = l[LABEL_RESOURCE_NAMESPACE] ?? r.metadata.namespace;
  const name = l[LABEL_RESOURCE_NAME] ?? r.metadata.annotations?.[LABEL_RESOURCE_NAME];
  return kind && name ? workloadKey(kind, ns, name) : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A small map with a time-to-live per entry and a size bound (oldest dropped first). */
class TtlCache<V> {
  private readonly m = new Map<string, { v: V; at: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}
  get(k: string, now: number): V | undefined {
    const e = this.m.get(k);
    if (!e) return undefined;
    if (now - e.at > this.ttlMs) {
      this.m.delete(k);
      return undefined;
    }
    return e.v;
  }
  set(k: string, v: V, now: number): void {
    this.m.delete(k);
    this.m.set(k, { v, at: now });
    if (this.m.size > this.max) this.m.delete(this.m.keys().next().value as string);
  }
}

export class Operator {
  readonly stats: OperatorStats = {
    reconciles: 0,
    reconcileErrors: 0,
    registryResolutions: 0,
    statusResolutions: 0,
    secretReads: 0,
  };
  readonly queue: WorkQueue;
  readonly writer: ReportWriter;
  readonly scans: ScanService;
  private readonly o: OperatorOptions;
  private readonly log: Logger;
  private readonly scopes: (string | undefined)[];
  private readonly exclude: Set<string>;
  private readonly informers = new Map<WatchedKind, AnyInformer[]>();
  private readonly reportInformers: {
    resource: ResourceType<ReportObject>;
    informers: Informer<ReportObject>[];
  }[] = [];
  /** namespace/controllerUid → pod name → Pod */
  private readonly podsByController = new Map<string, Map<string, Pod>>();
  /** namespace/deploymentUid → rs name → ReplicaSet */
  private readonly rsByDeployment = new Map<string, Map<string, WorkloadObject>>();
  /** report kind → owner key → report name → report */
  private readonly reportIndex = new Map<string, Map<string, Map<string, ReportObject>>>();
  private readonly resolved: TtlCache<string>;
  private readonly secrets = new TtlCache<PullCredential[]>(60_000, 10_000);
  private readonly serviceAccounts = new TtlCache<string[]>(60_000, 10_000);
  private synced = false;
  private readonly scannerKey: string;

  constructor(
    private readonly client: KubeClient,
    opts: OperatorOptions,
  ) {
    this.o = opts;
    this.log = (opts.logger ?? nullLogger).child({ component: 'operator' });
    this.scopes = opts.namespaces && opts.namespaces.length > 0 ? [...opts.namespaces] : [undefined];
    this.exclude = new Set(opts.excludeNamespaces ?? ['kube-system']);
    this.queue = new WorkQueue({ maxSize: opts.maxQueue ?? 50_000 });
    this.writer = new ReportWriter(client);
    this.resolved = new TtlCache(opts.resolveTtlMs ?? 5 * 60_000, 100_000);
    this.scannerKey = [...opts.scanners].sort().join(',') + (opts.sbom ? ',sbom' : '');
    this.scans = new ScanService({
      scanner: opts.scanner,
      cache: opts.cache,
      scanners: this.scannerKey,
      concurrency: opts.concurrency ?? 2,
      maxPending: opts.maxPendingScans ?? 10_000,
      rescanIntervalMs: opts.rescanIntervalMs ?? 24 * 3_600_000,
      rescanJitterMs: opts.rescanJitterMs ?? 10 * 60_000,
      rescanPerMinute: opts.rescanPerMinute ?? 60,
      notify: (keys) => {
        for (const k of keys) this.queue.add(k);
      },
      logger: this.log,
    });
  }

  /** True once every informer has listed and the first reconciles were queued. */
  hasSynced(): boolean {
    return this.synced;
  }

  private accepts(ns: string | undefined): boolean {
    return ns !== undefined && !this.exclude.has(ns);
  }

  private readonly view: ClusterView = {
    get: (kind, namespace, name) => {
      for (const inf of this.informers.get(kind) ?? []) {
        const o = inf.get(name, namespace);
        if (o) return o;
      }
      return undefined;
    },
    podsOf: (namespace, uid) => [...(this.podsByController.get(`${namespace}/${uid}`)?.values() ?? [])],
    replicaSetsOf: (namespace, uid) => [...(this.rsByDeployment.get(`${namespace}/${uid}`)?.values() ?? [])],
  };

  private indexChild<T extends WorkloadObject>(
    idx: Map<string, Map<string, T>>,
    obj: T,
    remove: boolean,
    kind?: string,
  ): void {
    const ctl = controllerOf(obj);
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    if (!ctl || (kind && ctl.kind !== kind)) return;
    const k = `${ns}/${ctl.uid}`;
    let m = idx.get(k);
    if (remove) {
      m?.delete(name);
      if (m && m.size === 0) idx.delete(k);
      return;
    }
    if (!m) idx.set(k, (m = new Map<string, T>()));
    m.set(name, obj);
  }

  private enqueueFor(kind: WatchedKind, obj: WorkloadObject): void {
    if (!this.accepts(obj.metadata?.namespace)) return;
    for (const k of keysForChange(kind, obj, this.view)) this.queue.add(k);
  }

  private workloadHandler(kind: WatchedKind): InformerEventHandler<WorkloadObject> {
    const index = (obj: WorkloadObject, remove: boolean): void => {
      if (kind === 'Pod') {
        // A Pod that moved controllers (rare) leaves a stale entry until it is deleted; harmless.
        this.indexChild(this.podsByController, obj as Pod, remove);
      } else if (kind === 'ReplicaSet') this.indexChild(this.rsByDeployment, obj, remove, 'Deployment');
    };
    return {
      onAdd: (obj) => {
        index(obj, false);
        this.enqueueFor(kind, obj);
      },
      onUpdate: (oldObj, newObj) => {
        if (oldObj !== newObj) index(oldObj, true);
        index(newObj, false);
        this.enqueueFor(kind, newObj);
      },
      onDelete: (obj) => {
        index(obj, true);
        this.enqueueFor(kind, obj);
      },
    };
  }

  private reportHandler(kind: string): InformerEventHandler<ReportObject> {
    let byOwner = this.reportIndex.get(kind);
    if (!byOwner) this.reportIndex.set(kind, (byOwner = new Map<string, Map<string, ReportObject>>()));
    const idx = byOwner;
    const put = (r: ReportObject, remove: boolean): string | undefined => {
      const key = reportOwnerKey(r);
      if (!key) return undefined;
      let m = idx.get(key);
      if (remove) {
        // Only drop the entry when it is still this object (a re-create may have replaced it).
        if (m?.get(r.metadata.name)?.metadata.uid === r.metadata.uid) m?.delete(r.metadata.name);
        if (m && m.size === 0) idx.delete(key);
      } else {
        if (!m) idx.set(key, (m = new Map<string, ReportObject>()));
        m.set(r.metadata.name, r);
      }
      return key;
    };
    return {
      onAdd: (r) => {
        const key = put(r, false);
        // The echo of this operator's own create needs no reconcile: that reconcile wrote it.
        if (key && !this.writer.consumeOwnWrite(kind, r)) this.queue.add(key);
      },
      onUpdate: (_o, r) => {
        put(r, false);
        this.writer.consumeOwnWrite(kind, r);
      },
      onDelete: (r) => {
        const key = put(r, true);
        if (key && this.synced) this.queue.add(key);
      },
    };
  }

  private existingReports(kind: string, key: string): Map<string, ReportObject> {
    return this.reportIndex.get(kind)?.get(key) ?? new Map<string, ReportObject>();
  }

  // --- credentials and digests ---------------------------------------------------------------

  private async secretCredentials(namespace: string, name: string): Promise<PullCredential[]> {
    const k = `${namespace}/${name}`;
    const now = Date.now();
    const hit = this.secrets.get(k, now);
    if (hit) return hit;
    let creds: PullCredential[] = [];
    try {
      this.stats.secretReads++;
      const s: Secret = await this.client.get(Secrets, name, namespace);
      const parsed = credentialsFromSecret(s);
      for (const p of parsed.problems) this.log.warn({ secret: k }, p);
      creds = parsed.credentials;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.isNotFound)) throw err;
      this.log.warn({ secret: k }, 'image pull secret not found');
    }
    this.secrets.set(k, creds, now);
    return creds;
  }

  private async serviceAccountSecrets(namespace: string, name: string): Promise<string[]> {
    const k = `${namespace}/${name}`;
    const now = Date.now();
    const hit = this.serviceAccounts.get(k, now);
    if (hit) return hit;
    let names: string[] = [];
    try {
      const sa: ServiceAccount = await this.client.get(ServiceAccounts, name, namespace);
      names = (sa.imagePullSecrets ?? []).map((r) => r.name ?? '').filter((n) => n !== '');
    } catch (err) {
      if (!(err instanceof KubeApiError && err.isNotFound)) throw err;
    }
    this.serviceAccounts.set(k, names, now);
    return names;
  }

  /** Credentials of the pod spec's imagePullSecrets, then of its service account's. */
  private async pullCredentials(w: DesiredWorkload): Promise<PullCredential[]> {
    const ns = w.ref.namespace;
    const names = (w.spec.imagePullSecrets ?? []).map((r) => r.name ?? '').filter((n) => n !== '');
    const sa = w.spec.serviceAccountName || w.spec.serviceAccount || 'default';
    for (const n of await this.serviceAccountSecrets(ns, sa)) if (!names.includes(n)) names.push(n);
    const out: PullCredential[] = [];
    for (const n of names) out.push(...(await this.secretCredentials(ns, n)));
    return out;
  }

  private async registryDigest(image: string, cred: PullCredential | undefined): Promise<string> {
    const ref = parseReference(image);
    const k = `${cred?.source ?? ''}|${formatReference(ref)}`;
    const now = Date.now();
    const hit = this.resolved.get(k, now);
    if (hit) return hit;
    this.stats.registryResolutions++;
    const client = new RegistryClient(ref, {
      insecure: this.o.insecureRegistry,
      credentials: cred
        ? { username: cred.username, password: cred.password, source: cred.source }
        : undefined,
      logger: this.log,
      retries: 1,
    });
    const tag = ref.tag ?? 'latest';
    const digest = (await client.headManifest(tag)) ?? (await client.getManifest(tag)).digest;
    this.resolved.set(k, digest, now);
    return digest;
  }

  // --- reconcile -----------------------------------------------------------------------------

  /** Brings the reports of one owner key in line with the cluster. */
  async reconcile(key: string): Promise<void> {
    this.stats.reconciles++;
    const w = desiredWorkload(key, this.view);
    // Both kinds are always reconciled, so turning a scanner off deletes its reports.
    const kinds: {
      kind: string;
      resource: ResourceType<ReportObject>;
      build: 'vuln' | 'secret' | 'sbom';
      enabled: boolean;
    }[] = [
      {
        kind: 'VulnerabilityReport',
        resource: VulnerabilityReports as unknown as ResourceType<ReportObject>,
        build: 'vuln',
        enabled: this.o.scanners.has('vuln'),
      },
      {
        kind: 'ExposedSecretReport',
        resource: ExposedSecretReports as unknown as ResourceType<ReportObject>,
        build: 'secret',
        enabled: this.o.scanners.has('secret'),
      },
      {
        kind: 'SbomReport',
        resource: SbomReports as unknown as ResourceType<ReportObject>,
        build: 'sbom',
        enabled: this.o.sbom ?? false,
      },
    ];
    const desired = new Map<string, Map<string, ReportObject | 'keep'>>(
      kinds.map((k) => [k.kind, new Map()]),
    );
    let retry = false;
    if (w && this.accepts(w.ref.namespace)) {
      const targets: ScanTarget[] = [];
      let creds: PullCredential[] | undefined;
      // Of the full spec even when the cache keeps a slim Pod (pod-cache.ts).
      const specHash = podSpecHash(w.spec);
      for (const c of containerImages(w.spec, this.o.skipInitContainers ?? false)) {
        const name = containerReportName(w.ref.kind, w.ref.name, c.container);
        let digest = pinnedDigest(c.image) ?? statusDigest(w.pods, c.container, c.image);
        if (digest) this.stats.statusResolutions++;
        let cred: PullCredential | undefined;
        try {
          creds ??= await this.pullCredentials(w);
          cred = credentialFor(c.image, creds);
          digest ??= await this.registryDigest(c.image, cred);
        } catch (err) {
          this.log.warn({ key, image: c.image, err: errorMessage(err) }, 'cannot resolve the image digest');
          retry = true;
        }
        if (!digest) {
          for (const k of kinds) if (k.enabled) desired.get(k.kind)?.set(name, 'keep');
          continue;
        }
        const ref = parseReference(c.image);
        const target: ScanTarget = {
          digest,
          reference: `${ref.domain}/${ref.path}@${digest}`,
          ...(cred ? { username: cred.username, password: cred.password } : {}),
        };
        targets.push(target);
        const { scan } = this.scans.result(target);
        for (const k of kinds) {
          if (!k.enabled) continue;
          if (!scan) {
            desired.get(k.kind)?.set(name, 'keep');
            continue;
          }
          const opts = {
            workload: w.ref,
            container: c.container,
            image: c.image,
            imageDigest: digest,
            resourceSpecHash: specHash,
            scanner: this.o.scannerInfo ?? DEFAULT_SCANNER,
            now: new Date(scan.scannedAt),
            ...(this.o.reportMaxBytes ? { maxBytes: this.o.reportMaxBytes } : {}),
          };
          const obj =
            k.build === 'vuln'
              ? buildVulnerabilityReport(scan.report, opts)
              : k.build === 'secret'
                ? buildExposedSecretReport(scan.report, opts)
                : buildSbomReport(scan.report, opts);
          // No SbomReport for an image without packages (as Trivy Operator).
          if (obj) desired.get(k.kind)?.set(name, obj as unknown as ReportObject);
        }
      }
      this.scans.setUsage(key, targets);
    } else {
      this.scans.setUsage(key, []);
    }
    for (const k of kinds) {
      const want = desired.get(k.kind) ?? new Map<string, ReportObject | 'keep'>();
      const have = this.existingReports(k.kind, key);
      for (const [name, obj] of want) {
        if (obj === 'keep') continue;
        await this.writer.apply(k.resource, obj, have.get(name));
      }
      for (const [name, obj] of [...have]) if (!want.has(name)) await this.writer.remove(k.resource, obj);
    }
    if (retry) throw new Error('some image digests could not be resolved');
  }

  private async reconcileWorker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined || signal.aborted) {
        if (key !== undefined) this.queue.done(key);
        return;
      }
      try {
        await this.reconcile(key);
        this.queue.forget(key);
      } catch (err) {
        this.stats.reconcileErrors++;
        this.log.warn({ key, err: errorMessage(err) }, 'reconcile failed; retrying');
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private tick(): void {
    if (this.o.databaseBuild) {
      try {
        const b = this.o.databaseBuild();
        if (this.scans.setBuild(b.builtAt)) {
          this.log.info({ builtAt: b.builtAt }, 'advisory database build changed; rescanning digests in use');
          this.o.cache.prune(this.scannerKey, b.builtAt);
        }
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, 'cannot read the advisory database');
      }
    }
    this.scans.sweep();
  }

  /** Runs until the signal aborts (the caller holds the leader Lease). */
  async run(signal: AbortSignal): Promise<void> {
    // One listener per informer, worker and timer: more than Node's default warning threshold.
    setMaxListeners(64 + (this.o.reconcileWorkers ?? 4) + (this.o.concurrency ?? 2), signal);
    if (this.o.databaseBuild) this.scans.setBuild(this.o.databaseBuild().builtAt);
    const resync = this.o.resyncMs ?? 10 * 60_000;
    const runs: Promise<void>[] = [];
    for (const kind of Object.keys(KIND_RESOURCES) as WatchedKind[]) {
      const list: AnyInformer[] = [];
      for (const ns of this.scopes) {
        const inf = new Informer<WorkloadObject>(this.client, KIND_RESOURCES[kind], {
          ...(ns ? { namespace: ns } : {}),
          resyncPeriodMs: resync,
          // Cache only what is read: Pods are slimmed to a few fields, other kinds lose the
          // server's bookkeeping (their pod template is hashed whole, so it stays).
          transform: kind === 'Pod' ? (o) => slimPod(o as Pod) : stripServerBookkeeping,
          logger: this.log,
        });
        inf.addEventHandler(this.workloadHandler(kind));
        list.push(inf);
      }
      this.informers.set(kind, list);
    }
    const reportKinds: [string, ResourceType<ReportObject>][] = [
      ['VulnerabilityReport', VulnerabilityReports as unknown as ResourceType<ReportObject>],
    ];
    // Exposed secret reports are watched either way, so turning secret scanning off removes them.
    reportKinds.push(['ExposedSecretReport', ExposedSecretReports as unknown as ResourceType<ReportObject>]);
    // SbomReports only when enabled (turning it off leaves existing ones to the garbage collector).
    if (this.o.sbom) reportKinds.push(['SbomReport', SbomReports as unknown as ResourceType<ReportObject>]);
    for (const [kind, resource] of reportKinds) {
      const informers: Informer<ReportObject>[] = [];
      for (const ns of this.scopes) {
        const inf = new Informer<ReportObject>(this.client, resource, {
          ...(ns ? { namespace: ns } : {}),
          labelSelector: REPORT_SELECTOR,
          // Bodies are replaced by their hash as they arrive (report-writer.ts).
          transform: slimReport,
          logger: this.log,
        });
        inf.addEventHandler(this.reportHandler(kind));
        informers.push(inf);
      }
      this.reportInformers.push({ resource, informers });
    }
    const all: Informer<KubeObject>[] = [
      ...[...this.informers.values()].flat(),
      ...this.reportInformers.flatMap((r) => r.informers),
    ] as Informer<KubeObject>[];
    for (const inf of all) runs.push(inf.run(signal));
    const ok = (await Promise.all(all.map((i) => i.waitForSync(signal)))).every(Boolean);
    if (!ok || signal.aborted) {
      await Promise.all(runs);
      return;
    }
    this.synced = true;
    this.log.info({ queued: this.queue.length }, 'caches synced; reconciling');
    const onAbort = (): void => this.queue.shutDown();
    signal.addEventListener('abort', onAbort, { once: true });
    const workers = Array.from({ length: this.o.reconcileWorkers ?? 4 }, () => this.reconcileWorker(signal));
    const scanRun = this.scans.run(signal);
    const ticker = (async () => {
      while (!signal.aborted) {
        await sleep(this.o.tickMs ?? 60_000, signal);
        if (!signal.aborted) this.tick();
      }
    })();
    await Promise.all([...workers, scanRun, ticker, ...runs]);
    signal.removeEventListener('abort', onAbort);
    this.log.info({ ...this.stats, writes: this.writer.stats }, 'operator stopped');
  }

  /** Reports with the reduced mark, for logs and tests. */
  static findingsKept(r: ReportObject): string | undefined {
    return r.metadata.annotations?.[ANNOTATION_FINDINGS_KEPT];
  }
}
