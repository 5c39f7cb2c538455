#!/usr/bin/env node
// `npm run cluster:down`: stops the cluster that `npm run cluster:up` started (SIGTERM, SIGKILL
// after 10 s) and removes its state directory's run/ folder and pid files.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, stateDir } from './cluster-state.mjs';

const dir = stateDir(homedir(), process.env.PALISADE_CLUSTER_DIR);
const statePath = join(dir, 'state.json');

function readPid(file) {
  try {
    return Number(readFileSync(join(dir, file), 'utf8').trim());
  } catch {
    return 0;
  }
}

let state;
if (existsSync(statePath)) state = JSON.parse(readFileSync(statePath, 'utf8'));
const targets = [
  ['kube-apiserver', state?.pids?.apiserver ?? readPid('kube-apiserver.pid')],
  ['etcd', state?.pids?.etcd ?? readPid('etcd.pid')],
];

let stopped = 0;
// The apiserver first, then etcd, each given time to exit cleanly.
for (const [name, pid] of targets) {
  if (!isAlive(pid, name)) continue;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (isAlive(pid, name) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid, name)) process.kill(pid, 'SIGKILL');
  stopped++;
}
rmSync(join(dir, 'run'), { recursive: true, force: true });
for (const f of ['state.json', 'etcd.pid', 'kube-apiserver.pid', 'cluster-helper.mjs'])
  rmSync(join(dir, f), { force: true });
console.log(stopped ? `cluster stopped (${stopped} processes)` : 'no cluster was running');
