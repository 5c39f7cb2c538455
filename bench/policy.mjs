#!/usr/bin/env node
// Benchmark: the Kyverno-compatible policy engine (packages/platform/src/policy) on one core.
// Bundles the engine from source with esbuild (no full build needed), then measures:
//   - compile: loading + compiling each policy set (YAML parse, checks, autogen, match/kind index);
//   - latency of one admission request (a Pod, CREATE) against
//       * the Pod Security set: every ClusterPolicy under pod-security/ of the Kyverno policy library,
//       * a 50-policy mixed set: the first 50 ClusterPolicies (by path) outside the CEL/pod-security
//         folders whose rules can match a Pod and that need no cluster data (no apiCall/configMap
//         context, no generate/verifyImages) — validate and mutate rules, autogen included;
//     per request p50/p99/max, for a compliant pod and a violating pod;
//   - the wall time of the whole conformance suite (every .kyverno-test/kyverno-test.yaml, as
//     test/kyverno-conformance.test.ts runs it), and, when the Kyverno CLI can be built
//     (scripts/kyverno/build.sh), `kyverno test` on the same folder pinned to one core (taskset,
//     GOMAXPROCS=1), and the ratios of wall and CPU time — for the whole suite and for the folders
//     without CEL policies (the part both evaluate).
// Prints a table, then the figures as one JSON line (last line).
//
//   npm run bench:policy                  (defaults: 20k timed requests per pod and set)
//   BENCH_ITERATIONS=5000 npm run bench:policy
//   BENCH_KYVERNO=0 npm run bench:policy  skip the Kyverno CLI (no build attempt)
//   BENCH_PIN=0 npm run bench:policy      do not pin the process to one CPU (default: taskset -c 0)
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

// One core, as the target says: the engine is single-threaded, but V8 runs parts of garbage collection
// (parallel scavenge, concurrent marking) on helper threads, which an unpinned process spreads over the
// other cores. Pinned (taskset), the whole process — GC helpers included — shares one CPU, as the
// Kyverno CLI below does. The bench re-runs itself under taskset and reports whether it was pinned.
if (process.env.BENCH_PIN !== '0' && process.env.BENCH_PINNED === undefined) {
  if (spawnSync('taskset', ['--version']).status === 0) {
    const argv = [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)];
    const r = spawnSync('taskset', ['-c', '0', process.execPath, ...argv], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_PINNED: '1' },
    });
    process.exit(r.status ?? 1);
  }
}
const pinned = process.env.BENCH_PINNED === '1' ? 'taskset -c 0' : 'not pinned';
const loadBefore = loadavg().map((x) => Number(x.toFixed(2)));
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const iterations = Number(process.env.BENCH_ITERATIONS ?? 20_000);
const data = process.env.PALISADE_SHARED_DATA
  ? join(process.env.PALISADE_SHARED_DATA, 'conformance/kyverno-policies')
  : resolve(root, '..', 'shared', 'data', 'conformance/kyverno-policies');

const src = 'packages/platform/src/policy';
const out = await build({
  stdin: {
    contents: [
      `export { PolicyEngine, evaluatePolicy } from './${src}/engine/index.ts';`,
      `export { loadPolicyText } from './${src}/loader/index.ts';`,
      `export { runTestFile } from './${src}/test/index.ts';`,
    ].join('\n'),
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies (yaml) require node built-ins
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  write: false,
});
const tmp = mkdtempSync(join(tmpdir(), 'policy-bench-'));
const bundle = join(tmp, 'policy.mjs');
writeFileSync(bundle, out.outputFiles[0].text);
const policy = await import(pathToFileURL(bundle).href);
rmSync(tmp, { recursive: true, force: true });

// --- policy sets ---
function yamlFiles(dir) {
  const outFiles = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) outFiles.push(...yamlFiles(p));
    else if (name.endsWith('.yaml') && !name.startsWith('kustomization')) outFiles.push(p);
  }
  return outFiles;
}
function loadFile(file) {
  const r = policy.loadPolicyText(readFileSync(file, 'utf8'), file);
  return r.diagnostics.some((d) => d.severity === 'error') ? [] : r.policies;
}
const podSecurityFiles = yamlFiles(join(data, 'pod-security'));
const podSecurityTexts = podSecurityFiles.map((f) => [f, readFileSync(f, 'utf8')]);

const matchesPod = (p) => p.rules.some((r) => JSON.stringify(r.match ?? {}).match(/"(Pod|\*)"/) !== null);
// external data (API server, registries, ConfigMaps) anywhere in a rule, foreach entries included
const needsCluster = (p) =>
  p.rules.some(
    (r) =>
      r.generate !== undefined ||
      r.verifyImages !== undefined ||
      /"(apiCall|configMap|imageRegistry|globalReference)"\s*:/.test(JSON.stringify(r)) ||
      (r.validate && (r.validate.cel || r.validate.manifests)),
  );
const mixedTexts = [];
for (const dir of readdirSync(data).sort()) {
  if (/(-cel|-vpol|-mpol|-gpol)$/.test(dir) || dir === 'pod-security' || dir.startsWith('.')) continue;
  if (!statSync(join(data, dir)).isDirectory()) continue;
  for (const f of yamlFiles(join(data, dir))) {
    if (mixedTexts.length >= 50) break;
    const ps = loadFile(f);
    if (ps.length !== 1 || ps[0].kind !== 'ClusterPolicy') continue;
    if (!matchesPod(ps[0]) || needsCluster(ps[0])) continue;
    mixedTexts.push([f, readFileSync(f, 'utf8')]);
  }
}

function compileSet(texts) {
  const t0 = process.hrtime.bigint();
  const policies = texts.flatMap(([f, t]) => policy.loadPolicyText(t, f).policies);
  const engine = new policy.PolicyEngine(policies);
  return { engine, policies, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}
// compile each set 20 times, report the median (first run includes JIT warm-up)
function compileMs(texts) {
  const runs = Array.from({ length: 20 }, () => compileSet(texts).ms).sort((a, b) => a - b);
  return { firstMs: runs[0], medianMs: runs[10] };
}

// --- requests ---
const container = (name) => ({
  name,
  image: 'registry.example/app:1.2.3',
  imagePullPolicy: 'IfNotPresent',
  ports: [{ containerPort: 8080, protocol: 'TCP' }],
  livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
  readinessProbe: { tcpSocket: { port: 8080 } },
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
  securityContext: {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    runAsNonRoot: true,
    runAsUser: 10001,
    readOnlyRootFilesystem: true,
    seccompProfile: { type: 'RuntimeDefault' },
  },
  volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
});
const compliant = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web',
    namespace: 'prod',
    labels: { app: 'web', 'app.kubernetes.io/name': 'web' },
    annotations: { team: 'a' },
  },
  spec: {
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, fsGroup: 2000 },
    initContainers: [container('init')],
    containers: [container('app'), container('sidecar')],
    volumes: [
      { name: 'tmp', emptyDir: {} },
      { name: 'config', configMap: { name: 'web' } },
    ],
  },
};
const violating = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'debug', namespace: 'default' },
  spec: {
    hostNetwork: true,
    hostPID: true,
    containers: [
      {
        name: 'debug',
        image: 'tools:latest',
        ports: [{ containerPort: 22, hostPort: 22 }],
        securityContext: { privileged: true, runAsUser: 0, capabilities: { add: ['SYS_ADMIN'] } },
      },
    ],
    volumes: [{ name: 'host', hostPath: { path: '/' } }],
  },
};

function latency(engine, pod) {
  const req = { resource: pod, operation: 'CREATE' };
  const first = engine.evaluate(req);
  const statuses = {};
  const errors = [];
  for (const r of first)
    for (const x of r.rules) {
      statuses[x.status] = (statuses[x.status] ?? 0) + 1;
      if (x.status === 'error') errors.push(`${r.policy.name}/${x.name}: ${x.message}`);
    }
  for (let i = 0; i < Math.min(5000, iterations); i++) engine.evaluate(req); // warm-up
  const samples = new Float64Array(iterations);
  // CPU time of each request too (user + system, µs resolution): on a shared machine the wall time of a
  // request includes waiting for a core, its CPU time does not (GC done during the request counts)
  const cpuSamples = new Float64Array(iterations);
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    const c = process.cpuUsage();
    const s = process.hrtime.bigint();
    engine.evaluate(req);
    samples[i] = Number(process.hrtime.bigint() - s);
    const d = process.cpuUsage(c);
    cpuSamples[i] = d.user + d.system;
  }
  const totalNs = Number(process.hrtime.bigint() - start);
  const cpuTotal = process.cpuUsage(cpuStart);
  samples.sort();
  cpuSamples.sort();
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] / 1000;
  const qc = (p) => cpuSamples[Math.min(cpuSamples.length - 1, Math.floor(p * cpuSamples.length))];
  return {
    p50Us: q(0.5),
    p99Us: q(0.99),
    maxUs: samples[samples.length - 1] / 1000,
    cpuP50Us: qc(0.5),
    cpuP99Us: qc(0.99),
    cpuMeanUs: (cpuTotal.user + cpuTotal.system) / iterations,
    perSecond: Math.round(iterations / (totalNs / 1e9)),
    rules: statuses,
    errors,
  };
}

const sets = {};
for (const [name, texts] of [
  ['podSecurity', podSecurityTexts],
  ['mixed50', mixedTexts],
]) {
  const { engine, policies } = compileSet(texts);
  const c = compileMs(texts);
  sets[name] = {
    policies: policies.length,
    rules: policies.reduce((n, p) => n + p.rules.length, 0),
    compileMs: c.medianMs,
    compliant: latency(engine, compliant),
    violating: latency(engine, violating),
  };
}

// the slowest policies of the mixed set for the violating pod (where the time goes)
const slowest = (() => {
  const { engine } = compileSet(mixedTexts);
  const req = { resource: violating, operation: 'CREATE' };
  const n = Math.max(200, Math.floor(iterations / 20));
  return engine.policies
    .map((cp) => {
      for (let i = 0; i < 50; i++) policy.evaluatePolicy(cp, req);
      const s = process.hrtime.bigint();
      for (let i = 0; i < n; i++) policy.evaluatePolicy(cp, req);
      return { policy: cp.policy.name, us: Number(process.hrtime.bigint() - s) / 1000 / n };
    })
    .sort((a, b) => b.us - a.us)
    .slice(0, 5);
})();

// --- the whole conformance suite ---
function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (!statSync(p).isDirectory()) continue;
    const t = join(p, '.kyverno-test', 'kyverno-test.yaml');
    if (existsSync(t)) found.push(t);
    else if (!name.startsWith('.')) found.push(...findTests(p));
  }
  return found;
}
const testFiles = findTests(data);
// the CEL folders hold policy types Palisade's CEL part evaluates (or not yet): reported apart so the
// comparison with Kyverno also covers exactly the part both evaluate
const isCelFolder = (dir) => /(-cel|-vpol|-mpol|-gpol)$/.test(dir);
const topFolder = (f) => relative(data, f).split('/')[0];
let t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
let met = 0;
let total = 0;
let nonCelMs = 0;
let nonCelCpuMs = 0;
for (const f of testFiles) {
  const s = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const r = await policy.runTestFile(f);
  if (!isCelFolder(topFolder(f))) {
    nonCelMs += Number(process.hrtime.bigint() - s) / 1e6;
    const c = process.cpuUsage(c0);
    nonCelCpuMs += (c.user + c.system) / 1000;
  }
  for (const c of r.cases) {
    total++;
    if (c.ok) met++;
  }
}
const suiteMs = Number(process.hrtime.bigint() - t0) / 1e6;
const suiteCpu = process.cpuUsage(cpu0);
const suiteCpuMs = (suiteCpu.user + suiteCpu.system) / 1000;
const nonCelFolders = [...new Set(testFiles.map(topFolder))].filter((d) => !isCelFolder(d)).sort();

// --- the Kyverno CLI on the same suite ---
let kyverno = { status: 'skipped (BENCH_KYVERNO=0)' };
if (process.env.BENCH_KYVERNO !== '0') {
  const b = spawnSync('bash', [join(root, 'scripts/kyverno/build.sh')], { encoding: 'utf8' });
  if (b.status !== 0) {
    kyverno = {
      status: 'unavailable',
      reason: (b.stderr || b.stdout).trim().split('\n').slice(0, 3).join(' '),
    };
  } else {
    const bin = b.stdout.trim().split('\n').pop();
    const version = execFileSync(bin, ['version'], { encoding: 'utf8' }).split('\n')[0];
    const taskset = spawnSync('taskset', ['--version']).status === 0;
    const gnuTime = existsSync('/usr/bin/time');
    // CPU time (user + system, by GNU time) as well as wall time: on a shared machine the wall time of a
    // pinned process includes waiting for its core
    const runKyverno = (dirs) => {
      const argv = [...(taskset ? ['taskset', '-c', '0'] : []), bin, 'test', ...dirs, '--remove-color'];
      const full = gnuTime ? ['/usr/bin/time', '-f', 'CPU %U %S', ...argv] : argv;
      const s = process.hrtime.bigint();
      const k = spawnSync(full[0], full.slice(1), {
        encoding: 'utf8',
        env: { ...process.env, GOMAXPROCS: '1' },
        maxBuffer: 256 * 1024 * 1024,
      });
      const cpu = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(k.stderr ?? '');
      return {
        wallMs: Number(process.hrtime.bigint() - s) / 1e6,
        cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined,
        exitCode: k.status,
        summary: /Test Summary: (.*)/.exec(k.stdout ?? '')?.[1] ?? '',
      };
    };
    const all = runKyverno([data]);
    const nonCel = runKyverno(nonCelFolders.map((d) => join(data, d)));
    kyverno = {
      status: 'ran',
      version,
      pinned: taskset ? 'taskset -c 0, GOMAXPROCS=1' : 'GOMAXPROCS=1',
      all: {
        ...all,
        ratio: suiteMs / all.wallMs,
        ...(all.cpuMs ? { cpuRatio: suiteCpuMs / all.cpuMs } : {}),
      },
      nonCel: {
        ...nonCel,
        palisadeMs: nonCelMs,
        palisadeCpuMs: nonCelCpuMs,
        ratio: nonCelMs / nonCel.wallMs,
        ...(nonCel.cpuMs ? { cpuRatio: nonCelCpuMs / nonCel.cpuMs } : {}),
      },
    };
  }
}

const fmt = (x) => x.toFixed(1).padStart(8);
console.log(`Kyverno-compatible policy engine, ${iterations} timed requests per pod and set (${pinned})`);
for (const [name, s] of Object.entries(sets)) {
  console.log(
    `  ${name}: ${s.policies} policies, ${s.rules} rules (autogen included), compile ${s.compileMs.toFixed(2)} ms`,
  );
  console.log(
    `                       p50 µs   p99 µs   max µs  requests/s  CPU p50 µs  CPU p99 µs  CPU mean µs  rule results`,
  );
  for (const k of ['compliant', 'violating']) {
    const r = s[k];
    console.log(
      `    ${k.padEnd(16)}${fmt(r.p50Us)} ${fmt(r.p99Us)} ${fmt(r.maxUs)}  ${String(r.perSecond).padStart(10)}  ${fmt(r.cpuP50Us)}    ${fmt(r.cpuP99Us)}     ${fmt(r.cpuMeanUs)}  ${JSON.stringify(r.rules)}`,
    );
    for (const e of r.errors) console.log(`      error: ${e.slice(0, 160)}`);
  }
}
console.log(
  `  slowest in mixed50 (violating pod, µs per evaluation): ${slowest.map((x) => `${x.policy} ${x.us.toFixed(0)}`).join(', ')}`,
);
console.log(
  `  conformance suite: ${testFiles.length} test files, ${met}/${total} expectations met, wall ${suiteMs.toFixed(0)} ms, CPU ${suiteCpuMs.toFixed(0)} ms`,
);
if (kyverno.status === 'ran') {
  console.log(
    `  kyverno test (${kyverno.version}, ${kyverno.pinned}), whole suite: wall ${kyverno.all.wallMs.toFixed(0)} ms, CPU ${kyverno.all.cpuMs?.toFixed(0)} ms (${kyverno.all.summary}); Palisade/Kyverno wall ${kyverno.all.ratio.toFixed(3)}, CPU ${kyverno.all.cpuRatio?.toFixed(3)}`,
  );
  console.log(
    `  non-CEL folders only: kyverno wall ${kyverno.nonCel.wallMs.toFixed(0)} ms, CPU ${kyverno.nonCel.cpuMs?.toFixed(0)} ms (${kyverno.nonCel.summary}); Palisade wall ${kyverno.nonCel.palisadeMs.toFixed(0)} ms, CPU ${kyverno.nonCel.palisadeCpuMs.toFixed(0)} ms; Palisade/Kyverno wall ${kyverno.nonCel.ratio.toFixed(3)}, CPU ${kyverno.nonCel.cpuRatio?.toFixed(3)}`,
  );
} else console.log(`  kyverno test: ${kyverno.status}${kyverno.reason ? `: ${kyverno.reason}` : ''}`);

const round = (x, d = 2) => Number(x.toFixed(d));
const latencyJson = (r) => ({
  p50Us: round(r.p50Us),
  p99Us: round(r.p99Us),
  maxUs: round(r.maxUs),
  perSecond: r.perSecond,
  cpuP50Us: r.cpuP50Us,
  cpuP99Us: r.cpuP99Us,
  cpuMeanUs: round(r.cpuMeanUs),
});
const setJson = (s) => ({
  policies: s.policies,
  rules: s.rules,
  compileMs: round(s.compileMs, 3),
  compliant: latencyJson(s.compliant),
  violating: latencyJson(s.violating),
});
console.log(
  JSON.stringify({
    bench: 'policy',
    node: process.version,
    iterations,
    pinned,
    // 1/5/15-minute load averages before and after the run (the machine's other work inflates wall times)
    load: { before: loadBefore, after: loadavg().map((x) => Number(x.toFixed(2))) },
    processCpuMs: round((process.cpuUsage().user + process.cpuUsage().system) / 1000, 0),
    podSecurity: setJson(sets.podSecurity),
    mixed50: {
      ...setJson(sets.mixed50),
      slowest: slowest.map((x) => ({ policy: x.policy, us: round(x.us, 1) })),
      files: mixedTexts.map(([f]) => relative(data, f)),
    },
    suite: {
      testFiles: testFiles.length,
      expectations: total,
      met,
      wallMs: round(suiteMs, 0),
      cpuMs: round(suiteCpuMs, 0),
      nonCelWallMs: round(nonCelMs, 0),
      nonCelCpuMs: round(nonCelCpuMs, 0),
    },
    kyverno:
      kyverno.status === 'ran'
        ? {
            ...kyverno,
            all: {
              ...kyverno.all,
              wallMs: round(kyverno.all.wallMs, 0),
              cpuMs: round(kyverno.all.cpuMs ?? 0, 0),
              ratio: round(kyverno.all.ratio, 3),
              cpuRatio: round(kyverno.all.cpuRatio ?? 0, 3),
            },
            nonCel: {
              ...kyverno.nonCel,
              wallMs: round(kyverno.nonCel.wallMs, 0),
              cpuMs: round(kyverno.nonCel.cpuMs ?? 0, 0),
              palisadeMs: round(kyverno.nonCel.palisadeMs, 0),
              palisadeCpuMs: round(kyverno.nonCel.palisadeCpuMs, 0),
              ratio: round(kyverno.nonCel.ratio, 3),
              cpuRatio: round(kyverno.nonCel.cpuRatio ?? 0, 3),
            },
          }
        : kyverno,
  }),
);
