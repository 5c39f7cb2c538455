/**
 * The k8s_audit event source: fields of Falco's k8saudit plugin (`ka.*`) and
 * of the JSON helpers (`jevt.*`), extracted from a kube-apiserver audit Event
 * (audit.k8s.io/v1). Semantics follow falcosecurity/plugins
 * plugins/k8saudit/pkg/k8saudit/extract.go: strings as they are, other JSON
 * values rendered as JSON text, missing values not available (`<NA>`), an
 * optional numeric index on list fields selects one element.
 * Where we depart from the plugin, docs/runtime.md says so.
 */
import type { EventSourceDef, FieldDef, FieldValue, RuntimeEvent } from './types.js';
import { FieldError, fieldTable, getPath, jsonAsString } from './types.js';
import { GENERIC_FIELDS } from './generic.js';
import { clockTime, iso8601, rawTime } from './time.js';

export const K8S_AUDIT_SOURCE = 'k8s_audit';
/** The one event type k8s audit events have. */
export const K8S_AUDIT_EVENT_TYPE = 'k8s_audit';

type Extract = (e: RuntimeEvent) => FieldValue;

/** A compiled path lookup: one closure per path length up to 3 (most k8saudit fields), no loop. */
function pathGetter(path: readonly string[]): (data: unknown) => unknown {
  const [a, b, c] = path as [string, string, string];
  const step = (o: unknown, k: string): unknown =>
    o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined;
  switch (path.length) {
    case 1:
      return (d) => step(d, a);
    case 2:
      return (d) => step(step(d, a), b);
    case 3:
      return (d) => step(step(step(d, a), b), c);
    default:
      return (d) => getPath(d, path);
  }
}

const keys = (name: string, path: readonly string[], desc: string): FieldDef => ({
  name,
  type: 'string',
  desc,
  extractor: () => {
    const get = pathGetter(path);
    return (e) => {
      const v = get(e.data);
      return typeof v === 'string' ? v : jsonAsString(v);
    };
  },
});

const listKeys = (name: string, path: readonly string[], desc: string): FieldDef => ({
  name,
  type: 'string',
  desc,
  isList: true,
  extractor: () => (e) => {
    const v = getPath(e.data, path);
    if (!Array.isArray(v)) return undefined;
    const out: string[] = [];
    for (const x of v) {
      const s = jsonAsString(x);
      if (s === undefined) return undefined;
      out.push(s);
    }
    return out;
  },
});

/** Index argument: a number selects one element; anything else means all (as strconv.Atoi failing). */
function indexOf(arg: string | undefined): number {
  if (arg === undefined || !/^[+-]?\d+$/.test(arg)) return -1;
  const n = Number(arg);
  return n < 0 ? -2 : n;
}

function arrayAt(data: unknown, path: readonly string[], index: number): unknown[] | undefined {
  const arr: unknown = getPath(data, path);
  if (!Array.isArray(arr)) return undefined;
  const list = arr as unknown[];
  if (index === -1) return list;
  if (index < 0 || index >= list.length) return undefined;
  return [list[index]];
}

/** Each element's value at `sub`; missing values fail the whole extraction unless skipMissing. */
function flat(arr: readonly unknown[], sub: readonly string[], skipMissing: boolean): string[] | undefined {
  const out: string[] = [];
  for (const el of arr) {
    const s = jsonAsString(getPath(el, sub));
    if (s === undefined) {
      if (skipMissing) continue;
      return undefined;
    }
    out.push(s);
  }
  return out;
}

const repoOf = (image: string): string => (image.split(':')[0] as string).split('@')[0] as string;

const CONTAINER_KINDS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

function containerFields(kind: (typeof CONTAINER_KINDS)[number]): FieldDef[] {
  const path = ['requestObject', 'spec', kind];
  const p = `ka.req.pod.${kind}`;
  const what =
    kind === 'containers'
      ? 'containers'
      : kind === 'initContainers'
        ? 'init containers'
        : 'ephemeral containers';
  const perContainer = (
    suffix: string,
    sub: readonly string[],
    desc: string,
    skipMissing = false,
  ): FieldDef => ({
    name: `${p}.${suffix}`,
    type: 'string',
    desc,
    isList: true,
    arg: 'optional',
    extractor: (arg) => {
      const index = indexOf(arg);
      return (e) => {
        const arr = arrayAt(e.data, path, index);
        return arr && flat(arr, sub, skipMissing);
      };
    },
  });
  const effective = (suffix: string, key: string, desc: string): FieldDef => ({
    name: `${p}.${suffix}`,
    type: 'string',
    desc,
    isList: true,
    arg: 'optional',
    extractor: (arg) => {
      const index = indexOf(arg);
      return (e) => {
        const podValue =
          jsonAsString(getPath(e.data, ['requestObject', 'spec', 'securityContext', key])) ?? '0';
        const arr = arrayAt(e.data, path, index);
        if (!arr) return undefined;
        return arr.map((c) => jsonAsString(getPath(c, ['securityContext', key])) ?? podValue);
      };
    },
  });
  return [
    perContainer('image', ['image'], `When the request object refers to a pod, the ${what}' images.`),
    {
      name: `${p}.image.repository`,
      type: 'string',
      desc: `The ${what}' images, repository part only (e.g. falcosecurity/falco).`,
      isList: true,
      arg: 'optional',
      extractor: (arg) => {
        const index = indexOf(arg);
        return (e) => {
          const arr = arrayAt(e.data, path, index);
          const images = arr && flat(arr, ['image'], false);
          return images?.map(repoOf);
        };
      },
    },
    perContainer('name', ['name'], `The ${what}' names.`),
    {
      name: `${p}.host_port`,
      type: 'string',
      desc: `All ${what}' hostPort values (containerPort when no hostPort is set).`,
      isList: true,
      arg: 'optional',
      extractor: (arg) => {
        const index = indexOf(arg);
        return (e) => {
          const arr = arrayAt(e.data, path, index);
          if (!arr) return undefined;
          const out: string[] = [];
          for (const c of arr) {
            const ports = getPath(c, ['ports']);
            if (ports === undefined) return undefined;
            if (!Array.isArray(ports)) return undefined;
            for (const port of ports) {
              const hp = getPath(port, ['hostPort']);
              const cp = getPath(port, ['containerPort']);
              if (hp !== undefined) out.push(jsonAsString(hp) as string);
              else if (cp !== undefined) out.push(jsonAsString(cp) as string);
            }
          }
          return out;
        };
      },
    },
    perContainer(
      'privileged',
      ['securityContext', 'privileged'],
      `The privileged flag of the ${what}.`,
      true,
    ),
    perContainer(
      'allow_privilege_escalation',
      ['securityContext', 'allowPrivilegeEscalation'],
      `The allowPrivilegeEscalation flag of the ${what}.`,
    ),
    perContainer(
      'read_only_fs',
      ['securityContext', 'readOnlyRootFilesystem'],
      `The readOnlyRootFilesystem flag of the ${what}.`,
    ),
    perContainer('run_as_user', ['securityContext', 'runAsUser'], `The runAsUser uid of the ${what}.`),
    effective(
      'eff_run_as_user',
      'runAsUser',
      `The initial uid of the ${what} (pod and container security contexts; 0 if none).`,
    ),
    perContainer('run_as_group', ['securityContext', 'runAsGroup'], `The runAsGroup gid of the ${what}.`),
    effective(
      'eff_run_as_group',
      'runAsGroup',
      `The initial gid of the ${what} (pod and container security contexts; 0 if none).`,
    ),
    perContainer('proc_mount', ['securityContext', 'procMount'], `The procMount types of the ${what}.`),
    {
      name: `${p}.add_capabilities`,
      type: 'string',
      desc: `All capabilities added to the ${what}.`,
      isList: true,
      arg: 'optional',
      extractor: (arg) => {
        const index = indexOf(arg);
        return (e) => {
          const arr = arrayAt(e.data, path, index);
          if (!arr) return undefined;
          const out: string[] = [];
          for (const c of arr) {
            const add = getPath(c, ['securityContext', 'capabilities', 'add']);
            if (add === undefined) continue;
            if (!Array.isArray(add)) return undefined;
            for (const a of add) out.push(jsonAsString(a) as string);
          }
          return out;
        };
      },
    },
  ];
}

const rulesField = (suffix: string, key: string): FieldDef => ({
  name: `ka.req.role.rules.${suffix}`,
  type: 'string',
  desc: `When the request object refers to a role/cluster role, the ${key} of the role's rules`,
  isList: true,
  arg: 'optional',
  extractor: (arg) => {
    const index = indexOf(arg);
    return (e) => {
      const arr = arrayAt(e.data, ['requestObject', 'rules'], index);
      if (!arr) return undefined;
      const out: string[] = [];
      for (const r of arr) {
        const v = getPath(r, [key]);
        if (Array.isArray(v))
          for (const x of v) if (x !== undefined && x !== null) out.push(jsonAsString(x) as string);
      }
      return out;
    };
  },
});

const volumesAt = (e: RuntimeEvent, index: number): unknown[] | undefined =>
  arrayAt(e.data, ['requestObject', 'spec', 'volumes'], index);

function requireKey(name: string, arg: string | undefined): string {
  if (arg === undefined || arg.length === 0) throw new FieldError(`field '${name}' requires a key argument`);
  return arg;
}

/** Tokens of an RFC 6901 JSON pointer (`/a/b/0`, `~1` for `/`, `~0` for `~`); undefined unless it starts with `/`. */
export function pointerTokens(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const ARRAY_INDEX = /^(0|[1-9]\d*)$/;

/** Follows pointer tokens through decoded JSON (own properties only; array indexes in canonical form). */
export function followPointer(doc: unknown, tokens: readonly string[]): unknown {
  let cur: unknown = doc;
  for (const token of tokens) {
    if (Array.isArray(cur)) {
      if (!ARRAY_INDEX.test(token)) return undefined;
      cur = cur[Number(token)];
    } else if (cur !== null && typeof cur === 'object') {
      cur = Object.prototype.hasOwnProperty.call(cur, token)
        ? (cur as Record<string, unknown>)[token]
        : undefined;
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** RFC 6901 JSON pointer lookup (`/a/b/0`, `~1` for `/`, `~0` for `~`). */
export function jsonPointer(doc: unknown, pointer: string): unknown {
  const tokens = pointerTokens(pointer);
  return tokens === undefined ? undefined : followPointer(doc, tokens);
}

const fn = (name: string, desc: string, f: Extract, type: FieldDef['type'] = 'string'): FieldDef => ({
  name,
  type,
  desc,
  extractor: () => f,
});

export const K8S_AUDIT_FIELDS: readonly FieldDef[] = [
  ...GENERIC_FIELDS,
  keys('ka.auditid', ['auditID'], 'The unique id of the audit event'),
  keys('ka.stage', ['stage'], 'Stage of the request (e.g. RequestReceived, ResponseComplete, etc.)'),
  keys('ka.auth.decision', ['annotations', 'authorization.k8s.io/decision'], 'The authorization decision'),
  keys('ka.auth.reason', ['annotations', 'authorization.k8s.io/reason'], 'The authorization reason'),
  keys(
    'ka.auth.openshift.decision',
    ['annotations', 'authorization.openshift.io/decision'],
    'The OpenShift authorization decision',
  ),
  keys(
    'ka.auth.openshift.username',
    ['annotations', 'authentication.openshift.io/username'],
    'The OpenShift user name',
  ),
  keys('ka.user.name', ['user', 'username'], 'The user name performing the request'),
  listKeys('ka.user.groups', ['user', 'groups'], 'The groups to which the user belongs'),
  keys('ka.impuser.name', ['impersonatedUser', 'username'], 'The impersonated user name'),
  keys('ka.verb', ['verb'], 'The action being performed'),
  keys('ka.uri', ['requestURI'], 'The request URI as sent from client to server'),
  {
    name: 'ka.uri.param',
    type: 'string',
    desc: 'The value of a given query parameter in the uri (e.g. when uri=/foo?key=val, ka.uri.param[key] is val).',
    arg: 'key',
    extractor: (arg) => {
      const key = requireKey('ka.uri.param', arg);
      return (e) => {
        const uri = getPath(e.data, ['requestURI']);
        if (typeof uri !== 'string') return undefined;
        const q = uri.indexOf('?');
        if (q < 0) return undefined;
        const v = new URLSearchParams(uri.slice(q + 1)).get(key);
        return v === null ? undefined : v;
      };
    },
  },
  keys('ka.target.name', ['objectRef', 'name'], 'The target object name'),
  keys('ka.target.namespace', ['objectRef', 'namespace'], 'The target object namespace'),
  keys('ka.target.resource', ['objectRef', 'resource'], 'The target object resource'),
  keys('ka.target.subresource', ['objectRef', 'subresource'], 'The target object subresource'),
  keys('ka.target.pod.name', ['objectRef', 'name'], 'The target pod name (when the target is a pod)'),
  listKeys(
    'ka.req.binding.subjects',
    ['requestObject', 'subjects'],
    'When the request object refers to a cluster role binding, the subjects linked by the binding',
  ),
  keys(
    'ka.req.binding.role',
    ['requestObject', 'roleRef', 'name'],
    'When the request object refers to a cluster role binding, the role being linked by the binding',
  ),
  {
    name: 'ka.req.binding.subject.has_name',
    type: 'string',
    desc: 'Deprecated; kept for compatibility. Like the k8saudit plugin, always "true".',
    arg: 'key',
    extractor: (arg) => {
      requireKey('ka.req.binding.subject.has_name', arg);
      return () => 'true';
    },
  },
  keys(
    'ka.req.configmap.name',
    ['objectRef', 'name'],
    'If the request object refers to a configmap, the configmap name',
  ),
  keys(
    'ka.req.configmap.obj',
    ['requestObject', 'data'],
    'If the request object refers to a configmap, the entire configmap object',
  ),
  ...CONTAINER_KINDS.flatMap(containerFields),
  fn(
    'ka.req.container.image',
    'Deprecated by ka.req.pod.containers.image. The image of the first container only',
    (e) => {
      const arr = arrayAt(e.data, ['requestObject', 'spec', 'containers'], 0);
      return arr ? flat(arr, ['image'], false)?.[0] : undefined;
    },
  ),
  fn('ka.req.container.image.repository', 'Deprecated. The repository of the first container only', (e) => {
    const arr = arrayAt(e.data, ['requestObject', 'spec', 'containers'], 0);
    const img = arr ? flat(arr, ['image'], false)?.[0] : undefined;
    return img === undefined ? undefined : repoOf(img);
  }),
  fn('ka.req.container.privileged', 'Deprecated. true if any container has privileged=true', (e) => {
    const arr = arrayAt(e.data, ['requestObject', 'spec', 'containers'], -1);
    if (!arr) return undefined;
    return arr.some((c) => getPath(c, ['securityContext', 'privileged']) === true) ? 'true' : 'false';
  }),
  keys(
    'ka.req.pod.host_ipc',
    ['requestObject', 'spec', 'hostIPC'],
    'When the request object refers to a pod, the value of the hostIPC flag.',
  ),
  keys(
    'ka.req.pod.host_network',
    ['requestObject', 'spec', 'hostNetwork'],
    'When the request object refers to a pod, the value of the hostNetwork flag.',
  ),
  keys(
    'ka.req.container.host_network',
    ['requestObject', 'spec', 'hostNetwork'],
    'Deprecated alias for ka.req.pod.host_network',
  ),
  keys(
    'ka.req.pod.host_pid',
    ['requestObject', 'spec', 'hostPID'],
    'When the request object refers to a pod, the value of the hostPID flag.',
  ),
  keys(
    'ka.req.pod.run_as_user',
    ['requestObject', 'spec', 'securityContext', 'runAsUser'],
    'The pod security context runAsUser',
  ),
  keys(
    'ka.req.pod.run_as_group',
    ['requestObject', 'spec', 'securityContext', 'runAsGroup'],
    'The pod security context runAsGroup',
  ),
  keys(
    'ka.req.pod.fs_group',
    ['requestObject', 'spec', 'securityContext', 'fsGroup'],
    'The pod security context fsGroup',
  ),
  listKeys(
    'ka.req.pod.supplemental_groups',
    ['requestObject', 'spec', 'securityContext', 'supplementalGroups'],
    'The pod security context supplementalGroups',
  ),
  listKeys(
    'ka.req.role.rules',
    ['requestObject', 'rules'],
    'When the request object refers to a role/cluster role, the rules associated with the role',
  ),
  rulesField('apiGroups', 'apiGroups'),
  rulesField('nonResourceURLs', 'nonResourceURLs'),
  rulesField('verbs', 'verbs'),
  rulesField('resources', 'resources'),
  keys(
    'ka.req.service.type',
    ['requestObject', 'spec', 'type'],
    'When the request object refers to a service, the service type',
  ),
  {
    name: 'ka.req.service.ports',
    type: 'string',
    desc: "When the request object refers to a service, the service's ports",
    isList: true,
    arg: 'optional',
    extractor: (arg) => {
      const index = indexOf(arg);
      return (e) => {
        const arr = arrayAt(e.data, ['requestObject', 'spec', 'ports'], index);
        return arr?.map((p) => jsonAsString(p) as string);
      };
    },
  },
  {
    name: 'ka.req.pod.volumes.hostpath',
    type: 'string',
    desc: 'When the request object refers to a pod, all hostPath paths specified for all volumes',
    isList: true,
    arg: 'optional',
    extractor: (arg) => {
      const index = indexOf(arg);
      return (e) => {
        const arr = volumesAt(e, index);
        return arr && flat(arr, ['hostPath', 'path'], true);
      };
    },
  },
  {
    name: 'ka.req.volume.hostpath',
    type: 'string',
    desc: 'Deprecated by ka.req.pod.volumes.hostpath. "true" if the given host path (a trailing * makes it a prefix) is used by any volume',
    arg: 'key',
    extractor: (arg) => {
      const key = requireKey('ka.req.volume.hostpath', arg);
      const prefix = key.endsWith('*') ? key.slice(0, -1) : undefined;
      return (e) => {
        const arr = volumesAt(e, -1);
        const paths = arr && flat(arr, ['hostPath', 'path'], true);
        if (!paths) return undefined;
        return paths.some((p) => (prefix !== undefined && p.startsWith(prefix)) || p === key)
          ? 'true'
          : 'false';
      };
    },
  },
  {
    name: 'ka.req.pod.volumes.flexvolume_driver',
    type: 'string',
    desc: 'When the request object refers to a pod, all flexvolume drivers specified for all volumes',
    isList: true,
    arg: 'optional',
    extractor: (arg) => {
      const index = indexOf(arg);
      return (e) => {
        const arr = volumesAt(e, index);
        return arr && flat(arr, ['flexVolume', 'driver'], true);
      };
    },
  },
  {
    name: 'ka.req.pod.volumes.volume_type',
    type: 'string',
    desc: 'When the request object refers to a pod, all volume types for all volumes',
    isList: true,
    arg: 'optional',
    extractor: (arg) => {
      const index = indexOf(arg);
      return (e) => {
        const arr = volumesAt(e, index);
        if (!arr) return undefined;
        const out: string[] = [];
        for (const v of arr) {
          if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
          for (const k of Object.keys(v)) if (k !== 'name') out.push(k);
        }
        return out;
      };
    },
  },
  keys('ka.resp.name', ['responseObject', 'metadata', 'name'], 'The response object name'),
  keys('ka.response.code', ['responseStatus', 'code'], 'The response code'),
  keys(
    'ka.response.reason',
    ['responseStatus', 'reason'],
    'The response reason (usually present only for failures)',
  ),
  keys('ka.useragent', ['userAgent'], 'The useragent of the client who made the request to the apiserver'),
  listKeys(
    'ka.sourceips',
    ['sourceIPs'],
    'The IP addresses of the client who made the request to the apiserver',
  ),
  fn(
    'ka.cluster.name',
    'The name of the k8s cluster (from the annotation palisade.dev/cluster, if any)',
    (e) => jsonAsString(getPath(e.data, ['annotations', 'palisade.dev/cluster'])),
  ),
  fn('jevt.time', 'json event timestamp as a string (HH:MM:SS.nnnnnnnnn)', (e) => clockTime(e.sec, e.nsec)),
  fn('jevt.time.iso8601', 'json event timestamp in ISO 8601 format, UTC', (e) => iso8601(e.sec, e.nsec)),
  fn(
    'jevt.rawtime',
    'json event timestamp, nanoseconds since the epoch',
    (e) => rawTime(e.sec, e.nsec),
    'uint64',
  ),
  {
    name: 'jevt.value',
    type: 'string',
    desc: 'General way to access a single property of the json event, by JSON pointer (jevt.value[/user/username])',
    arg: 'required',
    extractor: (arg) => {
      if (arg === undefined || arg.length === 0)
        throw new FieldError("field 'jevt.value' requires a JSON pointer argument");
      const tokens = pointerTokens(arg);
      if (tokens === undefined) throw new FieldError(`invalid JSON pointer '${arg}'`);
      return (e) => jsonAsString(followPointer(e.data, tokens));
    },
  },
  fn('jevt.obj', 'The entire json object, stringified', (e) => e.raw ?? JSON.stringify(e.data)),
];

export const K8S_AUDIT: EventSourceDef = {
  name: K8S_AUDIT_SOURCE,
  fields: fieldTable(K8S_AUDIT_FIELDS),
};
