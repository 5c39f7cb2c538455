#!/usr/bin/env node
// `npm run cluster:up`: starts the test cluster (etcd + kube-apiserver on 127.0.0.1, the same
// setup as packages/platform/src/testing/cluster.ts) in the background for manual work, and
// prints the admin kubeconfig's path as its LAST line:
//
//   export KUBECONFIG=$(npm run -s cluster:up | tail -1)
//   kubectl get ns            # any kubectl; none is shipped
//   npm run cluster:down
//
// Builds the binaries first when they are not cached (scripts/k8s/build.sh, ~10 min cold).
// State lives in ${PALISADE_CLUSTER_DIR:-~/.cache/palisade/cluster}: state.json, etcd.pid,
// kube-apiserver.pid, and run/ (certificates, etcd data, logs, admin.kubeconfig).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { isAlive, stateDir } from './cluster-state.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = stateDir(homedir(), process.env.PALISADE_CLUSTER_DIR);
const statePath = join(dir, 'state.json');

if (existsSync(statePath)) {
  const state = JSON.parse(readFileSync(statePath, 'utf8'));
  if (isAlive(state.pids.etcd, 'etcd') && isAlive(state.pids.apiserver, 'kube-apiserver')) {
    console.error(`cluster already running at ${state.server} (npm run cluster:down stops it)`);
    console.log(state.kubeconfigPath);
    process.exit(0);
  }
  console.error('a previous cluster is gone or half-running; cleaning it up (npm run cluster:down)');
  execFileSync(process.execPath, [join(root, 'scripts/cluster-down.mjs')], { stdio: ['ignore', 2, 2] });
}

// Binaries: build or reuse (prints "building …" on stderr only when it builds).
const out = execFileSync('bash', [join(root, 'scripts/k8s/build.sh')], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
const paths = Object.fromEntries(
  out
    .trim()
    .split('\n')
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

// The helper is TypeScript; esbuild turns it into one ESM file without a full project build.
mkdirSync(dir, { recursive: true });
const helper = join(dir, 'cluster-helper.mjs');
await build({
  entryPoints: [join(root, 'packages/platform/src/testing/cluster.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: helper,
  logLevel: 'error',
});
const { startTestCluster } = await import(pathToFileURL(helper).href);

const workDir = join(dir, 'run');
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
const cluster = await startTestCluster({
  workDir,
  detached: true,
  binaries: { kubeApiserver: paths['kube-apiserver'], etcd: paths.etcd },
});
const pids = cluster.pids();
writeFileSync(join(dir, 'etcd.pid'), `${pids.etcd}\n`);
writeFileSync(join(dir, 'kube-apiserver.pid'), `${pids.apiserver}\n`);
writeFileSync(
  statePath,
  JSON.stringify(
    {
      server: cluster.server,
      etcdUrl: cluster.etcdUrl,
      kubeconfigPath: cluster.kubeconfigPath,
      workDir,
      pids,
      binaries: paths,
      startedAt: new Date().toISOString(),
      timings: cluster.timings,
    },
    null,
    2,
  ) + '\n',
);
console.error(
  `cluster up: ${cluster.server} (etcd ${cluster.etcdUrl}) in ${cluster.timings.totalMs} ms; ` +
    `logs in ${workDir}; stop with npm run cluster:down`,
);
console.log(cluster.kubeconfigPath);
