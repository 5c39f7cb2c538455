#!/usr/bin/env node
// Benchmark: loading FIRST's EPSS scores (../shared/data/vulndb/epss/epss_scores.csv.gz, ~360k rows), which
// `palisade scan` does for every scan that has findings once `palisade db update` has fetched the file, and
// the CISA KEV catalogue beside it. Each load runs in a fresh child process (as a scan does it once), timed
// around readEpss / readKev (packages/platform/dist/scan/enrich), median of BENCH_RUNS runs.
// Physical limit measured in the same run, in fresh children too: gunzip of the same file alone
// (zlib.gunzipSync, no parsing): epssOverGunzip = load time / that.
// Prints a summary on stderr, then the figures as one JSON line (last line).
//
//   npm run bench:enrich
//   BENCH_RUNS=9 npm run bench:enrich
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'packages/platform/dist');
const shared = process.env.PALISADE_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');
const EPSS = join(shared, 'vulndb', 'epss', 'epss_scores.csv.gz');
const KEV = join(shared, 'vulndb', 'kev', 'known_exploited_vulnerabilities.json');
/* global performance */

if (process.argv[2] === '--child') {
  const what = process.argv[3];
  // The module is loaded before the clock starts (a scan has loaded it long before).
  const { readEpss, readKev } = await import(pathToFileURL(join(dist, 'scan/enrich/index.js')).href);
  const t = performance.now();
  let rows;
  if (what === 'gunzip') rows = gunzipSync(readFileSync(EPSS)).length;
  else rows = what === 'epss' ? (await readEpss(EPSS)).table.size : (await readKev(KEV)).table.size;
  const ms = performance.now() - t;
  console.log(JSON.stringify({ ms, rows, rssMiB: process.memoryUsage().rss / 2 ** 20 }));
  process.exit(0);
}

for (const f of [EPSS, KEV])
  if (!existsSync(f)) throw new Error(`missing ${f}: check out ../shared beside the repo`);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x) => Math.round(x * 10) / 10;

function child(what) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', what], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const samples = { epss: [], kev: [], gunzip: [] };
// Interleaved, so a change of machine load touches all three alike.
for (let i = 0; i < runs; i++) for (const what of Object.keys(samples)) samples[what].push(child(what));
const ms = (what) => round(median(samples[what].map((s) => s.ms)));
const result = {
  bench: 'enrich',
  runs,
  epssRows: samples.epss[0].rows,
  epssMs: ms('epss'),
  epssSamplesMs: samples.epss.map((s) => round(s.ms)),
  epssPeakRssMiB: Math.round(median(samples.epss.map((s) => s.rssMiB))),
  gunzipMs: ms('gunzip'),
  gunzipBytes: samples.gunzip[0].rows,
  epssOverGunzip: round(ms('epss') / ms('gunzip')),
  kevEntries: samples.kev[0].rows,
  kevMs: ms('kev'),
  node: process.version,
  loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
};
process.stderr.write(
  `EPSS: ${result.epssRows} rows in ${result.epssMs} ms (runs: ${result.epssSamplesMs.join(', ')}; ` +
    `RSS ${result.epssPeakRssMiB} MiB); gunzip of the same file alone: ${result.gunzipMs} ms ` +
    `(${(result.gunzipBytes / 2 ** 20).toFixed(1)} MiB) → load = ${result.epssOverGunzip}× gunzip; ` +
    `KEV: ${result.kevEntries} entries in ${result.kevMs} ms\n`,
);
console.log(JSON.stringify(result));
