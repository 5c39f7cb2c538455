/**
 * Kyverno's podSecurity exclusions, one table per control. Each expectation follows from Kyverno's
 * pkg/pss algorithm (see exclude.ts), worked by hand: which second pod the exclusion builds, which field
 * errors that pod has, and which of the pod's own errors they remove.
 */
import { describe, expect, it } from 'vitest';
import { wildcardMatch } from '../pattern/wildcard.js';
import {
  applyPodSecurityExclusions,
  compilePodSecurity,
  CONTROL_CHECK_IDS,
  denyingChecks,
  extractPod,
  formatKyvernoChecks,
  kyvernoField,
  podSecurityControls,
  readExclusion,
} from './index.js';
import type { Obj, PodSecurityLevel } from './types.js';

interface Case {
  name: string;
  level?: 'baseline' | 'restricted';
  version?: string;
  pod: Obj;
  exclude: Obj[];
  /** The check IDs still denying, with their remaining error fields, e.g. { privileged: ['spec...'] }. */
  remaining: Record<string, string[]>;
}

function ctr(name: string, image: string, sc?: Obj, extra: Obj = {}): Obj {
  return sc ? { name, image, securityContext: sc, ...extra } : { name, image, ...extra };
}

/** A pod that passes restricted except for what `spec` adds. */
function restrictedPod(spec: Obj, metadata: Obj = {}): Obj {
  return { kind: 'Pod', metadata: { name: 'p', ...metadata }, spec };
}

const GOOD: Obj = {
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

const { runAsNonRoot: _unset, ...GOOD_UNSET_NON_ROOT } = GOOD;

function run(c: Case): Record<string, string[]> {
  const compiled = compilePodSecurity({
    level: c.level ?? 'baseline',
    version: c.version ?? 'latest',
    kyverno: true,
  });
  const result = compiled.evaluate(c.pod, { fieldErrors: true });
  const pod = extractPod(c.pod)!;
  const left = applyPodSecurityExclusions(
    compiled,
    c.exclude.map(readExclusion),
    denyingChecks(result.results),
    pod.metadata,
    pod.spec,
    wildcardMatch,
  );
  return Object.fromEntries(left.map((r) => [r.control.control, r.errors.map((e) => e.field).sort()]));
}

function table(control: string, cases: Case[]): void {
  describe(control, () => {
    for (const c of cases) it(c.name, () => expect(run(c)).toEqual(c.remaining));
  });
}

table('Privileged Containers (container-level)', [
  {
    name: 'an exclusion listing one image lifts only that container',
    pod: restrictedPod({
      containers: [ctr('a', 'nginx:1', { privileged: true }), ctr('b', 'busybox', { privileged: true })],
    }),
    exclude: [{ controlName: 'Privileged Containers', images: ['nginx*'] }],
    remaining: { privileged: ['spec.containers[1].securityContext.privileged'] },
  },
  {
    name: 'an exclusion listing every image lifts the control',
    pod: restrictedPod({
      containers: [ctr('a', 'nginx:1', { privileged: true }), ctr('b', 'busybox', { privileged: true })],
    }),
    exclude: [{ controlName: 'Privileged Containers', images: ['nginx*', 'busy?ox'] }],
    remaining: {},
  },
  {
    name: 'without images only pod-level fields are excluded, so a privileged container still denies',
    pod: restrictedPod({ containers: [ctr('a', 'nginx', { privileged: true })] }),
    exclude: [{ controlName: 'Privileged Containers' }],
    remaining: { privileged: ['spec.containers[0].securityContext.privileged'] },
  },
  {
    name: 'restrictedField and values that match the offending value lift it',
    pod: restrictedPod({ containers: [ctr('a', 'nginx', { privileged: true })] }),
    exclude: [
      {
        controlName: 'Privileged Containers',
        images: ['*'],
        restrictedField: 'spec.containers[*].securityContext.privileged',
        values: ['true'],
      },
    ],
    remaining: {},
  },
  {
    name: 'values that do not match the offending value keep it',
    pod: restrictedPod({ containers: [ctr('a', 'nginx', { privileged: true })] }),
    exclude: [
      {
        controlName: 'Privileged Containers',
        images: ['*'],
        restrictedField: 'spec.containers[*].securityContext.privileged',
        values: ['false'],
      },
    ],
    remaining: { privileged: ['spec.containers[0].securityContext.privileged'] },
  },
  {
    name: 'a restrictedField on initContainers does not lift a container',
    pod: restrictedPod({
      initContainers: [ctr('i', 'nginx', { privileged: true })],
      containers: [ctr('a', 'nginx', { privileged: true })],
    }),
    exclude: [
      {
        controlName: 'Privileged Containers',
        images: ['nginx'],
        restrictedField: 'spec.initContainers[*].securityContext.privileged',
      },
    ],
    remaining: { privileged: ['spec.containers[0].securityContext.privileged'] },
  },
  {
    name: 'the exclusion of another control changes nothing',
    pod: restrictedPod({ containers: [ctr('a', 'nginx', { privileged: true })] }),
    exclude: [{ controlName: 'Host Ports', images: ['*'] }],
    remaining: { privileged: ['spec.containers[0].securityContext.privileged'] },
  },
  {
    name: 'an unknown control name changes nothing',
    pod: restrictedPod({ containers: [ctr('a', 'nginx', { privileged: true })] }),
    exclude: [{ controlName: 'privileged', images: ['*'] }],
    remaining: { privileged: ['spec.containers[0].securityContext.privileged'] },
  },
]);

table('Capabilities', [
  {
    name: 'values must cover every added capability (baseline)',
    pod: restrictedPod({
      containers: [ctr('a', 'nginx', { capabilities: { add: ['SYS_ADMIN', 'NET_RAW'] } })],
    }),
    exclude: [
      {
        controlName: 'Capabilities',
        images: ['nginx'],
        restrictedField: 'spec.containers[*].securityContext.capabilities.add',
        values: ['SYS_ADMIN'],
      },
    ],
    remaining: { capabilities_baseline: ['spec.containers[0].securityContext.capabilities.add'] },
  },
  {
    name: 'wildcard values covering every added capability lift it (baseline)',
    pod: restrictedPod({
      containers: [ctr('a', 'nginx', { capabilities: { add: ['SYS_ADMIN', 'NET_RAW'] } })],
    }),
    exclude: [
      {
        controlName: 'Capabilities',
        images: ['nginx'],
        restrictedField: 'spec.containers[*].securityContext.capabilities.add',
        values: ['SYS_ADMIN', 'NET_*'],
      },
    ],
    remaining: {},
  },
  {
    name: 'at restricted, excluding add leaves the missing drop',
    level: 'restricted',
    pod: restrictedPod({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        ctr('a', 'nginx', { allowPrivilegeEscalation: false, capabilities: { add: ['SYS_ADMIN'] } }),
      ],
    }),
    exclude: [
      {
        controlName: 'Capabilities',
        images: ['nginx'],
        restrictedField: 'spec.containers[*].securityContext.capabilities.add',
        values: ['SYS_ADMIN'],
      },
    ],
    remaining: { capabilities_restricted: ['spec.containers[0].securityContext.capabilities.drop'] },
  },
  {
    name: 'at restricted, excluding add and drop lifts the control',
    level: 'restricted',
    pod: restrictedPod({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        ctr('a', 'nginx', { allowPrivilegeEscalation: false, capabilities: { add: ['SYS_ADMIN'] } }),
      ],
    }),
    exclude: [
      {
        controlName: 'Capabilities',
        images: ['nginx'],
        restrictedField: 'spec.containers[*].securityContext.capabilities.add',
        values: ['SYS_ADMIN'],
      },
      {
        controlName: 'Capabilities',
        images: ['nginx'],
        restrictedField: 'spec.containers[*].securityContext.capabilities.drop',
      },
    ],
    remaining: {},
  },
]);

table('Host Namespaces (pod-level)', [
  {
    name: 'a restrictedField lifts that namespace only',
    pod: restrictedPod({ hostNetwork: true, hostPID: true, containers: [ctr('a', 'nginx')] }),
    exclude: [{ controlName: 'Host Namespaces', restrictedField: 'spec.hostNetwork', values: ['true'] }],
    remaining: { hostNamespaces: ['spec.hostPID'] },
  },
  {
    name: 'controlName alone lifts every namespace',
    pod: restrictedPod({ hostNetwork: true, hostPID: true, containers: [ctr('a', 'nginx')] }),
    exclude: [{ controlName: 'Host Namespaces' }],
    remaining: {},
  },
  {
    name: 'with images the pod-level fields are not looked at, so nothing is lifted',
    pod: restrictedPod({ hostNetwork: true, containers: [ctr('a', 'nginx')] }),
    exclude: [{ controlName: 'Host Namespaces', images: ['*'] }],
    remaining: { hostNamespaces: ['spec.hostNetwork'] },
  },
]);

table('HostPath Volumes and Volume Types', [
  {
    name: 'controlName alone lifts hostPath volumes',
    pod: restrictedPod({ volumes: [{ name: 'v', hostPath: { path: '/' } }], containers: [ctr('a', 'x')] }),
    exclude: [{ controlName: 'HostPath Volumes' }],
    remaining: {},
  },
  {
    name: 'values cannot narrow a hostPath volume: the error carries no value, so any values pass',
    pod: restrictedPod({ volumes: [{ name: 'v', hostPath: { path: '/' } }], containers: [ctr('a', 'x')] }),
    exclude: [
      { controlName: 'HostPath Volumes', restrictedField: 'spec.volumes[*].hostPath', values: ['nothing'] },
    ],
    remaining: {},
  },
  {
    name: 'at restricted, Volume Types and HostPath Volumes are separate controls',
    level: 'restricted',
    pod: restrictedPod({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [{ name: 'v', hostPath: { path: '/' } }],
      containers: [ctr('a', 'x', GOOD)],
    }),
    exclude: [{ controlName: 'Volume Types' }],
    remaining: { hostPathVolumes: ['spec.volumes[0].hostPath'] },
  },
  {
    name: 'at restricted, excluding both lifts the volume',
    level: 'restricted',
    pod: restrictedPod({
      volumes: [{ name: 'v', hostPath: { path: '/' } }],
      containers: [ctr('a', 'x', GOOD)],
    }),
    exclude: [{ controlName: 'Volume Types' }, { controlName: 'HostPath Volumes' }],
    remaining: {},
  },
]);

table('Host Ports', [
  {
    name: 'values are matched against the port number in decimal: 80 does not cover 8080',
    pod: restrictedPod({ containers: [ctr('a', 'nginx', undefined, { ports: [{ hostPort: 8080 }] })] }),
    exclude: [
      {
        controlName: 'Host Ports',
        images: ['nginx'],
        restrictedField: 'spec.containers[*].ports[*].hostPort',
        values: ['80'],
      },
    ],
    remaining: { hostPorts: ['spec.containers[0].ports[0].hostPort'] },
  },
  {
    name: 'a wildcard value covering the port lifts it',
    pod: restrictedPod({ containers: [ctr('a', 'nginx', undefined, { ports: [{ hostPort: 8080 }] })] }),
    exclude: [
      {
        controlName: 'Host Ports',
        images: ['nginx'],
        restrictedField: 'spec.containers[*].ports[*].hostPort',
        values: ['80*'],
      },
    ],
    remaining: {},
  },
  {
    name: 'the restrictedField must match the starred path',
    pod: restrictedPod({ containers: [ctr('a', 'nginx', undefined, { ports: [{ hostPort: 8080 }] })] }),
    exclude: [
      {
        controlName: 'Host Ports',
        images: ['nginx'],
        restrictedField: 'spec.containers[0].ports[0].hostPort',
      },
    ],
    remaining: { hostPorts: ['spec.containers[0].ports[0].hostPort'] },
  },
]);

table('Sysctls', [
  {
    name: 'values matching the sysctl name lift it',
    pod: restrictedPod({
      securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] },
      containers: [ctr('a', 'x')],
    }),
    exclude: [
      {
        controlName: 'Sysctls',
        restrictedField: 'spec.securityContext.sysctls[*].name',
        values: ['kernel.*'],
      },
    ],
    remaining: {},
  },
  {
    name: 'values that do not match keep it',
    pod: restrictedPod({
      securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] },
      containers: [ctr('a', 'x')],
    }),
    exclude: [
      { controlName: 'Sysctls', restrictedField: 'spec.securityContext.sysctls[*].name', values: ['net.*'] },
    ],
    remaining: { sysctls: ['spec.securityContext.sysctls[0].name'] },
  },
]);

table('AppArmor (metadata-level)', [
  {
    name: 'controlName alone lifts a forbidden annotation',
    pod: restrictedPod(
      { containers: [ctr('nginx', 'nginx')] },
      { annotations: { 'container.apparmor.security.beta.kubernetes.io/nginx': 'unconfined' } },
    ),
    exclude: [{ controlName: 'AppArmor' }],
    remaining: {},
  },
  {
    name: 'a restrictedField naming the annotation with values lifts it',
    pod: restrictedPod(
      { containers: [ctr('nginx', 'nginx')] },
      { annotations: { 'container.apparmor.security.beta.kubernetes.io/nginx': 'unconfined' } },
    ),
    exclude: [
      {
        controlName: 'AppArmor',
        restrictedField: 'metadata.annotations[container.apparmor.security.beta.kubernetes.io/nginx]',
        values: ['unconfined'],
      },
    ],
    remaining: {},
  },
  {
    name: 'digits in the annotation key are starred too, as Kyverno does',
    pod: restrictedPod(
      { containers: [ctr('app1', 'nginx')] },
      { annotations: { 'container.apparmor.security.beta.kubernetes.io/app1': 'unconfined' } },
    ),
    exclude: [
      {
        controlName: 'AppArmor',
        restrictedField: 'metadata.annotations[container.apparmor.security.beta.kubernetes.io/app1]',
      },
    ],
    remaining: {
      appArmorProfile: ['metadata.annotations[container.apparmor.security.beta.kubernetes.io/app1]'],
    },
  },
]);

table('SELinux', [
  {
    name: 'a pod-level type is lifted without images; the container-level type needs images',
    pod: restrictedPod({
      securityContext: { seLinuxOptions: { type: 'spc_t' } },
      containers: [ctr('a', 'nginx', { seLinuxOptions: { type: 'spc_t' } })],
    }),
    exclude: [{ controlName: 'SELinux', restrictedField: 'spec.securityContext.seLinuxOptions.type' }],
    remaining: { seLinuxOptions: ['spec.containers[0].securityContext.seLinuxOptions.type'] },
  },
  {
    name: 'both exclusions lift the control',
    pod: restrictedPod({
      securityContext: { seLinuxOptions: { type: 'spc_t' } },
      containers: [ctr('a', 'nginx', { seLinuxOptions: { type: 'spc_t' } })],
    }),
    exclude: [
      {
        controlName: 'SELinux',
        restrictedField: 'spec.securityContext.seLinuxOptions.type',
        values: ['spc_t'],
      },
      {
        controlName: 'SELinux',
        images: ['nginx'],
        restrictedField: 'spec.containers[*].securityContext.seLinuxOptions.type',
        values: ['spc_t'],
      },
    ],
    remaining: {},
  },
]);

table('Seccomp', [
  {
    name: 'without images only the pod-level profile is lifted (Kyverno library policy restricted-exclude-seccomp)',
    level: 'restricted',
    pod: restrictedPod({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Unconfined' } },
      containers: [ctr('a', 'nginx', { ...GOOD, seccompProfile: { type: 'Unconfined' } })],
    }),
    exclude: [{ controlName: 'Seccomp' }],
    // Kyverno runs the baseline control at restricted too (no overrides); Seccomp covers both
    remaining: {
      seccompProfile_baseline: ['spec.containers[0].securityContext.seccompProfile.type'],
      seccompProfile_restricted: ['spec.containers[0].securityContext.seccompProfile.type'],
    },
  },
  {
    name: 'with an images exclusion as well the control is lifted',
    level: 'restricted',
    pod: restrictedPod({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Unconfined' } },
      containers: [ctr('a', 'nginx', { ...GOOD, seccompProfile: { type: 'Unconfined' } })],
    }),
    exclude: [{ controlName: 'Seccomp' }, { controlName: 'Seccomp', images: ['*'] }],
    remaining: {},
  },
]);

table('Privilege Escalation', [
  {
    name: 'with images the matching container is lifted',
    level: 'restricted',
    pod: restrictedPod({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        ctr('a', 'nginx', { ...GOOD, allowPrivilegeEscalation: true }),
        ctr('b', 'redis', { ...GOOD, allowPrivilegeEscalation: true }),
      ],
    }),
    exclude: [
      {
        controlName: 'Privilege Escalation',
        images: ['nginx'],
        restrictedField: 'spec.containers[*].securityContext.allowPrivilegeEscalation',
        values: ['true'],
      },
    ],
    remaining: { allowPrivilegeEscalation: ['spec.containers[1].securityContext.allowPrivilegeEscalation'] },
  },
  {
    name: "without images Kyverno's empty stand-in container lifts exactly one container's error",
    level: 'restricted',
    pod: restrictedPod({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        ctr('a', 'nginx', { capabilities: { drop: ['ALL'] } }),
        ctr('b', 'redis', { capabilities: { drop: ['ALL'] } }),
      ],
    }),
    exclude: [{ controlName: 'Privilege Escalation' }],
    remaining: { allowPrivilegeEscalation: ['spec.containers[1].securityContext.allowPrivilegeEscalation'] },
  },
]);

table('Running as Non-root and Running as Non-root user', [
  {
    name: 'a pod-level false is lifted without images, the unset containers stay',
    level: 'restricted',
    pod: restrictedPod({
      securityContext: { runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [ctr('a', 'nginx', GOOD_UNSET_NON_ROOT)],
    }),
    exclude: [
      {
        controlName: 'Running as Non-root',
        restrictedField: 'spec.securityContext.runAsNonRoot',
        values: ['false'],
      },
    ],
    remaining: { runAsNonRoot: ['spec.containers[0].securityContext.runAsNonRoot'] },
  },
  {
    name: 'with a container-level exclusion as well the control is lifted',
    level: 'restricted',
    pod: restrictedPod({
      securityContext: { runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [ctr('a', 'nginx', GOOD_UNSET_NON_ROOT)],
    }),
    exclude: [
      {
        controlName: 'Running as Non-root',
        restrictedField: 'spec.securityContext.runAsNonRoot',
        values: ['false'],
      },
      {
        controlName: 'Running as Non-root',
        images: ['nginx'],
        restrictedField: 'spec.containers[*].securityContext.runAsNonRoot',
      },
    ],
    remaining: {},
  },
  {
    name: 'runAsUser 0 is lifted for the listed image when values cover 0',
    level: 'restricted',
    pod: restrictedPod({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        ctr('a', 'nginx', { ...GOOD, runAsUser: 0 }),
        ctr('b', 'redis', { ...GOOD, runAsUser: 0 }),
      ],
    }),
    exclude: [
      {
        controlName: 'Running as Non-root user',
        images: ['nginx'],
        restrictedField: 'spec.containers[*].securityContext.runAsUser',
        values: ['0'],
      },
    ],
    remaining: { runAsUser: ['spec.containers[1].securityContext.runAsUser'] },
  },
  {
    name: 'values that do not cover 0 keep runAsUser 0',
    level: 'restricted',
    pod: restrictedPod({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [ctr('a', 'nginx', { ...GOOD, runAsUser: 0 })],
    }),
    exclude: [
      {
        controlName: 'Running as Non-root user',
        images: ['nginx'],
        restrictedField: 'spec.containers[*].securityContext.runAsUser',
        values: ['1000'],
      },
    ],
    remaining: { runAsUser: ['spec.containers[0].securityContext.runAsUser'] },
  },
]);

table('HostProcess and /proc Mount Type', [
  {
    name: 'a pod-level hostProcess is lifted without images',
    pod: restrictedPod({
      securityContext: { windowsOptions: { hostProcess: true } },
      containers: [ctr('a', 'nginx')],
    }),
    exclude: [{ controlName: 'HostProcess' }],
    remaining: {},
  },
  {
    name: 'procMount Unmasked is lifted for the listed image at baseline',
    pod: restrictedPod({ containers: [ctr('a', 'nginx', { procMount: 'Unmasked' })] }),
    exclude: [{ controlName: '/proc Mount Type', images: ['nginx'], values: ['Unmasked'] }],
    remaining: {},
  },
  {
    name: 'and at restricted, where procMount_restricted replaces the baseline control (v1.35+)',
    level: 'restricted',
    pod: restrictedPod({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [ctr('a', 'nginx', { ...GOOD, procMount: 'Unmasked' })],
    }),
    exclude: [{ controlName: '/proc Mount Type', images: ['nginx'] }],
    remaining: {},
  },
]);

table('pod controllers', [
  {
    name: 'a Deployment is excluded through its pod template',
    pod: {
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { template: { spec: { containers: [ctr('a', 'nginx', { privileged: true })] } } },
    },
    exclude: [{ controlName: 'Privileged Containers', images: ['nginx'] }],
    remaining: {},
  },
]);

describe("Kyverno's choice of controls", () => {
  const ids = (level: PodSecurityLevel, version: string) =>
    compilePodSecurity({ level, version, kyverno: true }).controls;
  it('runs the baseline controls that restricted ones override, ordered by check ID', () => {
    const r = ids('restricted', 'latest');
    expect(r).toContain('hostPathVolumes');
    expect(r).toContain('capabilities_baseline');
    expect(r).toEqual([...r].sort());
    expect(compilePodSecurity({ level: 'restricted', version: 'latest' }).controls).not.toContain(
      'hostPathVolumes',
    );
  });
  it('runs only baseline controls at baseline and nothing at privileged', () => {
    expect(ids('baseline', 'latest')).not.toContain('runAsNonRoot');
    expect(ids('privileged', 'latest')).toEqual([]);
  });
  it('runs every revision up to an explicit version: a Windows pod without seccomp fails v1.30', () => {
    const pod = restrictedPod({
      os: { name: 'windows' },
      securityContext: { runAsNonRoot: true },
      containers: [ctr('a', 'x', { capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false })],
    });
    const kyverno = compilePodSecurity({ level: 'restricted', version: 'v1.30', kyverno: true }).evaluate(
      pod,
    );
    const upstream = compilePodSecurity({ level: 'restricted', version: 'v1.30' }).evaluate(pod);
    expect(upstream.allowed).toBe(true);
    expect(kyverno.results.filter((r) => !r.allowed).map((r) => r.control)).toEqual([
      'seccompProfile_restricted',
    ]);
    // "latest" runs the newest revision only, which exempts Windows pods
    const latest = compilePodSecurity({ level: 'restricted', version: 'latest', kyverno: true }).evaluate(
      pod,
    );
    expect(latest.allowed).toBe(true);
  });
});

describe('control names', () => {
  it('every check ID a Kyverno control name maps to exists', () => {
    const ids = new Set(podSecurityControls.map((c) => c.id));
    for (const [name, list] of Object.entries(CONTROL_CHECK_IDS))
      for (const id of list) expect(ids.has(id), `${name} -> ${id}`).toBe(true);
  });
  it('host probes have no Kyverno control name, so they cannot be excluded', () => {
    const mapped = new Set(Object.values(CONTROL_CHECK_IDS).flat());
    expect(podSecurityControls.map((c) => c.id).filter((id) => !mapped.has(id))).toEqual([
      'hostProbesAndHostLifecycle',
    ]);
  });
});

describe("Kyverno's failure message", () => {
  it('prints each check with its field errors as FormatChecksPrint does', () => {
    const compiled = compilePodSecurity({ level: 'baseline', version: 'latest' });
    const r = compiled.evaluate(
      restrictedPod({
        hostPID: true,
        volumes: [{ name: 'v', hostPath: { path: '/' } }],
        containers: [ctr('a', 'x', { capabilities: { add: ['SYS_ADMIN', 'BPF'] } })],
      }),
      { fieldErrors: true },
    );
    expect(formatKyvernoChecks(denyingChecks(r.results), 'Pod')).toBe(
      '(Forbidden reason: non-default capabilities, field error list: [spec.containers[0].securityContext.capabilities.add is forbidden, forbidden values found: [BPF SYS_ADMIN]])' +
        '(Forbidden reason: host namespaces, field error list: [spec.hostPID is forbidden, forbidden values found: true])' +
        '(Forbidden reason: hostPath volumes, field error list: [spec.volumes[0].hostPath: Forbidden])',
    );
  });
  it('rewrites paths for pod controllers as convertChecks does', () => {
    expect(kyvernoField('spec.containers[0].securityContext.privileged', 'Deployment')).toBe(
      'spec.template.spec.containers[0].securityContext.privileged',
    );
    expect(kyvernoField('spec.hostPID', 'CronJob')).toBe('spec.jobTemplate.spec.template.spec.hostPID');
    expect(kyvernoField('spec.hostPID', 'Pod')).toBe('spec.hostPID');
  });
});
