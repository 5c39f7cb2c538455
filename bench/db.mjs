#!/usr/bin/env node
// Benchmark: `palisade db import` of the four real OSV zips in ../shared/data/vulndb/osv (Go, PyPI,
// crates.io, AlmaLinux: ~18k records) into a fresh database, wall time and peak RSS measured by GNU
// time, median of BENCH_RUNS runs, with the CPU time (user + system: less inflated by a loaded machine
// than the wall time) and the load average. Prints a table, then the figures as one JSON line (last line).
//
//   npm run bench:db                  (3 runs)
//   BENCH_RUNS=5 npm run bench:db
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { palisadeNodeArgs } from '../scripts/palisade-bin.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.PALISADE_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');
const ecosystems = ['Go', 'PyPI', 'crates.io', 'AlmaLinux'];
const zips = ecosystems.map((e) => join(shared, 'vulndb', 'osv', e, 'all.zip'));
for (const z of zips)
  if (!existsSync(z)) throw new Error(`missing ${z}: check out the repository beside ../shared`);
const runs = Number(process.env.BENCH_RUNS ?? 3);
// The CLI as its bin runs it: node with the flags of its launcher (docs/adr/0019).
const palisade = palisadeNodeArgs(join(root, 'packages/platform/dist/palisade.mjs'));
const TIME = '/usr/bin/time';
if (!existsSync(TIME)) throw new Error('GNU time (/usr/bin/time) is needed: apt-get install -y time');

/** Runs a command under GNU time; returns wall seconds, peak RSS in MiB and stdout. */
function measure(cmd, args) {
  const r = spawnSync(TIME, ['-f', '%e %M %U %S', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [wall, kb, user, sys] = last.split(' ').map(Number);
  return { wall, cpu: Math.round((user + sys) * 100) / 100, rssMiB: kb / 1024, stdout: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const samples = [];
let last;
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-db-'));
  const db = join(dir, 'osv.sqlite');
  try {
    const m = measure(process.execPath, [
      ...palisade,
      'db',
      'import',
      ...zips,
      '--db-path',
      db,
      '--fresh',
      '--quiet',
      '--format',
      'json',
    ]);
    last = { ...JSON.parse(m.stdout), bytes: statSync(db).size };
    samples.push(m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const records = last.sources.reduce((n, s) => n + s.entries, 0);
const result = {
  bench: 'db-import',
  zips: ecosystems,
  records,
  advisories: last.advisories,
  affected: last.affected,
  aliasGroups: last.aliasGroups,
  dbMiB: Math.round((last.bytes / 1024 / 1024) * 10) / 10,
  runs,
  wallSeconds: median(samples.map((s) => s.wall)),
  cpuSeconds: median(samples.map((s) => s.cpu)),
  peakRssMiB: Math.round(median(samples.map((s) => s.rssMiB))),
  samples: samples.map((s) => s.wall),
  node: process.version,
  loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
};
process.stderr.write(
  `db import of ${ecosystems.join(', ')} (${records} records → ${result.advisories} advisories, ${result.dbMiB} MiB)\n` +
    `  wall ${result.wallSeconds.toFixed(2)} s   CPU ${result.cpuSeconds.toFixed(2)} s   peak RSS ${result.peakRssMiB} MiB   (runs: ${result.samples.join(', ')})\n`,
);
console.log(JSON.stringify(result));
