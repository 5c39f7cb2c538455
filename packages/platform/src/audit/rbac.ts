/** Helpers for RBAC checks: rules of a Role/ClusterRole and subjects of a binding. */
import type { AuditObject, Failure, Path, Rec } from './types.js';
import { arr, isRec, strs } from './util.js';

export const ROLE_KINDS = ['Role', 'ClusterRole'] as const;
export const BINDING_KINDS = ['RoleBinding', 'ClusterRoleBinding'] as const;

export interface RuleRef {
  index: number;
  path: Path;
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
}

export function rulesOf(obj: AuditObject): RuleRef[] {
  const out: RuleRef[] = [];
  arr(obj.object['rules']).forEach((r, i) => {
    if (!isRec(r)) return;
    out.push({
      index: i,
      path: ['rules', i],
      apiGroups: strs(r['apiGroups']),
      resources: strs(r['resources']),
      verbs: strs(r['verbs']),
      resourceNames: strs(r['resourceNames']),
    });
  });
  return out;
}

export const anyOf = (have: readonly string[], wanted: readonly string[]): boolean =>
  have.some((h) => wanted.includes(h));

/** One failure per rule that grants any of `verbs` on any of `resources`. */
export function rulesGranting(
  obj: AuditObject,
  resources: readonly string[],
  verbs: readonly string[],
  message: string,
): Failure[] {
  return rulesOf(obj)
    .filter((r) => anyOf(r.resources, resources) && anyOf(r.verbs, verbs))
    .map((r) => ({ message, path: r.path }));
}

export function subjectsOf(obj: AuditObject): { subject: Rec; path: Path }[] {
  const out: { subject: Rec; path: Path }[] = [];
  arr(obj.object['subjects']).forEach((s, i) => {
    if (isRec(s)) out.push({ subject: s, path: ['subjects', i] });
  });
  return out;
}

/** Verbs that change things, as Trivy's checks list them. */
export const CHANGE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection', 'impersonate', '*'];

/**
 * KSV051/KSV052: a rule allowing `create` on `bindings` (rbac.authorization.k8s.io)
 * followed by a later rule allowing `bind` on roles/clusterroles with resourceNames '*'.
 */
export function pairOf(obj: AuditObject, bindings: 'rolebindings' | 'clusterrolebindings'): Failure[] {
  const rules = rulesOf(obj);
  const rbac = 'rbac.authorization.k8s.io';
  const out: Failure[] = [];
  rules.forEach((a, i) => {
    if (!(a.apiGroups.includes(rbac) && a.resources.includes(bindings) && a.verbs.includes('create'))) return;
    const b = rules
      .slice(i + 1)
      .find(
        (r) =>
          r.apiGroups.includes(rbac) &&
          anyOf(r.resources, ['clusterroles', 'roles']) &&
          r.verbs.includes('bind') &&
          r.resourceNames.includes('*'),
      );
    if (b)
      out.push({
        message: `Role permits creation of ${bindings === 'rolebindings' ? 'role binding' : 'cluster role binding'} and association with privileged role`,
        path: a.path,
      });
  });
  return out;
}
