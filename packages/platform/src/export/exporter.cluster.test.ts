/**
 * Reports and the exporter against a REAL kube-apiserver + etcd (see docs/testing-cluster.md),
 * scraped by a REAL Prometheus (Debian's `prometheus` package, installed by .ci/install.sh).
 *
 * 1. The generated CRDs install and become Established; objects from the builders are accepted.
 * 2. The apiserver's Table API (what `kubectl get vulnerabilityreport -o wide` prints) returns
 *    Trivy Operator's columns with the report's values.
 * 3. The exporter's /metrics shows starboard-exporter's, Trivy Operator's and policy-reporter's
 *    series for created reports; deleting a report removes its series.
 * 4. Prometheus scrapes the exporter and answers a PromQL query with the value.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DetectedVulnerability, PolicyReport, ScanReport } from '@palisade/api';
import { ALL_CRDS, crdName, toCustomResourceDefinition } from '@palisade/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomResourceDefinitions } from '../k8s/client/resources.js';
import { KubeClient } from '../k8s/client/rest.js';
import { buildVulnerabilityReport } from '../k8s/reports/builders.js';
import { PolicyReports, VulnerabilityReports } from '../k8s/reports/resources.js';
import { startTestCluster } from '../testing/cluster.js';
import type { TestCluster } from '../testing/cluster.js';
import { ReportExporter } from './exporter.js';
import { startExporterServer } from './server.js';
import type { ExporterServer } from './server.js';

const PROMETHEUS = '/usr/bin/prometheus';
const NS = 'flux-system';

let cluster: TestCluster;
let client: KubeClient;
let exporter: ReportExporter;
let server: ExporterServer;
const stop = new AbortController();

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`,
  );
}

function vuln(
  id: string,
  severity: DetectedVulnerability['severity'],
  score?: number,
): DetectedVulnerability {
  return {
    vulnerabilityId: id,
    pkgName: 'openssl',
    installedVersion: '3.0.11-1',
    fixedVersion: '3.0.13-1',
    status: 'fixed',
    severity,
    title: `${id} title`,
    primaryUrl: `https://avd.aquasec.com/nvd/${id.toLowerCase()}`,
    ...(score !== undefined ? { cvss: { nvd: { v3Score: score } } } : {}),
  };
}

const scan: ScanReport = {
  schemaVersion: 1,
  createdAt: '2024-01-01T00:00:00Z',
  artifact: { name: '127.0.0.1:5000/bookworm:12', type: 'container_image' },
  os: { family: 'debian', name: '12.5' },
  results: [
    {
      target: 'bookworm (debian 12.5)',
      class: 'os-pkgs',
      type: 'debian',
      vulnerabilities: [
        vuln('CVE-2024-0001', 'CRITICAL', 9.8),
        vuln('CVE-2024-0002', 'HIGH', 7.5),
        vuln('CVE-2024-0003', 'HIGH', 7.1),
        vuln('CVE-2024-0004', 'MEDIUM'),
        vuln('CVE-2024-0005', 'LOW'),
        vuln('CVE-2024-0006', 'LOW'),
        vuln('CVE-2024-0007', 'LOW'),
        vuln('CVE-2024-0008', 'UNKNOWN'),
      ],
    },
  ],
  diagnostics: [],
};

function workload(
  name: string,
  uid: string,
): {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
} {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', name, namespace: NS, uid };
}

beforeAll(async () => {
  cluster = await startTestCluster();
  client = KubeClient.fromFile(cluster.kubeconfigPath);
  await cluster.createNamespace(NS);
  for (const d of ALL_CRDS) {
    await client.create(
      CustomResourceDefinitions,
      toCustomResourceDefinition(d) as NonNullable<(typeof CustomResourceDefinitions)['__type']>,
    );
  }
  for (const d of ALL_CRDS) {
    await until(`${crdName(d)} Established`, async () => {
      const crd = await client.get(CustomResourceDefinitions, crdName(d));
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    });
  }
  exporter = new ReportExporter(client, { vulnerabilityDetails: true, trivyMetrics: true });
  exporter.start(stop.signal);
  server = await startExporterServer(exporter, {
    host: '127.0.0.1',
    port: 0,
    synced: () => exporter.hasSynced(),
  });
});

afterAll(async () => {
  stop.abort();
  await server?.close();
  client?.close();
  await cluster?.stop();
});

/** GET with kubectl's Table Accept header, as admin (the client always asks for plain JSON). */
async function getTable(path: string): Promise<unknown> {
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
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode} ${body}`));
          else resolve(JSON.parse(body));
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function scrape(): Promise<string> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  return await res.text();
}

describe('report objects on the real apiserver', () => {
  it('creates a built VulnerabilityReport and prints Trivy Operator columns through the Table API', async () => {
    const report = buildVulnerabilityReport(scan, {
      workload: workload('bookworm-6d4cf56db6', 'uid-table'),
      container: 'app',
      image: '127.0.0.1:5000/bookworm:12',
    });
    await client.create(VulnerabilityReports, report);
    const table = (await getTable(
      `/apis/aquasecurity.github.io/v1alpha1/namespaces/${NS}/vulnerabilityreports`,
    )) as {
      kind: string;
      columnDefinitions: { name: string; priority?: number }[];
      rows: { cells: unknown[] }[];
    };
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c) => c.name)).toEqual([
      'Name',
      'Repository',
      'Tag',
      'Scanner',
      'Age',
      'Critical',
      'High',
      'Medium',
      'Low',
      'Unknown',
    ]);
    // -o wide shows the priority-1 columns: the severity counts.
    expect(table.columnDefinitions.filter((c) => c.priority === 1).map((c) => c.name)).toEqual([
      'Critical',
      'High',
      'Medium',
      'Low',
      'Unknown',
    ]);
    const row = table.rows.find((r) => r.cells[0] === 'replicaset-bookworm-6d4cf56db6-app');
    expect(row, 'the report is listed').toBeDefined();
    const cells = row?.cells ?? [];
    expect([cells[1], cells[2], cells[3], ...cells.slice(5)]).toEqual([
      'bookworm',
      '12',
      'Palisade',
      1,
      2,
      1,
      3,
      1,
    ]);
  });
});

describe('exporter on the real apiserver', () => {
  it('shows the series of created reports and drops them when a report is deleted', async () => {
    const r = buildVulnerabilityReport(scan, {
      workload: workload('nginx-7f9c', 'uid-exp'),
      container: 'nginx',
      image: 'nginx:1.25',
    });
    await client.create(VulnerabilityReports, r);
    const polr: PolicyReport = {
      metadata: { name: 'polr-ns-flux', namespace: NS },
      scope: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx', namespace: NS },
      results: [
        {
          policy: 'require-labels',
          rule: 'check-team',
          result: 'fail',
          severity: 'medium',
          category: 'Best Practices',
          source: 'kyverno',
        },
      ],
      summary: { fail: 1 },
    };
    await client.create(PolicyReports, polr);

    const summary =
      'starboard_exporter_vulnerabilityreport_image_vulnerability_severity_count{report_name="flux-system/replicaset-nginx-7f9c-nginx",image_namespace="flux-system",image_registry="index.docker.io",image_repository="library/nginx",image_tag="1.25",image_digest="",severity="HIGH"} 2';
    const text = await until('the exporter to show the report', async () => {
      const t = await scrape();
      return t.includes(summary) && t.includes('policy_report_result{') ? t : undefined;
    });
    expect(text).toContain(
      'starboard_exporter_vulnerabilityreport_image_vulnerability{report_name="flux-system/replicaset-nginx-7f9c-nginx",image_namespace="flux-system",image_registry="index.docker.io",image_repository="library/nginx",image_tag="1.25",image_digest="",severity="CRITICAL",vulnerability_id="CVE-2024-0001",vulnerable_resource_name="openssl",installed_resource_version="3.0.11-1",fixed_resource_version="3.0.13-1",vulnerability_title="CVE-2024-0001 title",vulnerability_link="https://avd.aquasec.com/nvd/cve-2024-0001"} 9.8',
    );
    expect(text).toContain(
      'trivy_image_vulnerabilities{namespace="flux-system",name="replicaset-nginx-7f9c-nginx",resource_kind="ReplicaSet",resource_name="nginx-7f9c",container_name="nginx",image_registry="index.docker.io",image_repository="library/nginx",image_tag="1.25",image_digest="",severity="Low"} 3',
    );
    expect(text).toContain(
      'policy_report_result{namespace="flux-system",rule="check-team",policy="require-labels",report="polr-ns-flux",kind="Deployment",name="nginx",status="fail",severity="medium",category="Best Practices",source="kyverno"} 1',
    );

    // Without the per-CVE series the exporter caches reports without their findings
    // (summaryOnly): the same summary series, from a cache that holds no vulnerabilities.
    const plain = new ReportExporter(client, { trivyMetrics: true });
    plain.start(stop.signal);
    expect(await plain.waitForSync(stop.signal)).toBe(true);
    const plainText = await until('the summary-only exporter to show the report', async () => {
      const t = await plain.metrics();
      return t.includes(summary) ? t : undefined;
    });
    expect(plainText).toContain(
      'trivy_image_vulnerabilities{namespace="flux-system",name="replicaset-nginx-7f9c-nginx",resource_kind="ReplicaSet",resource_name="nginx-7f9c",container_name="nginx",image_registry="index.docker.io",image_repository="library/nginx",image_tag="1.25",image_digest="",severity="Low"} 3',
    );
    expect(plainText).not.toContain('starboard_exporter_vulnerabilityreport_image_vulnerability{');

    await client.delete(VulnerabilityReports, r.metadata.name ?? '', NS);
    await until('the deleted report series to disappear', async () => {
      const t = await scrape();
      return t.includes('replicaset-nginx-7f9c-nginx') ? undefined : true;
    });
    const after = await scrape();
    // The other report's series stay.
    expect(after).toContain('report_name="flux-system/replicaset-bookworm-6d4cf56db6-app"');
  });
});

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('a real Prometheus scraping the exporter', () => {
  let prom: ChildProcess | undefined;
  let dir = '';
  afterAll(async () => {
    prom?.kill('SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers a PromQL query over the exporter series', async () => {
    if (!existsSync(PROMETHEUS))
      throw new Error(
        `${PROMETHEUS} is missing: run .ci/install.sh (it installs Debian's prometheus package)`,
      );
    dir = await mkdtemp(join(tmpdir(), 'palisade-prom-'));
    const port = await freePort();
    const target = new URL(server.url).host;
    await writeFile(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: palisade\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    let log = '';
    prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prom.stdout?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
    prom.stderr?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
    const query =
      'sum(starboard_exporter_vulnerabilityreport_image_vulnerability_severity_count{image_namespace="flux-system",severity="LOW"})';
    let value: string;
    try {
      value = await until(
        'Prometheus to scrape the exporter',
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(query)}`);
          if (res.status !== 200) return undefined;
          const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
          return body.data?.result?.[0]?.value[1];
        },
        90_000,
      );
    } catch (err) {
      throw new Error(`${String(err)}\nprometheus log:\n${log}`, { cause: err });
    }
    // Only the bookworm report is left (3 LOW findings).
    expect(value).toBe('3');
  });
});
