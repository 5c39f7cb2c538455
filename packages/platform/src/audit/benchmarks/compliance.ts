/**
 * Compliance specs (Trivy's format: spec.controls[].checks[].id) aggregated from check
 * results into Trivy Operator's ClusterComplianceReport status: a summary view (failures
 * per control) and a detail view (every failing check per control).
 *
 * Known mistakes of the upstream specs are fixed when a spec is loaded (SPEC_FIXES; each one
 * is documented in docs/conformance/audit.md) and reported back, so the output says what
 * was changed.
 */
import { parse } from 'yaml';
import { PalisadeError } from '../../core/errors.js';
import type { CheckMeta, ObjectResult, Severity } from '../types.js';
import { arr, isRec, rec, str } from '../util.js';

export interface ComplianceControl {
  id: string;
  name: string;
  description: string;
  severity: Severity;
  checks: string[];
  /** Node/control-plane commands the control needs (benchmark node); none for manifests. */
  commands: string[];
  defaultStatus?: string;
}

export interface ComplianceSpec {
  id: string;
  title: string;
  description: string;
  version: string;
  platform: string;
  type: string;
  relatedResources: string[];
  controls: ComplianceControl[];
  /** Fixes applied at load, one line each. */
  fixes: string[];
}

interface SpecFix {
  spec: string;
  control: string;
  /** Check IDs the control must list instead of the upstream ones. */
  checks: string[];
  reason: string;
}

/** Corrections to upstream specs (see docs/conformance/audit.md, "Compliance spec fixes"). */
export const SPEC_FIXES: readonly SpecFix[] = [
  {
    spec: 'k8s-nsa-1.0',
    control: '1.4',
    checks: ['KSV-0010'],
    reason: "'Share host process namespaces' pointed at KSV-0009 (host network); host PID is KSV-0010",
  },
  {
    spec: 'k8s-nsa-1.0',
    control: '1.5',
    checks: ['KSV-0009'],
    reason: "'Use the host network' pointed at KSV-0010 (host PID); host network is KSV-0009",
  },
  {
    spec: 'k8s-nsa-1.0',
    control: '1.6',
    checks: ['KSV-0116'],
    reason:
      "'Run with root privileges or with root group membership' pointed at KSV-0029, a check removed from trivy-checks; KSV-0116 (root primary or supplementary GID) replaces it",
  },
  {
    spec: 'k8s-pss-baseline-0.1',
    control: '2',
    checks: ['KSV-0008', 'KSV-0009', 'KSV-0010'],
    reason:
      "'Host Namespaces' covers hostIPC, hostNetwork and hostPID; upstream listed only KSV-0008 (hostIPC)",
  },
  {
    spec: 'k8s-pss-restricted-0.1',
    control: '2',
    checks: ['KSV-0008', 'KSV-0009', 'KSV-0010'],
    reason:
      "'Host Namespaces' covers hostIPC, hostNetwork and hostPID; upstream listed only KSV-0008 (hostIPC)",
  },
];

const scalar = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

const SEVS = new Set(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN']);

/** Reads a compliance spec (YAML text); `file` names it in errors. */
export function loadComplianceSpec(text: string, file: string): ComplianceSpec {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new PalisadeError(
      'E_PARSE',
      `cannot parse compliance spec: ${err instanceof Error ? err.message : String(err)}`,
      {
        location: { file },
      },
    );
  }
  const spec = rec(rec(doc)['spec']);
  const id = str(spec['id']);
  if (!id || !Array.isArray(spec['controls']))
    throw new PalisadeError('E_CONFIG', 'not a compliance spec: spec.id and spec.controls are required', {
      location: { file },
    });
  const fixes: string[] = [];
  const controls: ComplianceControl[] = arr(spec['controls'])
    .filter(isRec)
    .map((c) => {
      const sev = str(c['severity']).toUpperCase();
      const control: ComplianceControl = {
        id: scalar(c['id']),
        name: str(c['name']).trim(),
        description: str(c['description']),
        severity: (SEVS.has(sev) ? sev : 'UNKNOWN') as Severity,
        checks: arr(c['checks'])
          .map((x) => str(rec(x)['id']))
          .filter(Boolean),
        commands: arr(c['commands'])
          .map((x) => str(rec(x)['id']))
          .filter(Boolean),
      };
      const ds = str(c['defaultStatus']);
      if (ds) control.defaultStatus = ds;
      const fix = SPEC_FIXES.find((f) => f.spec === id && f.control === control.id);
      if (fix) {
        fixes.push(
          `${control.id} ${control.name}: [${control.checks.join(', ')}] → [${fix.checks.join(', ')}] (${fix.reason})`,
        );
        control.checks = [...fix.checks];
      }
      return control;
    });
  return {
    id,
    title: str(spec['title']),
    description: str(spec['description']),
    version: scalar(spec['version']),
    platform: str(spec['platform']),
    type: str(spec['type']),
    relatedResources: arr(spec['relatedResources']).map(str),
    controls,
    fixes,
  };
}

export interface ComplianceCheck {
  checkID: string;
  title: string;
  description: string;
  severity: Severity;
  category: string;
  remediation: string;
  success: boolean;
  messages: string[];
  target: string;
}

export interface ComplianceReport {
  apiVersion: 'aquasecurity.github.io/v1alpha1';
  kind: 'ClusterComplianceReport';
  metadata: { name: string };
  spec: { compliance: Omit<ComplianceSpec, 'fixes'>; reportType: 'summary' | 'all' };
  status: {
    updateTimestamp: string;
    summary: { passCount: number; failCount: number };
    summaryReport: {
      id: string;
      title: string;
      controlCheck: { id: string; name: string; severity: Severity; totalFail?: number }[];
    };
    detailReport: {
      id: string;
      title: string;
      description: string;
      version: string;
      relatedVersion: string[];
      results: {
        id: string;
        name: string;
        description: string;
        severity: Severity;
        status?: string;
        checks: ComplianceCheck[];
      }[];
    };
  };
}

/**
 * Aggregates check results into the report. A control passes when none of its checks
 * failed on any object; controls whose checks are not run here (node and control-plane
 * checks, manual controls) have no count (`totalFail` left out, as Trivy prints them).
 */
export function complianceReport(
  spec: ComplianceSpec,
  results: readonly ObjectResult[],
  checks: readonly CheckMeta[],
  now: Date = new Date(),
): ComplianceReport {
  const byAlias = new Map<string, CheckMeta>();
  for (const c of checks)
    for (const a of [c.id, c.avdId, ...c.aliases]) if (a) byAlias.set(a.toUpperCase(), c);
  const failuresByCheck = new Map<string, ComplianceCheck[]>();
  for (const r of results) {
    const target = `${r.object.namespace ? `${r.object.namespace}/` : ''}${r.object.kind}/${r.object.name}`;
    for (const cr of r.results) {
      if (cr.success) continue;
      const meta = checks.find((c) => c.id === cr.checkId);
      const list = failuresByCheck.get(cr.checkId) ?? [];
      list.push({
        checkID: cr.checkId,
        title: cr.title,
        description: meta?.description ?? '',
        severity: cr.severity,
        category: 'Kubernetes Security Check',
        remediation: meta?.remediation ?? '',
        success: false,
        messages: cr.messages,
        target,
      });
      failuresByCheck.set(cr.checkId, list);
    }
  }
  let passCount = 0;
  let failCount = 0;
  const controlCheck: ComplianceReport['status']['summaryReport']['controlCheck'] = [];
  const detail: ComplianceReport['status']['detailReport']['results'] = [];
  for (const control of spec.controls) {
    const known = control.checks
      .map((id) => byAlias.get(id.toUpperCase()))
      .filter((c): c is CheckMeta => !!c);
    const evaluated = known.length > 0 && control.commands.length === 0;
    const failing = known.flatMap((c) => failuresByCheck.get(c.id) ?? []);
    if (evaluated) {
      if (failing.length > 0) failCount++;
      else passCount++;
      controlCheck.push({
        id: control.id,
        name: control.name,
        severity: control.severity,
        totalFail: failing.length,
      });
    } else controlCheck.push({ id: control.id, name: control.name, severity: control.severity });
    const entry: ComplianceReport['status']['detailReport']['results'][number] = {
      id: control.id,
      name: control.name,
      description: control.description,
      severity: control.severity,
      checks: failing,
    };
    if (!evaluated) entry.status = control.defaultStatus ?? 'MANUAL';
    detail.push(entry);
  }
  const { fixes: _fixes, ...compliance } = spec;
  return {
    apiVersion: 'aquasecurity.github.io/v1alpha1',
    kind: 'ClusterComplianceReport',
    metadata: { name: spec.id },
    spec: { compliance, reportType: 'all' },
    status: {
      updateTimestamp: now.toISOString(),
      summary: { passCount, failCount },
      summaryReport: { id: spec.id, title: spec.title, controlCheck },
      detailReport: {
        id: spec.id,
        title: spec.title,
        description: spec.description,
        version: spec.version,
        relatedVersion: spec.relatedResources,
        results: detail,
      },
    },
  };
}
