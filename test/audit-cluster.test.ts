/**
 * `palisade audit cluster` on a REAL kube-apiserver + etcd, run in-process through the CLI's run():
 * the findings over live objects equal `palisade audit manifests` over the same objects written to
 * files (differential), the Trivy Operator report objects exist with their names, labels, owners
 * and summaries, a rerun writes nothing (resourceVersions unchanged), a deleted Deployment's report
 * is removed by the next run, and the Table API shows the CRDs' printer columns.
 *
 * No controller-manager runs here: the test creates the ReplicaSet and Pod a Deployment would have,
 * to show that controlled objects are audited through their controller.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../packages/platform/src/cli/program.js';
import { KubeClient } from '../packages/platform/src/k8s/client/rest.js';
import {
  CustomResourceDefinitions,
  Deployments,
  Pods,
  ServiceAccounts,
  defineResource,
} from '../packages/platform/src/k8s/client/resources.js';
import type { KubeObject, ResourceType } from '../packages/platform/src/k8s/client/resources.js';
import {
  ClusterComplianceReports,
  ConfigAuditReports,
  RbacAssessmentReports,
} from '../packages/platform/src/k8s/reports/resources.js';
import { startTestCluster } from '../packages/platform/src/testing/cluster.js';
import type { TestCluster } from '../packages/platform/src/testing/cluster.js';
import { repoRoot, sharedData } from '../packages/platform/src/testing/shared-data.js';
import { CLUSTER_KINDS } from '../packages/platform/src/audit/collect/cluster.js';

const NS = 'shop';
const PSS_BASELINE = sharedData('conformance/cis/trivy-checks/compliance/k8s-pss-baseline-0.1.yaml');

type Loose = KubeObject & {
  metadata?: KubeObject['metadata'] & { ownerReferences?: Record<string, unknown>[] };
} & Record<string, unknown>;

const ReplicaSets = defineResource<Loose>({
  group: 'apps',
  version: 'v1',
  plural: 'replicasets',
  kind: 'ReplicaSet',
  namespaced: true,
});
const Roles = defineResource<KubeObject & Record<string, unknown>>({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural: 'roles',
  kind: 'Role',
  namespaced: true,
});
const ClusterRoleBindings = defineResource<KubeObject & Record<string, unknown>>({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural: 'clusterrolebindings',
  kind: 'ClusterRoleBinding',
  namespaced: false,
});
const NamespacesR = defineResource<KubeObject & Record<string, unknown>>({
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
});

let cluster: TestCluster;
let client: KubeClient;
let work: string;

interface CheckOut {
  checkId: string;
  severity: string;
  success: boolean;
  messages: string[];
  line?: number;
}
interface ObjectOut {
  kind: string;
  name: string;
  namespace: string;
  checks: CheckOut[];
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await run(args, { stdout, stderr, env: { HOME: work }, cwd: work });
  return { code, out, err };
}

const auditCluster = (...extra: string[]) =>
  cli(['audit', 'cluster', '--kubeconfig', cluster.kubeconfigPath, '--namespaces', NS, ...extra]);

const objKey = (o: { kind: string; namespace: string; name: string }): string =>
  `${o.namespace}/${o.kind}/${o.name}`;

/** Every check result as one comparable line (lines left out: a live object has none). */
function findings(results: ObjectOut[]): string[] {
  return results
    .flatMap((r) =>
      r.checks.map(
        (c) => `${objKey(r)} ${c.checkId} ${c.success ? 'pass' : 'FAIL'} ${c.messages.join(' | ')}`,
      ),
    )
    .sort();
}

/** Failed check IDs of an object (its per-object entry and the cross-object one, PAL001). */
const failed = (results: ObjectOut[], key: string): string[] =>
  results
    .filter((r) => objKey(r) === key)
    .flatMap((r) => r.checks)
    .filter((c) => !c.success)
    .map((c) => c.checkId)
    .sort();

interface TableAnswer {
  columnDefinitions: { name: string }[];
  rows: { cells: unknown[] }[];
}

async function getTable(path: string): Promise<TableAnswer> {
  return await new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(cluster.server + path),
      {
        ca: cluster.caPem,
        cert: cluster.adminCertPem,
        key: cluster.adminKeyPem,
        headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(JSON.parse(body) as TableAnswer) : reject(new Error(body)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const restricted = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: 10001,
  runAsGroup: 10001,
  privileged: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};
const resources = {
  requests: { cpu: '100m', memory: '64Mi' },
  limits: { cpu: '500m', memory: '128Mi' },
};
const DIGEST = `sha256:${'ab'.repeat(32)}`;

async function createObjects(): Promise<void> {
  await cluster.createNamespace(NS);
  const priv = await client.create(Deployments, {
    metadata: { name: 'priv', namespace: NS },
    spec: {
      selector: { matchLabels: { app: 'priv' } },
      template: {
        metadata: { labels: { app: 'priv' } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27', securityContext: { privileged: true } }] },
      },
    },
  });
  await client.create(Deployments, {
    metadata: { name: 'good', namespace: NS },
    spec: {
      selector: { matchLabels: { app: 'good' } },
      template: {
        metadata: { labels: { app: 'good' } },
        spec: {
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            fsGroup: 10001,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'app',
              // A registry on KSV0125's default trusted list, so the compliant Deployment passes every check.
              image: `gcr.io/shop/app@${DIGEST}`,
              imagePullPolicy: 'Always',
              securityContext: restricted,
              resources,
            },
          ],
        },
      },
    },
  });
  // What the Deployment controller would create: audited through the Deployment, not on their own.
  const rs = await client.create(ReplicaSets, {
    metadata: {
      name: 'priv-6f7d8',
      namespace: NS,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'priv',
          uid: priv.metadata?.uid ?? '',
          controller: true,
        },
      ],
    },
    spec: {
      selector: { matchLabels: { app: 'priv' } },
      template: {
        metadata: { labels: { app: 'priv' } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27', securityContext: { privileged: true } }] },
      },
    },
  });
  await client.create(Pods, {
    metadata: {
      name: 'priv-6f7d8-x1',
      namespace: NS,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'priv-6f7d8',
          uid: rs.metadata?.uid ?? '',
          controller: true,
        },
      ],
    },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', securityContext: { privileged: true } }] },
  });
  // A Pod nobody controls: audited itself.
  await client.create(Pods, {
    metadata: { name: 'debug', namespace: NS },
    spec: { hostPID: true, containers: [{ name: 'sh', image: 'busybox:1.36' }] },
  });
  await client.create(Roles, {
    metadata: { name: 'wild', namespace: NS },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }],
  });
  await client.create(ServiceAccounts, { metadata: { name: 'ci', namespace: NS } });
  await client.create(ClusterRoleBindings, {
    metadata: { name: 'ci-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: NS }],
  });
}

async function installCrds(): Promise<void> {
  const dir = join(repoRoot, 'deploy', 'crds');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml')))
    await client.create(CustomResourceDefinitions, parse(readFileSync(join(dir, f), 'utf8')) as never);
  for (const r of [ConfigAuditReports, RbacAssessmentReports, ClusterComplianceReports] as ResourceType[]) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await client.list(r, r.namespaced ? NS : undefined, { limit: 1 });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((res) => setTimeout(res, 200));
      }
    }
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'palisade-audit-cluster-'));
  cluster = await startTestCluster();
  client = KubeClient.fromFile(cluster.kubeconfigPath);
  await installCrds();
  await createObjects();
}, 120_000);

afterAll(async () => {
  client?.close();
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('palisade audit cluster', () => {
  let first: ObjectOut[] = [];
  const versions = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const r of (await client.listAll(ConfigAuditReports, NS)).items)
      out[`car/${r.metadata.name ?? ''}`] = r.metadata.resourceVersion ?? '';
    for (const r of (await client.listAll(RbacAssessmentReports, NS)).items)
      out[`rar/${r.metadata.name ?? ''}`] = r.metadata.resourceVersion ?? '';
    for (const r of (await client.listAll(ClusterComplianceReports)).items)
      out[`ccr/${r.metadata.name ?? ''}`] = r.metadata.resourceVersion ?? '';
    return out;
  };

  it('audits the live objects: controllers, not what they control; the expected findings per object', async () => {
    const r = await auditCluster('--format', 'json', '--write-reports');
    expect(r.code, r.err).toBe(0);
    first = (JSON.parse(r.out) as { results: ObjectOut[] }).results;
    expect([...new Set(first.map(objKey))].sort()).toEqual(
      [
        '/ClusterRoleBinding/ci-admin',
        '/Namespace/shop',
        'shop/Deployment/good',
        'shop/Deployment/priv',
        'shop/Pod/debug',
        'shop/Role/wild',
      ].sort(),
    );
    expect(failed(first, 'shop/Deployment/priv')).toContain('KSV017'); // privileged
    expect(failed(first, 'shop/Deployment/good')).toEqual([]);
    expect(failed(first, 'shop/Pod/debug')).toContain('KSV010'); // hostPID
    expect(failed(first, 'shop/Role/wild')).toContain('KSV045'); // wildcard verbs
    expect(failed(first, '/ClusterRoleBinding/ci-admin')).toContain('KSV111'); // cluster-admin binding
    expect(failed(first, '/Namespace/shop')).toEqual(['PAL001']); // no default-deny NetworkPolicy
    expect(r.err).toMatch(/reports: 4 created, 0 updated, 0 unchanged, 0 deleted/);
  });

  it('finds exactly what audit manifests finds for the same objects written to files', async () => {
    const dir = mkdtempSync(join(work, 'manifests-'));
    const objs: unknown[] = [
      await client.get(NamespacesR, NS),
      await client.get(Deployments, 'priv', NS),
      await client.get(Deployments, 'good', NS),
      await client.get(Pods, 'debug', NS),
      await client.get(Roles, 'wild', NS),
      await client.get(ClusterRoleBindings, 'ci-admin'),
    ];
    objs.forEach((o, i) => writeFileSync(join(dir, `${i}.yaml`), stringify(o)));
    const m = await cli(['audit', 'manifests', dir, '--format', 'json']);
    expect(m.code, m.err).toBe(0);
    const fromFiles = (JSON.parse(m.out) as { results: ObjectOut[] }).results;
    expect(findings(first)).toEqual(findings(fromFiles));
    expect(findings(first).filter((l) => l.includes(' FAIL ')).length).toBeGreaterThan(5);
  });

  it('writes Trivy Operator reports: names, labels, owners and summaries', async () => {
    const cars = (await client.listAll(ConfigAuditReports, NS)).items;
    const rars = (await client.listAll(RbacAssessmentReports, NS)).items;
    expect(cars.map((c) => c.metadata.name).sort()).toEqual([
      'deployment-good',
      'deployment-priv',
      'pod-debug',
    ]);
    expect(rars.map((c) => c.metadata.name)).toEqual(['role-wild']);
    const owners: Record<string, { kind: string; name: string; uid: string }> = {
      'deployment-priv': {
        kind: 'Deployment',
        name: 'priv',
        uid: (await client.get(Deployments, 'priv', NS)).metadata?.uid ?? '',
      },
      'deployment-good': {
        kind: 'Deployment',
        name: 'good',
        uid: (await client.get(Deployments, 'good', NS)).metadata?.uid ?? '',
      },
      'pod-debug': {
        kind: 'Pod',
        name: 'debug',
        uid: (await client.get(Pods, 'debug', NS)).metadata?.uid ?? '',
      },
      'role-wild': {
        kind: 'Role',
        name: 'wild',
        uid: (await client.get(Roles, 'wild', NS)).metadata?.uid ?? '',
      },
    };
    for (const rep of [...cars, ...rars]) {
      const name = rep.metadata.name ?? '';
      const owner = owners[name];
      expect(owner, name).toBeDefined();
      if (!owner) continue;
      expect(rep.metadata.labels).toMatchObject({
        'trivy-operator.resource.kind': owner.kind,
        'trivy-operator.resource.name': owner.name,
        'trivy-operator.resource.namespace': NS,
        'app.kubernetes.io/managed-by': 'palisade',
      });
      expect(rep.metadata.labels?.['resource-spec-hash']).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
      expect(rep.metadata.ownerReferences).toEqual([
        {
          apiVersion:
            owner.kind === 'Role' ? 'rbac.authorization.k8s.io/v1' : owner.kind === 'Pod' ? 'v1' : 'apps/v1',
          kind: owner.kind,
          name: owner.name,
          uid: owner.uid,
          controller: true,
          blockOwnerDeletion: false,
        },
      ]);
      // Summary = the failed checks of the object in the CLI's own output, by severity.
      const out = first.find((o) => o.kind === owner.kind && o.name === owner.name && o.namespace === NS);
      const count = (s: string): number =>
        (out?.checks ?? []).filter((c) => !c.success && c.severity === s).length;
      expect(rep.report.summary).toEqual({
        criticalCount: count('CRITICAL'),
        highCount: count('HIGH'),
        mediumCount: count('MEDIUM'),
        lowCount: count('LOW'),
      });
      expect(rep.report.checks.map((c) => `${c.checkID}:${c.success}`).sort()).toEqual(
        (out?.checks ?? []).map((c) => `${c.checkId}:${c.success}`).sort(),
      );
      expect(rep.report.scanner?.name).toBe('Palisade');
    }
    expect(
      cars.find((c) => c.metadata.name === 'deployment-priv')?.report.summary?.highCount,
    ).toBeGreaterThan(0);
  });

  it('writes a ClusterComplianceReport with --compliance; per-object reports stay untouched', async () => {
    const before = await versions();
    const r = await auditCluster('--write-reports', '--compliance', PSS_BASELINE, '--format', 'json');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/reports: 0 created, 0 updated, 4 unchanged, 0 deleted/);
    expect(r.err).toMatch(/ClusterComplianceReport k8s-pss-baseline-0.1: created/);
    const after = await versions();
    for (const [k, v] of Object.entries(before)) expect(after[k], k).toBe(v);
    const ccr = await client.get(ClusterComplianceReports, 'k8s-pss-baseline-0.1');
    expect(ccr.spec?.compliance.id).toBe('k8s-pss-baseline-0.1');
    expect(ccr.spec?.compliance.controls.find((c) => c.name === 'Privileged Containers')?.checks).toEqual([
      { id: 'KSV-0017' },
    ]);
    const control = (name: string) =>
      ccr.status?.summaryReport?.controlCheck?.find((c) => c.name?.trim() === name);
    // Privileged: the priv Deployment; host namespaces: the debug Pod's hostPID.
    expect(control('Privileged Containers')?.totalFail).toBe(1);
    expect(control('Host Namespaces')?.totalFail).toBe(1);
    const detail = ccr.status?.detailReport?.results?.find((c) => c.name?.trim() === 'Host Namespaces');
    expect(detail?.checks.map((c) => c.target)).toEqual(['shop/Pod/debug']);
    expect(ccr.status?.summary?.failCount).toBeGreaterThan(0);
    const t = await getTable('/apis/aquasecurity.github.io/v1alpha1/clustercompliancereports');
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Age', 'Fail', 'Pass']);
  });

  it('makes no writes on a rerun (resourceVersions unchanged)', async () => {
    const before = await versions();
    expect(Object.keys(before).length).toBe(5);
    const r = await auditCluster('--write-reports', '--compliance', PSS_BASELINE);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/reports: 0 created, 0 updated, 4 unchanged, 0 deleted/);
    expect(r.err).toMatch(/ClusterComplianceReport k8s-pss-baseline-0.1: unchanged/);
    expect(await versions()).toEqual(before);
  });

  it('lists reports through the Table API with Scanner/Age/Critical/High/Medium/Low', async () => {
    const t = await getTable(`/apis/aquasecurity.github.io/v1alpha1/namespaces/${NS}/configauditreports`);
    expect(t.columnDefinitions.map((c) => c.name)).toEqual([
      'Name',
      'Scanner',
      'Age',
      'Critical',
      'High',
      'Medium',
      'Low',
    ]);
    const cars = (await client.listAll(ConfigAuditReports, NS)).items;
    const expected = Object.fromEntries(
      cars.map((c) => [
        c.metadata.name ?? '',
        [
          'Palisade',
          c.report.summary?.criticalCount,
          c.report.summary?.highCount,
          c.report.summary?.mediumCount,
          c.report.summary?.lowCount,
        ],
      ]),
    );
    expect(
      Object.fromEntries(t.rows.map((r) => [String(r.cells[0]), [r.cells[1], ...r.cells.slice(3)]])),
    ).toEqual(expected);
    const rt = await getTable(`/apis/aquasecurity.github.io/v1alpha1/namespaces/${NS}/rbacassessmentreports`);
    expect(rt.columnDefinitions.map((c) => c.name)).toEqual([
      'Name',
      'Scanner',
      'Age',
      'Critical',
      'High',
      'Medium',
      'Low',
    ]);
    expect(rt.rows.map((r) => r.cells[0])).toEqual(['role-wild']);
  });

  it("removes a deleted Deployment's report on the next run", async () => {
    await client.delete(Deployments, 'priv', NS);
    const before = await versions();
    const r = await auditCluster('--write-reports');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/reports: 0 created, 0 updated, 3 unchanged, 1 deleted/);
    const names = (await client.listAll(ConfigAuditReports, NS)).items.map((c) => c.metadata.name).sort();
    expect(names).toEqual(['deployment-good', 'pod-debug']);
    const after = await versions();
    delete before['car/deployment-priv'];
    expect(after).toEqual(before);
  });

  it('gates on --exit-code and prints the other formats', async () => {
    const gated = await auditCluster('--exit-code', '3', '--severity', 'HIGH,CRITICAL');
    expect(gated.code).toBe(3);
    expect(gated.out).toMatch(/k8s:\/\/shop\/Pod\/debug\s+shop\/Pod\/debug\s+KSV010/);
    const sarif = JSON.parse((await auditCluster('--format', 'sarif')).out) as {
      runs: {
        results: {
          ruleId: string;
          locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
        }[];
      }[];
    };
    const ksv010 = sarif.runs[0]?.results.find((x) => x.ruleId === 'KSV010');
    expect(ksv010?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('k8s://shop/Pod/debug');
    const junit = await auditCluster('--format', 'junit');
    expect(junit.out).toContain('<testsuite');
    // Pagination: one object per page (continue tokens followed) gives the same results.
    const paged = await auditCluster('--format', 'json', '--page-size', '1');
    const whole = await auditCluster('--format', 'json');
    expect(findings((JSON.parse(paged.out) as { results: ObjectOut[] }).results)).toEqual(
      findings((JSON.parse(whole.out) as { results: ObjectOut[] }).results),
    );
    expect((await auditCluster('--page-size', '0')).code).toBe(2);
    const bad = await auditCluster('--kubeconfig', join(work, 'missing'));
    expect(bad.code).toBe(2);
  });

  it('needs only the RBAC docs/audit.md lists (SubjectAccessReview of every request it makes)', async () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'audit.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### RBAC the command needs'));
    const roles = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map(
      (m) => parse(m[1] ?? '') as { metadata: { name: string } },
    );
    expect(roles.map((r) => r.metadata.name)).toEqual([
      'palisade-audit-cluster',
      'palisade-audit-cluster-reports',
    ]);
    const ClusterRoles = defineResource<Loose>({
      ...ClusterRoleBindings,
      plural: 'clusterroles',
      kind: 'ClusterRole',
    });
    for (const role of roles) {
      await client.create(ClusterRoles, role);
      await client.create(ClusterRoleBindings, {
        metadata: { name: role.metadata.name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'auditor' }],
      });
    }
    const Sar = defineResource<Loose>({
      group: 'authorization.k8s.io',
      version: 'v1',
      plural: 'subjectaccessreviews',
      kind: 'SubjectAccessReview',
      namespaced: false,
    });
    const allowed = async (
      group: string,
      resource: string,
      verb: string,
      namespace?: string,
      sub?: string,
    ) => {
      const r = await client.create(Sar, {
        metadata: {},
        spec: {
          user: 'auditor',
          resourceAttributes: {
            group,
            resource,
            verb,
            ...(namespace ? { namespace } : {}),
            ...(sub ? { subresource: sub } : {}),
          },
        },
      });
      return (r['status'] as { allowed?: boolean } | undefined)?.allowed === true;
    };
    const denied: string[] = [];
    const want = async (g: string, res: string, verb: string, ns?: string, sub?: string): Promise<void> => {
      if (!(await allowed(g, res, verb, ns, sub))) denied.push(`${verb} ${g}/${res}${sub ? `/${sub}` : ''}`);
    };
    for (const k of CLUSTER_KINDS) await want(k.group, k.plural, 'list');
    for (const res of ['configauditreports', 'rbacassessmentreports'])
      for (const verb of ['list', 'create', 'update', 'delete'])
        await want('aquasecurity.github.io', res, verb, NS);
    for (const verb of ['get', 'create', 'update'])
      await want('aquasecurity.github.io', 'clustercompliancereports', verb);
    await want('aquasecurity.github.io', 'clustercompliancereports', 'update', undefined, 'status');
    expect(denied).toEqual([]);
    // The review is not vacuous: what the roles do not grant is denied.
    expect(await allowed('', 'secrets', 'list', NS)).toBe(false);
    expect(await allowed('apps', 'deployments', 'delete', NS)).toBe(false);
  });
});
