/**
 * The syscall event source, fed as JSON by a sensor (our event shape, see
 * docs/runtime.md "Syscall events as JSON"). Field names and types are the
 * libsinsp ones the upstream rules use; each reads a path of the JSON event.
 * Process ancestry is `proc.ancestors` (parent first), which gives
 * proc.pname, proc.aname[N] and friends.
 */
import type { EventSourceDef, FieldDef, FieldType, FieldValue, RuntimeEvent, Scalar } from './types.js';
import { FieldError, fieldTable, getPath } from './types.js';
import { GENERIC_FIELDS } from './generic.js';
import { SYSCALL_EVENT_TYPES } from './syscall-events.js';

export const SYSCALL_SOURCE = 'syscall';

const scalar = (v: unknown): FieldValue => {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.filter((x): x is Scalar => typeof x === 'string' || typeof x === 'number');
  return JSON.stringify(v);
};

const path = (name: string, type: FieldType, p: string, desc = '', isList = false): FieldDef => {
  const keys = p.split('.');
  return {
    name,
    type,
    desc: desc || `${name} (JSON path ${p})`,
    ...(isList ? { isList } : {}),
    extractor: () => (e) => scalar(getPath(e.data, keys)),
  };
};

const fn = (name: string, type: FieldType, desc: string, f: (e: RuntimeEvent) => FieldValue): FieldDef => ({
  name,
  type,
  desc,
  extractor: () => f,
});

/** Plain path fields: [name, type, JSON path]. */
const PATHS: [string, FieldType, string][] = [
  ['evt.dir', 'string', 'dir'],
  ['evt.rawres', 'int64', 'res'],
  ['evt.args', 'string', 'args_text'],
  ['evt.cpu', 'int64', 'cpu'],
  ['evt.buffer', 'string', 'buffer'],
  ['evt.category', 'string', 'category'],
  ['evt.failed', 'bool', 'failed'],
  ['evt.is_io', 'bool', 'is_io'],
  ['evt.is_io_read', 'bool', 'is_io_read'],
  ['evt.is_io_write', 'bool', 'is_io_write'],
  ['evt.is_wait', 'bool', 'is_wait'],
  ['evt.is_syslog', 'bool', 'is_syslog'],
  ['evt.is_open_create', 'bool', 'is_open_create'],
  ['evt.latency', 'reltime', 'latency'],
  ['proc.name', 'string', 'proc.name'],
  ['proc.exe', 'string', 'proc.exe'],
  ['proc.exepath', 'string', 'proc.exepath'],
  ['proc.args', 'string', 'proc.args'],
  ['proc.cmdline', 'string', 'proc.cmdline'],
  ['proc.cmdnargs', 'uint64', 'proc.cmdnargs'],
  ['proc.cmdlenargs', 'uint64', 'proc.cmdlenargs'],
  ['proc.exeline', 'string', 'proc.exeline'],
  ['proc.cwd', 'string', 'proc.cwd'],
  ['proc.pid', 'int64', 'proc.pid'],
  ['proc.ppid', 'int64', 'proc.ppid'],
  ['proc.vpid', 'int64', 'proc.vpid'],
  ['proc.pvpid', 'int64', 'proc.pvpid'],
  ['proc.sid', 'int64', 'proc.sid'],
  ['proc.sname', 'string', 'proc.sname'],
  ['proc.vpgid', 'int64', 'proc.vpgid'],
  ['proc.vpgid.name', 'string', 'proc.vpgid_name'],
  ['proc.vpgid.exe', 'string', 'proc.vpgid_exe'],
  ['proc.vpgid.exepath', 'string', 'proc.vpgid_exepath'],
  ['proc.is_vpgid_leader', 'bool', 'proc.is_vpgid_leader'],
  ['proc.is_sid_leader', 'bool', 'proc.is_sid_leader'],
  ['proc.tty', 'int64', 'proc.tty'],
  ['proc.loginshellid', 'int64', 'proc.loginshellid'],
  ['proc.duration', 'reltime', 'proc.duration'],
  ['proc.ppid.duration', 'reltime', 'proc.ppid_duration'],
  ['proc.pid.ts', 'abstime', 'proc.pid_ts'],
  ['proc.is_exe_writable', 'bool', 'proc.is_exe_writable'],
  ['proc.is_exe_upper_layer', 'bool', 'proc.is_exe_upper_layer'],
  ['proc.is_exe_from_memfd', 'bool', 'proc.is_exe_from_memfd'],
  ['proc.is_container_healthcheck', 'bool', 'proc.is_container_healthcheck'],
  ['proc.is_container_liveness_probe', 'bool', 'proc.is_container_liveness_probe'],
  ['proc.is_container_readiness_probe', 'bool', 'proc.is_container_readiness_probe'],
  ['proc.exe_ino', 'int64', 'proc.exe_ino'],
  ['proc.exe_ino.ctime', 'abstime', 'proc.exe_ino_ctime'],
  ['proc.exe_ino.mtime', 'abstime', 'proc.exe_ino_mtime'],
  ['proc.exe_ino.ctime_duration_proc_start', 'reltime', 'proc.exe_ino_ctime_duration_proc_start'],
  ['proc.exe_ino.ctime_duration_pidns_start', 'reltime', 'proc.exe_ino_ctime_duration_pidns_start'],
  ['proc.pidns_init_start_ts', 'uint64', 'proc.pidns_init_start_ts'],
  ['proc.fdopencount', 'uint64', 'proc.fdopencount'],
  ['proc.vmsize', 'uint64', 'proc.vmsize'],
  ['proc.vmrss', 'uint64', 'proc.vmrss'],
  ['thread.tid', 'int64', 'thread.tid'],
  ['thread.vtid', 'int64', 'thread.vtid'],
  ['thread.cap_permitted', 'string', 'thread.cap_permitted'],
  ['thread.cap_effective', 'string', 'thread.cap_effective'],
  ['thread.cap_inheritable', 'string', 'thread.cap_inheritable'],
  ['thread.ismain', 'bool', 'thread.ismain'],
  ['fd.num', 'int64', 'fd.num'],
  ['fd.type', 'string', 'fd.type'],
  ['fd.typechar', 'string', 'fd.typechar'],
  ['fd.name', 'string', 'fd.name'],
  ['fd.nameraw', 'string', 'fd.nameraw'],
  ['fd.directory', 'string', 'fd.directory'],
  ['fd.filename', 'string', 'fd.filename'],
  ['fd.ip', 'ipaddr', 'fd.ip'],
  ['fd.cip', 'ipaddr', 'fd.cip'],
  ['fd.sip', 'ipaddr', 'fd.sip'],
  ['fd.lip', 'ipaddr', 'fd.lip'],
  ['fd.rip', 'ipaddr', 'fd.rip'],
  ['fd.port', 'port', 'fd.port'],
  ['fd.cport', 'port', 'fd.cport'],
  ['fd.sport', 'port', 'fd.sport'],
  ['fd.lport', 'port', 'fd.lport'],
  ['fd.rport', 'port', 'fd.rport'],
  ['fd.l4proto', 'string', 'fd.l4proto'],
  ['fd.sockfamily', 'string', 'fd.sockfamily'],
  ['fd.is_server', 'bool', 'fd.is_server'],
  ['fd.uid', 'string', 'fd.uid'],
  ['fd.containername', 'string', 'fd.containername'],
  ['fd.containerdirectory', 'string', 'fd.containerdirectory'],
  ['fd.proto', 'string', 'fd.proto'],
  ['fd.cproto', 'string', 'fd.cproto'],
  ['fd.sproto', 'string', 'fd.sproto'],
  ['fd.lproto', 'string', 'fd.lproto'],
  ['fd.rproto', 'string', 'fd.rproto'],
  ['fd.cip.name', 'string', 'fd.cip_name'],
  ['fd.sip.name', 'string', 'fd.sip_name'],
  ['fd.lip.name', 'string', 'fd.lip_name'],
  ['fd.rip.name', 'string', 'fd.rip_name'],
  ['fd.dev', 'int64', 'fd.dev'],
  ['fd.ino', 'int64', 'fd.ino'],
  ['fd.connected', 'bool', 'fd.connected'],
  ['fd.name_changed', 'bool', 'fd.name_changed'],
  ['fd.cnet', 'ipnet', 'fd.cip'],
  ['fd.snet', 'ipnet', 'fd.sip'],
  ['fd.lnet', 'ipnet', 'fd.lip'],
  ['fd.rnet', 'ipnet', 'fd.rip'],
  ['fd.net', 'ipnet', 'fd.ip'],
  ['fs.path.name', 'string', 'fs.path.name'],
  ['fs.path.nameraw', 'string', 'fs.path.nameraw'],
  ['fs.path.source', 'string', 'fs.path.source'],
  ['fs.path.sourceraw', 'string', 'fs.path.sourceraw'],
  ['fs.path.target', 'string', 'fs.path.target'],
  ['fs.path.targetraw', 'string', 'fs.path.targetraw'],
  ['user.uid', 'uint64', 'user.uid'],
  ['user.name', 'string', 'user.name'],
  ['user.homedir', 'string', 'user.homedir'],
  ['user.shell', 'string', 'user.shell'],
  ['user.loginuid', 'int64', 'user.loginuid'],
  ['user.loginname', 'string', 'user.loginname'],
  ['group.gid', 'uint64', 'group.gid'],
  ['group.name', 'string', 'group.name'],
  ['container.id', 'string', 'container.id'],
  ['container.full_id', 'string', 'container.full_id'],
  ['container.name', 'string', 'container.name'],
  ['container.image', 'string', 'container.image.name'],
  ['container.image.id', 'string', 'container.image.id'],
  ['container.image.repository', 'string', 'container.image.repository'],
  ['container.image.tag', 'string', 'container.image.tag'],
  ['container.image.digest', 'string', 'container.image.digest'],
  ['container.type', 'string', 'container.type'],
  ['container.privileged', 'bool', 'container.privileged'],
  ['container.start_ts', 'abstime', 'container.start_ts'],
  ['container.duration', 'reltime', 'container.duration'],
  ['container.ip', 'ipaddr', 'container.ip'],
  ['container.cni.json', 'string', 'container.cni_json'],
  ['container.host_pid', 'bool', 'container.host_pid'],
  ['container.host_network', 'bool', 'container.host_network'],
  ['container.host_ipc', 'bool', 'container.host_ipc'],
  ['container.healthcheck', 'string', 'container.healthcheck'],
  ['container.liveness_probe', 'string', 'container.liveness_probe'],
  ['container.readiness_probe', 'string', 'container.readiness_probe'],
  ['k8s.pod.name', 'string', 'k8s.pod.name'],
  ['k8s.pod.id', 'string', 'k8s.pod.uid'],
  ['k8s.pod.uid', 'string', 'k8s.pod.uid'],
  ['k8s.pod.sandbox_id', 'string', 'k8s.pod.sandbox_id'],
  ['k8s.pod.full_sandbox_id', 'string', 'k8s.pod.full_sandbox_id'],
  ['k8s.pod.ip', 'string', 'k8s.pod.ip'],
  ['k8s.pod.cni.json', 'string', 'k8s.pod.cni_json'],
  ['k8s.ns.name', 'string', 'k8s.ns.name'],
  ['k8s.rc.name', 'string', 'k8s.rc.name'],
  ['k8s.rs.name', 'string', 'k8s.rs.name'],
  ['k8s.svc.name', 'string', 'k8s.svc.name'],
  ['k8s.deployment.name', 'string', 'k8s.deployment.name'],
  ['syslog.facility', 'string', 'syslog.facility'],
  ['syslog.severity', 'string', 'syslog.severity'],
  ['syslog.message', 'string', 'syslog.message'],
];

type Ancestor = Record<string, unknown>;

const ancestors = (e: RuntimeEvent): Ancestor[] | undefined => {
  const a = getPath(e.data, ['proc', 'ancestors']);
  return Array.isArray(a) ? (a as Ancestor[]) : undefined;
};

/** proc.pname, proc.aname[N] …: [parent field, ancestor field, type, key in each process object]. */
const ANCESTRY: [string, string, FieldType, string][] = [
  ['proc.pname', 'proc.aname', 'string', 'name'],
  ['proc.pexe', 'proc.aexe', 'string', 'exe'],
  ['proc.pexepath', 'proc.aexepath', 'string', 'exepath'],
  ['proc.pcmdline', 'proc.acmdline', 'string', 'cmdline'],
  ['proc.pargs', 'proc.aargs', 'string', 'args'],
  ['proc.ppid_field', 'proc.apid', 'int64', 'pid'],
];

function ancestryFields(): FieldDef[] {
  const out: FieldDef[] = [];
  for (const [parent, any, type, key] of ANCESTRY) {
    if (!parent.endsWith('_field'))
      out.push(fn(parent, type, `${key} of the parent process`, (e) => scalar(ancestors(e)?.[0]?.[key])));
    out.push({
      name: any,
      type,
      desc: `${key} of an ancestor: [0] the process itself, [1] its parent, [2] the grandparent …; without an index, every ancestor (any matches)`,
      arg: 'optional',
      extractor: (arg) => {
        if (arg === undefined) {
          return (e) => {
            const a = ancestors(e);
            if (!a) return undefined;
            return a
              .map((p) => p[key])
              .filter((v): v is Scalar => typeof v === 'string' || typeof v === 'number');
          };
        }
        if (!/^\d+$/.test(arg))
          throw new FieldError(`wrong argument '${arg}' for field ${any}: expected a number`);
        const n = Number(arg);
        if (n === 0) return (e) => scalar(getPath(e.data, ['proc', key]));
        return (e) => scalar(ancestors(e)?.[n - 1]?.[key]);
      },
    });
  }
  return out;
}

/** `evt.arg.NAME`, `evt.arg[NAME]` and `evt.rawarg.NAME` read `args.NAME`. */
const argFamilies = ['evt.arg', 'evt.rawarg'];

function argField(family: string, name: string | undefined): FieldDef | undefined {
  if (!argFamilies.includes(family)) return undefined;
  return {
    name: name === undefined ? family : `${family}.${name}`,
    type: 'string',
    desc: `an argument of the event by name`,
    arg: name === undefined ? 'key' : 'none',
    extractor: (arg) => {
      const key = name ?? arg;
      if (key === undefined || key === '') throw new FieldError(`field '${family}' requires an argument`);
      return (e) => scalar(getPath(e.data, ['args', key]));
    },
  };
}

const flagsOf = (e: RuntimeEvent): string => {
  const f = getPath(e.data, ['args', 'flags']);
  return typeof f === 'string' ? f : '';
};

const OPEN_TYPES = new Set(['open', 'openat', 'openat2', 'creat']);

const SPECIAL: FieldDef[] = [
  fn('evt.type', 'string', 'event type (syscall name)', (e) => e.type),
  fn('evt.res', 'string', 'event result: SUCCESS, or the errno name', (e) => {
    const r = getPath(e.data, ['res']);
    if (typeof r === 'string') return r;
    if (typeof r === 'number') return r >= 0 ? 'SUCCESS' : String(r);
    return undefined;
  }),
  fn('evt.is_open_read', 'bool', 'open event with read access (O_RDONLY or O_RDWR in args.flags)', (e) =>
    OPEN_TYPES.has(e.type) ? /O_RDONLY|O_RDWR/.test(flagsOf(e)) : false,
  ),
  fn('evt.is_open_write', 'bool', 'open event with write access (O_WRONLY or O_RDWR in args.flags)', (e) =>
    OPEN_TYPES.has(e.type) ? /O_WRONLY|O_RDWR/.test(flagsOf(e)) : false,
  ),
  fn(
    'evt.is_open_exec',
    'bool',
    'open event creating an executable file (O_CREAT with an exec mode)',
    (e) => {
      const v = getPath(e.data, ['is_open_exec']);
      return typeof v === 'boolean' ? v : false;
    },
  ),
  {
    name: 'proc.env',
    type: 'string',
    desc: 'process environment; with an argument, the value of that variable',
    arg: 'optional',
    extractor: (arg) => (e) => {
      const v = getPath(e.data, ['proc', 'env']);
      if (arg === undefined) return Array.isArray(v) ? v.join(' ') : scalar(v);
      if (!Array.isArray(v)) return undefined;
      for (const kv of v)
        if (typeof kv === 'string' && kv.startsWith(`${arg}=`)) return kv.slice(arg.length + 1);
      return undefined;
    },
  },
  fn('fd.types', 'string', 'types of the fds the process holds', (e) =>
    scalar(getPath(e.data, ['fd', 'types'])),
  ),
  {
    name: 'container.mount.dest',
    type: 'string',
    desc: 'mount destination by index or source path',
    arg: 'required',
    extractor: (arg) => (e) => mountField(e, arg, 'dest', 'source'),
  },
  {
    name: 'container.mount.source',
    type: 'string',
    desc: 'mount source by index or destination path',
    arg: 'required',
    extractor: (arg) => (e) => mountField(e, arg, 'source', 'dest'),
  },
  fn('container.mounts', 'string', 'all mounts: source:dest:mode:rdwr:propagation, comma separated', (e) => {
    const m = getPath(e.data, ['container', 'mounts']);
    if (!Array.isArray(m)) return undefined;
    return m
      .map((x: Record<string, unknown>) =>
        [x['source'], x['dest'], x['mode'], x['rdwr'], x['propagation']]
          .map((v) =>
            typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '',
          )
          .join(':'),
      )
      .join(',');
  }),
  fn('container.info', 'string', 'deprecated output helper; empty', () => ''),
  {
    name: 'k8s.pod.label',
    type: 'string',
    desc: 'a pod label by key',
    arg: 'required',
    extractor: (arg) => (e) => scalar(getPath(e.data, ['k8s', 'pod', 'labels', arg ?? ''])),
  },
  fn('k8s.pod.labels', 'string', 'pod labels as key:value, comma separated', (e) => {
    const l = getPath(e.data, ['k8s', 'pod', 'labels']);
    if (l === null || typeof l !== 'object') return undefined;
    return Object.entries(l as Record<string, unknown>)
      .map(([k, v]) => `${k}:${String(v)}`)
      .join(', ');
  }),
];

function mountField(e: RuntimeEvent, arg: string | undefined, want: string, by: string): FieldValue {
  const m = getPath(e.data, ['container', 'mounts']);
  if (!Array.isArray(m) || arg === undefined) return undefined;
  if (/^\d+$/.test(arg)) return scalar((m[Number(arg)] as Record<string, unknown> | undefined)?.[want]);
  for (const x of m as Record<string, unknown>[]) if (x[by] === arg) return scalar(x[want]);
  return undefined;
}

const defs: FieldDef[] = [
  ...GENERIC_FIELDS,
  ...PATHS.map(([n, t, p]) => path(n, t, p)),
  ...ancestryFields(),
  ...SPECIAL,
];

export const SYSCALL_FIELDS: ReadonlyMap<string, FieldDef> = fieldTable(defs);

/** Field lookup with the dynamic families (`evt.arg.NAME`). */
export function syscallField(name: string): FieldDef | undefined {
  const f = SYSCALL_FIELDS.get(name);
  if (f) return f;
  if (name === 'evt.arg' || name === 'evt.rawarg') return argField(name, undefined);
  for (const fam of argFamilies)
    if (name.startsWith(`${fam}.`)) return argField(fam, name.slice(fam.length + 1));
  return undefined;
}

export const SYSCALL: EventSourceDef & { lookup: (name: string) => FieldDef | undefined } = {
  name: SYSCALL_SOURCE,
  fields: SYSCALL_FIELDS,
  eventTypes: SYSCALL_EVENT_TYPES,
  lookup: syscallField,
};
