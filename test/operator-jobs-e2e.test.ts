/**
 * `palisade operator --scan-mode jobs` end to end on a REAL kube-apiserver + etcd and a REAL OCI
 * registry (basic auth), with an advisory database built from the real crates.io OSV zip.
 *
 * The test cluster has no job controller and no kubelet, so Jobs never run by themselves: the
 * JobRunner harness (packages/platform/src/testing/job-runner.ts, which documents exactly what it
 * emulates) plays both for the operator's scan Jobs — it runs each Job's container as a real
 * process of the palisade CLI bundled from source (`operator scan-job …` with the Job's args and
 * the env from its Secret) and writes the Job's status through the status subresource.
 *
 * Checked: every workload gets a VulnerabilityReport and an SbomReport whose content equals an
 * in-process scan of the same digest; never more than the cap of scan Jobs exist at once (seen by
 * the harness's own watch); finished Jobs and their Secrets are deleted; an image that cannot be
 * scanned fails its Job, is retried after a backoff, and is reported (log, Warning Event, stats),
 * with no report written for it; scan Jobs themselves get no reports.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { SbomReport, VulnerabilityReport } from '@palisade/api';
import { ALL_CRDS, toCustomResourceDefinition } from '@palisade/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../packages/platform/src/core/logger.js';
import { nullLogger } from '../packages/platform/src/core/logger.js';
import { run } from '../packages/platform/src/cli/program.js';
import { KubeClient } from '../packages/platform/src/k8s/client/rest.js';
import {
  CustomResourceDefinitions,
  Pods,
  Secrets,
  ServiceAccounts,
} from '../packages/platform/src/k8s/client/resources.js';
import {
  DigestCache,
  Events,
  JobScanner,
  Jobs,
  Operator,
  PipelineScanner,
  ReplicationControllers,
  SCAN_JOB_SELECTOR,
  databaseBuild,
  startScanJobServer,
} from '../packages/platform/src/k8s/operator/index.js';
import type { ScanJobServer } from '../packages/platform/src/k8s/operator/index.js';
import { containerReportName } from '../packages/platform/src/k8s/reports/naming.js';
import { SbomReports, VulnerabilityReports } from '../packages/platform/src/k8s/reports/resources.js';
import { noLayerCache } from '../packages/platform/src/scan/cache/layer-cache.js';
import { buildDatabase, sourceFromPath } from '../packages/platform/src/scan/db/index.js';
import { startTestCluster } from '../packages/platform/src/testing/cluster.js';
import type { TestCluster } from '../packages/platform/src/testing/cluster.js';
import { JobRunner } from '../packages/platform/src/testing/job-runner.js';
import {
  buildLayer,
  freePort,
  pushImage,
  sha256,
  startRegistry,
} from '../packages/platform/src/testing/registry.js';
import type { TestRegistry } from '../packages/platform/src/testing/registry.js';
import { sharedData } from '../packages/platform/src/testing/shared-data.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const NS = 'apps';
const SCAN_NS = 'palisade-scans';
const USER = 'puller';
const PASS = 'pull-s3cret';
const IMAGES = 6;
const CAP = 2;
const SCANNER_IMAGE = 'palisade/palisade:test';

let cluster: TestCluster;
let reg: TestRegistry;
let client: KubeClient;
let work: string;
let cli: string;
let dbPath: string;
const digests: string[] = [];
let brokenDigest: string;

let runner: JobRunner;
let jobs: JobScanner;
let operator: Operator;
let jobServer: ScanJobServer;
let cache: DigestCache;
const stop = new AbortController();
/** Stops the library operator only (the harness keeps running for the CLI test). */
const stopOperator = new AbortController();
let running: Promise<unknown>;
const warnings: { msg: string; err?: string }[] = [];
const jobOutput: string[] = [];

/** A logger that keeps warnings (the operator's failure reports) for the assertions. */
function recordingLogger(): Logger {
  const make = (): Logger => ({
    child: () => make(),
    debug: () => undefined,
    info: () => undefined,
    warn: (o: unknown, msg?: string) => {
      const rec = typeof o === 'string' ? { msg: o } : { msg: msg ?? '', ...(o as { err?: string }) };
      warnings.push(rec);
    },
    error: () => undefined,
  });
  return make();
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 180_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}\n` +
      jobOutput.slice(-40).join('\n'),
  );
}

const image = (i: number): string => `${reg.host}/jobs/img-${i}:v1`;
const podName = (i: number): string => `p-${i}`;
const EXPECTED_OWNERS = (): string[] => [
  ...Array.from({ length: IMAGES }, (_, i) => containerReportName('Pod', podName(i), 'app')),
  containerReportName('ReplicationController', 'legacy', 'app'),
];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'palisade-operator-jobs-'));
  dbPath = join(work, 'db', 'osv.sqlite');
  // The CLI the Jobs run, bundled from source as `npm run build` does (under node_modules so the
  // external better-sqlite3 resolves).
  const out = join(root, 'node_modules/.cache/palisade-test-operator-jobs');
  mkdirSync(out, { recursive: true });
  cli = join(out, 'palisade.mjs');
  await build({
    entryPoints: [join(root, 'packages/platform/src/cli/main.ts')],
    outfile: cli,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3'],
    banner: {
      js: "import { createRequire as __palisadeCreateRequire } from 'node:module';\nconst require = __palisadeCreateRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
  const [c, r] = await Promise.all([
    startTestCluster(),
    startRegistry({ auth: { kind: 'htpasswd', username: USER, password: PASS } }),
  ]);
  cluster = c;
  reg = r;
  await buildDatabase({
    dbPath,
    inputs: [sourceFromPath(sharedData('vulndb/osv/crates.io/all.zip'))],
    fresh: true,
    logger: nullLogger,
  });
  for (let i = 0; i < IMAGES; i++) {
    const layer = await buildLayer([
      { path: 'etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n' },
      {
        path: 'app/Cargo.lock',
        content:
          `version = 3\n\n[[package]]\nname = "jobs-app-${i}"\nversion = "0.1.0"\n\n` +
          '[[package]]\nname = "smallvec"\nversion = "0.6.9"\n' +
          'source = "registry+https://github.com/rust-lang/crates.io-index"\n',
      },
    ]);
    digests.push((await pushImage(reg, `jobs/img-${i}`, { layers: [layer], tag: 'v1' })).manifestDigest);
  }
  // Pinned by a digest the registry does not have: its scan Job fails every time.
  brokenDigest = `sha256:${sha256('no such manifest').replace(/^sha256:/, '')}`;

  client = KubeClient.fromFile(cluster.kubeconfigPath);
  for (const d of ALL_CRDS)
    await client.create(
      CustomResourceDefinitions,
      toCustomResourceDefinition(d) as NonNullable<(typeof CustomResourceDefinitions)['__type']>,
    );
  await cluster.createNamespace(NS);
  await cluster.createNamespace(SCAN_NS);
  await until('the report CRDs', async () => (await client.list(SbomReports, NS)).items, 60_000);
  const auth = Buffer.from(`${USER}:${PASS}`).toString('base64');
  await client.create(Secrets, {
    metadata: { name: 'regcred', namespace: NS },
    type: 'kubernetes.io/dockerconfigjson',
    data: {
      '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [reg.host]: { auth } } })).toString(
        'base64',
      ),
    },
  });
  await client.create(ServiceAccounts, {
    metadata: { name: USER, namespace: NS },
    imagePullSecrets: [{ name: 'regcred' }],
  });
  for (let i = 0; i < IMAGES; i++)
    await client.create(Pods, {
      metadata: { name: podName(i), namespace: NS },
      spec: { containers: [{ name: 'app', image: image(i) }], imagePullSecrets: [{ name: 'regcred' }] },
    });
  // A ReplicationController (its Pod pulls with the service account's secret) on an image a Pod
  // also runs: one scan for both.
  const rc = await client.create(ReplicationControllers, {
    metadata: { name: 'legacy', namespace: NS },
    spec: {
      replicas: 1,
      selector: { app: 'legacy' },
      template: {
        metadata: { labels: { app: 'legacy' } },
        spec: { serviceAccountName: USER, containers: [{ name: 'app', image: image(0) }] },
      },
    },
  });
  await client.create(Pods, {
    metadata: {
      name: 'legacy-x1',
      namespace: NS,
      labels: { app: 'legacy' },
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'ReplicationController',
          name: 'legacy',
          uid: rc.metadata?.uid ?? '',
          controller: true,
        },
      ],
    },
    spec: { serviceAccountName: USER, containers: [{ name: 'app', image: image(0) }] },
  });
  await client.create(Pods, {
    metadata: { name: 'broken', namespace: NS },
    spec: {
      containers: [{ name: 'app', image: `${reg.host}/jobs/missing@${brokenDigest}` }],
      imagePullSecrets: [{ name: 'regcred' }],
    },
  });

  // The harness plays job controller + kubelet for the scan namespace.
  runner = new JobRunner(client, {
    namespace: SCAN_NS,
    labelSelector: SCAN_JOB_SELECTOR,
    entrypoints: { [SCANNER_IMAGE]: [process.execPath, cli] },
    baseEnv: { PALISADE_CACHE_DIR: join(work, 'job-cache') },
    onOutput: (job, line) => {
      if (jobOutput.length < 5000) jobOutput.push(`${job}: ${line}`);
    },
  });
  const port = await freePort();
  const logger = recordingLogger();
  jobs = new JobScanner(client, {
    namespace: SCAN_NS,
    image: SCANNER_IMAGE,
    serverUrl: `http://127.0.0.1:${port}`,
    concurrentLimit: CAP,
    timeoutMs: 120_000,
    ttlSecondsAfterFinished: 600,
    scanners: new Set(['vuln']),
    includePackages: true,
    dbPath,
    env: { PALISADE_LOG_LEVEL: 'info' },
    logger,
  });
  jobServer = await startScanJobServer(jobs, { host: '127.0.0.1', port });
  cache = DigestCache.open(join(work, 'operator', 'scans.sqlite'), nullLogger);
  operator = new Operator(client, {
    scanner: jobs,
    cache,
    databaseBuild: () => databaseBuild(dbPath),
    scanners: new Set(['vuln']),
    sbom: true,
    concurrency: CAP,
    tickMs: 300,
    rescanJitterMs: 0,
    rescanPerMinute: 0,
    logger,
  });
  const opSignal = AbortSignal.any([stop.signal, stopOperator.signal]);
  running = Promise.all([runner.run(stop.signal), jobs.run(opSignal), operator.run(opSignal)]);
}, 300_000);

afterAll(async () => {
  stop.abort();
  await running?.catch(() => undefined);
  await jobServer?.close();
  cache?.close();
  client?.close();
  await Promise.allSettled([cluster?.stop(), reg?.stop()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The same image scanned in this process (no Job, no HTTP): what the reports must say. */
async function inProcess(i: number): Promise<{ vulns: string[]; packages: string[] }> {
  const scanner = new PipelineScanner({
    dbPath,
    scanners: new Set(['vuln']),
    cache: noLayerCache,
    logger: nullLogger,
    includePackages: true,
  });
  const res = await scanner.scan({
    reference: `${reg.host}/jobs/img-${i}@${digests[i]}`,
    digest: digests[i] as string,
    username: USER,
    password: PASS,
  });
  const vulns = res.report.results
    .flatMap((r) =>
      (r.vulnerabilities ?? []).map((v) => `${v.vulnerabilityId} ${v.pkgName}@${v.installedVersion}`),
    )
    .sort();
  const packages = res.report.results
    .flatMap((r) => (r.packages ?? []).map((p) => `${p.name}@${p.version}`))
    .sort();
  return { vulns, packages };
}

describe('palisade operator --scan-mode jobs on a real apiserver and registry', () => {
  it('writes VulnerabilityReports and SbomReports equal to an in-process scan of each digest', async () => {
    const names = await until('a VulnerabilityReport and an SbomReport per workload container', async () => {
      const v = (await client.list(VulnerabilityReports, NS)).items.map((r) => r.metadata.name ?? '');
      const s = (await client.list(SbomReports, NS)).items.map((r) => r.metadata.name ?? '');
      return EXPECTED_OWNERS().every((n) => v.includes(n) && s.includes(n)) ? v.sort() : undefined;
    });
    expect(names).toEqual([...EXPECTED_OWNERS()].sort());
    for (let i = 0; i < IMAGES; i++) {
      const want = await inProcess(i);
      // The crates.io database has advisories for smallvec 0.6.9: the report is not trivially empty.
      expect(want.vulns.some((v) => v.includes('smallvec@0.6.9'))).toBe(true);
      const name = containerReportName('Pod', podName(i), 'app');
      const vr: VulnerabilityReport = await client.get(VulnerabilityReports, name, NS);
      expect(vr.report.artifact.digest).toBe(digests[i]);
      expect(
        vr.report.vulnerabilities
          .map((v) => `${v.vulnerabilityID} ${v.resource}@${v.installedVersion}`)
          .sort(),
      ).toEqual(want.vulns);
      const sr: SbomReport = await client.get(SbomReports, name, NS);
      const comps = sr.report.components.components ?? [];
      const libs = comps
        .filter((c) => c.type === 'library')
        .map((c) => `${c.name}@${c.version}`)
        .sort();
      expect(libs).toEqual(want.packages);
      expect(libs).toContain(`jobs-app-${i}@0.1.0`);
      expect(sr.report.summary.componentsCount).toBe(comps.length + 1);
      expect(sr.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Pod', name: podName(i), controller: true }),
      ]);
    }
    const rcReport: VulnerabilityReport = await client.get(
      VulnerabilityReports,
      containerReportName('ReplicationController', 'legacy', 'app'),
      NS,
    );
    expect(rcReport.metadata.labels).toMatchObject({
      'trivy-operator.resource.kind': 'ReplicationController',
      'trivy-operator.resource.name': 'legacy',
    });
    expect(rcReport.report.artifact.digest).toBe(digests[0]);
  });

  it('scans each digest in one Job and never has more than the cap of Jobs at once', async () => {
    await until('every good digest scanned', () => (jobs.stats.succeeded >= IMAGES ? true : undefined));
    const good = new Set(digests);
    const digestOf = (argv: string[]): string => argv[argv.indexOf('--digest') + 1] ?? '';
    const goodRuns = runner.runs.filter((r) => good.has(digestOf(r.argv)));
    // Seven workloads, six unique good digests: one Job per digest, none failed. (The operator
    // deletes a Job once its result arrives, so the harness usually sees it deleted while the
    // process exits, rather than completed.)
    expect(goodRuns.map((r) => digestOf(r.argv)).sort()).toEqual([...digests].sort());
    expect(goodRuns.filter((r) => r.reason === 'Failed' || r.reason === 'DeadlineExceeded')).toEqual([]);
    expect(jobs.stats.succeeded).toBe(IMAGES);
    expect(runner.maxLive).toBeLessThanOrEqual(CAP);
    expect(jobs.stats.maxActive).toBeLessThanOrEqual(CAP);
    // The cap was used, not just respected.
    expect(runner.maxLive).toBe(CAP);
    // The Jobs ran the CLI's scan-job with the digest-pinned reference and the operator's URL.
    const argv = goodRuns[0]?.argv ?? [];
    expect(argv.slice(2, 4)).toEqual(['operator', 'scan-job']);
    expect(argv[argv.indexOf('--image') + 1]).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  it('deletes finished Jobs and their Secrets', async () => {
    const good = new Set(digests);
    const completed = runner.runs
      .filter((r) => good.has(r.argv[r.argv.indexOf('--digest') + 1] ?? ''))
      .map((r) => r.job);
    expect(completed.length).toBe(IMAGES);
    await until('finished Jobs and Secrets deleted', async () => {
      const jobNames = (await client.list(Jobs, SCAN_NS)).items.map((j) => j.metadata?.name);
      const secretNames = (await client.list(Secrets, SCAN_NS)).items.map((s) => s.metadata?.name);
      return completed.every((n) => !jobNames.includes(n) && !secretNames.includes(n)) ? true : undefined;
    });
  });

  it('retries a failing scan Job with backoff and reports the failure, without a report', async () => {
    const brokenRuns = await until('two failed Jobs for the broken image', () => {
      const runs = runner.runs.filter((r) => r.argv.includes(brokenDigest) && r.reason === 'Failed');
      return runs.length >= 2 ? runs : undefined;
    });
    expect(brokenRuns.every((r) => r.exitCode !== 0)).toBe(true);
    // Retried after the ScanService's backoff (5 s after the first failure), not at once.
    const [first, second] = brokenRuns;
    expect((second?.startedAt ?? 0) - (first?.endedAt ?? 0)).toBeGreaterThanOrEqual(4_000);
    // The Job runner counts a failure before it records the Event and deletes the Job; the scan
    // service counts it only after those API calls return, so wait for both counters.
    await until('the operator to see both failures', () =>
      jobs.stats.failed >= 2 && operator.scans.stats.failed >= 2 ? true : undefined,
    );
    expect(jobs.stats.failed).toBeGreaterThanOrEqual(2);
    expect(operator.scans.stats.failed).toBeGreaterThanOrEqual(2);
    // The job's own error message reached the operator's log.
    const failed = warnings.filter((w) => w.msg === 'scan Job failed');
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed[0]?.err ?? '').toMatch(/missing|manifest|unknown|404/i);
    // …and a Warning Event in the scan namespace outlives the deleted Job.
    const events = (await client.list(Events, SCAN_NS)).items.filter((e) => e.reason === 'ScanJobFailed');
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.every((e) => e.type === 'Warning')).toBe(true);
    const reportNames = (await client.list(VulnerabilityReports, NS)).items.map((r) => r.metadata.name);
    expect(reportNames).not.toContain(containerReportName('Pod', 'broken', 'app'));
    // The failed Jobs are deleted too.
    const left = (await client.list(Jobs, SCAN_NS)).items.map((j) => j.metadata?.name);
    for (const r of brokenRuns.slice(0, -1)) expect(left).not.toContain(r.job);
  });

  it('writes no reports for its own scan Jobs', async () => {
    expect((await client.list(VulnerabilityReports, SCAN_NS)).items).toEqual([]);
    expect((await client.list(SbomReports, SCAN_NS)).items).toEqual([]);
  });

  it('palisade operator --scan-mode jobs (the CLI) writes reports through scan Jobs', async () => {
    // The library operator stops; the CLI takes a new namespace with one Pod.
    stopOperator.abort();
    const ns2 = 'apps-cli';
    await cluster.createNamespace(ns2);
    const auth = Buffer.from(`${USER}:${PASS}`).toString('base64');
    await client.create(Secrets, {
      metadata: { name: 'regcred', namespace: ns2 },
      type: 'kubernetes.io/dockerconfigjson',
      data: {
        '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [reg.host]: { auth } } })).toString(
          'base64',
        ),
      },
    });
    await client.create(Pods, {
      metadata: { name: 'cli-pod', namespace: ns2 },
      spec: { containers: [{ name: 'app', image: image(3) }], imagePullSecrets: [{ name: 'regcred' }] },
    });
    const port = await freePort();
    let err = '';
    const stderr = new PassThrough();
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const ctl = new AbortController();
    const runsBefore = runner.runs.length;
    const code = run(
      [
        'operator',
        '--kubeconfig',
        cluster.kubeconfigPath,
        '--namespaces',
        ns2,
        '--no-leader-elect',
        '--db-path',
        dbPath,
        '--cache-dir',
        join(work, 'cli-cache'),
        '--log-level',
        'warn',
        '--scan-mode',
        'jobs',
        '--scan-jobs-concurrent-limit',
        '1',
        '--scan-job-image',
        SCANNER_IMAGE,
        '--scan-job-namespace',
        SCAN_NS,
        '--scan-job-listen',
        `127.0.0.1:${port}`,
        '--scan-job-server-url',
        `http://127.0.0.1:${port}`,
      ],
      { stdout: new PassThrough(), stderr, env: { HOME: work }, cwd: work, signal: ctl.signal },
    );
    const name = containerReportName('Pod', 'cli-pod', 'app');
    const vr = await until(`the CLI's reports\n${err}`, async () => {
      const v = (await client.list(VulnerabilityReports, ns2)).items.find((r) => r.metadata.name === name);
      const sb = (await client.list(SbomReports, ns2)).items.find((r) => r.metadata.name === name);
      return v && sb ? v : undefined;
    });
    expect(vr.report.artifact.digest).toBe(digests[3]);
    const want = await inProcess(3);
    expect(
      vr.report.vulnerabilities.map((v) => `${v.vulnerabilityID} ${v.resource}@${v.installedVersion}`).sort(),
    ).toEqual(want.vulns);
    // It went through a Job the harness ran (the CLI has its own cache: a fresh scan).
    const cliRuns = runner.runs.slice(runsBefore).filter((r) => r.argv.includes(digests[3] as string));
    expect(cliRuns.length).toBe(1);
    expect(cliRuns[0]?.argv).toContain(`http://127.0.0.1:${port}`);
    ctl.abort();
    expect(await code).toBe(0);
  });
});
