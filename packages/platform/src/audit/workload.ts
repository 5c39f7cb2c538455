/**
 * The pod template of every workload controller, found once per object, as Trivy's
 * lib/kubernetes does: Pod itself; spec.template of Deployment, DeploymentConfig,
 * StatefulSet, DaemonSet, ReplicaSet, ReplicationController and Job;
 * spec.jobTemplate.spec.template of CronJob. Containers are `containers` and
 * `initContainers` (Trivy's checks do not look at ephemeral containers).
 */
import type { AuditObject, CheckContext, ContainerRef, Failure, Path, Rec, Workload } from './types.js';
import { arr, isRec, rec, str } from './util.js';

export const WORKLOAD_KINDS = [
  'Pod',
  'Deployment',
  'DeploymentConfig',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
] as const;

const TEMPLATE_KINDS = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
]);

function podOf(obj: AuditObject): { pod: Rec; path: Path } | undefined {
  const o = obj.object;
  if (obj.kind === 'Pod') return { pod: o, path: [] };
  if (
    TEMPLATE_KINDS.has(obj.kind) ||
    (obj.kind === 'DeploymentConfig' && obj.apiVersion === 'apps.openshift.io/v1')
  ) {
    const t = rec(o['spec'])['template'];
    return isRec(t) ? { pod: t, path: ['spec', 'template'] } : undefined;
  }
  if (obj.kind === 'CronJob') {
    const t = rec(rec(rec(o['spec'])['jobTemplate'])['spec'])['template'];
    return isRec(t) ? { pod: t, path: ['spec', 'jobTemplate', 'spec', 'template'] } : undefined;
  }
  return undefined;
}

export function workloadOf(obj: AuditObject): Workload | undefined {
  const found = podOf(obj);
  if (!found) return undefined;
  const { pod, path } = found;
  const spec = rec(pod['spec']);
  const specPath = [...path, 'spec'];
  const containers: ContainerRef[] = [];
  for (const key of ['containers', 'initContainers'] as const) {
    arr(spec[key]).forEach((c, i) => {
      if (!isRec(c)) return;
      containers.push({
        container: c,
        name: str(c['name']),
        path: [...specPath, key, i],
        sc: rec(c['securityContext']),
        init: key === 'initContainers',
      });
    });
  }
  const volumes: { volume: Rec; path: Path }[] = [];
  arr(spec['volumes']).forEach((v, i) => {
    if (isRec(v)) volumes.push({ volume: v, path: [...specPath, 'volumes', i] });
  });
  return {
    pod,
    podPath: path,
    spec,
    specPath,
    podSc: rec(spec['securityContext']),
    annotations: rec(rec(pod['metadata'])['annotations']),
    containers,
    volumes,
  };
}

/** "Container 'x' of Deployment 'y'" — the subject of most workload messages. */
export function containerSubject(c: ContainerRef, obj: AuditObject): string {
  return `Container '${c.name}' of ${obj.kind} '${obj.name}'`;
}

export function capsOf(c: ContainerRef, list: 'add' | 'drop'): string[] {
  return arr(rec(c.sc['capabilities'])[list]).filter((x): x is string => typeof x === 'string');
}

/**
 * One failure per container for which `fails` says so: `true` points at the
 * container, a path points at that field.
 */
export function eachContainer(
  obj: AuditObject,
  ctx: CheckContext,
  fails: (c: ContainerRef) => boolean | Path,
  message: (c: ContainerRef) => string,
): Failure[] {
  const w = ctx.workload;
  if (!w) return [];
  const out: Failure[] = [];
  for (const c of w.containers) {
    const r = fails(c);
    if (r === false) continue;
    out.push({ message: message(c), path: r === true ? c.path : r });
  }
  return out;
}
