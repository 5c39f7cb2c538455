#!/usr/bin/env node
// Benchmark: `palisade audit manifests` engine (packages/platform/src/audit) on one core.
// Bundles the engine from source with esbuild, generates N manifests (Deployments, Pods,
// CronJobs, Roles, RoleBindings, Services, NetworkPolicies) as multi-document files of 100
// objects, and measures in a fresh child process per size (2k, 5k, 10k objects):
//   - objects audited per second: read (YAML parse with positions) + every default check;
//   - the physical limit in the same run: YAML parse of the same text (parseAllDocuments +
//     toJS, no checks), and JSON.parse of the same objects as JSON;
//   - peak RSS of the child (process.resourceUsage().maxRSS): results are counted and
//     dropped per file, as the CLI's streaming reader would, so memory should stay flat.
// Prints a table, then the figures as one JSON line (last line).
//
//   node bench/audit.mjs             BENCH_SIZES=2000,5000,10000 (default)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sizes = (process.env.BENCH_SIZES ?? '2000,5000,10000').split(',').map(Number);

if (process.argv[2] === 'child') {
  const [, , , bundle, nArg] = process.argv;
  const n = Number(nArg);
  const { readManifests, compileChecks, auditObject, finishCross } = await import(bundle);
  const { parseAllDocuments } = await import('yaml');
  const kinds = [
    (i) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-${i}
  namespace: ns-${i % 50}
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: web-${i}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{containerPort: 8080}]
          resources: {limits: {cpu: 500m, memory: 256Mi}, requests: {cpu: 100m, memory: 128Mi}}
          securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
        - name: sidecar
          image: busybox
          securityContext: {privileged: ${i % 7 === 0}}
`,
    (i) => `apiVersion: v1
kind: Pod
metadata: {name: pod-${i}, namespace: ns-${i % 50}}
spec:
  hostNetwork: ${i % 3 === 0}
  volumes: [{name: d, hostPath: {path: /var/run/docker.sock}}]
  containers: [{name: c, image: "busybox:1.36", securityContext: {capabilities: {add: [NET_ADMIN]}}}]
`,
    (i) => `apiVersion: batch/v1
kind: CronJob
metadata: {name: job-${i}, namespace: ns-${i % 50}}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: j, image: "alpine:3.20", command: [sh, -c, date]}]
`,
    (i) => `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: role-${i}, namespace: ns-${i % 50}}
rules:
  - apiGroups: [""]
    resources: [pods, pods/exec, secrets]
    verbs: [get, list, create]
`,
    (i) => `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb-${i}, namespace: ns-${i % 50}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${i % 2 ? 'edit' : 'view'}}
subjects: [{kind: ServiceAccount, name: sa-${i}, namespace: ns-${i % 50}}]
`,
    (i) => `apiVersion: v1
kind: Service
metadata: {name: svc-${i}, namespace: ns-${i % 50}}
spec: {selector: {app: web-${i}}, ports: [{port: 80, targetPort: 8080}]}
`,
    (i) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np-${i}, namespace: ns-${i % 50}}
spec: {podSelector: {}, policyTypes: [Ingress]}
`,
  ];
  const files = [];
  for (let f = 0; f < n / 100; f++) {
    const docs = [];
    for (let j = 0; j < 100; j++) {
      const i = f * 100 + j;
      docs.push((kinds[i % kinds.length] ?? kinds[0])(i));
    }
    files.push(docs.join('---\n'));
  }
  const bytes = files.reduce((s, t) => s + t.length, 0);
  // Physical limits: YAML parse of the same text, and JSON.parse of the same objects.
  let t = performance.now();
  const jsonTexts = [];
  for (const text of files) {
    const docs = parseAllDocuments(text);
    jsonTexts.push(JSON.stringify(docs.map((d) => d.toJS())));
  }
  const yamlMs = performance.now() - t;
  t = performance.now();
  let jsonCount = 0;
  for (const j of jsonTexts) jsonCount += JSON.parse(j).length;
  const jsonMs = performance.now() - t;
  // The checks alone, on the already-parsed objects (what `audit cluster` sees from the API).
  const parsed = jsonTexts.flatMap((j) => JSON.parse(j));
  jsonTexts.length = 0;
  const compiledOnly = compileChecks();
  t = performance.now();
  for (const object of parsed) {
    const m = object.metadata ?? {};
    auditObject(compiledOnly, {
      kind: object.kind,
      apiVersion: object.apiVersion,
      name: m.name ?? '',
      namespace: m.namespace ?? '',
      object,
      location: { file: 'bench' },
    });
  }
  finishCross(compiledOnly);
  const checksMs = performance.now() - t;
  parsed.length = 0;
  // The audit: read with positions, every default check, counts only.
  const compiled = compileChecks();
  t = performance.now();
  let objects = 0;
  let failed = 0;
  let evaluated = 0;
  for (const text of files) {
    const { objects: objs } = readManifests(text, 'bench.yaml');
    for (const o of objs) {
      const r = auditObject(compiled, o);
      objects++;
      evaluated += r.results.length;
      for (const c of r.results) if (!c.success) failed++;
    }
  }
  const cross = finishCross(compiled);
  const auditMs = performance.now() - t;
  process.stdout.write(
    JSON.stringify({
      n,
      bytes,
      objects,
      jsonCount,
      evaluated,
      failed,
      crossFailures: cross.length,
      auditMs,
      checksMs,
      yamlMs,
      jsonMs,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
  process.exit(0);
}

const out = await build({
  entryPoints: [join(root, 'packages/platform/src/audit/index.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  write: false,
  external: ['yaml'],
});
const dir = mkdtempSync(join(root, 'node_modules', '.audit-bench-'));
const bundle = join(dir, 'audit.mjs');
writeFileSync(bundle, out.outputFiles[0].text);
const runs = [];
try {
  for (const n of sizes) {
    const text = execFileSync(
      process.execPath,
      [fileURLToPath(import.meta.url), 'child', bundle, String(n)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      },
    );
    runs.push(JSON.parse(text));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const rate = (r, ms) => Math.round((r.objects / ms) * 1000);
console.log(
  'objects  MB    audit obj/s  checks-only obj/s  YAML-parse obj/s  JSON.parse obj/s  audit/YAML  checks run  failed  peak RSS MB',
);
for (const r of runs)
  console.log(
    `${String(r.objects).padStart(7)}  ${(r.bytes / 1e6).toFixed(1).padStart(4)}  ${String(rate(r, r.auditMs)).padStart(11)}  ${String(rate(r, r.checksMs)).padStart(17)}  ${String(rate(r, r.yamlMs)).padStart(16)}  ${String(rate(r, r.jsonMs)).padStart(16)}  ${(r.yamlMs / r.auditMs).toFixed(2).padStart(10)}  ${String(r.evaluated).padStart(10)}  ${String(r.failed).padStart(6)}  ${r.maxRssMb.toFixed(0).padStart(11)}`,
  );
const last = runs[runs.length - 1];
const first = runs[0];
console.log(
  JSON.stringify({
    bench: 'audit',
    objects: last.objects,
    objectsPerSecond: rate(last, last.auditMs),
    yamlParseObjectsPerSecond: rate(last, last.yamlMs),
    jsonParseObjectsPerSecond: rate(last, last.jsonMs),
    checksOnlyObjectsPerSecond: rate(last, last.checksMs),
    auditVsYamlParse: Number((last.yamlMs / last.auditMs).toFixed(3)),
    peakRssMb: Object.fromEntries(runs.map((r) => [r.objects, Number(r.maxRssMb.toFixed(1))])),
    rssGrowthFirstToLast: Number((last.maxRssMb / first.maxRssMb).toFixed(2)),
    targetObjectsPerSecond: 5000,
  }),
);
