/**
 * The Prometheus exporter: metrics computed from report objects (VulnerabilityReport,
 * ConfigAuditReport, ExposedSecretReport, PolicyReport, ClusterPolicyReport) held in informer
 * caches. It never calls a scanner or the engines, and a scrape never calls the apiserver: each
 * gauge is rebuilt from the caches when Prometheus scrapes (as Trivy Operator's collector does),
 * so a deleted report's series disappear at the next scrape without finalizers.
 *
 * Metric names and labels are those of:
 * - starboard-exporter (giantswarm): `starboard_exporter_vulnerabilityreport_image_vulnerability_severity_count`,
 *   the opt-in per-CVE `starboard_exporter_vulnerabilityreport_image_vulnerability` (value: CVSS score),
 *   `starboard_exporter_configauditreport_resource_checks_summary_count`;
 * - Trivy Operator (optional): `trivy_image_vulnerabilities`, `trivy_image_exposedsecrets`,
 *   `trivy_resource_configaudits`;
 * - policy-reporter: `policy_report_result` and `cluster_policy_report_result` (value 1 per result).
 */
import type {
  ClusterPolicyReport,
  ConfigAuditReport,
  ExposedSecretReport,
  PolicyReport,
  VulnerabilityReport,
} from '@palisade/api';
import { Gauge, Registry } from 'prom-client';
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/logger.js';
import { Informer, SharedInformerFactory, stripServerBookkeeping } from '../k8s/client/informer.js';
import type { KubeObject } from '../k8s/client/resources.js';
import type { KubeClient } from '../k8s/client/rest.js';
import {
  ClusterPolicyReports,
  ConfigAuditReports,
  ExposedSecretReports,
  PolicyReports,
  VulnerabilityReports,
} from '../k8s/reports/resources.js';

export interface ExporterOptions {
  /** Only reports in this namespace; default all namespaces. */
  namespace?: string;
  /** The per-CVE series (one per vulnerability and report: high cardinality); default off. */
  vulnerabilityDetails?: boolean;
  /** Trivy Operator's `trivy_*` metric names as well; default off. */
  trivyMetrics?: boolean;
  /** PolicyReport/ClusterPolicyReport results (policy-reporter's names); default on. */
  policyReports?: boolean;
  logger?: Logger;
}

/** Label names, in upstream's order. */
export const STARBOARD_SUMMARY_LABELS = [
  'report_name',
  'image_namespace',
  'image_registry',
  'image_repository',
  'image_tag',
  'image_digest',
  'severity',
] as const;
export const STARBOARD_DETAIL_LABELS = [
  ...STARBOARD_SUMMARY_LABELS,
  'vulnerability_id',
  'vulnerable_resource_name',
  'installed_resource_version',
  'fixed_resource_version',
  'vulnerability_title',
  'vulnerability_link',
] as const;
export const STARBOARD_CONFIG_AUDIT_LABELS = [
  'report_name',
  'resource_name',
  'resource_namespace',
  'severity',
] as const;
export const TRIVY_IMAGE_LABELS = [
  'namespace',
  'name',
  'resource_kind',
  'resource_name',
  'container_name',
  'image_registry',
  'image_repository',
  'image_tag',
  'image_digest',
  'severity',
] as const;
export const TRIVY_CONFIG_AUDIT_LABELS = [
  'namespace',
  'name',
  'resource_kind',
  'resource_name',
  'severity',
] as const;
export const POLICY_REPORT_RESULT_LABELS = [
  'namespace',
  'rule',
  'policy',
  'report',
  'kind',
  'name',
  'status',
  'severity',
  'category',
  'source',
] as const;
export const CLUSTER_POLICY_REPORT_RESULT_LABELS = POLICY_REPORT_RESULT_LABELS.filter(
  (l) => l !== 'namespace',
);

type Summary = Record<string, number | undefined>;

/** starboard-exporter's severities (upper case) → summary field. */
const STARBOARD_SEVERITIES: [string, string][] = [
  ['CRITICAL', 'criticalCount'],
  ['HIGH', 'highCount'],
  ['MEDIUM', 'mediumCount'],
  ['LOW', 'lowCount'],
  ['UNKNOWN', 'unknownCount'],
];
/** Trivy Operator's severities (capitalised) → summary field. */
const TRIVY_SEVERITIES: [string, string][] = [
  ['Critical', 'criticalCount'],
  ['High', 'highCount'],
  ['Medium', 'mediumCount'],
  ['Low', 'lowCount'],
  ['Unknown', 'unknownCount'],
];

function nsName(o: { metadata: { namespace?: string; name?: string } }): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

function label(o: { metadata: { labels?: Record<string, string> } }, key: string): string {
  return o.metadata.labels?.[key] ?? '';
}

/**
 * The cache transform for reports whose metrics read only labels and `report.summary` (and, for
 * image reports, the registry and artifact): drops the findings (`vulnerabilities`, `secrets`,
 * `checks`), the scanner and the server's bookkeeping. A VulnerabilityReport with a few hundred
 * findings is tens of kilobytes; what the summary metrics read is a few hundred bytes. Not used
 * for VulnerabilityReports when the per-CVE series is on (it reads every finding).
 */
export function summaryOnly<T extends KubeObject>(obj: T): T {
  const stripped = stripServerBookkeeping(obj);
  const r = (obj as { report?: { summary?: unknown; registry?: unknown; artifact?: unknown } }).report;
  if (!r) return stripped;
  const report: Record<string, unknown> = {};
  if (r.summary !== undefined) report['summary'] = r.summary;
  if (r.registry !== undefined) report['registry'] = r.registry;
  if (r.artifact !== undefined) report['artifact'] = r.artifact;
  return { ...stripped, report };
}

export class ReportExporter {
  readonly registry = new Registry();
  private readonly factory: SharedInformerFactory;
  private readonly vulns: Informer<VulnerabilityReport>;
  private readonly audits: Informer<ConfigAuditReport>;
  private readonly secrets: Informer<ExposedSecretReport> | undefined;
  private readonly policies: Informer<PolicyReport> | undefined;
  private readonly clusterPolicies: Informer<ClusterPolicyReport> | undefined;
  /** Informers with a cache transform (the factory takes none), started and synced with it. */
  private readonly own: Informer<VulnerabilityReport | ConfigAuditReport | ExposedSecretReport>[] = [];
  private started = false;

  constructor(client: KubeClient, opts: ExporterOptions = {}) {
    const log = (opts.logger ?? nullLogger).child({ component: 'exporter' });
    this.factory = new SharedInformerFactory(client, { logger: log });
    const scope = opts.namespace ? { namespace: opts.namespace } : {};
    const summaries = { ...scope, logger: log, transform: summaryOnly };
    this.vulns = opts.vulnerabilityDetails
      ? this.factory.informerFor(VulnerabilityReports, scope)
      : new Informer(client, VulnerabilityReports, summaries);
    this.audits = new Informer(client, ConfigAuditReports, summaries);
    this.secrets = opts.trivyMetrics ? new Informer(client, ExposedSecretReports, summaries) : undefined;
    if (!opts.vulnerabilityDetails) this.own.push(this.vulns);
    this.own.push(this.audits, ...(this.secrets ? [this.secrets] : []));
    const withPolicies = opts.policyReports ?? true;
    this.policies = withPolicies ? this.factory.informerFor(PolicyReports, scope) : undefined;
    this.clusterPolicies =
      withPolicies && !opts.namespace ? this.factory.informerFor(ClusterPolicyReports) : undefined;

    const vulns = this.vulns;
    const audits = this.audits;
    this.registry.registerMetric(
      new Gauge({
        name: 'starboard_exporter_vulnerabilityreport_image_vulnerability_severity_count',
        help: 'Exposes the number of vulnerabilities of a particular severity per-image.',
        labelNames: STARBOARD_SUMMARY_LABELS,
        registers: [],
        collect() {
          this.reset();
          for (const r of vulns.list()) {
            const s = (r.report?.summary ?? {}) as Summary;
            const base = {
              report_name: nsName(r),
              image_namespace: r.metadata.namespace ?? '',
              image_registry: r.report?.registry?.server ?? '',
              image_repository: r.report?.artifact?.repository ?? '',
              image_tag: r.report?.artifact?.tag ?? '',
              image_digest: r.report?.artifact?.digest ?? '',
            };
            for (const [sev, field] of STARBOARD_SEVERITIES)
              this.set({ ...base, severity: sev }, s[field] ?? 0);
          }
        },
      }),
    );
    if (opts.vulnerabilityDetails) {
      this.registry.registerMetric(
        new Gauge({
          name: 'starboard_exporter_vulnerabilityreport_image_vulnerability',
          help: 'Indicates the presence of a CVE in an image.',
          labelNames: STARBOARD_DETAIL_LABELS,
          registers: [],
          collect() {
            this.reset();
            for (const r of vulns.list()) {
              const base = {
                report_name: nsName(r),
                image_namespace: r.metadata.namespace ?? '',
                image_registry: r.report?.registry?.server ?? '',
                image_repository: r.report?.artifact?.repository ?? '',
                image_tag: r.report?.artifact?.tag ?? '',
                image_digest: r.report?.artifact?.digest ?? '',
              };
              for (const v of r.report?.vulnerabilities ?? []) {
                this.set(
                  {
                    ...base,
                    severity: v.severity,
                    vulnerability_id: v.vulnerabilityID,
                    vulnerable_resource_name: v.resource,
                    installed_resource_version: v.installedVersion,
                    fixed_resource_version: v.fixedVersion,
                    vulnerability_title: v.title,
                    vulnerability_link: v.primaryLink ?? '',
                  },
                  v.score ?? 0,
                );
              }
            }
          },
        }),
      );
    }
    this.registry.registerMetric(
      new Gauge({
        name: 'starboard_exporter_configauditreport_resource_checks_summary_count',
        help: 'Exposes the number of checks of a particular severity.',
        labelNames: STARBOARD_CONFIG_AUDIT_LABELS,
        registers: [],
        collect() {
          this.reset();
          for (const r of audits.list()) {
            const s = (r.report?.summary ?? {}) as Summary;
            const base = {
              report_name: nsName(r),
              resource_name: r.metadata.name ?? '',
              resource_namespace: r.metadata.namespace ?? '',
            };
            for (const [sev, field] of STARBOARD_SEVERITIES.slice(0, 4))
              this.set({ ...base, severity: sev }, s[field] ?? 0);
          }
        },
      }),
    );
    if (opts.trivyMetrics) {
      const secrets = this.secrets;
      const imageLabels = (r: VulnerabilityReport | ExposedSecretReport): Record<string, string> => ({
        namespace: r.metadata.namespace ?? '',
        name: r.metadata.name ?? '',
        resource_kind: label(r, 'trivy-operator.resource.kind'),
        resource_name: label(r, 'trivy-operator.resource.name'),
        container_name: label(r, 'trivy-operator.container.name'),
        image_registry: r.report?.registry?.server ?? '',
        image_repository: r.report?.artifact?.repository ?? '',
        image_tag: r.report?.artifact?.tag ?? '',
        image_digest: r.report?.artifact?.digest ?? '',
      });
      this.registry.registerMetric(
        new Gauge({
          name: 'trivy_image_vulnerabilities',
          help: 'Number of container image vulnerabilities',
          labelNames: TRIVY_IMAGE_LABELS,
          registers: [],
          collect() {
            this.reset();
            for (const r of vulns.list()) {
              const s = (r.report?.summary ?? {}) as Summary;
              for (const [sev, field] of TRIVY_SEVERITIES)
                this.set({ ...imageLabels(r), severity: sev }, s[field] ?? 0);
            }
          },
        }),
      );
      this.registry.registerMetric(
        new Gauge({
          name: 'trivy_image_exposedsecrets',
          help: 'Number of image exposed secrets',
          labelNames: TRIVY_IMAGE_LABELS,
          registers: [],
          collect() {
            this.reset();
            for (const r of secrets?.list() ?? []) {
              const s = (r.report?.summary ?? {}) as Summary;
              for (const [sev, field] of TRIVY_SEVERITIES.slice(0, 4))
                this.set({ ...imageLabels(r), severity: sev }, s[field] ?? 0);
            }
          },
        }),
      );
      this.registry.registerMetric(
        new Gauge({
          name: 'trivy_resource_configaudits',
          help: 'Number of failing resource configuration auditing checks',
          labelNames: TRIVY_CONFIG_AUDIT_LABELS,
          registers: [],
          collect() {
            this.reset();
            for (const r of audits.list()) {
              const s = (r.report?.summary ?? {}) as Summary;
              const base = {
                namespace: r.metadata.namespace ?? '',
                name: r.metadata.name ?? '',
                resource_kind: label(r, 'trivy-operator.resource.kind'),
                resource_name: label(r, 'trivy-operator.resource.name'),
              };
              for (const [sev, field] of TRIVY_SEVERITIES.slice(0, 4))
                this.set({ ...base, severity: sev }, s[field] ?? 0);
            }
          },
        }),
      );
    }
    if (this.policies) {
      const policies = this.policies;
      this.registry.registerMetric(
        new Gauge({
          name: 'policy_report_result',
          help: 'List of all PolicyReport Results',
          labelNames: POLICY_REPORT_RESULT_LABELS,
          registers: [],
          collect() {
            this.reset();
            for (const r of policies.list()) {
              for (const res of r.results ?? []) {
                const subject = res.resources?.[0] ?? r.scope;
                this.set(
                  {
                    namespace: r.metadata.namespace ?? '',
                    rule: res.rule ?? '',
                    policy: res.policy,
                    report: r.metadata.name ?? '',
                    kind: subject?.kind ?? '',
                    name: subject?.name ?? '',
                    status: res.result ?? '',
                    severity: res.severity ?? '',
                    category: res.category ?? '',
                    source: res.source ?? '',
                  },
                  1,
                );
              }
            }
          },
        }),
      );
    }
    if (this.clusterPolicies) {
      const cluster = this.clusterPolicies;
      this.registry.registerMetric(
        new Gauge({
          name: 'cluster_policy_report_result',
          help: 'List of all ClusterPolicyReport Results',
          labelNames: CLUSTER_POLICY_REPORT_RESULT_LABELS,
          registers: [],
          collect() {
            this.reset();
            for (const r of cluster.list()) {
              for (const res of r.results ?? []) {
                const subject = res.resources?.[0] ?? r.scope;
                this.set(
                  {
                    rule: res.rule ?? '',
                    policy: res.policy,
                    report: r.metadata.name ?? '',
                    kind: subject?.kind ?? '',
                    name: subject?.name ?? '',
                    status: res.result ?? '',
                    severity: res.severity ?? '',
                    category: res.category ?? '',
                    source: res.source ?? '',
                  },
                  1,
                );
              }
            }
          },
        }),
      );
    }
  }

  /** Starts the informers; they stop when the signal aborts. */
  start(signal: AbortSignal): void {
    if (this.started) return;
    this.started = true;
    this.factory.start(signal);
    for (const i of this.own) void i.run(signal);
  }

  /** Resolves true once every informer has listed (false if the signal aborts first). */
  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const all = await Promise.all([
      this.factory.waitForCacheSync(signal),
      ...this.own.map((i) => i.waitForSync(signal)),
    ]);
    return all.every(Boolean);
  }

  /** True once every informer has listed. */
  hasSynced(): boolean {
    return [this.vulns, this.audits, this.secrets, this.policies, this.clusterPolicies].every(
      (i) => i === undefined || i.hasSynced(),
    );
  }

  /** The exposition text (what `/metrics` serves). */
  async metrics(): Promise<string> {
    return await this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
