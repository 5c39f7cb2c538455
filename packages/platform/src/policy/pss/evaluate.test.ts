import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../core/errors.js';
import {
  compilePodSecurity,
  evaluatePodSecurity,
  latestPodSecurityVersion,
  parsePodSecurityPolicy,
} from './evaluate.js';
import { MAX_SHAPE_PROBLEMS } from './pod.js';

type Spec = Record<string, unknown>;

/** A pod that passes restricted at every version. */
const goodSpec: Spec = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [
    {
      name: 'app',
      image: 'registry.k8s.io/pause',
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    },
  ],
};
const pod = (spec: Spec, metadata: Spec = { name: 'p' }) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata,
  spec,
});

/** `oc debug node/...`-style pod: host namespaces, privileged, root, hostPath. */
const debugPod = pod({
  hostNetwork: true,
  hostPID: true,
  containers: [
    {
      name: 'container-00',
      image: 'registry.example/tools',
      securityContext: { privileged: true, runAsUser: 0 },
      volumeMounts: [{ name: 'host', mountPath: '/host' }],
    },
  ],
  volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
});

describe('admission messages', () => {
  it('prints the message a real API server prints for a privileged debug pod at restricted:latest', () => {
    // The message below is the one OpenShift/Kubernetes printed for this pod (IBM Cloud docs, "Pod security
    // admission"), reasons in upstream's order: baseline checks by ID, then restricted checks by ID.
    const r = evaluatePodSecurity(debugPod, { level: 'restricted', version: 'latest' });
    expect(r.allowed).toBe(false);
    expect(r.message).toBe(
      'violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true, hostPID=true), ' +
        'privileged (container "container-00" must not set securityContext.privileged=true), ' +
        'allowPrivilegeEscalation != false (container "container-00" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "container-00" must set securityContext.capabilities.drop=["ALL"]), ' +
        'restricted volume types (volume "host" uses restricted volume type "hostPath"), ' +
        'runAsNonRoot != true (pod or container "container-00" must set securityContext.runAsNonRoot=true), ' +
        'runAsUser=0 (container "container-00" must not set runAsUser=0), ' +
        'seccompProfile (pod or container "container-00" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('prints the message for a pod with no security context at a pinned version', () => {
    const r = evaluatePodSecurity(pod({ containers: [{ name: 'app', image: 'nginx' }] }), {
      level: 'restricted',
      version: 'v1.33',
    });
    expect(r.message).toBe(
      'violates PodSecurity "restricted:v1.33": ' +
        'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('reports only baseline reasons at the baseline level', () => {
    const r = evaluatePodSecurity(debugPod, { level: 'baseline', version: 'v1.30' });
    expect(r.message).toBe(
      'violates PodSecurity "baseline:v1.30": host namespaces (hostNetwork=true, hostPID=true), ' +
        'hostPath volumes (volume "host"), ' +
        'privileged (container "container-00" must not set securityContext.privileged=true)',
    );
  });

  it('leaves the message empty and lists every evaluated control as allowed for a compliant pod', () => {
    const r = evaluatePodSecurity(pod(goodSpec), { level: 'restricted', version: 'latest' });
    expect(r.allowed).toBe(true);
    expect(r.message).toBe('');
    expect(r.problems).toEqual([]);
    expect(r.results.every((x) => x.allowed && x.reason === '' && x.detail === '')).toBe(true);
    expect(r.results.map((x) => x.control)).toEqual(
      compilePodSecurity({ level: 'restricted', version: 'latest' }).controls,
    );
  });

  it('gives each denied control its ID, its Pod Security Standards title, reason and detail', () => {
    const r = evaluatePodSecurity(debugPod, { level: 'restricted', version: 'latest' });
    expect(r.results.find((x) => x.control === 'runAsUser')).toEqual({
      control: 'runAsUser',
      title: 'Running as Non-root user',
      allowed: false,
      reason: 'runAsUser=0',
      detail: 'container "container-00" must not set runAsUser=0',
    });
  });
});

describe('field errors', () => {
  it('lists the offending fields of each denying control when asked, and only then', () => {
    const options = { level: 'restricted', version: 'latest' };
    const plain = evaluatePodSecurity(debugPod, options);
    expect(plain.results.some((r) => 'errors' in r)).toBe(false);
    const withErrors = evaluatePodSecurity(debugPod, { ...options, fieldErrors: true });
    expect(withErrors.message).toBe(plain.message);
    for (const r of withErrors.results) {
      if (r.allowed) expect(r.errors, r.control).toBeUndefined();
      else expect(r.errors?.length, r.control).toBeGreaterThan(0);
    }
    expect(withErrors.results.find((r) => r.control === 'restrictedVolumes')?.errors).toEqual([
      { type: 'forbidden', field: 'spec.volumes[0].hostPath' },
    ]);
    expect(withErrors.results.find((r) => r.control === 'hostNamespaces')?.errors).toEqual([
      { type: 'forbidden', field: 'spec.hostNetwork', badValue: true },
      { type: 'forbidden', field: 'spec.hostPID', badValue: true },
    ]);
  });

  it('gives field paths relative to the pod spec, also for a pod template', () => {
    const r = compilePodSecurity({ level: 'baseline', version: 'latest' }).evaluate(
      {
        kind: 'Deployment',
        spec: { template: { spec: { containers: [{ name: 'a', securityContext: { privileged: true } }] } } },
      },
      { fieldErrors: true },
    );
    expect(r.results.find((x) => x.control === 'privileged')?.errors).toEqual([
      { type: 'forbidden', field: 'spec.containers[0].securityContext.privileged', badValue: true },
    ]);
  });
});

describe('levels and versions', () => {
  it('resolves latest to the newest policy version any control defines (v1.37)', () => {
    expect(latestPodSecurityVersion()).toBe('v1.37');
    const c = compilePodSecurity({ level: 'baseline', version: 'latest' });
    expect(c.policyVersion).toBe('v1.37');
  });

  it('clamps a version newer than any control to the newest, keeping the requested label', () => {
    const r = evaluatePodSecurity(debugPod, { level: 'baseline', version: 'v1.99' });
    expect(r.policyVersion).toBe('v1.37');
    expect(r.version).toBe('v1.99');
    expect(r.message.startsWith('violates PodSecurity "baseline:v1.99": ')).toBe(true);
  });

  it('runs the restricted controls in upstream order, without the baseline controls they override', () => {
    expect(compilePodSecurity({ level: 'restricted', version: 'latest' }).controls).toEqual([
      'appArmorProfile',
      'hostNamespaces',
      'hostPorts',
      'hostProbesAndHostLifecycle',
      'privileged',
      'seLinuxOptions',
      'sysctls',
      'windowsHostProcess',
      'allowPrivilegeEscalation',
      'capabilities_restricted',
      'procMount_restricted',
      'restrictedVolumes',
      'runAsNonRoot',
      'runAsUser',
      'seccompProfile_restricted',
    ]);
  });

  it('keeps baseline seccomp and capabilities at restricted before their restricted replacements exist', () => {
    const v18 = compilePodSecurity({ level: 'restricted', version: 'v1.18' }).controls;
    expect(v18).toContain('seccompProfile_baseline');
    expect(v18).toContain('capabilities_baseline');
    expect(v18).toContain('procMount');
    expect(v18).not.toContain('hostPathVolumes');
    expect(v18).toContain('allowPrivilegeEscalation');
    expect(compilePodSecurity({ level: 'restricted', version: 'v1.7' }).controls).not.toContain(
      'allowPrivilegeEscalation',
    );
  });

  it('runs the twelve baseline controls at baseline:latest and fewer at old versions', () => {
    expect(compilePodSecurity({ level: 'baseline', version: 'latest' }).controls).toHaveLength(12);
    expect(compilePodSecurity({ level: 'baseline', version: 'v1.0' }).controls).not.toContain(
      'hostProbesAndHostLifecycle',
    );
  });

  it('allows anything at the privileged level, evaluating nothing', () => {
    const r = evaluatePodSecurity(debugPod, { level: 'privileged', version: 'latest' });
    expect(r).toMatchObject({ allowed: true, results: [], problems: [], message: '' });
  });

  it.each([
    ['Restricted', 'latest', 'level'],
    ['restricted', 'v1', 'version'],
    ['restricted', 'v1.01', 'version'],
    ['restricted', '1.25', 'version'],
    ['restricted', 'v2.0', 'version'],
    ['restricted', 'Latest', 'version'],
  ])('rejects level %j with version %j, naming the %s', (level, version, what) => {
    const parsed = parsePodSecurityPolicy(level, version);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(`invalid Pod Security ${what}`);
    expect(() => compilePodSecurity({ level, version })).toThrow(PalisadeError);
  });

  it('parses v1.0 and latest', () => {
    expect(parsePodSecurityPolicy('baseline', 'v1.0')).toEqual({
      ok: true,
      policy: { level: 'baseline', version: 0 },
    });
    expect(parsePodSecurityPolicy('restricted', 'latest')).toEqual({
      ok: true,
      policy: { level: 'restricted', version: 'latest' },
    });
  });
});

describe('what holds the pod', () => {
  const badSpec: Spec = { ...goodSpec, hostNetwork: true };
  const template = { metadata: { labels: { app: 'x' } }, spec: badSpec };
  const holders: [string, unknown][] = [
    ['Pod', pod(badSpec)],
    ['Deployment', { apiVersion: 'apps/v1', kind: 'Deployment', spec: { template } }],
    ['StatefulSet', { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { template } }],
    ['DaemonSet', { apiVersion: 'apps/v1', kind: 'DaemonSet', spec: { template } }],
    ['ReplicaSet', { apiVersion: 'apps/v1', kind: 'ReplicaSet', spec: { template } }],
    ['ReplicationController', { apiVersion: 'v1', kind: 'ReplicationController', spec: { template } }],
    ['Job', { apiVersion: 'batch/v1', kind: 'Job', spec: { template } }],
    ['CronJob', { apiVersion: 'batch/v1', kind: 'CronJob', spec: { jobTemplate: { spec: { template } } } }],
    ['PodTemplate', { apiVersion: 'v1', kind: 'PodTemplate', template }],
  ];
  it.each(holders)('evaluates the pod of a %s', (kind, holder) => {
    const r = evaluatePodSecurity(holder, { level: 'restricted', version: 'latest' });
    expect(r.kind).toBe(kind);
    expect(r.allowed).toBe(false);
    expect(r.results.filter((x) => !x.allowed).map((x) => x.control)).toEqual(['hostNamespaces']);
  });

  it('allows an object that is not a pod or pod controller, with no results', () => {
    const r = evaluatePodSecurity(
      { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } },
      { level: 'restricted', version: 'latest' },
    );
    expect(r).toMatchObject({ allowed: true, kind: undefined, results: [], message: '' });
  });

  it('takes an object without kind but with a spec as a pod', () => {
    const r = evaluatePodSecurity({ spec: goodSpec }, { level: 'restricted', version: 'latest' });
    expect(r).toMatchObject({ allowed: true, kind: 'Pod' });
  });

  it('evaluates a metadata and spec pair with evaluatePod', () => {
    const c = compilePodSecurity({ level: 'baseline', version: 'v1.18' });
    const r = c.evaluatePod(
      { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } },
      { containers: [{ name: 'a' }] },
    );
    expect(r.message).toBe(
      'violates PodSecurity "baseline:v1.18": seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")',
    );
  });
});

describe('malformed input', () => {
  it('denies a field of the wrong type instead of reading it as unset, and names it', () => {
    const r = evaluatePodSecurity(
      pod({ ...goodSpec, containers: [{ name: 'a', securityContext: { privileged: 'true' } }] }),
      { level: 'baseline', version: 'latest' },
    );
    expect(r.allowed).toBe(false);
    expect(r.results.every((x) => x.allowed)).toBe(true);
    expect(r.problems).toEqual([
      {
        path: 'spec.containers[0].securityContext.privileged',
        message: 'expected a boolean, got the string "true"',
      },
    ]);
    expect(r.message).toBe(
      'violates PodSecurity "baseline:latest": invalid pod (spec.containers[0].securityContext.privileged: expected a boolean, got the string "true")',
    );
  });

  it('prefixes the problem path with the template path of a controller', () => {
    const r = evaluatePodSecurity(
      {
        kind: 'CronJob',
        spec: { jobTemplate: { spec: { template: { spec: { hostNetwork: 'yes', containers: 'nope' } } } } },
      },
      { level: 'baseline', version: 'latest' },
    );
    expect(r.problems.map((p) => p.path)).toEqual([
      'spec.jobTemplate.spec.template.spec.hostNetwork',
      'spec.jobTemplate.spec.template.spec.containers',
    ]);
  });

  it('denies a pod without a spec', () => {
    const r = evaluatePodSecurity(
      { kind: 'Pod', metadata: { name: 'x' } },
      { level: 'baseline', version: 'latest' },
    );
    expect(r.allowed).toBe(false);
    expect(r.problems).toEqual([{ path: 'spec', message: 'missing pod spec' }]);
  });

  it('treats null as unset, as Kubernetes decoding does', () => {
    const r = evaluatePodSecurity(
      pod({
        ...goodSpec,
        hostNetwork: null,
        volumes: null,
        initContainers: [{ name: 'i', securityContext: null }],
      }),
      { level: 'baseline', version: 'latest' },
    );
    expect(r).toMatchObject({ allowed: true, problems: [] });
  });

  it('lists at most a bounded number of problems', () => {
    const containers = Array.from({ length: 500 }, (_, i) => ({
      name: `c${i}`,
      securityContext: { runAsUser: 'root' },
    }));
    const r = evaluatePodSecurity(pod({ containers }), { level: 'restricted', version: 'latest' });
    expect(r.allowed).toBe(false);
    expect(r.problems).toHaveLength(MAX_SHAPE_PROBLEMS);
  });

  it('does not recurse into deeply nested values', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = { x: deep };
    const r = evaluatePodSecurity(
      pod({
        ...goodSpec,
        extra: deep,
        securityContext: { ...(goodSpec['securityContext'] as Spec), sysctls: deep },
      }),
      { level: 'baseline', version: 'latest' },
    );
    expect(r.problems).toEqual([
      { path: 'spec.securityContext.sysctls', message: 'expected a list, got an object' },
    ]);
  });

  it('ignores entries that are not objects and reports them', () => {
    const r = evaluatePodSecurity(
      pod({ containers: ['nginx', { name: 'a', securityContext: { privileged: true } }] }),
      {
        level: 'baseline',
        version: 'latest',
      },
    );
    expect(r.results.find((x) => x.control === 'privileged')?.detail).toBe(
      'container "a" must not set securityContext.privileged=true',
    );
    expect(r.problems).toEqual([
      { path: 'spec.containers[0]', message: 'expected an object, got the string "nginx"' },
    ]);
  });

  it('does not throw on values that are not objects at all', () => {
    for (const v of [
      null,
      undefined,
      42,
      'Pod',
      [],
      { kind: 'Pod', spec: [] },
      { kind: 'Deployment', spec: 1 },
    ]) {
      expect(() => evaluatePodSecurity(v, { level: 'restricted', version: 'latest' })).not.toThrow();
    }
  });
});
