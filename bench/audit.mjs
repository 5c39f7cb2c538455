#!/usr/bin/env node
// Benchmark: `palisade audit manifests` (packages/platform/src/audit) on one core.
// Bundles the engine from source with esbuild and generates N manifests (Deployments, Pods,
// CronJobs, Roles, RoleBindings, Services, NetworkPolicies) as multi-document files of 100
// objects. Every measurement runs in a fresh child process pinned to CPU 0 (`taskset -c 0`
// when present), BENCH_RUNS times (default 3), and the best rate is kept. Rates are objects
// per CPU second of the child (process.cpuUsage, user + system of all its threads, on the one
// core), so other work on a shared machine does not count; the audit's wall-clock rate is
// shown beside it:
//   - audit: read (fast reader: js-yaml with recorded lines) + every default check + the
//     cross-object check, results counted and dropped per file. Files are generated one at a
//     time outside the timed part and dropped after, so peak RSS shows what the audit holds
//     (the largest of the runs is reported);
//   - audit with the reference reader (`parser: 'yaml'`, the `yaml` library's Document);
//   - in a separate child, on the same texts: the checks alone on parsed objects (what
//     `audit cluster` sees from the API), bare `yaml` parse (parseAllDocuments + toJS), bare
//     js-yaml parse (loadAll, core schema), and JSON.parse of the same objects.
// Prints the machine load (uptime) before and after, a table, then the figures as one JSON
// line (last line).
//
//   node bench/audit.mjs      BENCH_SIZES=2000,5000,10000 (default)  BENCH_RUNS=3
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sizes = (process.env.BENCH_SIZES ?? '2000,5000,10000').split(',').map(Number);
const runsPerSize = Number(process.env.BENCH_RUNS ?? 3);

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

/** CPU time (user + system, all threads) since `c0`, in ms. */
function cpuSince(c0) {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
}

/** The text of file `f` (objects f*100 … f*100+99). */
function fileText(f) {
  const docs = [];
  for (let j = 0; j < 100; j++) {
    const i = f * 100 + j;
    docs.push((kinds[i % kinds.length] ?? kinds[0])(i));
  }
  return docs.join('---\n');
}

if (process.argv[2] === 'audit') {
  // One audit of n objects; `parser` is 'auto' (the default reader) or 'yaml'.
  const [, , , bundle, nArg, parser] = process.argv;
  const n = Number(nArg);
  const { readManifests, compileChecks, auditObject, finishCross } = await import(bundle);
  const compiled = compileChecks();
  let ms = 0;
  let cpuMs = 0;
  let objects = 0;
  let failed = 0;
  let evaluated = 0;
  let diagnostics = 0;
  let bytes = 0;
  for (let f = 0; f < n / 100; f++) {
    const text = fileText(f);
    bytes += text.length;
    const t = performance.now();
    const c0 = process.cpuUsage();
    const r = readManifests(text, `bench-${f}.yaml`, { parser });
    diagnostics += r.diagnostics.items.length;
    for (const o of r.objects) {
      const res = auditObject(compiled, o);
      objects++;
      evaluated += res.results.length;
      for (const c of res.results) if (!c.success) failed++;
    }
    ms += performance.now() - t;
    cpuMs += cpuSince(c0);
  }
  const t = performance.now();
  const c0 = process.cpuUsage();
  const cross = finishCross(compiled);
  ms += performance.now() - t;
  cpuMs += cpuSince(c0);
  process.stdout.write(
    JSON.stringify({
      n,
      bytes,
      objects,
      evaluated,
      failed,
      diagnostics,
      crossFailures: cross.length,
      ms,
      cpuMs,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
  process.exit(0);
}

if (process.argv[2] === 'refs') {
  // The physical references, on the same texts, held in memory.
  const [, , , bundle, nArg] = process.argv;
  const n = Number(nArg);
  const { compileChecks, auditObject, finishCross } = await import(bundle);
  const { parseAllDocuments } = await import('yaml');
  const jsyaml = (await import('js-yaml')).default;
  const files = [];
  for (let f = 0; f < n / 100; f++) files.push(fileText(f));
  let c0 = process.cpuUsage();
  let yamlCount = 0;
  for (const text of files) for (const d of parseAllDocuments(text)) if (d.toJS()) yamlCount++;
  const yamlMs = cpuSince(c0);
  const jsonTexts = [];
  let jsYamlCount = 0;
  let jsYamlMs = 0;
  for (const text of files) {
    c0 = process.cpuUsage();
    const docs = jsyaml.loadAll(text, null, { schema: jsyaml.CORE_SCHEMA });
    jsYamlMs += cpuSince(c0);
    jsYamlCount += docs.length;
    jsonTexts.push(JSON.stringify(docs));
  }
  c0 = process.cpuUsage();
  let jsonCount = 0;
  for (const j of jsonTexts) jsonCount += JSON.parse(j).length;
  const jsonMs = cpuSince(c0);
  const parsed = jsonTexts.flatMap((j) => JSON.parse(j));
  const compiled = compileChecks();
  c0 = process.cpuUsage();
  for (const object of parsed) {
    const m = object.metadata ?? {};
    auditObject(compiled, {
      kind: object.kind,
      apiVersion: object.apiVersion,
      name: m.name ?? '',
      namespace: m.namespace ?? '',
      object,
      location: { file: 'bench' },
    });
  }
  finishCross(compiled);
  const checksMs = cpuSince(c0);
  process.stdout.write(
    JSON.stringify({ n, yamlCount, jsYamlCount, jsonCount, yamlMs, jsYamlMs, jsonMs, checksMs }),
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
  external: ['yaml', 'js-yaml'],
});
const dir = mkdtempSync(join(root, 'node_modules', '.audit-bench-'));
const bundle = join(dir, 'audit.mjs');
writeFileSync(bundle, out.outputFiles[0].text);
const pinned = existsSync('/usr/bin/taskset') || existsSync('/bin/taskset');
const child = (args) => {
  const argv = [fileURLToPath(import.meta.url), ...args];
  const text = pinned
    ? execFileSync('taskset', ['-c', '0', process.execPath, ...argv], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      })
    : execFileSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(text);
};
const load = () => loadavg().map((x) => Number(x.toFixed(2)));
const loadBefore = load();
console.log(
  `load average before: ${loadBefore.join(' ')} (${pinned ? 'pinned to CPU 0' : 'not pinned: no taskset'})`,
);
const results = [];
try {
  for (const n of sizes) {
    const audits = [];
    const refAudits = [];
    const refs = [];
    for (let r = 0; r < runsPerSize; r++) {
      audits.push(child(['audit', bundle, String(n), 'auto']));
      refAudits.push(child(['audit', bundle, String(n), 'yaml']));
      refs.push(child(['refs', bundle, String(n)]));
    }
    const best = (list, key) => list.reduce((a, b) => (b[key] < a[key] ? b : a));
    const a = best(audits, 'cpuMs');
    const ra = best(refAudits, 'cpuMs');
    const aw = best(audits, 'ms');
    if (ra.objects !== a.objects || ra.failed !== a.failed || ra.evaluated !== a.evaluated)
      throw new Error(`the two readers disagree at ${n}: ${JSON.stringify({ a, ra })}`);
    const rate = (ms) => Math.round((a.objects / ms) * 1000);
    results.push({
      objects: a.objects,
      mb: Number((a.bytes / 1e6).toFixed(2)),
      evaluated: a.evaluated,
      failed: a.failed,
      diagnostics: a.diagnostics,
      audit: rate(a.cpuMs),
      auditWall: rate(aw.ms),
      auditReferenceReader: rate(ra.cpuMs),
      checksOnly: rate(best(refs, 'checksMs').checksMs),
      yamlParse: rate(best(refs, 'yamlMs').yamlMs),
      jsYamlParse: rate(best(refs, 'jsYamlMs').jsYamlMs),
      jsonParse: rate(best(refs, 'jsonMs').jsonMs),
      peakRssMb: Number(Math.max(...audits.map((x) => x.maxRssMb)).toFixed(1)),
      peakRssMbReferenceReader: Number(Math.max(...refAudits.map((x) => x.maxRssMb)).toFixed(1)),
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const loadAfter = load();
console.log(
  `load average after: ${loadAfter.join(' ')}; best of ${runsPerSize} runs per figure; ` +
    'obj/s = objects per CPU second of the process (user + system), wall time shown for the audit',
);
const cols = [
  ['objects', 'objects'],
  ['MB', 'mb'],
  ['audit obj/s', 'audit'],
  ['audit obj/s (wall)', 'auditWall'],
  ['audit (yaml reader) obj/s', 'auditReferenceReader'],
  ['checks only obj/s', 'checksOnly'],
  ['yaml parse obj/s', 'yamlParse'],
  ['js-yaml parse obj/s', 'jsYamlParse'],
  ['JSON.parse obj/s', 'jsonParse'],
  ['checks run', 'evaluated'],
  ['failed', 'failed'],
  ['peak RSS MB', 'peakRssMb'],
  ['peak RSS MB (yaml reader)', 'peakRssMbReferenceReader'],
];
console.log(cols.map(([h]) => h).join('  '));
for (const r of results) console.log(cols.map(([h, k]) => String(r[k]).padStart(h.length)).join('  '));
const last = results[results.length - 1];
const first = results[0];
console.log(
  JSON.stringify({
    bench: 'audit',
    objects: last.objects,
    objectsPerSecond: last.audit,
    objectsPerWallSecond: last.auditWall,
    referenceReaderObjectsPerSecond: last.auditReferenceReader,
    checksOnlyObjectsPerSecond: last.checksOnly,
    yamlParseObjectsPerSecond: last.yamlParse,
    jsYamlParseObjectsPerSecond: last.jsYamlParse,
    jsonParseObjectsPerSecond: last.jsonParse,
    peakRssMb: Object.fromEntries(results.map((r) => [r.objects, r.peakRssMb])),
    rssGrowthFirstToLast: Number((last.peakRssMb / first.peakRssMb).toFixed(2)),
    oneCore: pinned,
    runs: runsPerSize,
    loadAverage: { before: loadBefore, after: loadAfter },
    targetObjectsPerSecond: 5000,
    targetMet: results.every((r) => r.audit >= 5000),
  }),
);
