/**
 * Compile once, evaluate many: checks are indexed by kind at load; each object is
 * evaluated by the checks of its kind (plus the ones for every kind), sharing one
 * computed pod template. A check that throws yields an `error` result, not a crash.
 */
import type {
  AuditObject,
  Check,
  CheckContext,
  CheckMeta,
  CheckResult,
  CrossCheck,
  ObjectResult,
  Severity,
} from './types.js';
import { SEVERITIES } from './types.js';
import { workloadOf } from './workload.js';
import { KUBERNETES_CHECKS, createKSV0125, createPAL001 } from './checks/kubernetes/index.js';

export interface CheckFilter {
  /** Only these check IDs (any alias). */
  ids?: readonly string[];
  /** Only checks of these severities. */
  severities?: readonly Severity[];
  /** Also run optional checks (registry allow-lists, LimitRange/ResourceQuota). Default false. */
  includeOptional?: boolean;
  /** Registries KSV0125 trusts (a registry or any subdomain of one); empty or unset: Trivy's default list. */
  trustedRegistries?: readonly string[];
}

/** Checks Trivy ships disabled (its checks/kubernetes/.../optional folder). */
export const OPTIONAL_CHECKS: ReadonlySet<string> = new Set([
  'KSV004',
  'KSV007',
  'KSV032',
  'KSV033',
  'KSV034',
  'KSV035',
  'KSV039',
  'KSV040',
]);

export interface CompiledChecks {
  readonly checks: readonly Check[];
  readonly cross: readonly CrossCheck[];
  readonly byKind: ReadonlyMap<string, readonly Check[]>;
  readonly anyKind: readonly Check[];
}

export function matchesId(c: CheckMeta, id: string): boolean {
  const u = id.toUpperCase();
  return (
    c.id.toUpperCase() === u || c.avdId.toUpperCase() === u || c.aliases.some((a) => a.toUpperCase() === u)
  );
}

export function allChecks(): readonly Check[] {
  return KUBERNETES_CHECKS;
}

export function compileChecks(filter: CheckFilter = {}): CompiledChecks {
  const keep = (c: CheckMeta): boolean =>
    (filter.ids
      ? filter.ids.some((id) => matchesId(c, id))
      : filter.includeOptional === true || !OPTIONAL_CHECKS.has(c.id)) &&
    (!filter.severities || filter.severities.includes(c.severity));
  const configured =
    filter.trustedRegistries && filter.trustedRegistries.length > 0
      ? KUBERNETES_CHECKS.map((c) => (c.id === 'KSV0125' ? createKSV0125(filter.trustedRegistries) : c))
      : KUBERNETES_CHECKS;
  const checks = configured.filter(keep);
  const cross = [createPAL001()].filter(keep);
  const byKind = new Map<string, Check[]>();
  const anyKind: Check[] = [];
  for (const c of checks) {
    if (c.kinds.includes('*')) {
      anyKind.push(c);
      continue;
    }
    for (const k of c.kinds) {
      const list = byKind.get(k) ?? [];
      list.push(c);
      byKind.set(k, list);
    }
  }
  return { checks, cross, byKind, anyKind };
}

function resultOf(
  c: CheckMeta,
  obj: AuditObject,
  failures: { message: string; path: readonly (string | number)[] }[],
): CheckResult {
  const first = failures[0];
  return {
    checkId: c.id,
    severity: c.severity,
    title: c.title,
    success: failures.length === 0,
    messages: failures.map((f) => f.message),
    line: first ? (obj.lineOf?.(first.path) ?? obj.location.line) : obj.location.line,
  };
}

function runCheck(c: Check, obj: AuditObject, ctx: CheckContext, results: CheckResult[]): void {
  try {
    results.push(resultOf(c, obj, c.evaluate(obj, ctx)));
  } catch (err) {
    results.push({
      ...resultOf(c, obj, [
        { message: `check error: ${err instanceof Error ? err.message : String(err)}`, path: [] },
      ]),
      error: true,
    });
  }
}

/** Runs the single-object checks on one object. Cross checks see it too (call finishCross at the end). */
export function auditObject(compiled: CompiledChecks, obj: AuditObject): ObjectResult {
  const list = compiled.byKind.get(obj.kind);
  const ctx: CheckContext = { workload: list ? workloadOf(obj) : undefined };
  const results: CheckResult[] = [];
  if (list) for (const c of list) runCheck(c, obj, ctx, results);
  for (const c of compiled.anyKind) runCheck(c, obj, ctx, results);
  for (const c of compiled.cross) c.observe(obj);
  return {
    object: {
      kind: obj.kind,
      apiVersion: obj.apiVersion,
      name: obj.name,
      namespace: obj.namespace,
      location: obj.location,
    },
    results,
  };
}

/** Results of the cross-object checks, after every object was audited. Resets them. */
export function finishCross(compiled: CompiledChecks): ObjectResult[] {
  const out: ObjectResult[] = [];
  for (const c of compiled.cross) {
    for (const { target, failures } of c.finish()) {
      out.push({
        object: {
          kind: target.kind,
          apiVersion: target.apiVersion,
          name: target.name,
          namespace: target.namespace,
          location: target.location,
        },
        results: [resultOf(c, target, failures)],
      });
    }
    c.reset();
  }
  return out;
}

/** Audits a list of objects: per-object results, then cross-object results. */
export function auditObjects(compiled: CompiledChecks, objects: Iterable<AuditObject>): ObjectResult[] {
  const out: ObjectResult[] = [];
  for (const o of objects) out.push(auditObject(compiled, o));
  out.push(...finishCross(compiled));
  return out;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(s);
}
