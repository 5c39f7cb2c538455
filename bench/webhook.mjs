#!/usr/bin/env node
// Benchmark: the admission webhook (packages/platform/src/k8s/webhook) on the real test cluster
// (etcd + kube-apiserver on loopback, packages/platform/src/testing/cluster.ts) with the Pod Security
// ClusterPolicies of the Kyverno policy library (../shared/data/conformance/kyverno-policies/pod-security,
// every policy file in the folder, switched to Enforce).
//
//   1. direct: HTTPS POSTs of AdmissionReview v1 (half compliant Pods, half violating ones) straight to
//      the webhook's /validate endpoint at 50, 200 and 500 concurrent requests, over one HTTP/2
//      connection (as kube-apiserver calls a loopback URL webhook) and over keep-alive HTTP/1.1
//      connections (as it calls a Service webhook): requests/s, p50, p99, max, errors (transport
//      errors, non-200 answers and wrong verdicts);
//   2. through the apiserver: 200 concurrent Pod creates (compliant Pods; no kubelet, so they stay
//      Pending), create latency p50/p99 without any webhook (baseline) and with the webhook
//      registered; the added p99 in ms and as % of the baseline; the apiserver's connections to the
//      webhook (sampled from /proc/net/tcp). Extra rows at lower concurrency (BENCH_CREATE_CONCURRENCY=200,50).
//      Null-webhook rounds alternate with them: a minimal HTTP/2 + TLS server of this file (a child
//      process, not Palisade) that answers every AdmissionReview `allowed: true` at once, registered
//      with the same rules as Palisade's configurations — what any webhook adds on this machine
//      before it does any work.
//
// The webhook runs as a child process — `palisade webhook --kubeconfig F` from an esbuild bundle of
// the CLI, the same code `npm run build` bundles — so it has its own event loop, as a deployment
// does. Baseline and webhook rounds alternate (the webhook configurations are deleted and put back
// between rounds while the webhook keeps running), because the machine is shared and its load drifts;
// each measurement is repeated and the best round (lowest p99) is reported. Optionally the webhook
// also runs in-process (runWebhook in this process) for the apiserver path.
// Prints tables, then the figures as one JSON line (last line).
//
//   npm run bench:webhook
//   BENCH_REPEATS=5 BENCH_DIRECT_REQUESTS=10000 BENCH_CREATES=4000 node bench/webhook.mjs
//   BENCH_IN_PROCESS=1 node bench/webhook.mjs      (also the in-process webhook, apiserver path)
//   BENCH_REPORTS=0 node bench/webhook.mjs         (the webhook writes no PolicyReports, so no background scan)
//   BENCH_BACKGROUND=0 node bench/webhook.mjs      (PolicyReports from admission only: no background scan)
//   BENCH_CPU_PROF=/tmp/prof node bench/webhook.mjs  (a V8 CPU profile of the webhook process)
//   BENCH_DIRECT_PROTOCOLS=h2 BENCH_CREATE_CONCURRENCY=200 node bench/webhook.mjs   (fewer rows)
//   BENCH_APISERVER_HTTP1=1 node bench/webhook.mjs  (the webhook on a non-loopback address: the apiserver
//                                                    then calls it over HTTP/1.1, as it calls Service webhooks)
//   BENCH_NULL_WEBHOOK=0 node bench/webhook.mjs     (no null-webhook rounds)
import { execFileSync, spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect as h2connect } from 'node:http2';
import { Agent, request } from 'node:https';
import { cpus, loadavg, networkInterfaces } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';
import { parseAllDocuments } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const num = (name, dflt) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const list = (name, dflt) =>
  (process.env[name] ?? dflt)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const cfg = {
  directConcurrency: list('BENCH_DIRECT_CONCURRENCY', '50,200,500').map(Number),
  directProtocols: list('BENCH_DIRECT_PROTOCOLS', 'h2,http1'),
  directRequests: num('BENCH_DIRECT_REQUESTS', 5000),
  // the first is the target's row; the others are extra rows (a CPU-bound apiserver at lower load)
  createConcurrencies: list('BENCH_CREATE_CONCURRENCY', '200,50').map(Number),
  creates: num('BENCH_CREATES', 2000),
  repeats: num('BENCH_REPEATS', 3),
  inProcess: process.env.BENCH_IN_PROCESS === '1',
  apiserverHttp1: process.env.BENCH_APISERVER_HTTP1 === '1',
  reports: process.env.BENCH_REPORTS !== '0',
  background: process.env.BENCH_BACKGROUND !== '0',
  nullWebhook: process.env.BENCH_NULL_WEBHOOK !== '0',
};
for (const c of [...cfg.directConcurrency, ...cfg.createConcurrencies])
  if (!Number.isInteger(c) || c <= 0) throw new Error('concurrency lists hold positive integers');
for (const p of cfg.directProtocols)
  if (p !== 'h2' && p !== 'http1') throw new Error('BENCH_DIRECT_PROTOCOLS: h2 and/or http1');
// client-go offers h2 only to loopback URL webhooks; on another address of this machine the
// apiserver speaks HTTP/1.1, as it does to every Service webhook in a cluster.
const webhookHost = cfg.apiserverHttp1
  ? Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address
  : '127.0.0.1';
if (!webhookHost) throw new Error('BENCH_APISERVER_HTTP1=1 needs a non-loopback IPv4 address');
const sharedData = process.env.PALISADE_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');
const policyDir = join(sharedData, 'conformance/kyverno-policies/pod-security');
const NS = 'bench';
const log = (s) => process.stderr.write(`${s}\n`);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

// ---------- build: the CLI and the cluster helper, bundled from source ----------
// Under node_modules so that the external better-sqlite3 resolves from the bundle's location.
const work = join(root, 'node_modules/.cache/palisade-bench-webhook');
mkdirSync(work, { recursive: true });
const banner = {
  js: "import { createRequire as __palisadeCreateRequire } from 'node:module';\nconst require = __palisadeCreateRequire(import.meta.url);",
};
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3'],
  banner,
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
      "export { KubeClient } from './packages/platform/src/k8s/client/index.ts';",
      "export { runWebhook } from './packages/platform/src/k8s/webhook/run.ts';",
      "export { createCertificate } from './packages/platform/src/k8s/webhook/certs.ts';",
    ].join('\n'),
    resolveDir: root,
    loader: 'ts',
  },
  outfile: join(work, 'lib.mjs'),
});
const lib = await import(pathToFileURL(join(work, 'lib.mjs')).href);

/**
 * The null webhook: the least any webhook can do. It reads each AdmissionReview, decodes it (to
 * echo its uid, which the apiserver checks) and answers `allowed: true` at once — no policy, no
 * bookkeeping. Served like Palisade's server: TLS, HTTP/2 through the stream API with the same
 * receive windows and stream limit, HTTP/1.1 through node:http. Runs as its own process (the
 * source of this function is written to a file), so its CPU time is measured apart.
 * argv: certificate file, key file, host. Prints its port. GET answers the reviews seen so far.
 */
async function nullWebhookMain() {
  const { readFileSync: read } = await import('node:fs');
  const { createSecureServer } = await import('node:http2');
  const [certFile, keyFile, host] = process.argv.slice(2);
  let reviews = 0;
  const answer = (text) => {
    reviews++;
    const uid = JSON.parse(text).request?.uid ?? '';
    return JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid, allowed: true },
    });
  };
  const server = createSecureServer({
    cert: read(certFile),
    key: read(keyFile),
    minVersion: 'TLSv1.2',
    allowHTTP1: true,
    settings: { maxConcurrentStreams: 1000, initialWindowSize: 1 << 20 },
    maxSessionMemory: 64,
  });
  server.on('request', (req, res) => {
    if (req.method !== 'POST') return res.end(String(reviews));
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = answer(Buffer.concat(chunks).toString());
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  // a 'request' listener routes HTTP/2 streams through the compatibility layer too: use streams
  server.removeAllListeners('stream');
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    if (headers[':method'] !== 'POST') {
      stream.respond({ ':status': 200 });
      return stream.end(String(reviews));
    }
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const body = answer(Buffer.concat(chunks).toString());
      stream.respond({
        ':status': 200,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      stream.end(body);
    });
  });
  server.on('session', (session) => session.setLocalWindowSize(16 << 20));
  server.keepAliveTimeout = 30_000;
  server.listen(0, host, () => process.stdout.write(`${server.address().port}\n`));
}

// The bundle's import.meta.url is not in the source tree: pass the binaries explicitly.
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

// ---------- data ----------
function readDocs(file) {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS())
    .filter((d) => typeof d === 'object' && d !== null);
}
function policyFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue; // .kyverno-test, .chainsaw-test
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...policyFiles(p));
    else if (name.endsWith('.yaml')) out.push(p);
  }
  return out;
}
const policies = policyFiles(policyDir)
  .flatMap((f) => readDocs(f).map((doc) => ({ file: relative(policyDir, f), doc })))
  .filter(({ doc }) => doc.kind === 'ClusterPolicy')
  .map(({ file, doc }) => {
    // Enforce, as the brief's comparison does (the library ships most of them as Audit).
    const spec = { ...doc.spec, validationFailureAction: 'Enforce' };
    spec.rules = spec.rules.map((r) =>
      r.validate && r.validate.failureAction
        ? { ...r, validate: { ...r.validate, failureAction: 'Enforce' } }
        : r,
    );
    return { file, doc: { ...doc, spec } };
  });
const ruleCount = policies.reduce((n, p) => n + p.doc.spec.rules.length, 0);

const hardened = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  runAsNonRoot: true,
  runAsUser: 10001,
  seccompProfile: { type: 'RuntimeDefault' },
};
function compliantPod(name) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'bench' } },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'app',
          image: 'registry.example/app:1.2.3',
          ports: [{ containerPort: 8080 }],
          securityContext: hardened,
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
        { name: 'sidecar', image: 'registry.example/proxy:2.0', securityContext: hardened },
      ],
      volumes: [
        { name: 'tmp', emptyDir: {} },
        { name: 'config', configMap: { name: 'app' } },
      ],
    },
  };
}
function violatingPod(name) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'debug' } },
    spec: {
      hostNetwork: true,
      hostPID: true,
      containers: [
        {
          name: 'debug',
          image: 'registry.example/tools:1',
          ports: [{ containerPort: 22, hostPort: 22 }],
          securityContext: { privileged: true, runAsUser: 0, capabilities: { add: ['SYS_ADMIN'] } },
        },
      ],
      volumes: [{ name: 'host', hostPath: { path: '/' } }],
    },
  };
}

// ---------- HTTP ----------
function call(agent, url, method, body, headers = {}) {
  return new Promise((resolvePromise, reject) => {
    const u = new URL(url);
    const req = request(
      {
        agent,
        method,
        hostname: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolvePromise({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `total` tasks with `concurrency` workers; returns latencies (ms), wall time and failures. */
async function drive(concurrency, total, task) {
  const lat = new Float64Array(total);
  let next = 0;
  let errors = 0;
  const samples = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        const i = next++;
        const s = performance.now();
        let problem;
        try {
          problem = await task(i);
        } catch (err) {
          problem = err instanceof Error ? err.message : String(err);
        }
        lat[i] = performance.now() - s;
        if (problem) {
          errors++;
          if (samples.length < 3) samples.push(problem);
        }
      }
    }),
  );
  const wallMs = performance.now() - t0;
  lat.sort();
  const q = (p) => lat[Math.min(total - 1, Math.floor(p * total))];
  return {
    concurrency,
    requests: total,
    perSecond: Math.round(total / (wallMs / 1000)),
    p50Ms: round(q(0.5)),
    p99Ms: round(q(0.99)),
    maxMs: round(lat[total - 1]),
    errors,
    errorSamples: samples,
    load1: Number(loadavg()[0].toFixed(2)),
  };
}
const round = (x) => Number(x.toFixed(2));
const best = (runs) => runs.reduce((a, b) => (b.p99Ms < a.p99Ms ? b : a));

async function waitFor(what, fn, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

// ---------- cluster ----------
log(`load average ${load()} on ${cpus().length} cores; starting the test cluster`);
const cluster = await lib.startTestCluster({ binaries });
let child;
let nullChild;
let inproc;
const cleanup = async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (nullChild && nullChild.exitCode === null) nullChild.kill('SIGKILL');
  await inproc?.stop({ drainMs: 1000 }).catch(() => {});
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
};
process.once('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

try {
  const must = async (what, p, ok = [200, 201]) => {
    const r = await p;
    if (!ok.includes(r.status))
      throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    return r.body;
  };
  const crdFiles = [
    join(root, 'packages/platform/src/k8s/webhook/testdata/kyverno-crds.yaml'),
    join(root, 'deploy/crds/wgpolicyk8s.io_policyreports.yaml'),
    join(root, 'deploy/crds/wgpolicyk8s.io_clusterpolicyreports.yaml'),
  ];
  const crdNames = [];
  for (const f of crdFiles)
    for (const crd of readDocs(f)) {
      await must(
        `CRD ${crd.metadata.name}`,
        cluster.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd),
        [201, 409],
      );
      crdNames.push(crd.metadata.name);
    }
  for (const n of crdNames)
    await waitFor(`CRD ${n}`, async () => {
      const r = await cluster.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}`);
      return r.body?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  await cluster.createNamespace(NS);
  for (const p of policies)
    await must(
      `policy ${p.file}`,
      cluster.request('POST', '/apis/kyverno.io/v1/clusterpolicies', p.doc),
      [201],
    );
  log(
    `${policies.length} ClusterPolicies (${ruleCount} rules) from ${relative(root, policyDir)}, all Enforce`,
  );

  // Pod creates as the admin user, over keep-alive HTTP/1.1 connections.
  const apiAgent = new Agent({
    keepAlive: true,
    maxSockets: Math.max(...cfg.createConcurrencies),
    ca: cluster.caPem,
    cert: cluster.adminCertPem,
    key: cluster.adminKeyPem,
  });
  // New TLS connections to the apiserver (each costs the client a handshake with its client cert).
  let apiConnections = 0;
  const createConnection = apiAgent.createConnection.bind(apiAgent);
  apiAgent.createConnection = (...args) => {
    apiConnections++;
    return createConnection(...args);
  };
  const podsUrl = `${cluster.server}/api/v1/namespaces/${NS}/pods`;
  let podSeq = 0;
  const createPod = async (pod) => {
    const r = await call(apiAgent, podsUrl, 'POST', JSON.stringify(pod));
    return r;
  };
  const deleteAllPods = async () => {
    // Unscheduled pods (no nodeName) are removed at once, without a grace period. Deleting a few
    // thousand can outlast the helper's 10 s request timeout on a loaded machine (the apiserver
    // stops when the client goes): ask again until none is left.
    await waitFor(
      'pods deleted',
      async () => {
        const r = await cluster.request('GET', `/api/v1/namespaces/${NS}/pods?limit=1`);
        if (r.body.items.length === 0) return true;
        await cluster.request('DELETE', `/api/v1/namespaces/${NS}/pods`).catch(() => undefined);
        return false;
      },
      300_000,
    );
  };
  /** CPU time (ms, user + system) a process has used so far, from /proc (Linux). */
  const cpuMs = (pid) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in USER_HZ (100)
    } catch {
      return NaN;
    }
  };
  const procs = () => ({
    apiserver: cluster.pids().apiserver,
    etcd: cluster.pids().etcd,
    webhook: child?.pid ?? 0,
    nullWebhook: nullChild?.pid ?? 0,
    bench: process.pid,
  });
  /**
   * Established TCP connections to a local port (the apiserver's side of its webhook calls), read
   * from /proc/net/tcp{,6} in this process. (Spawning `ss` every 250 ms cost this process about
   * 0.5 ms of CPU per create on a 2-core machine — CPU taken from the apiserver in webhook rounds
   * only.)
   */
  const connectionsTo = async (port) => {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    let n = 0;
    for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text;
      try {
        text = await readFile(f, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        // cols: sl, local_address, rem_address, st, … ; st 01 = ESTABLISHED
        if (cols.length > 3 && cols[3] === '01' && cols[2].endsWith(`:${hexPort}`)) n++;
      }
    }
    return n;
  };
  /** Samples connectionsTo(port) every 250 ms until stopped; returns the largest and the last count. */
  const sampleConnections = (port) => {
    let max = 0;
    let last = NaN;
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        last = await connectionsTo(port);
        if (last > max) max = last;
        await sleep(250);
      }
    })();
    return async () => {
      stop = true;
      await loop;
      return { max, end: await connectionsTo(port) };
    };
  };
  /** The port of the webhook process whose rounds are running (ss sampling); 0 for baselines. */
  let webhookPort = 0;
  /** The null webhook's port (its rounds' labels start with "null"). */
  let nullPort = 0;
  /**
   * One round: a warm-up wave, then `creates` timed creates of compliant Pods at `concurrency`;
   * all deleted after.
   */
  const createRound = async (label, concurrency) => {
    const one = async () => {
      const r = await createPod(compliantPod(`p-${podSeq++}`));
      return r.status === 201 ? undefined : `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
    };
    await drive(concurrency, concurrency, one);
    const p = procs();
    const cpu0 = Object.fromEntries(Object.entries(p).map(([k, pid]) => [k, cpuMs(pid)]));
    const conn0 = apiConnections;
    const sampledPort = label.startsWith('null') ? nullPort : webhookPort;
    const stopSampling =
      sampledPort && !label.startsWith('baseline') ? sampleConnections(sampledPort) : undefined;
    const res = await drive(concurrency, cfg.creates, one);
    // CPU per create, per process: where the time goes on a shared 2-core machine. The webhook
    // child's CPU is counted in baseline rounds too: its background scan of the previous round's
    // Pods (and their deletion) may still run then.
    res.cpuMsPerCreate = Object.fromEntries(
      Object.entries(p)
        .filter(([k]) => k !== 'webhook' || (child && child.exitCode === null && !label.includes('in-proc')))
        .filter(([k]) => k !== 'nullWebhook' || label.startsWith('null'))
        .map(([k, pid]) => [k, round((cpuMs(pid) - cpu0[k]) / cfg.creates)]),
    );
    res.apiConnectionsOpened = apiConnections - conn0;
    if (stopSampling) res.webhookConnections = await stopSampling();
    await deleteAllPods();
    log(
      `  ${label.padEnd(26)} p50 ${res.p50Ms.toFixed(1).padStart(7)} ms  p99 ${res.p99Ms.toFixed(1).padStart(7)} ms  ` +
        `${res.perSecond}/s  errors ${res.errors}  new api conns ${res.apiConnectionsOpened}  load ${load()}  CPU ms/create ` +
        Object.entries(res.cpuMsPerCreate)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') +
        (res.webhookConnections
          ? `  apiserver→webhook connections max ${res.webhookConnections.max}, after ${res.webhookConnections.end}`
          : ''),
    );
    return res;
  };
  /** Creates a privileged probe Pod until the apiserver's decision is the expected one. */
  const untilEnforced = async (enforced) =>
    await waitFor(
      enforced ? 'the webhook to deny a privileged Pod' : 'a privileged Pod to be admitted',
      async () => {
        const r = await createPod(violatingPod(`probe-${podSeq++}`));
        if (r.status === 201) {
          await cluster.request('DELETE', `/api/v1/namespaces/${NS}/pods/probe-${podSeq - 1}`);
          return !enforced;
        }
        return enforced && r.status >= 400 && r.text.includes('blocked');
      },
    );

  // ---------- the webhook as a child process ----------
  const stderrTail = [];
  child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROF)}`]
        : []),
      join(work, 'palisade.mjs'),
      'webhook',
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--host',
      webhookHost,
      '--log-level',
      'warn',
      ...(cfg.reports ? [] : ['--no-reports']),
      ...(cfg.background ? [] : ['--no-background-scan']),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const serving = new Promise((resolvePromise, reject) => {
    let buf = '';
    child.stderr.on('data', (d) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        stderrTail.push(line);
        if (stderrTail.length > 20) stderrTail.shift();
        // "palisade webhook serving on …" (the URL itself is read from the registered configuration)
        if (/webhook serving on /.test(line)) resolvePromise(line);
      }
    });
    child.once('exit', (code) => reject(new Error(`webhook exited (${code}): ${stderrTail.join('\n')}`)));
    setTimeout(
      () => reject(new Error(`webhook not serving after 90 s: ${stderrTail.join('\n')}`)),
      90_000,
    ).unref();
  });
  await serving;
  await untilEnforced(true);
  const vwc = await must(
    'validating configuration',
    cluster.request('GET', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/palisade'),
  );
  const mwcResp = await cluster.request(
    'GET',
    '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/palisade',
  );
  const mwc = mwcResp.status === 200 ? mwcResp.body : undefined;
  const validateHooks = vwc.webhooks.filter((h) => h.rules?.some((r) => r.resources.includes('pods')));
  if (validateHooks.length !== 1)
    throw new Error(
      `expected one validating webhook for pods, got ${vwc.webhooks.map((h) => h.name).join(', ')}`,
    );
  const validateUrl = validateHooks[0].clientConfig.url;
  webhookPort = Number(new URL(validateUrl).port);
  const caPem = Buffer.from(validateHooks[0].clientConfig.caBundle, 'base64').toString();
  log(
    `webhook child pid ${child.pid} serving ${validateUrl}; ` +
      `${vwc.webhooks.length} validating, ${mwc?.webhooks?.length ?? 0} mutating webhooks registered`,
  );

  // ---------- the null webhook (a child process), registered like Palisade ----------
  let nullConfigs = [];
  let nullAgent;
  let nullOrigin = '';
  if (cfg.nullWebhook) {
    const day = 86_400_000;
    const validity = { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + day) };
    const ca = lib.createCertificate({ commonName: 'bench null webhook CA', ...validity });
    const leaf = lib.createCertificate({
      commonName: 'bench null webhook',
      ...validity,
      issuer: ca,
      hosts: [...new Set([webhookHost, '127.0.0.1', 'localhost'])],
    });
    const file = (name, text) => {
      writeFileSync(join(work, name), text);
      return join(work, name);
    };
    const script = file('null-webhook.mjs', `(${nullWebhookMain.toString()})();\n`);
    nullChild = spawn(
      process.execPath,
      [script, file('null-cert.pem', leaf.certPem), file('null-key.pem', leaf.keyPem), webhookHost],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    nullPort = await new Promise((resolvePromise, reject) => {
      let buf = '';
      nullChild.stdout.on('data', (d) => {
        buf += d.toString();
        if (buf.includes('\n')) resolvePromise(Number(buf.trim()));
      });
      nullChild.once('exit', (code) => reject(new Error(`null webhook exited (${code})`)));
    });
    nullOrigin = `https://${webhookHost}:${nullPort}`;
    // no keep-alive: a connection of the bench's own would count among the apiserver's (`ss`)
    nullAgent = new Agent({ keepAlive: false, ca: ca.certPem });
    // Palisade's configurations, the same webhooks (rules, operations, selectors, failurePolicy,
    // timeout, match conditions) pointed at the null webhook
    const pointed = (o, plural) => ({
      path: `/apis/admissionregistration.k8s.io/v1/${plural}`,
      body: {
        apiVersion: o.apiVersion,
        kind: o.kind,
        metadata: { name: 'bench-null-webhook' },
        webhooks: o.webhooks.map((h) => {
          const u = new URL(h.clientConfig.url);
          return {
            ...h,
            clientConfig: {
              url: `${nullOrigin}${u.pathname}${u.search}`,
              caBundle: Buffer.from(ca.certPem).toString('base64'),
            },
          };
        }),
      },
    });
    nullConfigs = [
      pointed(vwc, 'validatingwebhookconfigurations'),
      ...(mwc?.webhooks?.length ? [pointed(mwc, 'mutatingwebhookconfigurations')] : []),
    ];
    log(`null webhook pid ${nullChild.pid} serving ${nullOrigin}`);
  }

  // ---------- 1. direct AdmissionReviews ----------
  const reviewTail = (pod) =>
    JSON.stringify({
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      name: pod.metadata.name,
      namespace: NS,
      operation: 'CREATE',
      userInfo: { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    }).slice(1);
  const variants = [
    { tail: reviewTail(compliantPod('web')), allowed: true },
    { tail: reviewTail(violatingPod('debug')), allowed: false },
  ];
  const review = (i) => {
    const v = variants[i % variants.length];
    const uid = randomUUID();
    return {
      uid,
      v,
      body: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"${uid}",${v.tail}}`,
    };
  };
  const direct = {};
  const directUrl = `${validateUrl}?timeout=10s`;
  const directPath = new URL(directUrl).pathname + new URL(directUrl).search;
  /** One POST on an HTTP/2 session. */
  const callH2 = (session, body) =>
    new Promise((resolvePromise, reject) => {
      const st = session.request({
        ':method': 'POST',
        ':path': directPath,
        'content-type': 'application/json',
      });
      let status = 0;
      const chunks = [];
      st.on('response', (h) => (status = Number(h[':status'])));
      st.on('data', (c) => chunks.push(c));
      st.on('end', () => resolvePromise({ status, text: Buffer.concat(chunks).toString() }));
      st.on('error', reject);
      st.end(body);
    });
  const check = (uid, v, r) => {
    if (r.status !== 200) return `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
    const resp = JSON.parse(r.text).response;
    if (resp?.uid !== uid) return 'uid not echoed';
    if (resp.allowed !== v.allowed) return `allowed=${resp.allowed}, expected ${v.allowed}`;
    return undefined;
  };
  log(
    `direct AdmissionReviews to ${validateUrl}: ${cfg.directRequests} per run, best of ${cfg.repeats}, ` +
      `over ${cfg.directProtocols.join(' and ')}`,
  );
  for (const proto of cfg.directProtocols) {
    direct[proto] = {};
    for (const c of cfg.directConcurrency) {
      let task;
      let done;
      if (proto === 'h2') {
        // one connection, as kube-apiserver's HTTP/2 client multiplexes its calls, with Go's
        // receive windows (4 MiB per stream, 1 GiB per connection; Node's 64 KiB defaults would
        // hold back the answers of hundreds of concurrent streams)
        const session = await new Promise((resolvePromise, reject) => {
          const s = h2connect(new URL(validateUrl).origin, {
            ca: caPem,
            settings: { initialWindowSize: 4 << 20 },
          });
          s.once('connect', () => {
            s.setLocalWindowSize(1 << 30);
            resolvePromise(s);
          });
          s.once('error', reject);
        });
        task = async (i) => {
          const { uid, v, body } = review(i);
          return check(uid, v, await callH2(session, body));
        };
        done = () => session.close();
      } else {
        // maxFreeSockets: keep every connection between runs (the default 256 would close the rest,
        // and the next run would pay hundreds of TLS handshakes at once at 500 concurrent).
        const agent = new Agent({ keepAlive: true, maxSockets: c, maxFreeSockets: c, ca: caPem });
        task = async (i) => {
          const { uid, v, body } = review(i);
          return check(uid, v, await call(agent, directUrl, 'POST', body));
        };
        done = () => agent.destroy();
      }
      await drive(c, Math.max(1000, c * 2), task); // warm-up: connections, JIT
      const runs = [];
      for (let r = 0; r < cfg.repeats; r++) {
        const cpu0 = cpuMs(child.pid);
        const res = await drive(c, cfg.directRequests, task);
        res.webhookCpuMsPerReview = round((cpuMs(child.pid) - cpu0) / cfg.directRequests);
        runs.push(res);
        log(
          `  ${proto.padEnd(5)} ${String(c).padStart(3)} concurrent: ${String(res.perSecond).padStart(6)} req/s  p50 ${res.p50Ms.toFixed(1)} ms  ` +
            `p99 ${res.p99Ms.toFixed(1)} ms  max ${res.maxMs.toFixed(1)} ms  errors ${res.errors}  load ${load()}  webhook CPU ${res.webhookCpuMsPerReview} ms/review`,
        );
      }
      done();
      direct[proto][c] = { ...best(runs), runsP99Ms: runs.map((r) => r.p99Ms) };
    }
  }

  // ---------- 2. Pod creates through the apiserver ----------
  const deleteConfigs = async () => {
    await must(
      'delete validating configuration',
      cluster.request(
        'DELETE',
        '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/palisade',
      ),
      [200, 404],
    );
    if (mwc)
      await must(
        'delete mutating configuration',
        cluster.request(
          'DELETE',
          '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/palisade',
        ),
        [200, 404],
      );
  };
  const restoreConfigs = async () => {
    const strip = (o) => ({
      ...o,
      metadata: { name: o.metadata.name, ...(o.metadata.labels ? { labels: o.metadata.labels } : {}) },
    });
    await must(
      'restore validating configuration',
      cluster.request(
        'POST',
        '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
        strip(vwc),
      ),
      [201],
    );
    if (mwc)
      await must(
        'restore mutating configuration',
        cluster.request(
          'POST',
          '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
          strip(mwc),
        ),
        [201],
      );
  };
  log(
    `Pod creates through the apiserver: ${cfg.creates} per round at ${cfg.createConcurrencies.join(' and ')} ` +
      `concurrent (after a warm-up wave of as many creates), baseline and webhook rounds alternating`,
  );
  /** Registers (or removes) the null webhook's configurations; registering waits until it is called. */
  const nullRegistered = async (on) => {
    for (const c of nullConfigs)
      await must(
        `${on ? 'register' : 'delete'} null ${c.body.kind}`,
        on
          ? cluster.request('POST', c.path, c.body)
          : cluster.request('DELETE', `${c.path}/${c.body.metadata.name}`),
        on ? [201] : [200, 404],
      );
    if (!on) return;
    const seen = async () => Number((await call(nullAgent, `${nullOrigin}/reviews`, 'GET')).text);
    await waitFor('the apiserver to call the null webhook', async () => {
      const before = await seen();
      const r = await createPod(compliantPod(`probe-${podSeq++}`));
      if (r.status === 201)
        await cluster.request('DELETE', `/api/v1/namespaces/${NS}/pods/probe-${podSeq - 1}`);
      return (await seen()) > before;
    });
  };
  const byConcurrency = {};
  for (const conc of cfg.createConcurrencies) {
    const baselineRuns = [];
    const nullRuns = [];
    const childRuns = [];
    await deleteAllPods();
    for (let r = 0; r < cfg.repeats; r++) {
      await deleteConfigs();
      await untilEnforced(false);
      baselineRuns.push(await createRound(`baseline c=${conc} #${r + 1}`, conc));
      if (cfg.nullWebhook) {
        await nullRegistered(true);
        nullRuns.push(await createRound(`null webhook c=${conc} #${r + 1}`, conc));
        await nullRegistered(false);
      }
      await restoreConfigs();
      await untilEnforced(true);
      await deleteAllPods();
      childRuns.push(await createRound(`webhook (child) c=${conc} #${r + 1}`, conc));
    }
    byConcurrency[conc] = { baselineRuns, nullRuns, childRuns, inprocRuns: [] };
  }
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r()));
  if (nullChild) {
    nullAgent.destroy();
    nullChild.kill('SIGTERM');
    await new Promise((r) => (nullChild.exitCode === null ? nullChild.once('exit', r) : r()));
  }

  const target = cfg.createConcurrencies[0];
  if (cfg.inProcess) {
    const client = lib.KubeClient.fromFile(cluster.kubeconfigPath);
    inproc = await lib.runWebhook({ client, ...(cfg.reports ? {} : { reports: false }) });
    webhookPort = inproc.port;
    await inproc.settled();
    await untilEnforced(true);
    await deleteAllPods();
    for (let r = 0; r < cfg.repeats; r++)
      byConcurrency[target].inprocRuns.push(
        await createRound(`webhook (in-proc) c=${target} #${r + 1}`, target),
      );
    await inproc.stop({ drainMs: 1000 });
    inproc = undefined;
    client.close();
  }
  apiAgent.destroy();

  // ---------- report ----------
  const strip = ({ errorSamples, ...r }) => (r.errors ? { ...r, errorSamples } : r);
  const summary = (conc) => {
    const { baselineRuns, nullRuns, childRuns, inprocRuns } = byConcurrency[conc];
    const base = best(baselineRuns);
    const added = (w) => ({
      addedP99Ms: round(w.p99Ms - base.p99Ms),
      addedP99Percent: round(((w.p99Ms - base.p99Ms) / base.p99Ms) * 100),
    });
    const withChild = best(childRuns);
    const nullBest = nullRuns.length ? best(nullRuns) : undefined;
    const inprocBest = inprocRuns.length ? best(inprocRuns) : undefined;
    return {
      concurrency: conc,
      count: cfg.creates,
      baseline: { ...strip(base), runsP99Ms: baselineRuns.map((r) => r.p99Ms) },
      ...(nullBest
        ? { nullWebhook: { ...strip(nullBest), runsP99Ms: nullRuns.map((r) => r.p99Ms), ...added(nullBest) } }
        : {}),
      webhookChild: {
        ...strip(withChild),
        runsP99Ms: childRuns.map((r) => r.p99Ms),
        ...added(withChild),
        // what Palisade adds over a webhook that does nothing (best vs best)
        ...(nullBest
          ? {
              overNullP99Ms: round(withChild.p99Ms - nullBest.p99Ms),
              overNullP99Percent: round(((withChild.p99Ms - nullBest.p99Ms) / nullBest.p99Ms) * 100),
            }
          : {}),
      },
      ...(inprocBest
        ? {
            webhookInProcess: {
              ...strip(inprocBest),
              runsP99Ms: inprocRuns.map((r) => r.p99Ms),
              ...added(inprocBest),
            },
          }
        : {}),
    };
  };
  const creates = summary(target);
  const extra = Object.fromEntries(cfg.createConcurrencies.slice(1).map((c) => [c, summary(c)]));

  const fmt = (x) => x.toFixed(1).padStart(8);
  console.log(
    `Admission webhook, ${policies.length} Pod Security ClusterPolicies (${ruleCount} rules, Enforce); ` +
      `best of ${cfg.repeats} runs each; load average at the end ${load()} on ${cpus().length} cores`,
  );
  console.log(`  direct AdmissionReview (${cfg.directRequests} per run, half violating)`);
  console.log('  protocol concurrency    req/s   p50 ms   p99 ms   max ms  errors  webhook CPU ms/review');
  for (const proto of cfg.directProtocols)
    for (const c of cfg.directConcurrency) {
      const d = direct[proto][c];
      console.log(
        `  ${proto.padEnd(8)} ${String(c).padStart(11)} ${String(d.perSecond).padStart(8)} ${fmt(d.p50Ms)} ${fmt(d.p99Ms)} ${fmt(d.maxMs)}  ${String(d.errors).padStart(6)}  ${d.webhookCpuMsPerReview}`,
      );
    }
  console.log(`  Pod create through the apiserver (${cfg.creates} creates per round)`);
  console.log(
    '  concurrency                 p50 ms   p99 ms  creates/s  errors  added p99            CPU ms/create',
  );
  const cpuText = (w) =>
    Object.entries(w.cpuMsPerCreate)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const row = (conc, label, w, extra) =>
    console.log(
      `  ${String(conc).padStart(11)} ${label.padEnd(14)} ${fmt(w.p50Ms)} ${fmt(w.p99Ms)} ${String(w.perSecond).padStart(10)}  ${String(w.errors).padStart(6)}  ${extra.padEnd(20)} ${cpuText(w)}`,
    );
  for (const sm of [creates, ...Object.values(extra)]) {
    row(sm.concurrency, 'no webhook', sm.baseline, '');
    if (sm.nullWebhook) {
      const n = sm.nullWebhook;
      row(sm.concurrency, 'null webhook', n, `${n.addedP99Ms} ms (${n.addedP99Percent}%)`);
    }
    const w = sm.webhookChild;
    row(sm.concurrency, 'webhook', w, `${w.addedP99Ms} ms (${w.addedP99Percent}%)`);
    if (sm.nullWebhook)
      console.log(
        `  ${''.padStart(11)} Palisade over the null webhook: ${w.overNullP99Ms} ms (${w.overNullP99Percent}%)`,
      );
    if (sm.webhookInProcess) {
      const x = sm.webhookInProcess;
      row(sm.concurrency, 'webhook in-proc', x, `${x.addedP99Ms} ms (${x.addedP99Percent}%)`);
    }
  }
  console.log(
    JSON.stringify({
      bench: 'webhook',
      node: process.version,
      cores: cpus().length,
      loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
      policies: policies.length,
      rules: ruleCount,
      repeats: cfg.repeats,
      reports: cfg.reports,
      backgroundScan: cfg.reports && cfg.background,
      nullWebhook: cfg.nullWebhook,
      apiserverToWebhook: cfg.apiserverHttp1 ? 'http/1.1' : 'h2',
      direct: Object.fromEntries(
        cfg.directProtocols.map((proto) => [
          proto,
          Object.fromEntries(cfg.directConcurrency.map((c) => [c, strip(direct[proto][c])])),
        ]),
      ),
      creates,
      ...(Object.keys(extra).length ? { createsAtOtherConcurrency: extra } : {}),
    }),
  );
} catch (err) {
  log(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
  log(cluster.logTail('kube-apiserver', 20));
  process.exitCode = 1;
} finally {
  await cleanup();
}
