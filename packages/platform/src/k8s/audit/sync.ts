/**
 * Writes the reports of one `palisade audit cluster --write-reports` run and removes the ones of
 * objects that are gone, without churn:
 *
 * - the existing reports are listed (label app.kubernetes.io/managed-by=palisade, in the run's
 *   namespaces, paginated); a desired report equal to the existing one except for
 *   `report.updateTimestamp` keeps the old timestamp, so ReportWriter sees no difference and
 *   writes nothing;
 * - an existing report whose object was not audited in this run is deleted (conditional on its
 *   resourceVersion), unless the listing of its kind failed (403/404): then its absence from the
 *   run proves nothing and the report stays;
 * - the ClusterComplianceReport is created (spec) and its status written through the status
 *   subresource; both only when they changed (status compared without updateTimestamp).
 */
import type { ClusterComplianceReport } from '@palisade/api';
import { LABEL_MANAGED_BY, LABEL_RESOURCE_KIND } from '../reports/naming.js';
import { ClusterComplianceReports, ConfigAuditReports, RbacAssessmentReports } from '../reports/resources.js';
import type { KubeObject, ResourceType } from '../client/resources.js';
import type { KubeClient } from '../client/rest.js';
import { KubeApiError, resourcePath } from '../client/rest.js';
import { ReportWriter, canonicalJson } from '../operator/report-writer.js';
import type { ReportObject, WriteStats } from '../operator/report-writer.js';
import type { AuditReportKind } from './reports.js';

export interface SyncOptions {
  /** Namespaces the run covered (empty: all). */
  namespaces?: readonly string[];
  /** Kinds whose listing failed in this run: their reports are not deleted. */
  incompleteKinds?: ReadonlySet<string>;
  pageSize?: number;
}

export interface SyncResult extends WriteStats {
  compliance?: 'created' | 'updated' | 'unchanged';
}

const RESOURCES: Record<AuditReportKind, ResourceType<ReportObject>> = {
  ConfigAuditReport: ConfigAuditReports as unknown as ResourceType<ReportObject>,
  RbacAssessmentReport: RbacAssessmentReports as unknown as ResourceType<ReportObject>,
};

const key = (ns: string, name: string): string => `${ns}/${name}`;

function withoutTimestamp(report: unknown): unknown {
  if (!report || typeof report !== 'object') return report;
  const { updateTimestamp: _t, ...rest } = report as Record<string, unknown>;
  return rest;
}

async function existing(
  client: KubeClient,
  r: ResourceType<ReportObject>,
  namespaces: readonly string[],
  limit: number,
): Promise<Map<string, ReportObject>> {
  const out = new Map<string, ReportObject>();
  const scopes: (string | undefined)[] = namespaces.length > 0 ? [...namespaces] : [undefined];
  for (const ns of scopes) {
    const list = await client.listAll(r, ns, { labelSelector: `${LABEL_MANAGED_BY}=palisade`, limit });
    for (const o of list.items) out.set(key(o.metadata.namespace, o.metadata.name), o);
  }
  return out;
}

/** Creates, updates (only when changed) and deletes (when stale) the per-object reports. */
export async function syncAuditReports(
  client: KubeClient,
  desired: readonly (ReportObject & { kind: AuditReportKind })[],
  o: SyncOptions = {},
): Promise<SyncResult> {
  const writer = new ReportWriter(client);
  const namespaces = o.namespaces?.filter(Boolean) ?? [];
  for (const kind of Object.keys(RESOURCES) as AuditReportKind[]) {
    const r = RESOURCES[kind];
    const have = await existing(client, r, namespaces, o.pageSize ?? 500);
    const want = new Map<string, ReportObject>();
    for (const d of desired) if (d.kind === kind) want.set(key(d.metadata.namespace, d.metadata.name), d);
    for (const [k, d] of want) {
      const e = have.get(k);
      if (e && canonicalJson(withoutTimestamp(e.report)) === canonicalJson(withoutTimestamp(d.report))) {
        const ts = (e.report as { updateTimestamp?: unknown } | undefined)?.updateTimestamp;
        const rep = d.report as { updateTimestamp?: string };
        if (typeof ts === 'string') rep.updateTimestamp = ts;
        else delete rep.updateTimestamp;
      }
      await writer.apply(r, d, e);
    }
    for (const [k, e] of have) {
      if (want.has(k)) continue;
      const ownerKind = e.metadata.labels?.[LABEL_RESOURCE_KIND] ?? '';
      if (o.incompleteKinds?.has(ownerKind)) continue;
      await writer.remove(r, e);
    }
  }
  return { ...writer.stats };
}

type Compliance = ClusterComplianceReport & KubeObject & { metadata: { name: string } };

/** Creates or updates the ClusterComplianceReport (spec, then status through /status). */
export async function syncComplianceReport(
  client: KubeClient,
  desired: Compliance,
): Promise<'created' | 'updated' | 'unchanged'> {
  const r = ClusterComplianceReports as unknown as ResourceType<Compliance>;
  let current: Compliance | undefined;
  try {
    current = await client.get(r, desired.metadata.name);
  } catch (err) {
    if (!(err instanceof KubeApiError && err.isNotFound)) throw err;
  }
  let outcome: 'created' | 'updated' | 'unchanged' = 'unchanged';
  if (!current) {
    current = await client.create(r, desired);
    outcome = 'created';
  } else if (
    canonicalJson(current.spec) !== canonicalJson(desired.spec) ||
    current.metadata.labels?.[LABEL_MANAGED_BY] !== 'palisade'
  ) {
    current = await client.replace(r, {
      ...current,
      metadata: {
        ...current.metadata,
        labels: { ...(current.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) },
      },
      spec: desired.spec,
    });
    outcome = 'updated';
  }
  if (canonicalJson(withoutTimestamp(current.status)) !== canonicalJson(withoutTimestamp(desired.status))) {
    await client.request('PUT', `${resourcePath(r, undefined, desired.metadata.name)}/status`, {
      body: { ...current, status: desired.status },
    });
    if (outcome === 'unchanged') outcome = 'updated';
  }
  return outcome;
}
