/**
 * What the operator's Pod informer keeps of each Pod (its transform, as client-go's
 * `SetTransform` / controller-runtime's cache `TransformFunc`): the fields workloads.ts and the
 * reconcile read, nothing else. A Pending Pod as the apiserver sends it is ~3–5 KB of JSON (volumes,
 * tolerations, managedFields, conditions…), and the cache holds every Pod in the watched
 * namespaces, so at 10,000 Pods this is most of the operator's memory after the report bodies.
 *
 * Kept:
 * - metadata: name, namespace, uid, resourceVersion, generation, labels, annotations (without
 *   kubectl's last-applied-configuration), ownerReferences, creationTimestamp, deletionTimestamp;
 * - spec: containers, initContainers and ephemeralContainers as `{name, image}`,
 *   imagePullSecrets, serviceAccountName, serviceAccount, nodeName;
 * - status: phase, and the container statuses (all three lists) as `{name, image, imageID}`.
 *
 * The reports' `resource-spec-hash` label hashes the Pod's whole spec, so the transform computes it
 * from the full spec on receipt and remembers it for the slim spec (`podSpecHash`).
 */
import { computeHash } from '../reports/naming.js';
import type { Pod, PodSpec } from './workloads.js';

/** Slim spec → the spec hash of the full spec it was made from. */
const specHashes = new WeakMap<object, string>();

/** `kube.ComputeHash` of a pod spec as received (the slim spec's remembered hash, if slim). */
export function podSpecHash(spec: PodSpec): string {
  return specHashes.get(spec) ?? computeHash(JSON.stringify(spec));
}

type Meta = NonNullable<Pod['metadata']>;
type Status = NonNullable<Pod['status']>;
type ContainerStatus = NonNullable<Status['containerStatuses']>[number];

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}

const META_KEYS = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'labels',
  'ownerReferences',
  'creationTimestamp',
  'deletionTimestamp',
] as const satisfies readonly (keyof Meta)[];

function containers<C extends { name?: string; image?: string }>(
  list: C[] | undefined,
): { name: string; image?: string }[] | undefined {
  return list?.map((c) => ({ name: c.name ?? '', ...(c.image !== undefined ? { image: c.image } : {}) }));
}

function statuses(list: ContainerStatus[] | undefined): ContainerStatus[] | undefined {
  return list?.map(
    (s) =>
      ({
        name: s.name,
        image: s.image,
        imageID: s.imageID,
      }) as ContainerStatus,
  );
}

/** The Pod informer's transform (see the file comment). A new object; the argument is unchanged. */
export function slimPod(pod: Pod): Pod {
  const m = pod.metadata ?? {};
  const meta: Meta = pick(m, META_KEYS);
  if (m.annotations) {
    const { [LAST_APPLIED]: _dropped, ...annotations } = m.annotations;
    if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  }
  const out: Pod = { metadata: meta };
  if (pod.apiVersion !== undefined) out.apiVersion = pod.apiVersion;
  if (pod.kind !== undefined) out.kind = pod.kind;
  if (pod.spec) {
    const s = pod.spec;
    const spec = {
      ...pick(s, ['imagePullSecrets', 'serviceAccountName', 'serviceAccount', 'nodeName'] as const),
    } as PodSpec;
    spec.containers = containers(s.containers) ?? [];
    const init = containers(s.initContainers);
    if (init) spec.initContainers = init;
    const eph = containers(s.ephemeralContainers);
    if (eph) spec.ephemeralContainers = eph;
    specHashes.set(spec, podSpecHash(s));
    out.spec = spec;
  }
  if (pod.status) {
    const st = pod.status;
    const status: Status = {};
    if (st.phase !== undefined) status.phase = st.phase;
    const cs = statuses(st.containerStatuses);
    if (cs) status.containerStatuses = cs;
    const ics = statuses(st.initContainerStatuses);
    if (ics) status.initContainerStatuses = ics;
    const ecs = statuses(st.ephemeralContainerStatuses);
    if (ecs) status.ephemeralContainerStatuses = ecs;
    out.status = status;
  }
  return out;
}
