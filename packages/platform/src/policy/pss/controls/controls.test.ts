/**
 * One table per control: what each revision allows and denies, and the reason and detail it gives (in
 * the wording of pod-security-admission's checks).
 */
import { describe, expect, it } from 'vitest';
import { control as allowPrivilegeEscalation } from './allowPrivilegeEscalation.js';
import { control as appArmorProfile } from './appArmorProfile.js';
import { control as capabilities_baseline } from './capabilities_baseline.js';
import { control as capabilities_restricted } from './capabilities_restricted.js';
import { control as hostNamespaces } from './hostNamespaces.js';
import { control as hostPathVolumes } from './hostPathVolumes.js';
import { control as hostPorts } from './hostPorts.js';
import { control as hostProbesAndHostLifecycle } from './hostProbesAndHostLifecycle.js';
import { control as privileged } from './privileged.js';
import { control as procMount } from './procMount.js';
import { control as procMount_restricted } from './procMount_restricted.js';
import { control as restrictedVolumes } from './restrictedVolumes.js';
import { control as runAsNonRoot } from './runAsNonRoot.js';
import { control as runAsUser } from './runAsUser.js';
import { control as seLinuxOptions } from './seLinuxOptions.js';
import { control as seccompProfile_baseline } from './seccompProfile_baseline.js';
import { control as seccompProfile_restricted } from './seccompProfile_restricted.js';
import { control as sysctls } from './sysctls.js';
import { control as windowsHostProcess } from './windowsHostProcess.js';
import { podView } from '../pod.js';
import type { CheckOutcome, FieldError, PodSecurityControl } from '../types.js';

type Spec = Record<string, unknown>;

interface Case {
  name: string;
  /** Policy minor version (v1.N). */
  version: number;
  spec: Spec;
  annotations?: Record<string, string>;
  expect: { reason: string; detail: string } | 'allowed' | 'not applicable';
  /** The field errors of the denial (checked when given). */
  errors?: FieldError[];
}

/** Runs the revision of a control in force at policy v1.<version>. */
function runAt(
  control: PodSecurityControl,
  version: number,
  spec: Spec,
  annotations: Record<string, string> = {},
  errors?: FieldError[],
) {
  let rev: PodSecurityControl['revisions'][number] | undefined;
  for (const r of control.revisions) if (r.minVersion <= version) rev = r;
  return rev?.check(podView({ annotations }, spec), errors);
}

function table(control: PodSecurityControl, cases: readonly Case[]): void {
  describe(control.id, () => {
    for (const c of cases) {
      it(c.name, () => {
        const out: CheckOutcome | undefined = runAt(control, c.version, c.spec, c.annotations);
        if (c.expect === 'not applicable') expect(out).toBeUndefined();
        else if (c.expect === 'allowed') expect(out).toEqual({ allowed: true, reason: '', detail: '' });
        else expect(out).toEqual({ allowed: false, ...c.expect });
        // With field errors asked for: the same verdict, and errors exactly when it denies.
        const errors: FieldError[] = [];
        expect(runAt(control, c.version, c.spec, c.annotations, errors)).toEqual(out);
        expect(errors.length > 0, 'field errors when denied, none when allowed').toBe(out?.allowed === false);
        if (c.errors) expect(errors).toEqual(c.errors);
      });
    }
  });
}

/** A container with a securityContext (and other fields). */
const ctr = (name: string, securityContext?: Spec, extra: Spec = {}): Spec => ({
  name,
  image: 'registry.k8s.io/pause',
  ...(securityContext ? { securityContext } : {}),
  ...extra,
});

table(hostNamespaces, [
  {
    name: 'allows a pod that shares no host namespace',
    version: 0,
    spec: { hostNetwork: false, containers: [ctr('a')] },
    expect: 'allowed',
  },
  {
    name: 'denies the host network and PID namespaces, naming both in upstream order',
    version: 37,
    spec: { hostPID: true, hostNetwork: true, containers: [ctr('a')] },
    expect: { reason: 'host namespaces', detail: 'hostNetwork=true, hostPID=true' },
    errors: [
      { type: 'forbidden', field: 'spec.hostNetwork', badValue: true },
      { type: 'forbidden', field: 'spec.hostPID', badValue: true },
    ],
  },
  {
    name: 'denies the host IPC namespace',
    version: 0,
    spec: { hostIPC: true, containers: [ctr('a')] },
    expect: { reason: 'host namespaces', detail: 'hostIPC=true' },
  },
]);

table(privileged, [
  {
    name: 'allows containers that are not privileged',
    version: 0,
    spec: { containers: [ctr('a', { privileged: false }), ctr('b')] },
    expect: 'allowed',
  },
  {
    name: 'denies privileged init, regular and ephemeral containers, in that order',
    version: 0,
    spec: {
      containers: [ctr('c', { privileged: true })],
      initContainers: [ctr('i', { privileged: true })],
      ephemeralContainers: [ctr('e', { privileged: true })],
    },
    expect: {
      reason: 'privileged',
      detail: 'containers "i", "c", "e" must not set securityContext.privileged=true',
    },
    errors: [
      { type: 'forbidden', field: 'spec.initContainers[0].securityContext.privileged', badValue: true },
      { type: 'forbidden', field: 'spec.containers[0].securityContext.privileged', badValue: true },
      { type: 'forbidden', field: 'spec.ephemeralContainers[0].securityContext.privileged', badValue: true },
    ],
  },
]);

table(capabilities_baseline, [
  {
    name: 'allows adding capabilities of the default set',
    version: 0,
    spec: { containers: [ctr('a', { capabilities: { add: ['NET_BIND_SERVICE', 'CHOWN', 'KILL'] } })] },
    expect: 'allowed',
  },
  {
    name: 'denies NET_RAW and SYS_ADMIN, listing the capabilities sorted and once each',
    version: 0,
    spec: {
      containers: [
        ctr('a', { capabilities: { add: ['SYS_ADMIN', 'NET_RAW'] } }),
        ctr('b', { capabilities: { add: ['NET_RAW', 'CHOWN'] } }),
      ],
    },
    expect: {
      reason: 'non-default capabilities',
      detail:
        'containers "a", "b" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add',
    },
    errors: [
      {
        type: 'forbidden',
        field: 'spec.containers[0].securityContext.capabilities.add',
        badValue: ['NET_RAW', 'SYS_ADMIN'],
      },
      {
        type: 'forbidden',
        field: 'spec.containers[1].securityContext.capabilities.add',
        badValue: ['NET_RAW'],
      },
    ],
  },
]);

table(hostPathVolumes, [
  {
    name: 'allows volumes that are not hostPath',
    version: 0,
    spec: { volumes: [{ name: 'a', emptyDir: {} }], containers: [ctr('a')] },
    expect: 'allowed',
  },
  {
    name: 'denies hostPath volumes, in the order they appear',
    version: 0,
    spec: {
      volumes: [
        { name: 'z', hostPath: { path: '/' } },
        { name: 'e', emptyDir: {} },
        { name: 'a', hostPath: { path: '/etc' } },
      ],
      containers: [ctr('a')],
    },
    expect: { reason: 'hostPath volumes', detail: 'volumes "z", "a"' },
    errors: [
      { type: 'forbidden', field: 'spec.volumes[0].hostPath' },
      { type: 'forbidden', field: 'spec.volumes[2].hostPath' },
    ],
  },
]);

table(hostPorts, [
  {
    name: 'allows container ports without a host port, or with host port 0',
    version: 0,
    spec: {
      containers: [
        ctr('a', undefined, { ports: [{ containerPort: 80 }, { containerPort: 81, hostPort: 0 }] }),
      ],
    },
    expect: 'allowed',
  },
  {
    name: 'denies one host port in one container',
    version: 0,
    spec: { containers: [ctr('a', undefined, { ports: [{ containerPort: 80, hostPort: 80 }] })] },
    expect: { reason: 'hostPort', detail: 'container "a" uses hostPort 80' },
  },
  {
    name: 'denies host ports in several containers, sorting the ports as strings as upstream does',
    version: 0,
    spec: {
      initContainers: [ctr('i', undefined, { ports: [{ hostPort: 9 }, { hostPort: 8080 }] })],
      containers: [ctr('a', undefined, { ports: [{ hostPort: 10 }] })],
    },
    expect: { reason: 'hostPort', detail: 'containers "i", "a" use hostPorts 10, 8080, 9' },
    errors: [
      { type: 'forbidden', field: 'spec.initContainers[0].ports[0].hostPort', badValue: 9 },
      { type: 'forbidden', field: 'spec.initContainers[0].ports[1].hostPort', badValue: 8080 },
      { type: 'forbidden', field: 'spec.containers[0].ports[0].hostPort', badValue: 10 },
    ],
  },
]);

const probeSpec = {
  containers: [
    ctr('b', undefined, {
      livenessProbe: { httpGet: { host: 'localhost', port: 8080 } },
      lifecycle: { preStop: { tcpSocket: { host: '10.0.0.1', port: 80 } } },
    }),
    ctr('a', undefined, { readinessProbe: { tcpSocket: { host: 'localhost', port: 80 } } }),
  ],
};
table(hostProbesAndHostLifecycle, [
  {
    name: 'does not apply before policy v1.34',
    version: 33,
    spec: probeSpec,
    expect: 'not applicable',
  },
  {
    name: 'allows probes and handlers without a host, or with an empty host',
    version: 34,
    spec: {
      containers: [
        ctr('a', undefined, {
          livenessProbe: { httpGet: { port: 80 } },
          startupProbe: { tcpSocket: { host: '', port: 80 } },
          lifecycle: { postStart: { exec: { command: ['true'] } } },
        }),
      ],
    },
    expect: 'allowed',
  },
  {
    name: 'denies probe and lifecycle hosts, listing containers and hosts sorted and once each',
    version: 37,
    spec: probeSpec,
    expect: {
      reason: 'probe or lifecycle host',
      detail: 'containers "a", "b" use probe or lifecycle hosts "10.0.0.1", "localhost"',
    },
    errors: [
      { type: 'forbidden', field: 'spec.containers[0].livenessProbe.httpGet.host', badValue: 'localhost' },
      {
        type: 'forbidden',
        field: 'spec.containers[0].lifecycle.preStop.tcpSocket.host',
        badValue: '10.0.0.1',
      },
      { type: 'forbidden', field: 'spec.containers[1].readinessProbe.tcpSocket.host', badValue: 'localhost' },
    ],
  },
]);

table(appArmorProfile, [
  {
    name: 'allows the RuntimeDefault and Localhost types and the allowed annotation values',
    version: 0,
    spec: {
      securityContext: { appArmorProfile: { type: 'RuntimeDefault' } },
      containers: [ctr('a', { appArmorProfile: { type: 'Localhost', localhostProfile: 'p' } })],
    },
    annotations: {
      'container.apparmor.security.beta.kubernetes.io/a': 'runtime/default',
      'container.apparmor.security.beta.kubernetes.io/b': 'localhost/profile',
      'container.apparmor.security.beta.kubernetes.io/c': '',
      'other.example.com/x': 'unconfined',
    },
    expect: 'allowed',
  },
  {
    name: 'denies an unconfined annotation at the oldest policy version',
    version: 0,
    spec: { containers: [ctr('a')] },
    annotations: { 'container.apparmor.security.beta.kubernetes.io/a': 'unconfined' },
    expect: {
      reason: 'forbidden AppArmor profile',
      detail:
        'annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/a="unconfined""',
    },
  },
  {
    name: 'denies Unconfined on the pod and a container and in an annotation, naming every setter',
    version: 37,
    spec: {
      securityContext: { appArmorProfile: { type: 'Unconfined' } },
      containers: [ctr('a', { appArmorProfile: { type: 'Unconfined' } }), ctr('b')],
    },
    annotations: { 'container.apparmor.security.beta.kubernetes.io/b': 'unconfined' },
    expect: {
      reason: 'forbidden AppArmor profiles',
      detail:
        'pod and container "a" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/b="unconfined""',
    },
    errors: [
      { type: 'forbidden', field: 'spec.securityContext.appArmorProfile.type', badValue: 'Unconfined' },
      {
        type: 'forbidden',
        field: 'spec.containers[0].securityContext.appArmorProfile.type',
        badValue: 'Unconfined',
      },
      {
        type: 'forbidden',
        field: 'metadata.annotations[container.apparmor.security.beta.kubernetes.io/b]',
        badValue: 'unconfined',
      },
    ],
  },
]);

table(seLinuxOptions, [
  {
    name: 'allows the container types and an empty user and role',
    version: 0,
    spec: {
      securityContext: { seLinuxOptions: { level: 's0:c123,c456' } },
      containers: [
        ctr('a', { seLinuxOptions: { type: 'container_t' } }),
        ctr('b', { seLinuxOptions: { type: 'container_init_t', user: '', role: '' } }),
        ctr('c', { seLinuxOptions: { type: 'container_kvm_t' } }),
      ],
    },
    expect: 'allowed',
  },
  {
    name: 'denies container_engine_t before policy v1.31',
    version: 30,
    spec: { containers: [ctr('a', { seLinuxOptions: { type: 'container_engine_t' } })] },
    expect: {
      reason: 'seLinuxOptions',
      detail: 'container "a" set forbidden securityContext.seLinuxOptions: type "container_engine_t"',
    },
  },
  {
    name: 'allows container_engine_t from policy v1.31',
    version: 31,
    spec: { containers: [ctr('a', { seLinuxOptions: { type: 'container_engine_t' } })] },
    expect: 'allowed',
  },
  {
    name: 'denies other types, users and roles on the pod and containers, in one detail',
    version: 31,
    spec: {
      securityContext: { seLinuxOptions: { type: 'foo', user: 'bar', role: 'baz' } },
      containers: [
        ctr('a', { seLinuxOptions: { type: 'container_t' } }),
        ctr('e', { seLinuxOptions: { type: 'bar' } }),
        ctr('f', { seLinuxOptions: { user: 'bar' } }),
        ctr('g', { seLinuxOptions: { role: 'baz' } }),
      ],
    },
    expect: {
      reason: 'seLinuxOptions',
      detail:
        'pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set',
    },
    errors: [
      { type: 'forbidden', field: 'spec.securityContext.seLinuxOptions.type', badValue: 'foo' },
      { type: 'forbidden', field: 'spec.securityContext.seLinuxOptions.user', badValue: 'bar' },
      { type: 'forbidden', field: 'spec.securityContext.seLinuxOptions.role', badValue: 'baz' },
      { type: 'forbidden', field: 'spec.containers[1].securityContext.seLinuxOptions.type', badValue: 'bar' },
      { type: 'forbidden', field: 'spec.containers[2].securityContext.seLinuxOptions.user', badValue: 'bar' },
      { type: 'forbidden', field: 'spec.containers[3].securityContext.seLinuxOptions.role', badValue: 'baz' },
    ],
  },
  {
    name: 'denies a user alone without mentioning types',
    version: 37,
    spec: { securityContext: { seLinuxOptions: { user: 'bad' } }, containers: [ctr('a')] },
    expect: {
      reason: 'seLinuxOptions',
      detail: 'pod set forbidden securityContext.seLinuxOptions: user may not be set',
    },
  },
]);

const unmasked = (hostUsers?: boolean): Spec => ({
  ...(hostUsers === undefined ? {} : { hostUsers }),
  containers: [ctr('a', { procMount: 'Unmasked' }), ctr('b', { procMount: 'Default' })],
});
const procMountDenied = {
  reason: 'procMount',
  detail: 'container "a" must not set securityContext.procMount to "Unmasked"',
};
table(procMount, [
  {
    name: 'allows the Default proc mount',
    version: 0,
    spec: { containers: [ctr('b', { procMount: 'Default' })] },
    expect: 'allowed',
  },
  { name: 'denies an unmasked proc mount', version: 0, spec: unmasked(), expect: procMountDenied },
  {
    name: 'denies an unmasked proc mount in a user namespace before policy v1.35',
    version: 34,
    spec: unmasked(false),
    expect: procMountDenied,
    errors: [
      { type: 'forbidden', field: 'spec.containers[0].securityContext.procMount', badValue: 'Unmasked' },
    ],
  },
  {
    name: 'allows an unmasked proc mount in a user namespace from policy v1.35',
    version: 35,
    spec: unmasked(false),
    expect: 'allowed',
  },
  {
    name: 'still denies an unmasked proc mount outside a user namespace from policy v1.35',
    version: 37,
    spec: unmasked(true),
    expect: procMountDenied,
  },
]);

table(procMount_restricted, [
  {
    name: 'does not apply before policy v1.35',
    version: 34,
    spec: unmasked(false),
    expect: 'not applicable',
  },
  {
    name: 'denies an unmasked proc mount even in a user namespace',
    version: 35,
    spec: unmasked(false),
    expect: procMountDenied,
  },
]);

table(seccompProfile_baseline, [
  {
    name: 'allows the runtime/default, docker/default and localhost annotations before policy v1.19',
    version: 18,
    spec: { containers: [ctr('a'), ctr('b')] },
    annotations: {
      'seccomp.security.alpha.kubernetes.io/pod': 'docker/default',
      'container.seccomp.security.alpha.kubernetes.io/a': 'runtime/default',
      'container.seccomp.security.alpha.kubernetes.io/b': 'localhost/profile.json',
    },
    expect: 'allowed',
  },
  {
    name: 'denies unconfined annotations before policy v1.19, ignoring annotations of containers that do not exist',
    version: 0,
    spec: { containers: [ctr('a')] },
    annotations: {
      'seccomp.security.alpha.kubernetes.io/pod': 'unconfined',
      'container.seccomp.security.alpha.kubernetes.io/a': 'unconfined',
      'container.seccomp.security.alpha.kubernetes.io/ghost': 'unconfined',
    },
    expect: {
      reason: 'seccompProfile',
      detail:
        'forbidden annotations container.seccomp.security.alpha.kubernetes.io/a="unconfined", seccomp.security.alpha.kubernetes.io/pod="unconfined"',
    },
    errors: [
      {
        type: 'forbidden',
        field: 'metadata.annotations[container.seccomp.security.alpha.kubernetes.io/a]',
        badValue: 'unconfined',
      },
      {
        type: 'forbidden',
        field: 'metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]',
        badValue: 'unconfined',
      },
    ],
  },
  {
    name: 'ignores the annotations from policy v1.19',
    version: 19,
    spec: { containers: [ctr('a')] },
    annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' },
    expect: 'allowed',
  },
  {
    name: 'ignores the fields before policy v1.19',
    version: 18,
    spec: { securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [ctr('a')] },
    expect: 'allowed',
  },
  {
    name: 'allows RuntimeDefault, Localhost and an unset profile from policy v1.19',
    version: 19,
    spec: {
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [ctr('a', { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } }), ctr('b')],
    },
    expect: 'allowed',
  },
  {
    name: 'denies Unconfined on the pod and a container from policy v1.19',
    version: 37,
    spec: {
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [ctr('a', { seccompProfile: { type: 'Unconfined' } })],
    },
    expect: {
      reason: 'seccompProfile',
      detail: 'pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined"',
    },
    errors: [
      { type: 'forbidden', field: 'spec.securityContext.seccompProfile.type', badValue: 'Unconfined' },
      {
        type: 'forbidden',
        field: 'spec.containers[0].securityContext.seccompProfile.type',
        badValue: 'Unconfined',
      },
    ],
  },
]);

const withSysctls = (...names: string[]): Spec => ({
  securityContext: { sysctls: names.map((name) => ({ name, value: '1' })) },
  containers: [ctr('a')],
});
const sysctlCases: Case[] = [
  {
    name: 'allows the v1.0 safe sysctls',
    version: 0,
    spec: withSysctls('kernel.shm_rmid_forced', 'net.ipv4.ping_group_range'),
    expect: 'allowed',
  },
  {
    name: 'denies unsafe sysctls, in the order given',
    version: 37,
    spec: withSysctls('kernel.msgmax', 'net.ipv4.tcp_syncookies', 'vm.swappiness'),
    expect: { reason: 'forbidden sysctls', detail: 'kernel.msgmax, vm.swappiness' },
    errors: [
      { type: 'forbidden', field: 'spec.securityContext.sysctls[0].name', badValue: 'kernel.msgmax' },
      { type: 'forbidden', field: 'spec.securityContext.sysctls[2].name', badValue: 'vm.swappiness' },
    ],
  },
];
for (const [name, from] of [
  ['net.ipv4.ip_local_reserved_ports', 27],
  ['net.ipv4.tcp_keepalive_time', 29],
  ['net.ipv4.tcp_fin_timeout', 29],
  ['net.ipv4.tcp_keepalive_intvl', 29],
  ['net.ipv4.tcp_keepalive_probes', 29],
  ['net.ipv4.tcp_rmem', 32],
  ['net.ipv4.tcp_wmem', 32],
  ['net.ipv4.tcp_slow_start_after_idle', 37],
  ['net.ipv4.tcp_notsent_lowat', 37],
] as const) {
  sysctlCases.push(
    {
      name: `denies ${name} before policy v1.${from}`,
      version: from - 1,
      spec: withSysctls(name),
      expect: { reason: 'forbidden sysctls', detail: name },
    },
    {
      name: `allows ${name} from policy v1.${from}`,
      version: from,
      spec: withSysctls(name),
      expect: 'allowed',
    },
  );
}
table(sysctls, sysctlCases);

table(windowsHostProcess, [
  {
    name: 'allows hostProcess false',
    version: 0,
    spec: {
      securityContext: { windowsOptions: { hostProcess: false } },
      containers: [ctr('a', { windowsOptions: { hostProcess: false } })],
    },
    expect: 'allowed',
  },
  {
    name: 'denies hostProcess on the pod and a container',
    version: 0,
    spec: {
      securityContext: { windowsOptions: { hostProcess: true } },
      containers: [ctr('a', { windowsOptions: { hostProcess: true } }), ctr('b')],
    },
    expect: {
      reason: 'hostProcess',
      detail: 'pod and container "a" must not set securityContext.windowsOptions.hostProcess=true',
    },
    errors: [
      { type: 'forbidden', field: 'spec.securityContext.windowsOptions.hostProcess', badValue: true },
      {
        type: 'forbidden',
        field: 'spec.containers[0].securityContext.windowsOptions.hostProcess',
        badValue: true,
      },
    ],
  },
]);

const windows = (spec: Spec): Spec => ({ ...spec, os: { name: 'windows' } });
table(allowPrivilegeEscalation, [
  {
    name: 'does not apply before policy v1.8',
    version: 7,
    spec: { containers: [ctr('a')] },
    expect: 'not applicable',
  },
  {
    name: 'allows containers that set allowPrivilegeEscalation to false',
    version: 8,
    spec: { containers: [ctr('a', { allowPrivilegeEscalation: false })] },
    expect: 'allowed',
  },
  {
    name: 'denies containers that leave it unset or set it to true',
    version: 8,
    spec: { initContainers: [ctr('i', { allowPrivilegeEscalation: true })], containers: [ctr('a')] },
    expect: {
      reason: 'allowPrivilegeEscalation != false',
      detail: 'containers "i", "a" must set securityContext.allowPrivilegeEscalation=false',
    },
    errors: [
      {
        type: 'forbidden',
        field: 'spec.initContainers[0].securityContext.allowPrivilegeEscalation',
        badValue: true,
      },
      { type: 'required', field: 'spec.containers[0].securityContext.allowPrivilegeEscalation' },
    ],
  },
  {
    name: 'denies a Windows pod before policy v1.25',
    version: 24,
    spec: windows({ containers: [ctr('a')] }),
    expect: {
      reason: 'allowPrivilegeEscalation != false',
      detail: 'container "a" must set securityContext.allowPrivilegeEscalation=false',
    },
  },
  {
    name: 'exempts a Windows pod from policy v1.25',
    version: 25,
    spec: windows({ containers: [ctr('a')] }),
    expect: 'allowed',
  },
  {
    name: 'does not exempt a Linux pod from policy v1.25',
    version: 37,
    spec: { os: { name: 'linux' }, containers: [ctr('a')] },
    expect: {
      reason: 'allowPrivilegeEscalation != false',
      detail: 'container "a" must set securityContext.allowPrivilegeEscalation=false',
    },
  },
]);

table(capabilities_restricted, [
  {
    name: 'does not apply before policy v1.22',
    version: 21,
    spec: { containers: [ctr('a')] },
    expect: 'not applicable',
  },
  {
    name: 'allows dropping ALL and adding back NET_BIND_SERVICE',
    version: 22,
    spec: { containers: [ctr('a', { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } })] },
    expect: 'allowed',
  },
  {
    name: 'denies containers that do not drop ALL and containers that add other capabilities',
    version: 37,
    spec: {
      containers: [
        ctr('a'),
        ctr('b', { capabilities: { drop: ['NET_RAW'] } }),
        ctr('c', { capabilities: { drop: ['ALL'], add: ['SYS_ADMIN', 'CHOWN', 'NET_BIND_SERVICE'] } }),
      ],
    },
    expect: {
      reason: 'unrestricted capabilities',
      detail:
        'containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "CHOWN", "SYS_ADMIN" in securityContext.capabilities.add',
    },
    errors: [
      { type: 'required', field: 'spec.containers[0].securityContext.capabilities.drop' },
      {
        type: 'forbidden',
        field: 'spec.containers[1].securityContext.capabilities.drop',
        badValue: ['NET_RAW'],
      },
      {
        type: 'forbidden',
        field: 'spec.containers[2].securityContext.capabilities.add',
        badValue: ['CHOWN', 'SYS_ADMIN'],
      },
    ],
  },
  {
    name: 'denies a Windows pod before policy v1.25',
    version: 24,
    spec: windows({ containers: [ctr('a')] }),
    expect: {
      reason: 'unrestricted capabilities',
      detail: 'container "a" must set securityContext.capabilities.drop=["ALL"]',
    },
  },
  {
    name: 'exempts a Windows pod from policy v1.25',
    version: 25,
    spec: windows({ containers: [ctr('a')] }),
    expect: 'allowed',
  },
]);

table(restrictedVolumes, [
  {
    name: 'allows the nine allowed volume types and a volume without a source (defaulted to emptyDir)',
    version: 0,
    spec: {
      volumes: [
        { name: 'v0' },
        { name: 'v1', configMap: { name: 'c' } },
        { name: 'v2', csi: { driver: 'd' } },
        { name: 'v3', downwardAPI: {} },
        { name: 'v4', emptyDir: {} },
        { name: 'v5', ephemeral: {} },
        { name: 'v6', image: { reference: 'registry.k8s.io/pause' } },
        { name: 'v7', persistentVolumeClaim: { claimName: 'c' } },
        { name: 'v8', projected: { sources: [] } },
        { name: 'v9', secret: { secretName: 's' } },
      ],
      containers: [ctr('a')],
    },
    expect: 'allowed',
  },
  {
    name: 'denies one restricted volume',
    version: 0,
    spec: { volumes: [{ name: 'h', hostPath: { path: '/' } }], containers: [ctr('a')] },
    expect: {
      reason: 'restricted volume types',
      detail: 'volume "h" uses restricted volume type "hostPath"',
    },
  },
  {
    name: 'denies several restricted volumes, volumes in order and types sorted',
    version: 37,
    spec: {
      volumes: [
        { name: 'n', nfs: { server: 's', path: '/' } },
        { name: 'ok', emptyDir: {} },
        { name: 'h', hostPath: { path: '/' } },
        { name: 'c', cephfs: { monitors: [] } },
      ],
      containers: [ctr('a')],
    },
    expect: {
      reason: 'restricted volume types',
      detail: 'volumes "n", "h", "c" use restricted volume types "cephfs", "hostPath", "nfs"',
    },
    errors: [
      { type: 'forbidden', field: 'spec.volumes[0].nfs' },
      { type: 'forbidden', field: 'spec.volumes[2].hostPath' },
      { type: 'forbidden', field: 'spec.volumes[3].cephfs' },
    ],
  },
]);

table(runAsNonRoot, [
  {
    name: 'allows runAsNonRoot true on the pod with containers that leave it unset',
    version: 0,
    spec: {
      securityContext: { runAsNonRoot: true },
      containers: [ctr('a'), ctr('b', { runAsNonRoot: true })],
    },
    expect: 'allowed',
  },
  {
    name: 'allows every container setting runAsNonRoot true without the pod',
    version: 0,
    spec: { containers: [ctr('a', { runAsNonRoot: true })] },
    expect: 'allowed',
  },
  {
    name: 'denies containers that leave it unset when the pod does not set it',
    version: 0,
    spec: { containers: [ctr('a'), ctr('b'), ctr('c', { runAsNonRoot: true })] },
    expect: {
      reason: 'runAsNonRoot != true',
      detail: 'pod or containers "a", "b" must set securityContext.runAsNonRoot=true',
    },
    errors: [
      { type: 'required', field: 'spec.containers[0].securityContext.runAsNonRoot' },
      { type: 'required', field: 'spec.containers[1].securityContext.runAsNonRoot' },
    ],
  },
  {
    name: 'denies an explicit false on the pod and a container before unset containers',
    version: 0,
    spec: {
      securityContext: { runAsNonRoot: false },
      containers: [ctr('a', { runAsNonRoot: false }), ctr('b')],
    },
    expect: {
      reason: 'runAsNonRoot != true',
      detail: 'pod and container "a" must not set securityContext.runAsNonRoot=false',
    },
    // Kyverno's fork (check_runAsNonRoot.go) lists the unset container too, though the message does not.
    errors: [
      { type: 'forbidden', field: 'spec.securityContext.runAsNonRoot', badValue: false },
      { type: 'forbidden', field: 'spec.containers[0].securityContext.runAsNonRoot', badValue: false },
      { type: 'required', field: 'spec.containers[1].securityContext.runAsNonRoot' },
    ],
  },
  {
    name: 'does not exempt a pod in a user namespace before policy v1.35',
    version: 34,
    spec: { hostUsers: false, containers: [ctr('a')] },
    expect: {
      reason: 'runAsNonRoot != true',
      detail: 'pod or container "a" must set securityContext.runAsNonRoot=true',
    },
  },
  {
    name: 'exempts a pod in a user namespace from policy v1.35',
    version: 35,
    spec: { hostUsers: false, containers: [ctr('a', { runAsNonRoot: false })] },
    expect: 'allowed',
  },
]);

table(runAsUser, [
  {
    name: 'does not apply before policy v1.23',
    version: 22,
    spec: { containers: [ctr('a', { runAsUser: 0 })] },
    expect: 'not applicable',
  },
  {
    name: 'allows non-zero and unset users',
    version: 23,
    spec: { securityContext: { runAsUser: 1000 }, containers: [ctr('a'), ctr('b', { runAsUser: 1 })] },
    expect: 'allowed',
  },
  {
    name: 'denies user 0 on the pod and a container',
    version: 23,
    spec: { securityContext: { runAsUser: 0 }, containers: [ctr('a', { runAsUser: 0 }), ctr('b')] },
    expect: { reason: 'runAsUser=0', detail: 'pod and container "a" must not set runAsUser=0' },
    errors: [
      { type: 'forbidden', field: 'spec.securityContext.runAsUser', badValue: 0 },
      { type: 'forbidden', field: 'spec.containers[0].securityContext.runAsUser', badValue: 0 },
    ],
  },
  {
    name: 'does not exempt a pod in a user namespace before policy v1.35',
    version: 34,
    spec: { hostUsers: false, containers: [ctr('a', { runAsUser: 0 })] },
    expect: { reason: 'runAsUser=0', detail: 'container "a" must not set runAsUser=0' },
  },
  {
    name: 'exempts a pod in a user namespace from policy v1.35',
    version: 35,
    spec: { hostUsers: false, containers: [ctr('a', { runAsUser: 0 })] },
    expect: 'allowed',
  },
]);

table(seccompProfile_restricted, [
  {
    name: 'does not apply before policy v1.19',
    version: 18,
    spec: { containers: [ctr('a')] },
    expect: 'not applicable',
  },
  {
    name: 'allows RuntimeDefault on the pod with containers that leave it unset',
    version: 19,
    spec: { securityContext: { seccompProfile: { type: 'RuntimeDefault' } }, containers: [ctr('a')] },
    expect: 'allowed',
  },
  {
    name: 'denies containers that leave it unset when the pod does not set an allowed type',
    version: 19,
    spec: {
      containers: [ctr('a', { seccompProfile: { type: 'Localhost', localhostProfile: 'p' } }), ctr('b')],
    },
    expect: {
      reason: 'seccompProfile',
      detail:
        'pod or container "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
    },
    errors: [{ type: 'required', field: 'spec.containers[1].securityContext.seccompProfile.type' }],
  },
  {
    name: 'denies an explicit Unconfined before reporting unset containers',
    version: 37,
    spec: { containers: [ctr('a', { seccompProfile: { type: 'Unconfined' } }), ctr('b')] },
    expect: {
      reason: 'seccompProfile',
      detail: 'container "a" must not set securityContext.seccompProfile.type to "Unconfined"',
    },
    errors: [
      {
        type: 'forbidden',
        field: 'spec.containers[0].securityContext.seccompProfile.type',
        badValue: 'Unconfined',
      },
    ],
  },
  {
    name: 'denies a Windows pod before policy v1.25',
    version: 24,
    spec: windows({ containers: [ctr('a')] }),
    expect: {
      reason: 'seccompProfile',
      detail:
        'pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
    },
  },
  {
    name: 'exempts a Windows pod from policy v1.25',
    version: 25,
    spec: windows({ containers: [ctr('a')] }),
    expect: 'allowed',
  },
]);
