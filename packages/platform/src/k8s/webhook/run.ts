/**
 * The webhook as a running component: informers for policies and namespaces, the policy set,
 * self-managed certificates, the HTTPS server, PolicyReports from admission results, and the
 * URL-based webhook configurations pointing at this process (kept equal to the policies, with
 * compare-before-write; removed on stop), and the background scan of existing resources into the
 * same reports. `palisade webhook` and the end-to-end tests use it.
 */
import { nullLogger, type Logger } from '../../core/logger.js';
import {
  KubeApiError,
  MutatingWebhookConfigurations,
  Namespaces,
  SharedInformerFactory,
  ValidatingWebhookConfigurations,
  type KubeClient,
} from '../client/index.js';
import { BackgroundScanner } from '../background/scanner.js';
import { PolicyReportWriter } from '../policyreports/aggregator.js';
import { FileCerts, SelfManagedCerts, type CertProvider, type FileCertsOptions } from './certsource.js';
import { discoverResources, webhookConfigurations, type DiscoveredResource } from './config.js';
import { celResourcesFrom, ClusterPolicySource } from './policies.js';
import type { FailurePolicy, WebhookPolicySet } from './policyset.js';
import { WebhookServer } from './server.js';

type Obj = Record<string, unknown>;

export interface RunWebhookOptions {
  client: KubeClient;
  host?: string;
  port?: number;
  /** Name of the webhook configurations; default `palisade`. */
  name?: string;
  ownNamespace?: string;
  /** Register the configurations (default true); false: serve only. */
  register?: boolean;
  /** Write PolicyReports (default true). */
  reports?: boolean;
  reportFlushMs?: number;
  debounceMs?: number;
  logger?: Logger;
  /** How often certificates are checked (renewal, the shared Secret, changed files); default 1 minute. */
  certCheckMs?: number;
  /** In-cluster: the configurations name this Service instead of a URL (and stay on stop). */
  service?: { namespace: string; name: string; port?: number };
  /** Address to listen on when it differs from `host` (in-cluster: 0.0.0.0). */
  listenHost?: string;
  /** failurePolicy / timeoutSeconds of policies that set none. */
  failurePolicy?: FailurePolicy;
  timeoutSeconds?: number;
  /** Namespaces never intercepted, in addition to kube-system and ownNamespace. */
  excludeNamespaces?: readonly string[];
  /** Certificates from files (reloaded on change) instead of self-managed ones. */
  tlsFiles?: FileCertsOptions;
  /** Self-managed certificates shared through this Secret. */
  certSecret?: { namespace: string; name: string };
  /** Self-managed certificate lifetimes (default 30 days / 1 year). */
  servingValidityMs?: number;
  caValidityMs?: number;
  /**
   * In-cluster: the ClusterRole (the chart's own) that owns the configurations, so that deleting
   * the release lets the garbage collector remove them instead of leaving a webhook with no
   * Service behind (which, with Fail, would deny every matching request).
   */
  ownerClusterRole?: string;
  /**
   * Background scan of existing resources into the PolicyReports (needs `reports`): a full rescan
   * every `intervalMs` (default 1 hour; 0: only on changes), at most `ratePerSecond` evaluations per
   * second (default 100). false: no background scan.
   */
  background?: false | { intervalMs?: number; ratePerSecond?: number };
}

export interface RunningWebhook {
  url: string;
  port: number;
  server: WebhookServer;
  policies: ClusterPolicySource;
  reports: PolicyReportWriter | undefined;
  background: BackgroundScanner | undefined;
  caPem: () => string;
  servingPem: () => string;
  /** Waits until the registered configurations reflect the current policy set. */
  settled: () => Promise<void>;
  /** Drains, removes the configurations (unless keepConfigurations), stops informers. */
  stop: (o?: { drainMs?: number; keepConfigurations?: boolean }) => Promise<number>;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function upsert(
  client: KubeClient,
  r: typeof ValidatingWebhookConfigurations | typeof MutatingWebhookConfigurations,
  desired: Obj,
): Promise<boolean> {
  const name = (desired['metadata'] as { name: string }).name;
  let existing: Obj | undefined;
  try {
    existing = await client.get(r, name);
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 404)) throw err;
  }
  if (!existing) {
    await client.create(r, desired);
    return true;
  }
  const md = existing['metadata'] as {
    labels?: unknown;
    ownerReferences?: unknown;
    resourceVersion?: string;
  };
  const want = desired['metadata'] as Obj;
  if (
    sameJson(existing['webhooks'] ?? [], desired['webhooks']) &&
    sameJson(md.labels, want['labels']) &&
    sameJson(md.ownerReferences, want['ownerReferences'])
  )
    return false;
  await client.replace(r, {
    ...desired,
    metadata: { ...(desired['metadata'] as Obj), resourceVersion: md.resourceVersion },
  } as never);
  return true;
}

export async function runWebhook(o: RunWebhookOptions): Promise<RunningWebhook> {
  const log = (o.logger ?? nullLogger).child({ component: 'webhook' });
  const host = o.host ?? '127.0.0.1';
  const ac = new AbortController();
  const factory = new SharedInformerFactory(o.client, { logger: log });
  const reports =
    o.reports === false
      ? undefined
      : new PolicyReportWriter(o.client, { flushMs: o.reportFlushMs ?? 1000, logger: log });
  let discovery: DiscoveredResource[] = [];
  let registerChain: Promise<void> = Promise.resolve();
  const svc = o.service;
  const hosts = svc
    ? [
        svc.name,
        `${svc.name}.${svc.namespace}`,
        `${svc.name}.${svc.namespace}.svc`,
        `${svc.name}.${svc.namespace}.svc.cluster.local`,
      ]
    : [host, 'localhost'];
  let certs: CertProvider;
  if (o.tlsFiles) {
    const f = new FileCerts(o.tlsFiles);
    await f.load();
    certs = f;
  } else {
    certs = new SelfManagedCerts({
      hosts,
      client: o.client,
      ...(o.certSecret ? { secret: o.certSecret } : {}),
      ...(o.servingValidityMs !== undefined ? { servingValidityMs: o.servingValidityMs } : {}),
      ...(o.caValidityMs !== undefined ? { caValidityMs: o.caValidityMs } : {}),
      logger: log,
    });
    await certs.refresh();
  }
  let owner: { apiVersion: string; kind: string; name: string; uid: string } | undefined;
  if (o.ownerClusterRole) {
    const role = await o.client.request<{ metadata?: { uid?: string } }>(
      'GET',
      `/apis/rbac.authorization.k8s.io/v1/clusterroles/${encodeURIComponent(o.ownerClusterRole)}`,
    );
    const uid = role.metadata?.uid;
    if (uid)
      owner = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        name: o.ownerClusterRole,
        uid,
      };
  }
  const own = o.ownNamespace ?? 'palisade';
  const excludeNamespaces = [...new Set(['kube-system', own, ...(o.excludeNamespaces ?? [])])];
  let url = '';
  const register = (set: WebhookPolicySet): void => {
    if (o.register === false || (!url && !svc)) return;
    registerChain = registerChain.then(async () => {
      try {
        const opts = (): Parameters<typeof webhookConfigurations>[2] => ({
          ...(o.name ? { name: o.name } : {}),
          client: svc ? { service: svc } : { url },
          caBundlePem: certs.caBundlePem(),
          ownNamespace: own,
          excludeNamespaces,
          ...(owner ? { owner } : {}),
        });
        const g = webhookConfigurations(set, discovery, opts());
        if (g.unknownKinds.length) {
          discovery = await discoverResources(o.client);
          Object.assign(g, webhookConfigurations(set, discovery, opts()));
        }
        const v = await upsert(o.client, ValidatingWebhookConfigurations, g.validating);
        const m = await upsert(o.client, MutatingWebhookConfigurations, g.mutating);
        const changed = v || m;
        if (changed) log.info({ generation: set.generation }, 'webhook configurations updated');
        if (g.unknownKinds.length) log.warn({ kinds: g.unknownKinds }, 'kinds the apiserver does not serve');
      } catch (err) {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'registering webhooks failed');
      }
    });
  };
  discovery = await discoverResources(o.client);
  const background =
    reports && o.background !== false
      ? new BackgroundScanner({
          client: o.client,
          sink: reports,
          discovery: () => discovery,
          namespaceLabels: (n) => policies.namespaceLabels(n),
          excludeNamespaces,
          logger: log,
          ...(o.background?.intervalMs !== undefined ? { intervalMs: o.background.intervalMs } : {}),
          ...(o.background?.ratePerSecond !== undefined ? { ratePerSecond: o.background.ratePerSecond } : {}),
        })
      : undefined;
  const policies = new ClusterPolicySource(factory, {
    celResources: celResourcesFrom(discovery),
    debounceMs: o.debounceMs ?? 100,
    logger: log,
    defaults: {
      ...(o.failurePolicy ? { failurePolicy: o.failurePolicy } : {}),
      ...(o.timeoutSeconds !== undefined ? { timeoutSeconds: o.timeoutSeconds } : {}),
    },
    onChange: (set) => {
      register(set);
      background?.onPolicies(set);
    },
    onDiagnostics: (ds) => {
      for (const d of ds) log.warn({ code: d.code, message: d.message }, 'policy diagnostic');
    },
  });
  if (background)
    factory.informerFor(Namespaces).addEventHandler({
      onUpdate: (a, b) => {
        const name = b.metadata?.name;
        if (name && JSON.stringify(a.metadata?.labels ?? {}) !== JSON.stringify(b.metadata?.labels ?? {}))
          background.rescanNamespace(name);
      },
    });
  factory.start(ac.signal);
  await policies.sync(ac.signal);

  const server = new WebhookServer({
    host: o.listenHost ?? host,
    port: o.port ?? 0,
    tls: certs.serving(),
    deps: { policies: policies.current, namespaceLabels: policies.namespaceLabels },
    ready: policies.ready,
    logger: log,
    onOutcome: (outcome, endpoint) => {
      if (!reports || outcome.dryRun || !endpoint.startsWith('validate')) return;
      const body = outcome.body as { response?: { allowed?: boolean } };
      if (body.response?.allowed) reports.record(outcome.responses, 'admission review');
    },
  });
  const port = await server.listen();
  url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  register(policies.current());
  let certCheck: Promise<void> = Promise.resolve();
  const certTimer = setInterval(() => {
    certCheck = certCheck.then(async () => {
      try {
        if (await certs.refresh()) {
          server.setTls(certs.serving());
          register(policies.current());
          log.info({}, 'webhook certificates changed');
        }
      } catch (err) {
        // keep serving the certificates in use (a half-written file, the apiserver away)
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'certificate refresh failed');
      }
    });
  }, o.certCheckMs ?? 60_000);
  certTimer.unref();
  log.info({ url }, 'webhook serving');

  return {
    url,
    port,
    server,
    policies,
    reports,
    background,
    caPem: () => certs.caBundlePem(),
    servingPem: () => certs.serving().certPem,
    settled: async () => {
      await new Promise((r) => setTimeout(r, (o.debounceMs ?? 100) + 20));
      await registerChain;
    },
    stop: async (so = {}) => {
      clearInterval(certTimer);
      await certCheck;
      policies.stop();
      await registerChain;
      // in-cluster, other replicas (and the next Pod of a rolling update) still serve them
      if (o.register !== false && !(so.keepConfigurations ?? svc !== undefined)) {
        const name = o.name ?? 'palisade';
        for (const r of [ValidatingWebhookConfigurations, MutatingWebhookConfigurations]) {
          try {
            await o.client.delete(r, name);
          } catch (err) {
            if (!(err instanceof KubeApiError && err.status === 404))
              log.warn({ err: err instanceof Error ? err.message : String(err) }, 'removing webhook failed');
          }
        }
      }
      const left = await server.close(so.drainMs ?? 10_000);
      await background?.stop();
      ac.abort();
      await reports?.close();
      await factory.done();
      return left;
    },
  };
}
