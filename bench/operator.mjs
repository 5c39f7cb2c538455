#!/usr/bin/env node
// Benchmark: `palisade operator` on the real test cluster (etcd + kube-apiserver on loopback,
// packages/platform/src/testing/cluster.ts) and a real registry (Debian's docker-registry,
// packages/platform/src/testing/registry.ts), issue 8's figure: 10,000 Pods over 1,000 unique images.
//
//   1. BENCH_IMAGES tiny distinct images are pushed to the registry through its HTTP API (blob
//      uploads + manifest PUT): one layer each with an Alpine /etc/os-release and a Cargo.lock that
//      names the image's own crate plus smallvec 0.6.9 (two RUSTSEC advisories in the crates.io OSV
//      data, so every report has findings to check). Each image has its own manifest digest.
//   2. BENCH_PODS bare Pods are created in one namespace, Pod i running image i mod BENCH_IMAGES
//      (no kubelet: they stay Pending, so the operator resolves every tag through the registry).
//      Each Pod is its own workload, so each gets its own VulnerabilityReport, and each digest is
//      shared by BENCH_PODS / BENCH_IMAGES workloads.
//   3. The operator runs as a child process (`palisade operator`, an esbuild bundle of the CLI, the
//      same code `npm run build` bundles) with leader election, pointed at a counting HTTP proxy in
//      front of the apiserver (the proxy speaks TLS with the admin certificate upstream), so every
//      API request the operator makes is counted by verb.
//
// Measured: wall time from the operator's start until every expected report exists; scans per
// digest (the operator's `scanned` log lines and the rows of its digest cache); API requests per
// Pod; the operator's peak RSS (VmHWM from /proc/<pid>/status, read before it is stopped). Checked:
// every expected report exists with its Pod's image digest and the smallvec findings.
// Prints a table, then the figures as one JSON line (last line). Exit code 1 when a check fails.
//
//   npm run bench:operator
//   BENCH_PODS=1000 BENCH_IMAGES=100 node bench/operator.mjs        (a smaller run)
//   BENCH_SCAN_CONCURRENCY=4 BENCH_TIMEOUT_S=3600 node bench/operator.mjs
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const num = (name, dflt) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive whole number`);
  return v;
};
const cfg = {
  pods: num('BENCH_PODS', 10_000),
  images: num('BENCH_IMAGES', 1_000),
  scanConcurrency: num('BENCH_SCAN_CONCURRENCY', 2),
  reconcileWorkers: num('BENCH_RECONCILE_WORKERS', 4),
  timeoutS: num('BENCH_TIMEOUT_S', 3600),
  // A directory: the operator writes a V8 heap snapshot there once every report exists (after the
  // peak RSS is read, since writing a snapshot itself takes memory). For finding what holds memory.
  heapSnapshotDir: process.env.BENCH_HEAP_SNAPSHOT_DIR,
  // Extra Node flags for the operator process, e.g. "--max-semi-space-size=4".
  nodeFlags: (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean),
  // Extra operator flags, for comparisons only (e.g. "--memory-target off"); the figure of record
  // runs the operator with its defaults, as users start it.
  operatorFlags: (process.env.BENCH_OPERATOR_FLAGS ?? '').split(/\s+/).filter(Boolean),
};
if (cfg.images > cfg.pods) throw new Error('BENCH_IMAGES must not exceed BENCH_PODS');
const sharedData = process.env.PALISADE_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');
const NS = 'bench';
const log = (s) => process.stderr.write(`${s}\n`);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

// ---------- build: the CLI and the test helpers, bundled from source ----------
// Under node_modules so that the external better-sqlite3 resolves from the bundle's location.
const work = join(root, 'node_modules/.cache/palisade-bench-operator');
mkdirSync(work, { recursive: true });
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3'],
  banner: {
    js: "import { createRequire as __palisadeCreateRequire } from 'node:module';\nconst require = __palisadeCreateRequire(import.meta.url);",
  },
  logLevel: 'error',
};
await build({
  ...common,
  entryPoints: [join(root, 'packages/platform/src/cli/main.ts')],
  outfile: join(work, 'palisade.mjs'),
});
await build({
  ...common,
  stdin: {
    contents: [
      "export { startTestCluster } from './packages/platform/src/testing/cluster.ts';",
      "export { startRegistry, buildLayer, pushImage } from './packages/platform/src/testing/registry.ts';",
      "export { KubeClient } from './packages/platform/src/k8s/client/index.ts';",
      "export { Pods, CustomResourceDefinitions } from './packages/platform/src/k8s/client/resources.ts';",
      "export { VulnerabilityReports, containerReportName } from './packages/platform/src/k8s/reports/index.ts';",
      "export { ALL_CRDS, crdName, toCustomResourceDefinition } from './packages/api/src/index.ts';",
      "export { buildDatabase, sourceFromPath } from './packages/platform/src/scan/db/index.ts';",
      "export { nullLogger } from './packages/platform/src/core/logger.ts';",
    ].join('\n'),
    resolveDir: root,
    loader: 'ts',
  },
  outfile: join(work, 'lib.mjs'),
});
const lib = await import(pathToFileURL(join(work, 'lib.mjs')).href);

let binaries;
try {
  const out = execFileSync('bash', [join(root, 'scripts/k8s/build.sh'), '--print'], { encoding: 'utf8' });
  const paths = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  binaries = { kubeApiserver: paths['kube-apiserver'], etcd: paths['etcd'] };
} catch {
  log('kube-apiserver/etcd are not built: run scripts/k8s/build.sh first (see docs/testing-cluster.md)');
  process.exit(2);
}

/** Runs `fn(i)` for i in [0, n) with at most `width` at a time. */
async function pool(n, width, fn) {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < n; i = next++) await fn(i);
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, lane));
}

const pad = (i) => String(i).padStart(5, '0');
const imageRef = (reg, i) => `${reg.host}/bench/img-${pad(i)}:v1`;

// ---------- the counting proxy: plain HTTP in, TLS with the admin certificate out ----------
async function startCountingProxy(cluster) {
  const target = new URL(cluster.server);
  const agent = new Agent({
    keepAlive: true,
    ca: cluster.caPem,
    cert: cluster.adminCertPem,
    key: cluster.adminKeyPem,
  });
  const counts = new Map();
  let total = 0;
  const verbOf = (req) => {
    const u = new URL(req.url, 'http://x');
    const parts = u.pathname.split('/').filter(Boolean);
    // /api/v1/namespaces/ns/pods[/name] or /apis/g/v/namespaces/ns/kind[/name]
    const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
    const named = rest[0] === 'namespaces' ? rest.length >= 4 : rest.length >= 2;
    switch (req.method) {
      case 'GET':
        if (u.searchParams.get('watch') === 'true' || u.searchParams.get('watch') === '1') return 'watch';
        return named ? 'get' : 'list';
      case 'POST':
        return 'create';
      case 'PUT':
        return 'update';
      case 'PATCH':
        return 'patch';
      case 'DELETE':
        return named ? 'delete' : 'deletecollection';
      default:
        return req.method.toLowerCase();
    }
  };
  const resourceOf = (req) => {
    const parts = new URL(req.url, 'http://x').pathname.split('/').filter(Boolean);
    const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
    return rest[0] === 'namespaces' && rest.length >= 3 ? rest[2] : (rest[0] ?? '');
  };
  const server = createServer((req, res) => {
    const key = `${verbOf(req)} ${resourceOf(req)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    total++;
    const headers = { ...req.headers, host: target.host };
    delete headers.connection;
    const up = httpsRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    get total() {
      return total;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
        agent.destroy();
      }),
  };
}

// ---------- run ----------
const t0 = performance.now();
const tmp = join(tmpdir(), `palisade-bench-operator-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
const [cluster, reg] = await Promise.all([lib.startTestCluster({ binaries }), lib.startRegistry()]);
let child;
let proxy;
const cleanup = async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await proxy?.close();
  await Promise.allSettled([cluster.stop(), reg.stop()]);
  rmSync(tmp, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  void cleanup().then(() => process.exit(130));
});
const failures = [];
let figures;
try {
  log(`cluster up in ${cluster.timings.totalMs} ms; registry ${reg.url}; load ${load()}`);
  const dbPath = join(tmp, 'db', 'osv.sqlite');
  await lib.buildDatabase({
    dbPath,
    inputs: [lib.sourceFromPath(join(sharedData, 'vulndb/osv/crates.io/all.zip'))],
    fresh: true,
    logger: lib.nullLogger,
  });

  // 1. images
  const tPush = performance.now();
  const digests = new Array(cfg.images);
  await pool(cfg.images, 16, async (i) => {
    const layer = await lib.buildLayer([
      {
        path: 'etc/os-release',
        content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n',
      },
      {
        path: 'app/Cargo.lock',
        content:
          'version = 3\n\n' +
          `[[package]]\nname = "bench-app-${pad(i)}"\nversion = "0.1.0"\ndependencies = ["smallvec"]\n\n` +
          '[[package]]\nname = "smallvec"\nversion = "0.6.9"\n' +
          'source = "registry+https://github.com/rust-lang/crates.io-index"\n',
      },
    ]);
    const pushed = await lib.pushImage(reg, `bench/img-${pad(i)}`, { layers: [layer], tag: 'v1' });
    digests[i] = pushed.manifestDigest;
  });
  const pushMs = performance.now() - tPush;
  if (new Set(digests).size !== cfg.images) throw new Error('pushed image digests are not all distinct');
  log(`pushed ${cfg.images} images in ${(pushMs / 1000).toFixed(1)} s`);

  // 2. CRDs, namespace, Pods
  const client = lib.KubeClient.fromFile(cluster.kubeconfigPath);
  for (const d of lib.ALL_CRDS)
    await client.create(lib.CustomResourceDefinitions, lib.toCustomResourceDefinition(d));
  for (const d of lib.ALL_CRDS) {
    for (;;) {
      const r = await cluster.request(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${lib.crdName(d)}`,
      );
      const est = r.body?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      if (r.status === 200 && est) break;
      await sleep(100);
    }
  }
  await cluster.createNamespace(NS);
  const tPods = performance.now();
  await pool(cfg.pods, 32, async (i) => {
    await client.create(lib.Pods, {
      metadata: { name: `p-${pad(i)}`, namespace: NS, labels: { app: `a-${pad(i % cfg.images)}` } },
      spec: { containers: [{ name: 'app', image: imageRef(reg, i % cfg.images) }] },
    });
  });
  const podsMs = performance.now() - tPods;
  log(`created ${cfg.pods} Pods in ${(podsMs / 1000).toFixed(1)} s; load ${load()}`);

  // 3. the operator, through the counting proxy
  proxy = await startCountingProxy(cluster);
  const kubeconfig = join(tmp, 'operator.kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: bench, cluster: {server: "' + proxy.url + '", insecure-skip-tls-verify: true}}]',
      'users: [{name: bench, user: {}}]',
      'contexts: [{name: bench, context: {cluster: bench, user: bench}}]',
      'current-context: bench',
      '',
    ].join('\n'),
  );
  const cacheDir = join(tmp, 'cache');
  // No config file or PALISADE_* settings from the caller's environment: the flags say it all.
  const operatorEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('PALISADE_')),
  );
  const loadStart = load();
  const tOp = performance.now();
  child = spawn(
    process.execPath,
    [
      ...cfg.nodeFlags,
      ...(cfg.heapSnapshotDir
        ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${resolve(cfg.heapSnapshotDir)}`]
        : []),
      join(work, 'palisade.mjs'),
      'operator',
      '--kubeconfig',
      kubeconfig,
      '--namespaces',
      NS,
      '--lease-namespace',
      NS,
      '--concurrency',
      String(cfg.scanConcurrency),
      '--reconcile-workers',
      String(cfg.reconcileWorkers),
      '--db-path',
      dbPath,
      '--cache-dir',
      cacheDir,
      '--log-level',
      'info',
      ...cfg.operatorFlags,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: tmp, env: operatorEnv },
  );
  const scannedLines = new Map();
  const warnings = [];
  let syncedMs;
  let scansDoneMs;
  let stopped;
  let memoryTarget;
  let memoryTargetStopped;
  const lines = createInterface({ input: child.stderr });
  const linesClosed = new Promise((r) => lines.on('close', r));
  lines.on('line', (line) => {
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      warnings.push(line);
      return;
    }
    if (e.msg === 'scanned' && e.digest) {
      scannedLines.set(e.digest, (scannedLines.get(e.digest) ?? 0) + 1);
      if (scannedLines.size === cfg.images) scansDoneMs ??= performance.now() - tOp;
    } else if (e.msg === 'caches synced; reconciling') syncedMs = performance.now() - tOp;
    else if (e.msg === 'operator stopped') stopped = e;
    else if (e.msg === 'memory target') memoryTarget = e;
    else if (e.msg === 'memory target stopped') memoryTargetStopped = e;
    else if (e.level >= 40 && warnings.length < 20) warnings.push(line);
  });
  const exited = new Promise((r) => child.on('exit', (code, sig) => r(sig ?? code)));
  // CPU time (user + system) of the operator so far, from /proc/<pid>/stat (clock ticks of 10 ms).
  const cpuS = () => {
    try {
      const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return (Number(rest[11]) + Number(rest[12])) / 100;
    } catch {
      return NaN;
    }
  };
  const status = () => {
    try {
      const s = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
      return { hwmKb: kb('VmHWM'), rssKb: kb('VmRSS') };
    } catch {
      return { hwmKb: NaN, rssKb: NaN };
    }
  };
  // Report count through the apiserver directly (not the proxy): a limit=1 list's remaining count.
  const reportCount = async () => {
    const r = await cluster.request(
      'GET',
      `/apis/aquasecurity.github.io/v1alpha1/namespaces/${NS}/vulnerabilityreports?limit=1`,
    );
    if (r.status !== 200) throw new Error(`list reports: HTTP ${r.status}`);
    return r.body.items.length + (r.body.metadata.remainingItemCount ?? 0);
  };
  let reports = 0;
  let lastLog = 0;
  const deadline = performance.now() + cfg.timeoutS * 1000;
  while (reports < cfg.pods) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`operator exited: ${await exited}\n${warnings.join('\n')}`);
    if (performance.now() > deadline)
      throw new Error(`timed out after ${cfg.timeoutS} s with ${reports} reports`);
    await sleep(1000);
    reports = await reportCount();
    if (performance.now() - lastLog > 15_000) {
      lastLog = performance.now();
      const s = status();
      log(
        `  ${((performance.now() - tOp) / 1000).toFixed(0)} s: ${reports}/${cfg.pods} reports, ` +
          `${scannedLines.size}/${cfg.images} digests scanned, rss ${(s.rssKb / 1024).toFixed(0)} MB, ` +
          `${proxy.total} API requests, load ${load()}`,
      );
    }
  }
  const wallMs = performance.now() - tOp;
  const cpuAtDoneS = cpuS();
  const requestsAtDone = proxy.total;
  const countsAtDone = new Map(proxy.counts);
  // Let it run on a little: late duplicate scans or write storms would show here.
  await sleep(10_000);
  const { hwmKb, rssKb } = status();
  const loadEnd = load();
  if (cfg.heapSnapshotDir) {
    mkdirSync(cfg.heapSnapshotDir, { recursive: true });
    child.kill('SIGUSR2');
    await sleep(20_000);
    log(`heap snapshot written to ${resolve(cfg.heapSnapshotDir)}`);
  }
  child.kill('SIGTERM');
  const exit = await Promise.race([exited, sleep(20_000).then(() => 'timeout')]);
  if (exit === 'timeout') child.kill('SIGKILL');
  await Promise.race([linesClosed, sleep(5_000)]);

  // ---------- checks ----------
  const all = await client.listAll(lib.VulnerabilityReports, NS);
  const byName = new Map(all.items.map((r) => [r.metadata.name, r]));
  let missing = 0;
  let wrongDigest = 0;
  let noFindings = 0;
  for (let i = 0; i < cfg.pods; i++) {
    const r = byName.get(lib.containerReportName('Pod', `p-${pad(i)}`, 'app'));
    if (!r) {
      missing++;
      continue;
    }
    if (r.report?.artifact?.digest !== digests[i % cfg.images]) wrongDigest++;
    const ids = new Set((r.report?.vulnerabilities ?? []).map((v) => v.vulnerabilityID));
    if (!ids.has('CVE-2019-15551') && !ids.has('RUSTSEC-2019-0009')) noFindings++;
  }
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(join(cacheDir, 'operator', 'scans.sqlite'), { readonly: true });
  const cacheRows = db.prepare('SELECT digest, COUNT(*) AS n FROM scans GROUP BY digest').all();
  db.close();
  const pushed = new Set(digests);
  const scansTotal = [...scannedLines.values()].reduce((a, b) => a + b, 0);
  const repeated = [...scannedLines.values()].filter((n) => n > 1).length;
  const unexpected = [...scannedLines.keys()].filter((d) => !pushed.has(d)).length;
  const cacheDigests = new Set(cacheRows.map((r) => r.digest));
  if (missing) failures.push(`${missing} reports missing`);
  if (wrongDigest) failures.push(`${wrongDigest} reports with the wrong image digest`);
  if (noFindings) failures.push(`${noFindings} reports without the smallvec findings`);
  if (scannedLines.size !== cfg.images) failures.push(`${scannedLines.size}/${cfg.images} digests scanned`);
  if (repeated) failures.push(`${repeated} digests scanned more than once`);
  if (unexpected) failures.push(`${unexpected} scanned digests were never pushed`);
  if (cacheDigests.size !== cfg.images || [...pushed].some((d) => !cacheDigests.has(d)))
    failures.push(`digest cache holds ${cacheDigests.size} digests, expected the ${cfg.images} pushed`);
  if (exit !== 0 && exit !== 'SIGTERM') failures.push(`operator exit after SIGTERM: ${exit}`);

  const verbs = {};
  for (const [k, n] of [...countsAtDone].sort((a, b) => b[1] - a[1])) verbs[k] = n;
  const peakRssMb = Math.round(hwmKb / 1024);
  figures = {
    bench: 'operator',
    pods: cfg.pods,
    images: cfg.images,
    scanConcurrency: cfg.scanConcurrency,
    reconcileWorkers: cfg.reconcileWorkers,
    nodeFlags: cfg.nodeFlags,
    operatorFlags: cfg.operatorFlags,
    wallS: +(wallMs / 1000).toFixed(1),
    operatorCpuS: +cpuAtDoneS.toFixed(1),
    syncedS: syncedMs === undefined ? null : +(syncedMs / 1000).toFixed(1),
    allScannedS: scansDoneMs === undefined ? null : +(scansDoneMs / 1000).toFixed(1),
    reports: all.items.length,
    digestsScanned: scannedLines.size,
    scansTotal,
    digestsScannedMoreThanOnce: repeated,
    cacheRows: cacheRows.reduce((a, r) => a + r.n, 0),
    apiRequests: requestsAtDone,
    apiRequestsPerPod: +(requestsAtDone / cfg.pods).toFixed(3),
    apiRequestsAfterDone10s: proxy.total - requestsAtDone,
    apiRequestsByVerb: verbs,
    // The operator's own counts, from its 'operator stopped' log line.
    reconciles: stopped?.reconciles ?? null,
    reconcilesPerPod: stopped ? +(stopped.reconciles / cfg.pods).toFixed(2) : null,
    writes: stopped?.writes ?? null,
    // The operator's soft memory target (--memory-target, default auto) and the full collections it
    // forced, from its 'memory target' and 'memory target stopped' log lines.
    // In the unit of peakRssMb (VmHWM kB / 1024).
    memoryTargetMb: memoryTarget ? +(memoryTarget.targetBytes / 1048576).toFixed(1) : null,
    memoryTargetSource: memoryTarget?.source ?? null,
    forcedGcs: memoryTargetStopped?.forcedGcs ?? null,
    forcedGcMs: memoryTargetStopped?.forcedGcMs ?? null,
    memoryTargetUnreachable: memoryTargetStopped?.unreachable ?? null,
    peakRssMb,
    rssAtEndMb: Math.round(rssKb / 1024),
    rssTargetMb: 300,
    rssTargetMet: peakRssMb < 300,
    pushS: +(pushMs / 1000).toFixed(1),
    createPodsS: +(podsMs / 1000).toFixed(1),
    loadStart,
    loadEnd,
    totalS: +((performance.now() - t0) / 1000).toFixed(1),
    failures,
  };
  const row = (k, v) => log(`  ${k.padEnd(34)} ${v}`);
  log(`\noperator: ${cfg.pods} Pods over ${cfg.images} images (scan concurrency ${cfg.scanConcurrency})`);
  row(
    'wall time until all reports exist',
    `${figures.wallS} s (caches synced at ${figures.syncedS} s, all digests scanned at ${figures.allScannedS} s)`,
  );
  row('operator CPU time (user + system)', `${figures.operatorCpuS} s`);
  row('digests scanned / scans', `${scannedLines.size} / ${scansTotal} (repeated: ${repeated})`);
  row(
    'API requests (operator)',
    `${requestsAtDone} = ${figures.apiRequestsPerPod} per Pod (+${figures.apiRequestsAfterDone10s} in the next 10 s)`,
  );
  for (const [k, n] of Object.entries(verbs)) row(`  ${k}`, n);
  row('reconciles', `${figures.reconciles} = ${figures.reconcilesPerPod} per Pod`);
  row(
    'memory target / forced GCs',
    `${figures.memoryTargetMb} MB (${figures.memoryTargetSource}) / ${figures.forcedGcs} (${figures.forcedGcMs} ms; unreachable ${figures.memoryTargetUnreachable})`,
  );
  row('peak RSS (VmHWM)', `${peakRssMb} MB (target < 300 MB: ${figures.rssTargetMet ? 'met' : 'NOT met'})`);
  row('load average start → end', `${loadStart} → ${loadEnd}`);
  if (warnings.length)
    log(`operator warnings (first ${warnings.length}):\n${warnings.slice(0, 5).join('\n')}`);
  for (const f of failures) log(`FAIL: ${f}`);
} catch (err) {
  failures.push(String(err?.stack ?? err));
  log(`FAIL: ${err?.stack ?? err}`);
} finally {
  await cleanup();
}
if (figures) process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(failures.length ? 1 : 0);
