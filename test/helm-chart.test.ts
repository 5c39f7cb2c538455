/**
 * The Helm chart (deploy/helm/palisade): `helm lint` and `helm template` with the default values,
 * with every component enabled and with namespaced RBAC; the rendered objects are created for real
 * on the test kube-apiserver (CRDs first); the chart's RBAC is checked with SubjectAccessReviews
 * against the apiserver's own authorizer; `palisade audit manifests` over each render has no
 * HIGH/CRITICAL finding except the accepted ones listed below (docs/deploy.md explains each);
 * the flags passed to commands that exist in the CLI are flags those commands know.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import type { Command } from 'commander';
import { buildFullProgram, run } from '../packages/platform/src/cli/program.js';
import { parseAlertConfig } from '../packages/platform/src/config/alert.js';
import { KubeApiError, KubeClient, Pods } from '../packages/platform/src/k8s/client/index.js';
import { VulnerabilityReports } from '../packages/platform/src/k8s/reports/resources.js';
import { loadConfigFile } from '../packages/platform/src/config/resolve.js';
import { startTestCluster, type TestCluster } from '../packages/platform/src/testing/cluster.js';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const CHART = join(ROOT, 'deploy/helm/palisade');
const CRD_DIR = join(ROOT, 'deploy/crds');

type Obj = Record<string, unknown>;

/** The value at a path of plain objects and arrays; undefined when any step is missing. */
function at(o: unknown, ...path: (string | number)[]): unknown {
  let v = o;
  for (const k of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}
const str = (o: unknown, ...path: (string | number)[]): string => String(at(o, ...path));

/**
 * HIGH/CRITICAL findings the chart accepts on purpose: [check, kind/name, reason]. Every entry must
 * be seen in the all-components render (a stale entry fails the test); docs/deploy.md repeats them.
 */
const ACCEPTED: readonly (readonly [string, string, string])[] = [
  [
    'KSV041',
    'ClusterRole/palisade-operator',
    "get secrets: the operator reads the Pods' imagePullSecrets (and their ServiceAccounts') to pull private images, as the kubelet does; operator.registry.readPullSecrets=false removes it",
  ],
  [
    'KSV114',
    'ClusterRole/palisade-webhook',
    'an admission webhook keeps its own Validating/MutatingWebhookConfiguration: get/update/delete by name; create cannot be limited by name in RBAC',
  ],
  [
    'KSV109',
    'ConfigMap/palisade-kubeconfig',
    'a false positive: the in-cluster kubeconfig holds no secret, only the path of the ServiceAccount token file (token-file)',
  ],
];

let helm = '';
let work = '';

async function helmBin(): Promise<string> {
  try {
    const { stdout } = await exec('bash', [join(ROOT, 'scripts/helm/build.sh'), '--print']);
    const m = /^helm=(.+)$/m.exec(stdout);
    if (m?.[1]) return m[1];
  } catch {
    // fall through
  }
  throw new Error('helm is not built: run .ci/install.sh (or scripts/helm/build.sh)');
}

async function helmRun(args: string[]): Promise<string> {
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: work,
    HELM_CACHE_HOME: join(work, 'helm-cache'),
    HELM_CONFIG_HOME: join(work, 'helm-config'),
    HELM_DATA_HOME: join(work, 'helm-data'),
  };
  try {
    const { stdout } = await exec(helm, args, { env, maxBuffer: 64 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`helm ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

interface Variant {
  name: string;
  release: string;
  namespace: string;
  values: Obj;
}

const RULES = `- rule: Secret read by anonymous
  desc: an anonymous user read a secret
  condition: ka.verb=get and ka.target.resource=secrets and ka.user.name=system:anonymous
  output: anonymous secret read (name=%ka.target.name ns=%ka.target.namespace)
  priority: WARNING
  source: k8s_audit
`;

const VARIANTS: Variant[] = [
  { name: 'default values', release: 'palisade', namespace: 'palisade', values: {} },
  {
    name: 'every component enabled',
    release: 'full',
    namespace: 'palisade-full',
    values: {
      webhook: {
        configurationName: 'palisade-full',
        drainSeconds: 5,
        nodeOptions: '--max-semi-space-size=64',
      },
      operator: {
        concurrency: 4,
        nodeOptions: '--max-old-space-size=768',
        persistence: { enabled: true, size: '20Gi' },
        registry: { insecure: true },
        db: {
          mirror: 'https://osv.example.internal',
          ecosystems: ['Debian', 'Alpine', 'npm'],
          updateInterval: '6h',
        },
        podDisruptionBudget: { enabled: true },
      },
      exporter: {
        vulnerabilityDetails: true,
        trivyMetrics: true,
        serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus' } },
        podDisruptionBudget: { enabled: true },
      },
      runtime: {
        enabled: true,
        rules: { 'k8s_audit_rules.yaml': RULES },
        alert: {
          outputs: [{ type: 'stdout' }, { type: 'webhook', url: 'https://hooks.example.com/falco' }],
        },
        tlsSecret: 'runtime-tls',
        podDisruptionBudget: { enabled: true },
      },
    },
  },
  {
    name: 'namespaced RBAC, no reports, no pull secrets',
    release: 'scoped',
    namespace: 'palisade-scoped',
    values: {
      webhook: { reports: { enabled: false } },
      operator: { namespaces: ['team-a'], registry: { readPullSecrets: false } },
      exporter: { namespace: 'team-a', policyReports: false },
    },
  },
  {
    name: 'operator scans in Jobs',
    release: 'jobs',
    namespace: 'palisade-jobs',
    values: {
      operator: { scanMode: 'jobs', scanJobs: { namespace: 'palisade-scans' }, sbomGeneration: false },
    },
  },
];

async function render(v: Variant): Promise<{ text: string; objects: Obj[] }> {
  const file = join(work, `${v.release}-values.yaml`);
  writeFileSync(file, JSON.stringify(v.values));
  await helmRun(['lint', CHART, '--strict', '-f', file]);
  const text = await helmRun([
    'template',
    v.release,
    CHART,
    '--namespace',
    v.namespace,
    '--include-crds',
    '-f',
    file,
  ]);
  const objects: Obj[] = [];
  for (const doc of parseAllDocuments(text)) {
    expect(doc.errors, `YAML errors in the render of ${v.name}`).toEqual([]);
    const o = doc.toJS() as Obj | null;
    if (o) objects.push(o);
  }
  return { text, objects };
}

const id = (o: Obj): string => `${str(o, 'kind')}/${str(o, 'metadata', 'name')}`;

// --- applying objects for real ------------------------------------------------------------------

const plurals = new Map<string, { plural: string; namespaced: boolean }>();

async function resourceOf(
  cluster: TestCluster,
  apiVersion: string,
  kind: string,
): Promise<{ plural: string; namespaced: boolean }> {
  const key = `${apiVersion}/${kind}`;
  const hit = plurals.get(key);
  if (hit) return hit;
  const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  // Discovery of a just-established CRD's group can lag behind its Established condition.
  let res = await cluster.request('GET', path);
  for (let i = 0; res.status === 404 && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 200));
    res = await cluster.request('GET', path);
  }
  expect(res.status, `discovery ${path}`).toBe(200);
  const list = res.body as { resources: { name: string; kind: string; namespaced: boolean }[] };
  for (const r of list.resources)
    if (!r.name.includes('/'))
      plurals.set(`${apiVersion}/${r.kind}`, { plural: r.name, namespaced: r.namespaced });
  const found = plurals.get(key);
  if (!found) throw new Error(`the apiserver serves no ${kind} in ${apiVersion}`);
  return found;
}

function collectionPath(apiVersion: string, plural: string, namespace: string | undefined): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
}

/** Creates the object (POST); 201 expected. Namespaced objects without a namespace go to `ns`. */
async function create(cluster: TestCluster, o: Obj, ns: string): Promise<void> {
  const { plural, namespaced } = await resourceOf(cluster, String(o['apiVersion']), String(o['kind']));
  const namespace = namespaced ? ((at(o, 'metadata', 'namespace') as string | undefined) ?? ns) : undefined;
  const res = await cluster.request('POST', collectionPath(String(o['apiVersion']), plural, namespace), o);
  expect(res.status, `create ${id(o)}: ${JSON.stringify(res.body)}`).toBe(201);
}

async function waitEstablished(cluster: TestCluster, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await cluster.request(
      'GET',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
    );
    const crd = res.body as Obj;
    const conds = (at(crd, 'status', 'conditions') ?? []) as { type: string; status: string }[];
    if (conds.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not established: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The Prometheus Operator's ServiceMonitor kind, minimal (no schema): the cluster has none. */
const SERVICE_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'servicemonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: {
      plural: 'servicemonitors',
      singular: 'servicemonitor',
      kind: 'ServiceMonitor',
      listKind: 'ServiceMonitorList',
    },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

async function applyRender(
  cluster: TestCluster,
  objects: Obj[],
  ns: string,
  crdsPresent: boolean,
): Promise<void> {
  const crds = objects.filter((o) => o['kind'] === 'CustomResourceDefinition');
  if (!crdsPresent) {
    for (const crd of crds) await create(cluster, crd, ns);
    for (const crd of crds) await waitEstablished(cluster, str(crd, 'metadata', 'name'));
  }
  await cluster.createNamespace(ns);
  const targets = new Set<string>();
  for (const o of objects) {
    const t = at(o, 'metadata', 'namespace');
    if (typeof t === 'string' && t !== ns) targets.add(t);
  }
  for (const t of targets) await cluster.createNamespace(t);
  for (const o of objects) if (o['kind'] !== 'CustomResourceDefinition') await create(cluster, o, ns);
}

async function canI(
  cluster: TestCluster,
  user: string,
  attrs: { verb: string; resource: string; group?: string; namespace?: string; name?: string },
): Promise<boolean> {
  const review = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user,
      groups: ['system:serviceaccounts', 'system:authenticated'],
      resourceAttributes: { group: attrs.group ?? '', ...attrs },
    },
  };
  const res = await cluster.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', review);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return at(res.body, 'status', 'allowed') === true;
}

/** RBAC objects reach the authorizer's informer cache shortly after they are created. */
async function eventually(check: () => Promise<boolean>, want: boolean): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  let got = await check();
  while (got !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    got = await check();
  }
  return got;
}

// --- palisade audit manifests ---------------------------------------------------------------------

interface Finding {
  checkId: string;
  severity: string;
  object: string;
  message: string;
}

async function audit(text: string, name: string): Promise<Finding[]> {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, text);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await run(['audit', 'manifests', file, '--format', 'json'], {
    stdout,
    stderr,
    env: { HOME: work },
    cwd: work,
  });
  expect(code, err).toBe(0);
  const report = JSON.parse(out) as {
    results: (Obj & {
      checks: { checkId: string; severity: string; success: boolean; messages: string[] }[];
    })[];
    diagnostics: unknown[];
  };
  // The Prometheus Operator's ServiceMonitor is not a kind the audit knows; anything else is a bug.
  const diagnostics = (report.diagnostics as { code: string; message: string }[]).filter(
    (d) => !(d.code === 'W_UNKNOWN_KIND' && d.message.includes('monitoring.coreos.com/v1/ServiceMonitor')),
  );
  expect(diagnostics).toEqual([]);
  const findings: Finding[] = [];
  for (const r of report.results)
    for (const c of r.checks)
      if (!c.success && (c.severity === 'HIGH' || c.severity === 'CRITICAL'))
        findings.push({
          checkId: c.checkId,
          severity: c.severity,
          object: `${str(r, 'kind')}/${str(r, 'name')}`,
          message: c.messages.join('; '),
        });
  return findings;
}

// --- flags --------------------------------------------------------------------------------------

/** Unknown options of `palisade <args>` per the real command tree; undefined when the command does not exist yet. */
function unknownFlags(args: string[]): string[] | undefined {
  // The full tree: commands the CLI loads on demand are loaded here, so their options are known.
  let cmd = programTree;
  let i = 0;
  while (i < args.length) {
    const sub = cmd.commands.find((c) => c.name() === args[i]);
    if (!sub) break;
    cmd = sub;
    i++;
  }
  if (i === 0) return undefined;
  if (cmd.commands.length > 0 && i < args.length && !String(args[i]).startsWith('-')) return undefined;
  return cmd.parseOptions(args.slice(i)).unknown;
}

// --- tests --------------------------------------------------------------------------------------

let cluster: TestCluster;
const renders = new Map<string, { text: string; objects: Obj[] }>();

let programTree: Command;

beforeAll(async () => {
  helm = await helmBin();
  work = mkdtempSync(join(tmpdir(), 'palisade-helm-'));
  programTree = await buildFullProgram({
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    env: {},
    cwd: work,
  });
  for (const v of VARIANTS) renders.set(v.name, await render(v));
  cluster = await startTestCluster();
});

afterAll(async () => {
  await cluster?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('helm chart deploy/helm/palisade', () => {
  it('the chart carries exactly the CRDs of deploy/crds, unchanged', () => {
    const want = readdirSync(CRD_DIR)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => parseYaml(readFileSync(join(CRD_DIR, f), 'utf8')) as Obj);
    expect(want.length).toBeGreaterThan(0);
    const got = renders
      .get('default values')!
      .objects.filter((o) => o['kind'] === 'CustomResourceDefinition');
    const byName = (a: Obj, b: Obj): number =>
      str(a, 'metadata', 'name').localeCompare(str(b, 'metadata', 'name'));
    expect(got.sort(byName)).toEqual(want.sort(byName));
  });

  it('the default render has the webhook, operator and exporter, and no runtime', () => {
    const ids = renders.get('default values')!.objects.map(id);
    for (const c of ['webhook', 'operator', 'exporter']) {
      expect(ids).toContain(`Deployment/palisade-${c}`);
      expect(ids).toContain(`ServiceAccount/palisade-${c}`);
    }
    expect(ids).toContain('PodDisruptionBudget/palisade-webhook');
    expect(ids).toContain('Service/palisade-webhook');
    expect(ids).toContain('Service/palisade-exporter');
    expect(ids).toContain('ConfigMap/palisade-kubeconfig');
    // The webhook creates its own configurations (and removes them when it stops).
    expect(ids.filter((i) => i.endsWith('WebhookConfiguration/palisade'))).toEqual([]);
    expect(ids).not.toContain('Deployment/palisade-runtime');
    expect(ids.filter((i) => i.startsWith('ServiceMonitor/'))).toEqual([]);
  });

  it("nodeOptions becomes the container's NODE_OPTIONS, and is absent by default", () => {
    const nodeOptions = (objects: Obj[], deployment: string): unknown => {
      const d = objects.find((o) => id(o) === `Deployment/${deployment}`);
      expect(d, deployment).toBeDefined();
      const env = (at(d, 'spec', 'template', 'spec', 'containers', 0, 'env') ?? []) as Obj[];
      return env.find((e) => e['name'] === 'NODE_OPTIONS')?.['value'];
    };
    const full = renders.get('every component enabled')!.objects;
    expect(nodeOptions(full, 'full-palisade-webhook')).toBe('--max-semi-space-size=64');
    expect(nodeOptions(full, 'full-palisade-operator')).toBe('--max-old-space-size=768');
    const plain = renders.get('default values')!.objects;
    expect(nodeOptions(plain, 'palisade-webhook')).toBeUndefined();
    expect(nodeOptions(plain, 'palisade-operator')).toBeUndefined();
  });

  it('every container runs non-root with a read-only root, no capabilities, RuntimeDefault seccomp and probes', () => {
    for (const [name, { objects }] of renders) {
      const deployments = objects.filter((o) => o['kind'] === 'Deployment');
      expect(deployments.length, name).toBeGreaterThanOrEqual(3);
      for (const d of deployments) {
        const pod = at(d, 'spec', 'template', 'spec') as Obj;
        expect(at(pod, 'securityContext', 'runAsNonRoot'), id(d)).toBe(true);
        expect(at(pod, 'securityContext', 'seccompProfile'), id(d)).toEqual({ type: 'RuntimeDefault' });
        for (const c of pod['containers'] as Obj[]) {
          const sc = c['securityContext'] as Obj;
          expect(sc['readOnlyRootFilesystem'], id(d)).toBe(true);
          expect(sc['allowPrivilegeEscalation'], id(d)).toBe(false);
          expect(sc['capabilities'], id(d)).toEqual({ drop: ['ALL'] });
          expect(c['livenessProbe'], id(d)).toBeDefined();
          expect(c['readinessProbe'], id(d)).toBeDefined();
          expect(at(c, 'resources', 'limits', 'memory'), id(d)).toBeDefined();
        }
      }
    }
  });

  it('every variant creates for real on the test apiserver, CRDs first', async () => {
    let crdsPresent = false;
    let serviceMonitorCrd = false;
    for (const v of VARIANTS) {
      const { objects } = renders.get(v.name)!;
      if (objects.some((o) => o['kind'] === 'ServiceMonitor') && !serviceMonitorCrd) {
        serviceMonitorCrd = true;
        await create(cluster, SERVICE_MONITOR_CRD, v.namespace);
        await waitEstablished(cluster, SERVICE_MONITOR_CRD.metadata.name);
      }
      await applyRender(cluster, objects, v.namespace, crdsPresent);
      crdsPresent = true;
      // Read back: each object exists where the chart put it.
      for (const o of objects) {
        const { plural, namespaced } = await resourceOf(cluster, String(o['apiVersion']), String(o['kind']));
        const ns = namespaced
          ? ((at(o, 'metadata', 'namespace') as string | undefined) ?? v.namespace)
          : undefined;
        const res = await cluster.request(
          'GET',
          `${collectionPath(String(o['apiVersion']), plural, ns)}/${str(o, 'metadata', 'name')}`,
        );
        expect(res.status, `${v.name}: get ${id(o)}`).toBe(200);
      }
    }
  });

  it('RBAC grants what each component needs and nothing around it (SubjectAccessReview)', async () => {
    const sa = (ns: string, name: string): string => `system:serviceaccount:${ns}:${name}`;
    const cases: [string, string, Parameters<typeof canI>[2], boolean][] = [
      // webhook: its own configurations by name only
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        {
          verb: 'update',
          group: 'admissionregistration.k8s.io',
          resource: 'validatingwebhookconfigurations',
          name: 'palisade',
        },
        true,
      ],
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        {
          verb: 'update',
          group: 'admissionregistration.k8s.io',
          resource: 'validatingwebhookconfigurations',
          name: 'someone-else',
        },
        false,
      ],
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        { verb: 'create', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' },
        true,
      ],
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        {
          verb: 'delete',
          group: 'admissionregistration.k8s.io',
          resource: 'mutatingwebhookconfigurations',
          name: 'someone-else',
        },
        false,
      ],
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        { verb: 'watch', group: 'kyverno.io', resource: 'clusterpolicies' },
        true,
      ],
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        { verb: 'create', group: 'wgpolicyk8s.io', resource: 'policyreports', namespace: 'team-a' },
        true,
      ],
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        {
          verb: 'delete',
          group: 'admissionregistration.k8s.io',
          resource: 'mutatingwebhookconfigurations',
          name: 'palisade',
        },
        true,
      ],
      // webhook: its certificate Secret by name (get/update), no create, no other Secret
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        { verb: 'update', resource: 'secrets', namespace: 'palisade', name: 'palisade-webhook-tls' },
        true,
      ],
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        { verb: 'get', resource: 'secrets', namespace: 'palisade', name: 'palisade-webhook-tls' },
        true,
      ],
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        { verb: 'create', resource: 'secrets', namespace: 'palisade' },
        false,
      ],
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        { verb: 'get', resource: 'secrets', namespace: 'palisade', name: 'other' },
        false,
      ],
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        { verb: 'list', resource: 'secrets', namespace: 'team-a' },
        false,
      ],
      // webhook: the background scan lists/watches the kinds in webhook.backgroundScan.resources
      // (Pods and their controllers by default), reads nothing else and gets no single object
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        { verb: 'list', group: 'apps', resource: 'deployments' },
        true,
      ],
      ['default', sa('palisade', 'palisade-webhook'), { verb: 'watch', resource: 'pods' }, true],
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        { verb: 'get', resource: 'pods', namespace: 'team-a', name: 'x' },
        false,
      ],
      ['default', sa('palisade', 'palisade-webhook'), { verb: 'list', resource: 'configmaps' }, false],
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        { verb: 'watch', group: 'policies.kyverno.io', resource: 'validatingpolicies' },
        true,
      ],
      [
        'default',
        sa('palisade', 'palisade-webhook'),
        { verb: 'create', resource: 'pods', namespace: 'team-a' },
        false,
      ],
      // operator: workloads read, reports written, pull secrets read, nothing else written
      ['default', sa('palisade', 'palisade-operator'), { verb: 'watch', resource: 'pods' }, true],
      [
        'default',
        sa('palisade', 'palisade-operator'),
        { verb: 'list', group: 'batch', resource: 'cronjobs' },
        true,
      ],
      [
        'default',
        sa('palisade', 'palisade-operator'),
        {
          verb: 'delete',
          group: 'aquasecurity.github.io',
          resource: 'vulnerabilityreports',
          namespace: 'team-a',
        },
        true,
      ],
      [
        'default',
        sa('palisade', 'palisade-operator'),
        { verb: 'get', resource: 'secrets', namespace: 'team-a', name: 'regcred' },
        true,
      ],
      [
        'default',
        sa('palisade', 'palisade-operator'),
        { verb: 'list', resource: 'secrets', namespace: 'team-a' },
        false,
      ],
      [
        'default',
        sa('palisade', 'palisade-operator'),
        { verb: 'update', resource: 'pods', namespace: 'team-a' },
        false,
      ],
      [
        'default',
        sa('palisade', 'palisade-operator'),
        {
          verb: 'update',
          group: 'coordination.k8s.io',
          resource: 'leases',
          namespace: 'palisade',
          name: 'palisade-operator',
        },
        true,
      ],
      [
        'default',
        sa('palisade', 'palisade-operator'),
        {
          verb: 'update',
          group: 'coordination.k8s.io',
          resource: 'leases',
          namespace: 'kube-system',
          name: 'kube-scheduler',
        },
        false,
      ],
      // exporter: reads reports only
      [
        'default',
        sa('palisade', 'palisade-exporter'),
        { verb: 'watch', group: 'aquasecurity.github.io', resource: 'configauditreports' },
        true,
      ],
      [
        'default',
        sa('palisade', 'palisade-exporter'),
        { verb: 'list', group: 'wgpolicyk8s.io', resource: 'clusterpolicyreports' },
        true,
      ],
      [
        'default',
        sa('palisade', 'palisade-exporter'),
        {
          verb: 'create',
          group: 'aquasecurity.github.io',
          resource: 'vulnerabilityreports',
          namespace: 'team-a',
        },
        false,
      ],
      ['default', sa('palisade', 'palisade-exporter'), { verb: 'list', resource: 'pods' }, false],
      // runtime: no API access at all
      ['full', sa('palisade-full', 'full-palisade-runtime'), { verb: 'list', resource: 'pods' }, false],
      [
        'full',
        sa('palisade-full', 'full-palisade-runtime'),
        { verb: 'get', resource: 'configmaps', namespace: 'palisade-full' },
        false,
      ],
      // namespaced variant: team-a only, no secrets
      [
        'scoped',
        sa('palisade-scoped', 'scoped-palisade-operator'),
        { verb: 'list', resource: 'pods', namespace: 'team-a' },
        true,
      ],
      [
        'scoped',
        sa('palisade-scoped', 'scoped-palisade-operator'),
        { verb: 'list', resource: 'pods', namespace: 'team-b' },
        false,
      ],
      [
        'scoped',
        sa('palisade-scoped', 'scoped-palisade-operator'),
        { verb: 'list', resource: 'pods' },
        false,
      ],
      [
        'scoped',
        sa('palisade-scoped', 'scoped-palisade-operator'),
        { verb: 'get', resource: 'secrets', namespace: 'team-a', name: 'regcred' },
        false,
      ],
      [
        'scoped',
        sa('palisade-scoped', 'scoped-palisade-exporter'),
        {
          verb: 'list',
          group: 'aquasecurity.github.io',
          resource: 'vulnerabilityreports',
          namespace: 'team-a',
        },
        true,
      ],
      [
        'scoped',
        sa('palisade-scoped', 'scoped-palisade-exporter'),
        { verb: 'list', group: 'aquasecurity.github.io', resource: 'vulnerabilityreports' },
        false,
      ],
      [
        'scoped',
        sa('palisade-scoped', 'scoped-palisade-exporter'),
        { verb: 'list', group: 'wgpolicyk8s.io', resource: 'clusterpolicyreports' },
        false,
      ],
      [
        'scoped',
        sa('palisade-scoped', 'scoped-palisade-webhook'),
        { verb: 'list', group: 'apps', resource: 'deployments' },
        false,
      ],
      // operator in jobs mode: Jobs, their Secrets and Events in the scan namespace only
      ...(
        [
          [{ verb: 'create', group: 'batch', resource: 'jobs', namespace: 'palisade-scans' }, true],
          [{ verb: 'watch', group: 'batch', resource: 'jobs', namespace: 'palisade-scans' }, true],
          [
            { verb: 'delete', group: 'batch', resource: 'jobs', namespace: 'palisade-scans', name: 'x' },
            true,
          ],
          [{ verb: 'create', group: 'batch', resource: 'jobs', namespace: 'team-a' }, false],
          [{ verb: 'delete', group: 'batch', resource: 'jobs', namespace: 'team-a', name: 'x' }, false],
          [{ verb: 'create', resource: 'secrets', namespace: 'palisade-scans' }, true],
          [{ verb: 'delete', resource: 'secrets', namespace: 'palisade-scans', name: 'x' }, true],
          [{ verb: 'list', resource: 'secrets', namespace: 'palisade-scans' }, false],
          [{ verb: 'create', resource: 'secrets', namespace: 'team-a' }, false],
          [{ verb: 'create', resource: 'events', namespace: 'palisade-scans' }, true],
          [{ verb: 'create', resource: 'events', namespace: 'team-a' }, false],
          [{ verb: 'list', resource: 'replicationcontrollers', namespace: 'team-a' }, true],
          [
            { verb: 'create', group: 'aquasecurity.github.io', resource: 'sbomreports', namespace: 'team-a' },
            true,
          ],
        ] as [Parameters<typeof canI>[2], boolean][]
      ).map(([attrs, want]): [string, string, Parameters<typeof canI>[2], boolean] => [
        'jobs',
        sa('palisade-jobs', 'jobs-palisade-operator'),
        attrs,
        want,
      ]),
      // the scan Jobs' own service account: nothing
      [
        'jobs',
        sa('palisade-scans', 'jobs-palisade-operator-scan-job'),
        { verb: 'get', resource: 'pods', namespace: 'palisade-scans' },
        false,
      ],
    ];
    const wrong: string[] = [];
    for (const [variant, user, attrs, want] of cases) {
      const got = await eventually(() => canI(cluster, user, attrs), want);
      if (got !== want) wrong.push(`${variant}: ${user} ${JSON.stringify(attrs)} → ${got}, want ${want}`);
    }
    console.log(`RBAC: ${cases.length - wrong.length}/${cases.length} access reviews as expected`);
    expect(wrong).toEqual([]);
  });

  it('palisade audit manifests finds no HIGH/CRITICAL issue beyond the accepted ones', async () => {
    const seen = new Set<string>();
    const unexpected: string[] = [];
    for (const v of VARIANTS) {
      const findings = await audit(renders.get(v.name)!.text, v.release);
      for (const f of findings) {
        // Objects are named <release>-palisade-…; the table uses the default release's names.
        const object = f.object.replace(`/${v.release}-palisade`, '/palisade');
        const accepted = ACCEPTED.find(([check, obj]) => check === f.checkId && obj === object);
        if (accepted) seen.add(`${accepted[0]} ${accepted[1]}`);
        else unexpected.push(`${v.name}: ${f.severity} ${f.checkId} ${f.object}: ${f.message}`);
      }
    }
    console.log(
      `audit: ${unexpected.length} unexpected HIGH/CRITICAL findings; accepted: ${[...seen].join(', ') || 'none'}`,
    );
    expect(unexpected).toEqual([]);
    expect([...seen].sort()).toEqual(ACCEPTED.map(([c, o]) => `${c} ${o}`).sort());
  });

  it('every container runs a palisade command that exists, with flags that command knows', () => {
    const checked: string[] = [];
    const bad: string[] = [];
    for (const [name, { objects }] of renders)
      for (const d of objects.filter((o) => o['kind'] === 'Deployment')) {
        const pod = at(d, 'spec', 'template', 'spec') as Obj;
        const containers = [
          ...((pod['initContainers'] ?? []) as Obj[]),
          ...((pod['containers'] ?? []) as Obj[]),
        ];
        for (const c of containers) {
          if (c['command'] !== undefined) continue; // a shell wrapper (the DB updater loop)
          const args = (c['args'] ?? []) as string[];
          const label = `${name}: ${id(d)} ${str(c, 'name')} (palisade ${args.filter((a) => !a.startsWith('-')).join(' ')})`;
          const unknown = unknownFlags(args);
          if (unknown === undefined) bad.push(`${label}: no such command`);
          else if (unknown.length) bad.push(`${label}: unknown ${unknown.join(' ')}`);
          else checked.push(label);
        }
      }
    console.log(`flags: ${checked.length} containers checked against the CLI, ${bad.length} wrong`);
    expect(bad).toEqual([]);
    for (const cmd of ['webhook', 'operator', 'exporter', 'runtime serve', 'db update'])
      expect(checked.some((c) => c.includes(`(palisade ${cmd}`))).toBe(true);
  });

  it("the chart's in-cluster kubeconfig authenticates as the component's ServiceAccount", async () => {
    // The token and CA the kubelet would mount, from the real apiserver (TokenRequest).
    const tr = await cluster.request(
      'POST',
      '/api/v1/namespaces/palisade/serviceaccounts/palisade-exporter/token',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 600 },
      },
    );
    expect(tr.status, JSON.stringify(tr.body)).toBe(201);
    const mount = join(work, 'sa-mount');
    mkdirSync(mount, { recursive: true });
    writeFileSync(join(mount, 'token'), str(tr.body, 'status', 'token'));
    writeFileSync(join(mount, 'ca.crt'), cluster.caPem);
    const cm = renders.get('default values')!.objects.find((o) => id(o) === 'ConfigMap/palisade-kubeconfig');
    const text = str(cm, 'data', 'kubeconfig')
      .replaceAll('/var/run/secrets/kubernetes.io/serviceaccount', mount)
      .replace('"https://kubernetes.default.svc"', JSON.stringify(cluster.server));
    expect(text).toContain(mount);
    expect(text).toContain(cluster.server);
    const client = KubeClient.fromString(text);
    try {
      // A CRD's storage can answer 429 "(re)initializing" for a moment after it is created.
      let reports;
      for (let i = 0; ; i++) {
        try {
          reports = await client.list(VulnerabilityReports);
          break;
        } catch (e) {
          if (!(e instanceof KubeApiError && e.status === 429 && i < 50)) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      expect(reports.items).toEqual([]);
      const denied = await client.list(Pods).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(denied).toBeInstanceOf(KubeApiError);
      expect((denied as KubeApiError).status).toBe(403);
    } finally {
      client.close();
    }
  });

  it("the runtime's rendered alert config and rules load with Palisade's own loaders", async () => {
    const { objects } = renders.get('every component enabled')!;
    const secret = objects.find((o) => id(o) === 'Secret/full-palisade-runtime-config');
    const rules = objects.find((o) => id(o) === 'ConfigMap/full-palisade-runtime-rules');
    expect(secret && rules).toBeTruthy();
    const dir = join(work, 'runtime-mount');
    mkdirSync(join(dir, 'rules'), { recursive: true });
    writeFileSync(join(dir, 'palisade.yaml'), str(secret, 'stringData', 'palisade.yaml'));
    const alert = parseAlertConfig(loadConfigFile(join(dir, 'palisade.yaml'), true), { env: {} });
    expect(alert.outputs.map((o) => o.kind)).toEqual(['stdout', 'webhook']);
    for (const [file, text] of Object.entries(at(rules, 'data') as Record<string, string>))
      writeFileSync(join(dir, 'rules', file), text);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    stdout.resume();
    const code = await run(['runtime', 'validate', '-r', join(dir, 'rules')], {
      stdout,
      stderr,
      env: { HOME: work },
      cwd: work,
    });
    expect(code, err).toBe(0);
  });

  it('helm template fails with a clear message on values the chart cannot honour', async () => {
    const bad: [Obj, RegExp][] = [
      [{ webhook: { replicas: 2 } }, /webhook.replicas: one replica/],
      [{ runtime: { enabled: true } }, /runtime.enabled needs rules/],
      [{ operator: { scanMode: 'pods' } }, /operator.scanMode must be in-process or jobs/],
    ];
    for (const [values, msg] of bad) {
      const file = join(work, 'bad-values.yaml');
      writeFileSync(file, JSON.stringify(values));
      await expect(helmRun(['template', 'x', CHART, '-f', file])).rejects.toThrow(msg);
    }
  });
});
