#!/usr/bin/env node
// Benchmark: the Pod Security evaluator (packages/platform/src/policy/pss) on one core.
// Bundles the evaluator from source with esbuild (no full build needed), then measures:
//   - compile: building every (level, version) plan on first use;
//   - latency of evaluating one Pod against restricted:latest, per call (p50/p99/max), for a compliant pod
//     and for a pod that violates eight controls (message building included);
//   - the wall time of evaluating all 3,063 upstream fixtures once (YAML parsing excluded).
// Prints a table, then the figures as one JSON line (last line).
//
//   node bench/pss.mjs                (defaults: 200k timed evaluations per pod)
//   BENCH_ITERATIONS=50000 node bench/pss.mjs
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const iterations = Number(process.env.BENCH_ITERATIONS ?? 200_000);

const out = await build({
  entryPoints: [join(root, 'packages/platform/src/policy/pss/index.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  write: false,
});
const dir = mkdtempSync(join(tmpdir(), 'pss-bench-'));
const file = join(dir, 'pss.mjs');
writeFileSync(file, out.outputFiles[0].text);
const pss = await import(pathToFileURL(file).href);
rmSync(dir, { recursive: true, force: true });

// --- compile ---
let t0 = process.hrtime.bigint();
const compiled = pss.compilePodSecurity({ level: 'restricted', version: 'latest' });
const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;

// --- pods ---
const container = (name) => ({
  name,
  image: 'registry.example/app:1.2.3',
  ports: [{ containerPort: 8080, protocol: 'TCP' }],
  livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
  readinessProbe: { tcpSocket: { port: 8080 } },
  resources: { limits: { cpu: '500m', memory: '256Mi' } },
  securityContext: {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
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
  metadata: { name: 'web', namespace: 'prod', labels: { app: 'web' }, annotations: { team: 'a' } },
  spec: {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, fsGroup: 2000 },
    initContainers: [container('init')],
    containers: [container('app'), container('sidecar')],
    volumes: [
      { name: 'tmp', emptyDir: {} },
      { name: 'config', configMap: { name: 'web' } },
      { name: 'token', projected: { sources: [] } },
    ],
  },
};
const violating = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'debug' },
  spec: {
    hostNetwork: true,
    hostPID: true,
    containers: [{ name: 'debug', image: 'tools', securityContext: { privileged: true, runAsUser: 0 } }],
    volumes: [{ name: 'host', hostPath: { path: '/' } }],
  },
};

function latency(podObject, expectAllowed) {
  const r = compiled.evaluate(podObject);
  if (r.allowed !== expectAllowed) throw new Error(`unexpected verdict: ${r.message}`);
  for (let i = 0; i < 20_000; i++) compiled.evaluate(podObject); // warm-up
  const samples = new Float64Array(iterations);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const s = process.hrtime.bigint();
    compiled.evaluate(podObject);
    samples[i] = Number(process.hrtime.bigint() - s);
  }
  const totalNs = Number(process.hrtime.bigint() - start);
  samples.sort();
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] / 1000;
  return {
    p50Us: q(0.5),
    p99Us: q(0.99),
    maxUs: samples[samples.length - 1] / 1000,
    perSecond: Math.round(iterations / (totalNs / 1e9)),
  };
}

const ok = latency(compliant, true);
const bad = latency(violating, false);

// --- every upstream fixture once ---
const fixturesDir = process.env.PALISADE_SHARED_DATA
  ? join(process.env.PALISADE_SHARED_DATA, 'conformance/cis/pss-fixtures')
  : resolve(root, '..', 'shared', 'data', 'conformance/cis/pss-fixtures');
const rows = readFileSync(join(fixturesDir, 'index.csv'), 'utf8').trim().split(/\r?\n/).slice(1);
const cases = rows.map((line) => {
  const [level, version, expect, , , path] = line.split(',');
  return { level, version, expect, pod: parse(readFileSync(join(fixturesDir, path), 'utf8')) };
});
t0 = process.hrtime.bigint();
let agree = 0;
for (const c of cases) {
  const r = pss.evaluatePodSecurity(c.pod, { level: c.level, version: c.version });
  if (r.allowed === (c.expect === 'pass')) agree++;
}
const fixturesMs = Number(process.hrtime.bigint() - t0) / 1e6;

const fmt = (x) => x.toFixed(2).padStart(8);
console.log(
  `Pod Security evaluator, restricted:${compiled.policyVersion} (latest), ${iterations} timed calls each`,
);
console.log(`  compile (all levels and versions)   ${compileMs.toFixed(2)} ms`);
console.log(`                       p50 µs   p99 µs   max µs   evals/s`);
console.log(`  compliant pod      ${fmt(ok.p50Us)} ${fmt(ok.p99Us)} ${fmt(ok.maxUs)}   ${ok.perSecond}`);
console.log(`  violating pod      ${fmt(bad.p50Us)} ${fmt(bad.p99Us)} ${fmt(bad.maxUs)}   ${bad.perSecond}`);
console.log(`  ${cases.length} upstream fixtures evaluated in ${fixturesMs.toFixed(1)} ms (${agree} agree)`);
console.log(
  JSON.stringify({
    bench: 'pss',
    node: process.version,
    iterations,
    compileMs: Number(compileMs.toFixed(3)),
    restrictedLatest: {
      compliant: {
        p50Us: Number(ok.p50Us.toFixed(2)),
        p99Us: Number(ok.p99Us.toFixed(2)),
        perSecond: ok.perSecond,
      },
      violating: {
        p50Us: Number(bad.p50Us.toFixed(2)),
        p99Us: Number(bad.p99Us.toFixed(2)),
        perSecond: bad.perSecond,
      },
    },
    fixtures: { count: cases.length, agree, wallMs: Number(fixturesMs.toFixed(1)) },
  }),
);
