/**
 * Reading the pod out of what was submitted (a Pod, a pod controller's template, a PodTemplate) and
 * checking the types of the fields the controls read.
 *
 * Kubernetes decodes a pod into typed Go structs before Pod Security admission sees it, so a field of the
 * wrong type (`privileged: "true"`, `hostPort: "80"`) never reaches the checks: the request is rejected.
 * Here the controls read raw objects and treat such a field as absent, and readPodShape lists it as a
 * problem so that the evaluator can deny (fail closed) instead of silently allowing. The walk follows a
 * fixed table of the fields the controls read, so its depth is bounded whatever the input.
 */
import { isObj, objAt, strAt, boolAt, arrAt } from './helpers.js';
import type { ContainerGroup, ContainerView, Obj, PodView } from './types.js';

/** Where the pod came from. */
export type PodHolderKind =
  | 'Pod'
  | 'PodTemplate'
  | 'Deployment'
  | 'StatefulSet'
  | 'DaemonSet'
  | 'ReplicaSet'
  | 'ReplicationController'
  | 'Job'
  | 'CronJob';

export interface ExtractedPod {
  readonly kind: PodHolderKind;
  /** Path of the pod template inside the object ('' for a Pod), e.g. "spec.template". */
  readonly path: string;
  readonly metadata: unknown;
  readonly spec: unknown;
}

const TEMPLATE_KINDS: ReadonlySet<string> = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
]);

/**
 * The pod metadata and spec held by a Pod or a pod controller; undefined for any other kind (or for a
 * controller without a template). An object without `kind` is taken as a Pod when it has a `spec`.
 */
export function extractPod(holder: unknown): ExtractedPod | undefined {
  if (!isObj(holder)) return undefined;
  const kind = holder['kind'];
  if (kind === 'Pod' || (kind === undefined && holder['spec'] !== undefined)) {
    return { kind: 'Pod', path: '', metadata: holder['metadata'], spec: holder['spec'] };
  }
  if (typeof kind !== 'string') return undefined;
  if (kind === 'PodTemplate') {
    const template = objAt(holder, 'template');
    if (!template) return undefined;
    return { kind, path: 'template', metadata: template['metadata'], spec: template['spec'] };
  }
  if (kind === 'CronJob') {
    const template = objAt(objAt(objAt(objAt(holder, 'spec'), 'jobTemplate'), 'spec'), 'template');
    if (!template) return undefined;
    return {
      kind,
      path: 'spec.jobTemplate.spec.template',
      metadata: template['metadata'],
      spec: template['spec'],
    };
  }
  if (TEMPLATE_KINDS.has(kind)) {
    const template = objAt(objAt(holder, 'spec'), 'template');
    if (!template) return undefined;
    return {
      kind: kind as PodHolderKind,
      path: 'spec.template',
      metadata: template['metadata'],
      spec: template['spec'],
    };
  }
  return undefined;
}

const EMPTY_OBJ: Obj = Object.freeze({});

/** Builds the view the controls read. Never throws; wrong types read as absent. */
export function podView(metadata: unknown, spec: unknown): PodView {
  const meta = isObj(metadata) ? metadata : EMPTY_OBJ;
  const s = isObj(spec) ? spec : EMPTY_OBJ;
  const containers: ContainerView[] = [];
  addContainers(containers, 'initContainers', arrAt(s, 'initContainers'));
  addContainers(containers, 'containers', arrAt(s, 'containers'));
  addContainers(containers, 'ephemeralContainers', arrAt(s, 'ephemeralContainers'));
  return {
    annotations: objAt(meta, 'annotations') ?? EMPTY_OBJ,
    spec: s,
    podSecurityContext: objAt(s, 'securityContext'),
    containers,
    volumes: arrAt(s, 'volumes') ?? [],
    osName: strAt(objAt(s, 'os'), 'name'),
    userNamespace: boolAt(s, 'hostUsers') === false,
  };
}

function addContainers(
  out: ContainerView[],
  group: ContainerGroup,
  list: readonly unknown[] | undefined,
): void {
  if (!list) return;
  for (let index = 0; index < list.length; index++) {
    const c = list[index];
    if (!isObj(c)) continue;
    const name = c['name'];
    out.push({
      name: typeof name === 'string' ? name : '',
      group,
      index,
      securityContext: objAt(c, 'securityContext'),
      raw: c,
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// Shape check

/** A malformed field: where, and what was wrong. */
export interface PodShapeProblem {
  readonly path: string;
  readonly message: string;
}

type Shape =
  | 'bool'
  | 'int'
  | 'string'
  | 'object'
  | { readonly fields: Readonly<Record<string, Shape>> }
  | { readonly list: Shape }
  | { readonly map: Shape };

const seLinuxOptions: Shape = {
  fields: { user: 'string', role: 'string', type: 'string', level: 'string' },
};
const profile: Shape = { fields: { type: 'string', localhostProfile: 'string' } };
const windowsOptions: Shape = { fields: { hostProcess: 'bool' } };
const hostHandler: Shape = {
  fields: { httpGet: { fields: { host: 'string' } }, tcpSocket: { fields: { host: 'string' } } },
};

const containerSecurityContext: Shape = {
  fields: {
    privileged: 'bool',
    allowPrivilegeEscalation: 'bool',
    runAsNonRoot: 'bool',
    runAsUser: 'int',
    procMount: 'string',
    capabilities: { fields: { add: { list: 'string' }, drop: { list: 'string' } } },
    seccompProfile: profile,
    appArmorProfile: profile,
    seLinuxOptions,
    windowsOptions,
  },
};

const container: Shape = {
  fields: {
    name: 'string',
    securityContext: containerSecurityContext,
    ports: { list: { fields: { hostPort: 'int' } } },
    livenessProbe: hostHandler,
    readinessProbe: hostHandler,
    startupProbe: hostHandler,
    lifecycle: { fields: { postStart: hostHandler, preStop: hostHandler } },
  },
};

/** Every inline volume source of core/v1 Volume (a set source must be an object). */
export const VOLUME_SOURCES: readonly string[] = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
];

const volume: Shape = {
  fields: Object.fromEntries([['name', 'string'], ...VOLUME_SOURCES.map((k) => [k, 'object'])]) as Record<
    string,
    Shape
  >,
};

const podSpec: Shape = {
  fields: {
    hostNetwork: 'bool',
    hostPID: 'bool',
    hostIPC: 'bool',
    hostUsers: 'bool',
    os: { fields: { name: 'string' } },
    securityContext: {
      fields: {
        runAsNonRoot: 'bool',
        runAsUser: 'int',
        seccompProfile: profile,
        appArmorProfile: profile,
        seLinuxOptions,
        windowsOptions,
        sysctls: { list: { fields: { name: 'string' } } },
      },
    },
    initContainers: { list: container },
    containers: { list: container },
    ephemeralContainers: { list: container },
    volumes: { list: volume },
  },
};

const podMetadata: Shape = { fields: { annotations: { map: 'string' } } };

// The table compiled once into nodes with numeric kinds and field maps: the check of a pod then walks the
// pod's own keys (a handful per object) instead of every field the table knows.
const BOOL = 0;
const INT = 1;
const STRING = 2;
const OBJECT = 3;
const FIELDS = 4;
const LIST = 5;
const MAP = 6;

interface Node {
  readonly kind: number;
  readonly fields: ReadonlyMap<string, Node>;
  readonly elem: Node | undefined;
}

const NO_FIELDS: ReadonlyMap<string, Node> = new Map();

function compileShape(shape: Shape): Node {
  if (typeof shape === 'string') {
    const kind = shape === 'bool' ? BOOL : shape === 'int' ? INT : shape === 'string' ? STRING : OBJECT;
    return { kind, fields: NO_FIELDS, elem: undefined };
  }
  if ('list' in shape) return { kind: LIST, fields: NO_FIELDS, elem: compileShape(shape.list) };
  if ('map' in shape) return { kind: MAP, fields: NO_FIELDS, elem: compileShape(shape.map) };
  const fields = new Map<string, Node>();
  for (const [k, v] of Object.entries(shape.fields)) fields.set(k, compileShape(v));
  return { kind: FIELDS, fields, elem: undefined };
}

const specNode = compileShape(podSpec);
const metadataNode = compileShape(podMetadata);

/** At most this many problems are listed (the first ones found). */
export const MAX_SHAPE_PROBLEMS = 20;

/**
 * The fields the controls read whose value has the wrong type (null counts as unset, as in Kubernetes'
 * JSON decoding). `base` prefixes the paths (e.g. "spec.template").
 */
export function readPodShape(metadata: unknown, spec: unknown, base: string): PodShapeProblem[] {
  // Fast path: a well-formed pod is checked without building any path string.
  if (
    spec !== undefined &&
    spec !== null &&
    wellFormed(spec, specNode) &&
    wellFormed(metadata, metadataNode)
  ) {
    return [];
  }
  const problems: PodShapeProblem[] = [];
  const prefix = base === '' ? '' : `${base}.`;
  if (metadata !== undefined && metadata !== null)
    walk(metadata, metadataNode, `${prefix}metadata`, problems);
  if (spec === undefined || spec === null) {
    problems.push({ path: `${prefix}spec`, message: 'missing pod spec' });
  } else {
    walk(spec, specNode, `${prefix}spec`, problems);
  }
  return problems;
}

/** True for a scalar or object of the node's kind (list, map and fields nodes: the container type only). */
function scalarOk(value: unknown, kind: number): boolean {
  switch (kind) {
    case BOOL:
      return typeof value === 'boolean';
    case INT:
      return Number.isSafeInteger(value);
    case STRING:
      return typeof value === 'string';
    case LIST:
      return Array.isArray(value);
    default:
      return isObj(value);
  }
}

/** True when every field the table knows has the right type (no allocation). null reads as unset. */
function wellFormed(value: unknown, node: Node): boolean {
  if (value === null || value === undefined) return true;
  if (!scalarOk(value, node.kind)) return false;
  if (node.kind === LIST) {
    const list = value as readonly unknown[];
    const elem = node.elem as Node;
    for (let i = 0; i < list.length; i++) if (!wellFormed(list[i], elem)) return false;
  } else if (node.kind === MAP) {
    const o = value as Obj;
    const elem = node.elem as Node;
    for (const k in o) if (!wellFormed(o[k], elem)) return false;
  } else if (node.kind === FIELDS) {
    const o = value as Obj;
    for (const k in o) {
      const f = node.fields.get(k);
      if (f !== undefined && !wellFormed(o[k], f)) return false;
    }
  }
  return true;
}

/** The slow path, run only when wellFormed failed: lists each wrong field with its path. */
function walk(value: unknown, node: Node, path: string, problems: PodShapeProblem[]): void {
  if (value === null || value === undefined || problems.length >= MAX_SHAPE_PROBLEMS) return;
  if (!scalarOk(value, node.kind)) {
    problems.push({ path, message: `expected ${article(node.kind)}, got ${describe(value)}` });
    return;
  }
  if (node.kind === LIST) {
    const list = value as readonly unknown[];
    for (let i = 0; i < list.length; i++) walk(list[i], node.elem as Node, `${path}[${i}]`, problems);
  } else if (node.kind === MAP) {
    const o = value as Obj;
    for (const k in o) walk(o[k], node.elem as Node, `${path}[${JSON.stringify(k)}]`, problems);
  } else if (node.kind === FIELDS) {
    const o = value as Obj;
    for (const k in o) {
      const f = node.fields.get(k);
      if (f !== undefined) walk(o[k], f, `${path}.${k}`, problems);
    }
  }
}

function article(kind: number): string {
  switch (kind) {
    case BOOL:
      return 'a boolean';
    case INT:
      return 'an integer';
    case STRING:
      return 'a string';
    case LIST:
      return 'a list';
    default:
      return 'an object';
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return `${v}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}
