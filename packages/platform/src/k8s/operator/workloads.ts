/**
 * Which object owns the reports of a container, decided as Trivy Operator does
 * (kube.ObjectResolver.ReportOwner and workload.SkipProcessing):
 *
 * - a Pod with no controller, or one that is not a built-in workload controller → the Pod;
 *   a Pod controlled by a ReplicaSet, ReplicationController, StatefulSet, DaemonSet or Job → that
 *   controller's reports;
 * - a ReplicaSet → its own reports (named `replicaset-<rs>-<container>`), only while it has an
 *   active Pod and, when a Deployment controls it, only while it is the Deployment's current
 *   revision (the `deployment.kubernetes.io/revision` annotations agree) and the Deployment exists;
 * - a StatefulSet or a ReplicationController → its own reports while it has an active Pod;
 *   a DaemonSet → always;
 * - a Job → its own reports, unless a CronJob controls it (then the CronJob's);
 * - a CronJob → its own reports (its job template's pod spec);
 * - a Deployment is never a report owner: its current ReplicaSet is.
 *
 * Pure functions over a read-only view of the informer caches.
 */
import type { V1Container, V1OwnerReference, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import type { KubeObject, Wire } from '../client/resources.js';
import type { WorkloadRef } from '../reports/builders.js';

export type Pod = Wire<V1Pod>;
export type PodSpec = Wire<V1PodSpec>;
export type OwnerReference = Wire<V1OwnerReference>;

/** The kinds the operator watches. */
export const WATCHED_KINDS = [
  'Pod',
  'ReplicaSet',
  'ReplicationController',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
] as const;
export type WatchedKind = (typeof WATCHED_KINDS)[number];

/** Report-owner kinds and their API versions. */
export const OWNER_API_VERSIONS: Record<string, string> = {
  Pod: 'v1',
  ReplicaSet: 'apps/v1',
  ReplicationController: 'v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
};

/** Controllers whose Pods are reported under the controller (Trivy Operator's IsBuiltInWorkload). */
const BUILT_IN = new Set(['ReplicaSet', 'ReplicationController', 'StatefulSet', 'DaemonSet', 'Job']);

/** Label of Palisade's scan Jobs (jobs.ts; defined here so workloads.ts imports nothing). */
export const SCAN_JOB_LABEL = 'palisade.dev/scan-job';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export interface WorkloadObject extends KubeObject {
  metadata?: KubeObject['metadata'] & {
    ownerReferences?: OwnerReference[];
    creationTimestamp?: string;
  };
  spec?: unknown;
  status?: unknown;
}

/** A read-only view of the watched objects (the informer caches). */
export interface ClusterView {
  get(kind: WatchedKind, namespace: string, name: string): WorkloadObject | undefined;
  /** Pods whose controller has this uid. */
  podsOf(namespace: string, controllerUid: string): readonly Pod[];
  /** ReplicaSets whose controller (a Deployment) has this uid. */
  replicaSetsOf(namespace: string, controllerUid: string): readonly WorkloadObject[];
}

/** `Kind/namespace/name`: the work queue key of a (possible) report owner. */
export function workloadKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export function parseWorkloadKey(key: string): { kind: string; namespace: string; name: string } {
  const a = key.indexOf('/');
  const b = key.indexOf('/', a + 1);
  return { kind: key.slice(0, a), namespace: key.slice(a + 1, b), name: key.slice(b + 1) };
}

/** The ownerReference with `controller: true`, as metav1.GetControllerOf. */
export function controllerOf(obj: WorkloadObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The pod spec of a workload object (a CronJob's job template's). */
export function podSpecOf(kind: string, obj: WorkloadObject): PodSpec | undefined {
  const spec = obj.spec as Record<string, unknown> | undefined;
  if (!spec) return undefined;
  if (kind === 'Pod') return spec as PodSpec;
  if (kind === 'CronJob') {
    const jt = spec['jobTemplate'] as { spec?: { template?: { spec?: PodSpec } } } | undefined;
    return jt?.spec?.template?.spec;
  }
  return (spec['template'] as { spec?: PodSpec } | undefined)?.spec;
}

/** A Pod that counts as running the workload: not being deleted, not finished. */
export function isActivePod(p: Pod): boolean {
  if (p.metadata?.deletionTimestamp) return false;
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/**
 * The keys to reconcile when an object of `kind` changes: the object itself (when it may own
 * reports) and the owners its change can affect.
 */
export function keysForChange(kind: WatchedKind, obj: WorkloadObject, view: ClusterView): string[] {
  const ns = obj.metadata?.namespace ?? '';
  const name = obj.metadata?.name ?? '';
  const keys: string[] = [];
  const ctl = controllerOf(obj);
  switch (kind) {
    case 'Pod':
      keys.push(workloadKey('Pod', ns, name));
      if (ctl && BUILT_IN.has(ctl.kind)) keys.push(workloadKey(ctl.kind, ns, ctl.name));
      break;
    case 'Deployment': {
      // Its ReplicaSets: which one is current may have changed, or the Deployment is gone.
      const uid = obj.metadata?.uid;
      for (const rs of uid ? view.replicaSetsOf(ns, uid) : [])
        keys.push(workloadKey('ReplicaSet', ns, rs.metadata?.name ?? ''));
      break;
    }
    case 'Job':
      keys.push(workloadKey('Job', ns, name));
      if (ctl?.kind === 'CronJob') keys.push(workloadKey('CronJob', ns, ctl.name));
      break;
    default:
      keys.push(workloadKey(kind, ns, name));
  }
  return keys;
}

/** What the operator reports for one owner: the owner and the pod spec its containers come from. */
export interface DesiredWorkload {
  ref: WorkloadRef;
  spec: PodSpec;
  /** Pods running it (for status image IDs); empty for CronJobs and unmanaged Jobs without Pods. */
  pods: readonly Pod[];
  object: WorkloadObject;
}

/**
 * The report owner under `key`, or undefined when no reports should exist for it (it is gone,
 * being deleted, controlled by another owner, without active Pods, or an old revision).
 */
export function desiredWorkload(key: string, view: ClusterView): DesiredWorkload | undefined {
  const { kind, namespace, name } = parseWorkloadKey(key);
  if (!(kind in OWNER_API_VERSIONS)) return undefined;
  const obj = view.get(kind as WatchedKind, namespace, name);
  if (!obj || obj.metadata?.deletionTimestamp) return undefined;
  // Palisade's own scan Jobs (jobs.ts) are not workloads to report on.
  if (obj.metadata?.labels?.[SCAN_JOB_LABEL] === 'true') return undefined;
  const uid = obj.metadata?.uid ?? '';
  const spec = podSpecOf(kind, obj);
  if (!spec) return undefined;
  const ctl = controllerOf(obj);
  let pods: readonly Pod[] = [];
  switch (kind) {
    case 'Pod':
      if (ctl && BUILT_IN.has(ctl.kind)) return undefined;
      pods = [obj as Pod];
      break;
    case 'ReplicaSet': {
      pods = view.podsOf(namespace, uid).filter(isActivePod);
      if (pods.length === 0) return undefined;
      if (ctl?.kind === 'Deployment') {
        const dep = view.get('Deployment', namespace, ctl.name);
        if (!dep || dep.metadata?.uid !== ctl.uid || dep.metadata?.deletionTimestamp) return undefined;
        const want = dep.metadata?.annotations?.[REVISION_ANNOTATION] ?? '';
        if ((obj.metadata?.annotations?.[REVISION_ANNOTATION] ?? '') !== want) return undefined;
      }
      break;
    }
    case 'StatefulSet':
    case 'ReplicationController':
      pods = view.podsOf(namespace, uid).filter(isActivePod);
      if (pods.length === 0) return undefined;
      break;
    case 'DaemonSet':
      pods = view.podsOf(namespace, uid).filter(isActivePod);
      break;
    case 'Job':
      if (ctl?.kind === 'CronJob') return undefined;
      pods = view.podsOf(namespace, uid).filter(isActivePod);
      break;
    case 'CronJob':
      break;
  }
  return {
    ref: { apiVersion: OWNER_API_VERSIONS[kind] as string, kind, name, namespace, uid },
    spec,
    pods,
    object: obj,
  };
}

export interface ContainerImage {
  container: string;
  image: string;
  init: boolean;
}

/** Containers and init containers (unless skipped) of a pod spec, as Trivy Operator lists them. */
export function containerImages(spec: PodSpec, skipInit = false): ContainerImage[] {
  const out: ContainerImage[] = [];
  const add = (list: Wire<V1Container>[] | undefined, init: boolean): void => {
    for (const c of list ?? []) if (c.name && c.image) out.push({ container: c.name, image: c.image, init });
  };
  add(spec.containers, false);
  if (!skipInit) add(spec.initContainers, true);
  return out;
}

const DIGEST = /sha256:[0-9a-f]{64}$/;

/**
 * The image digest a Pod's status reports for a container (`imageID`, e.g.
 * `docker-pullable://repo@sha256:…` or `repo@sha256:…`), when the container runs `image`.
 */
export function statusDigest(pods: readonly Pod[], container: string, image: string): string | undefined {
  for (const p of pods) {
    const specImage = [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].find(
      (c) => c.name === container,
    )?.image;
    if (specImage !== undefined && specImage !== image) continue;
    const statuses = [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])];
    const st = statuses.find((s) => s.name === container);
    const id = st?.imageID ?? '';
    const at = id.lastIndexOf('@');
    const m = DIGEST.exec(at >= 0 ? id.slice(at + 1) : '');
    if (m) return m[0];
  }
  return undefined;
}

/** A digest pinned in the image reference itself (`repo@sha256:…`). */
export function pinnedDigest(image: string): string | undefined {
  const at = image.lastIndexOf('@');
  if (at < 0) return undefined;
  const m = DIGEST.exec(image.slice(at + 1));
  return m ? m[0] : undefined;
}
