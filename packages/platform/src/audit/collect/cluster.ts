/**
 * The cluster collector's pure half: which kinds `palisade audit cluster` lists, and which of the
 * listed objects are audited (plain JSON in, AuditObjects out). The API calls live in
 * k8s/audit/collector.ts; this file knows nothing about HTTP or clients.
 *
 * What is audited (docs/audit.md, "cluster"):
 * - every object of the kinds in CLUSTER_KINDS that is not being deleted;
 * - except objects controlled by another audited controller: a ReplicaSet controlled by a
 *   Deployment, a Job controlled by a CronJob, a Pod controlled by a ReplicaSet, StatefulSet,
 *   DaemonSet, Job or ReplicationController. Their pod template is the controller's, so auditing
 *   the controller reports each finding once, at the object the user wrote. (Trivy Operator
 *   reports a Deployment's findings under its current ReplicaSet instead; see docs/audit.md.)
 * - with a namespace filter: namespaced objects of those namespaces, their Namespace objects and
 *   the ClusterRoleBindings that grant something to a subject in one of them (a ServiceAccount of
 *   the namespace); other cluster-scoped objects (ClusterRoles, other bindings) are left out.
 */
import type { AuditObject, Rec } from '../types.js';
import { arr, isRec, rec, str } from '../util.js';

export interface ClusterKind {
  kind: string;
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  /** Why it is listed (the checks that read it). */
  reason: string;
}

/** The kinds listed, in the order they are audited. */
export const CLUSTER_KINDS: readonly ClusterKind[] = [
  { kind: 'Namespace', group: '', version: 'v1', plural: 'namespaces', namespaced: false, reason: 'PAL001' },
  { kind: 'Pod', group: '', version: 'v1', plural: 'pods', namespaced: true, reason: 'workload checks' },
  {
    kind: 'ReplicationController',
    group: '',
    version: 'v1',
    plural: 'replicationcontrollers',
    namespaced: true,
    reason: 'workload checks',
  },
  {
    kind: 'Deployment',
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    namespaced: true,
    reason: 'workload checks',
  },
  {
    kind: 'ReplicaSet',
    group: 'apps',
    version: 'v1',
    plural: 'replicasets',
    namespaced: true,
    reason: 'workload checks',
  },
  {
    kind: 'StatefulSet',
    group: 'apps',
    version: 'v1',
    plural: 'statefulsets',
    namespaced: true,
    reason: 'workload checks',
  },
  {
    kind: 'DaemonSet',
    group: 'apps',
    version: 'v1',
    plural: 'daemonsets',
    namespaced: true,
    reason: 'workload checks',
  },
  { kind: 'Job', group: 'batch', version: 'v1', plural: 'jobs', namespaced: true, reason: 'workload checks' },
  {
    kind: 'CronJob',
    group: 'batch',
    version: 'v1',
    plural: 'cronjobs',
    namespaced: true,
    reason: 'workload checks',
  },
  { kind: 'Service', group: '', version: 'v1', plural: 'services', namespaced: true, reason: 'KSV108' },
  {
    kind: 'ConfigMap',
    group: '',
    version: 'v1',
    plural: 'configmaps',
    namespaced: true,
    reason: 'KSV01010, KSV109',
  },
  {
    kind: 'Ingress',
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'ingresses',
    namespaced: true,
    reason: 'KCV0093',
  },
  {
    kind: 'NetworkPolicy',
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    namespaced: true,
    reason: 'PAL001, KSV038',
  },
  { kind: 'LimitRange', group: '', version: 'v1', plural: 'limitranges', namespaced: true, reason: 'KSV039' },
  {
    kind: 'ResourceQuota',
    group: '',
    version: 'v1',
    plural: 'resourcequotas',
    namespaced: true,
    reason: 'KSV040',
  },
  {
    kind: 'Role',
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'roles',
    namespaced: true,
    reason: 'RBAC checks',
  },
  {
    kind: 'RoleBinding',
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'rolebindings',
    namespaced: true,
    reason: 'RBAC checks',
  },
  {
    kind: 'ClusterRole',
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'clusterroles',
    namespaced: false,
    reason: 'RBAC checks',
  },
  {
    kind: 'ClusterRoleBinding',
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'clusterrolebindings',
    namespaced: false,
    reason: 'RBAC checks',
  },
];

/** Controller kinds whose controlled objects are audited through the controller. */
const CONTROLLED_BY: Readonly<Record<string, ReadonlySet<string>>> = {
  Pod: new Set(['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController']),
  ReplicaSet: new Set(['Deployment']),
  Job: new Set(['CronJob']),
};

export function apiVersionOfKind(k: ClusterKind): string {
  return k.group === '' ? k.version : `${k.group}/${k.version}`;
}

/** The ownerReference with `controller: true`. */
export function controllerRef(obj: Rec): Rec | undefined {
  return arr(rec(obj['metadata'])['ownerReferences']).find(
    (r): r is Rec => isRec(r) && r['controller'] === true,
  );
}

/** True when the object is audited through its controller. */
export function auditedThroughController(kind: string, obj: Rec): boolean {
  const ctl = controllerRef(obj);
  return ctl !== undefined && (CONTROLLED_BY[kind]?.has(str(ctl['kind'])) ?? false);
}

/** Where a cluster object is, for the table and SARIF: `k8s://<namespace>/<Kind>/<name>`. */
export function clusterLocation(kind: string, namespace: string, name: string): string {
  return `k8s://${namespace ? `${namespace}/` : ''}${kind}/${name}`;
}

export interface SelectOptions {
  /** Only these namespaces (empty or undefined: all). */
  namespaces?: readonly string[];
}

/** True when a ClusterRoleBinding names a subject that lives in one of `namespaces`. */
function bindsInto(obj: Rec, namespaces: ReadonlySet<string>): boolean {
  return arr(obj['subjects']).some((s) => isRec(s) && namespaces.has(str(s['namespace'])));
}

/**
 * The objects to audit from the listed ones of one kind. Items get their `apiVersion`/`kind`
 * (lists leave them out) and lose `metadata.managedFields` (no check reads it; it is most of an
 * object's size).
 */
export function selectObjects(
  k: ClusterKind,
  items: readonly unknown[],
  o: SelectOptions = {},
): AuditObject[] {
  const only = o.namespaces && o.namespaces.length > 0 ? new Set(o.namespaces) : undefined;
  const out: AuditObject[] = [];
  const apiVersion = apiVersionOfKind(k);
  for (const item of items) {
    if (!isRec(item)) continue;
    const meta = rec(item['metadata']);
    const name = str(meta['name']);
    if (!name || meta['deletionTimestamp']) continue;
    const namespace = k.namespaced ? str(meta['namespace']) : '';
    if (only) {
      if (k.namespaced && !only.has(namespace)) continue;
      if (!k.namespaced) {
        if (k.kind === 'Namespace' && !only.has(name)) continue;
        if (k.kind === 'ClusterRoleBinding' && !bindsInto(item, only)) continue;
        if (k.kind !== 'Namespace' && k.kind !== 'ClusterRoleBinding') continue;
      }
    }
    if (auditedThroughController(k.kind, item)) continue;
    const { managedFields: _mf, ...metadata } = meta;
    const object: Rec = { apiVersion, kind: k.kind, ...item, metadata };
    object['apiVersion'] = apiVersion;
    object['kind'] = k.kind;
    out.push({
      kind: k.kind,
      apiVersion,
      name,
      namespace,
      object,
      location: { file: clusterLocation(k.kind, namespace, name) },
    });
  }
  return out;
}
