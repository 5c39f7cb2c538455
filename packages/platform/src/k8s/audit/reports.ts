/**
 * Report objects of `palisade audit cluster --write-reports`, as Trivy Operator writes them:
 *
 * - a Role → RbacAssessmentReport `role-<name>`; any other namespaced object with check results →
 *   ConfigAuditReport `<kind>-<name>` (workloadReportName: the hash form when the name is not a
 *   valid label value), both in the object's namespace;
 * - labels trivy-operator.resource.kind/name/namespace (workloadLabels), resource-spec-hash (the
 *   hash of what the checks read: the object without metadata and status, plus its labels and
 *   annotations) and app.kubernetes.io/managed-by=palisade (what later runs select on);
 * - one ownerReference to the audited object (controller, blockOwnerDeletion false), so the
 *   garbage collector removes the report with the object;
 * - summary counts of failed checks by severity; every check run, passed or failed, in checks.
 *
 * Cluster-scoped objects (ClusterRole, ClusterRoleBinding, Namespace) get no report: Trivy Operator
 * writes ClusterConfigAuditReport/ClusterRbacAssessmentReport for them, and those CRDs are not in
 * deploy/crds (see docs/audit.md).
 *
 * The ClusterComplianceReport converts the compliance view to the CRD's shape (checks and
 * commands as `{id}` lists, a cron, defaultStatus only when the CRD's enum allows it).
 */
import type { ClusterComplianceReport } from '@palisade/api';
import type { AuditObject, CheckMeta, ObjectResult } from '../../audit/types.js';
import type { ComplianceReport, ComplianceSpec } from '../../audit/benchmarks/compliance.js';
import {
  LABEL_MANAGED_BY,
  LABEL_RESOURCE_SPEC_HASH,
  computeHash,
  workloadLabels,
  workloadReportName,
} from '../reports/naming.js';
import { DEFAULT_SCANNER } from '../reports/builders.js';
import { canonicalJson } from '../operator/report-writer.js';
import type { ReportObject } from '../operator/report-writer.js';

export const REPORT_API_VERSION = 'aquasecurity.github.io/v1alpha1';
/** Trivy Operator's default compliance cron (its Helm chart's `compliance.cron`). */
export const DEFAULT_COMPLIANCE_CRON = '0 */6 * * *';

export type AuditReportKind = 'ConfigAuditReport' | 'RbacAssessmentReport';

/** Which report an object gets, or undefined for none (cluster-scoped). */
export function reportKindFor(kind: string, namespace: string): AuditReportKind | undefined {
  if (!namespace) return undefined;
  return kind === 'Role' ? 'RbacAssessmentReport' : 'ConfigAuditReport';
}

/** `resource-spec-hash`: what the checks read (not metadata bookkeeping or status). */
export function specHashOf(object: Record<string, unknown>): string {
  const { metadata, status: _status, ...rest } = object;
  const meta = (metadata ?? {}) as Record<string, unknown>;
  return computeHash(
    canonicalJson({ ...rest, labels: meta['labels'] ?? {}, annotations: meta['annotations'] ?? {} }),
  );
}

export interface BuildOptions {
  checks: readonly CheckMeta[];
  scanner?: { name: string; vendor: string; version: string };
  now?: Date;
}

/** The report of one audited object, or undefined when it gets none. */
export function buildAuditReport(
  obj: AuditObject,
  result: ObjectResult,
  o: BuildOptions,
): (ReportObject & { kind: AuditReportKind }) | undefined {
  const kind = reportKindFor(obj.kind, obj.namespace);
  if (!kind || result.results.length === 0) return undefined;
  const meta = new Map(o.checks.map((c) => [c.id, c]));
  const rawUid = (obj.object['metadata'] as Record<string, unknown> | undefined)?.['uid'];
  const uid = typeof rawUid === 'string' ? rawUid : '';
  const { labels, annotations } = workloadLabels({
    kind: obj.kind,
    name: obj.name,
    namespace: obj.namespace,
  });
  labels[LABEL_RESOURCE_SPEC_HASH] = specHashOf(obj.object);
  labels[LABEL_MANAGED_BY] = 'palisade';
  const summary = { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0 };
  for (const c of result.results) {
    if (c.success) continue;
    if (c.severity === 'CRITICAL') summary.criticalCount++;
    else if (c.severity === 'HIGH') summary.highCount++;
    else if (c.severity === 'MEDIUM') summary.mediumCount++;
    else if (c.severity === 'LOW') summary.lowCount++;
  }
  return {
    apiVersion: REPORT_API_VERSION,
    kind,
    metadata: {
      name: workloadReportName(obj.kind, obj.name),
      namespace: obj.namespace,
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ownerReferences: [
        {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.name,
          uid,
          controller: true,
          blockOwnerDeletion: false,
        },
      ],
    },
    report: {
      // The RbacAssessmentReport CRD has no updateTimestamp (the apiserver would prune it).
      ...(kind === 'ConfigAuditReport'
        ? { updateTimestamp: (o.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z') }
        : {}),
      scanner: o.scanner ?? DEFAULT_SCANNER,
      summary,
      checks: result.results.map((c) => ({
        checkID: c.checkId,
        title: c.title,
        description: meta.get(c.checkId)?.description ?? '',
        severity: c.severity,
        category: 'Kubernetes Security Check',
        success: c.success,
        messages: c.messages,
        remediation: meta.get(c.checkId)?.remediation ?? '',
      })),
    },
  };
}

const DEFAULT_STATUS = new Set(['PASS', 'WARN', 'FAIL']);

/** The CRD's `spec.compliance` from a loaded spec. */
export function complianceSpecForCrd(
  spec: Omit<ComplianceSpec, 'fixes'>,
): NonNullable<ClusterComplianceReport['spec']>['compliance'] {
  return {
    id: spec.id,
    title: spec.title,
    description: spec.description,
    version: spec.version,
    platform: spec.platform,
    type: spec.type,
    relatedResources: spec.relatedResources,
    controls: spec.controls.map((c) => ({
      id: c.id,
      name: c.name,
      ...(c.description ? { description: c.description } : {}),
      severity: c.severity,
      checks: c.checks.map((id) => ({ id })),
      ...(c.commands.length > 0 ? { commands: c.commands.map((id) => ({ id })) } : {}),
      ...(c.defaultStatus && DEFAULT_STATUS.has(c.defaultStatus)
        ? { defaultStatus: c.defaultStatus as 'PASS' | 'WARN' | 'FAIL' }
        : {}),
    })),
  };
}

/** The ClusterComplianceReport object (spec and status) for a compliance view. */
export function buildComplianceReport(
  cr: ComplianceReport,
  cron = DEFAULT_COMPLIANCE_CRON,
): ClusterComplianceReport & { metadata: { name: string } } {
  return {
    apiVersion: REPORT_API_VERSION,
    kind: 'ClusterComplianceReport',
    metadata: { name: cr.metadata.name, labels: { [LABEL_MANAGED_BY]: 'palisade' } },
    spec: { cron, reportType: 'all', compliance: complianceSpecForCrd(cr.spec.compliance) },
    status: {
      updateTimestamp: cr.status.updateTimestamp.replace(/\.\d{3}Z$/, 'Z'),
      summary: cr.status.summary,
      summaryReport: cr.status.summaryReport,
      detailReport: cr.status.detailReport,
    },
  };
}
