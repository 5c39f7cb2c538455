#!/usr/bin/env node
// Benchmark: import of the four real OSV zips (Go, PyPI, crates.io, AlmaLinux) with `palisade db import`,
// then matching of a 10,000-package inventory against that database with the detector
// (packages/platform/dist/scan/detect). Wall time and peak RSS are measured by GNU time for the import;
// matching runs in a child process (fresh store, fresh matcher: SQLite lookups, JSON parsing and range
// compilation included) timed around detectVulnerabilities, median of BENCH_RUNS runs, with the child's
// peak RSS. Each time is given as wall time and as the process' CPU time (user + system, which a loaded
// machine inflates much less), and the cold run also as the main thread's CPU time (V8's helper threads —
// concurrent GC, background compilation — excluded; on an idle machine the wall time is close to it),
// with the load average at the end. Prints a summary on stderr, then the figures as one JSON line (last line).
//
// The inventory: 10,000 packages in four lockfile results (npm-style names are not in these zips, so the
// ecosystems are Go, PyPI, crates.io and an AlmaLinux 8 OS result). BENCH_HIT_SHARE of them (default: two
// inventories, 5% and 20%) are names that have advisories, at a version inside their first affected range
// (so most of their advisories apply); the rest are names with no advisory (most packages of a real
// project). BENCH_HIT_SHARE=1 measures the worst case, every package having advisories.
//
//   npm run bench:match
//   BENCH_RUNS=5 BENCH_HIT_SHARE=0.01,1 npm run bench:match
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'packages/platform/dist');
const PACKAGES = 10_000;

if (process.argv[2] === '--child') {
  await child(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
  process.exit(0);
}

const shared = process.env.PALISADE_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');
const ecosystems = ['Go', 'PyPI', 'crates.io', 'AlmaLinux'];
const zips = ecosystems.map((e) => join(shared, 'vulndb', 'osv', e, 'all.zip'));
for (const z of zips)
  if (!existsSync(z)) throw new Error(`missing ${z}: check out the repository beside ../shared`);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const hitShares = (process.env.BENCH_HIT_SHARE ?? '0.05,0.2').split(',').map(Number);
const palisade = join(dist, 'palisade.mjs');
/* global performance */
const TIME = '/usr/bin/time';
if (!existsSync(TIME)) throw new Error('GNU time (/usr/bin/time) is needed: apt-get install -y time');

function measure(cmd, args) {
  const r = spawnSync(TIME, ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [wall, kb] = last.split(' ').map(Number);
  return { wall, rssMiB: kb / 1024, stdout: r.stdout };
}

const round = (x) => Math.round(x * 10) / 10;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-match-'));
const db = join(dir, 'osv.sqlite');
try {
  const imp = measure(process.execPath, [
    palisade,
    'db',
    'import',
    ...zips,
    '--db-path',
    db,
    '--fresh',
    '--quiet',
  ]);
  const dbMiB = Math.round((statSync(db).size / 1024 / 1024) * 10) / 10;
  const matching = [];
  for (const hitShare of hitShares) {
    const samples = [];
    for (let i = 0; i < runs; i++) {
      const m = measure(process.execPath, [
        fileURLToPath(import.meta.url),
        '--child',
        db,
        String(hitShare),
        String(i),
      ]);
      samples.push({ ...JSON.parse(m.stdout.trim().split('\n').pop()), rssMiB: m.rssMiB });
    }
    if (new Set(samples.map((s) => s.findings)).size !== 1)
      throw new Error(
        `runs found different numbers of findings: ${samples.map((s) => s.findings).join(', ')}`,
      );
    const row = {
      hitShare,
      packagesWithAdvisories: samples[0].withAdvisories,
      findings: samples[0].findings,
      matchMs: round(median(samples.map((s) => s.matchMs))),
      matchSamplesMs: samples.map((s) => round(s.matchMs)),
      matchCpuMs: round(median(samples.map((s) => s.matchCpuMs))),
      matchMainThreadCpuMs:
        samples[0].matchMainCpuMs === undefined
          ? undefined
          : round(median(samples.map((s) => s.matchMainCpuMs))),
      warmMatchMs: round(median(samples.map((s) => s.warmMs))),
      warmCpuMs: round(median(samples.map((s) => s.warmCpuMs))),
      withDetailsMs: round(median(samples.map((s) => s.detailsMs))),
      peakRssMiB: Math.round(median(samples.map((s) => s.rssMiB))),
    };
    matching.push(row);
    process.stderr.write(
      `matching ${PACKAGES} packages, ${row.packagesWithAdvisories} with advisories → ${row.findings} findings: ` +
        `${row.matchMs} ms cold (runs: ${row.matchSamplesMs.join(', ')}; CPU ${row.matchCpuMs} ms, ` +
        `main thread ${row.matchMainThreadCpuMs ?? '?'} ms), ` +
        `${row.warmMatchMs} ms with a warm matcher (CPU ${row.warmCpuMs} ms), ` +
        `${row.withDetailsMs} ms cold with details (description, references), peak RSS ${row.peakRssMiB} MiB\n`,
    );
  }
  const result = {
    bench: 'match',
    zips: ecosystems,
    importWallSeconds: imp.wall,
    importPeakRssMiB: Math.round(imp.rssMiB),
    dbMiB,
    packages: PACKAGES,
    runs,
    matching,
    node: process.version,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  process.stderr.write(
    `db import of ${ecosystems.join(', ')}: wall ${imp.wall.toFixed(2)} s, peak RSS ${result.importPeakRssMiB} MiB, ${dbMiB} MiB file\n`,
  );
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Child: builds the inventory from the database, then times detection. */
async function child(dbPath, share, seed) {
  const { AdvisoryStore } = await import(pathToFileURL(join(dist, 'scan/db/store.js')).href);
  const { detectVulnerabilities, Matcher, newDetectStats } = await import(
    pathToFileURL(join(dist, 'scan/detect/index.js')).href
  );
  const Database = (await import('better-sqlite3')).default;
  // Names with advisories and a version inside their first range, read with plain SQL (not the detector).
  const raw = new Database(dbPath, { readonly: true });
  const rows = raw
    .prepare(
      `SELECT ecosystem, package, ranges FROM affected WHERE withdrawn = 0 AND ranges IS NOT NULL
         AND ecosystem IN ('Go', 'PyPI', 'crates.io', 'AlmaLinux:8') GROUP BY ecosystem, name ORDER BY ecosystem, name`,
    )
    .all();
  raw.close();
  const hits = [];
  for (const r of rows) {
    const range = JSON.parse(r.ranges).find((x) => x.type !== 'GIT');
    const fixed = range?.events.find((e) => e.fixed)?.fixed;
    const intro = range?.events.find((e) => e.introduced && e.introduced !== '0')?.introduced;
    const version =
      intro ?? (r.ecosystem.startsWith('AlmaLinux') ? '0:0-0' : r.ecosystem === 'Go' ? 'v0.0.1' : '0.0.1');
    if (fixed || intro) hits.push({ ecosystem: r.ecosystem, name: r.package, version });
  }
  // Deterministic shuffles: the packages with advisories are the same in every run (chosen with seed 0),
  // their order differs by run.
  const shuffle = (xs, seed) => {
    let s = 0x9e3779b9 ^ seed;
    const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
    return xs.sort(() => rand() - 0.5);
  };
  const nHits = Math.min(Math.round(PACKAGES * share), hits.length);
  const chosen = shuffle(shuffle(hits, 0).slice(0, nHits), seed);
  const byEco = new Map([
    ['Go', []],
    ['PyPI', []],
    ['crates.io', []],
    ['AlmaLinux:8', []],
  ]);
  for (const h of chosen) byEco.get(h.ecosystem).push({ name: h.name, version: h.version });
  const ecos = [...byEco.keys()];
  for (let i = 0; nHits + i < PACKAGES; i++) {
    const eco = ecos[i % ecos.length];
    byEco.get(eco).push({ name: `bench-no-advisory-${i}`, version: eco === 'Go' ? 'v1.0.0' : '1.0.0' });
  }
  const alma = byEco.get('AlmaLinux:8').map((p) => {
    const m = /^(?:(\d+):)?(.*?)(?:-([^-]*))?$/.exec(p.version);
    return {
      name: p.name,
      version: m[2],
      ...(m[3] ? { release: m[3] } : {}),
      ...(m[1] ? { epoch: Number(m[1]) } : {}),
    };
  });
  const inventory = {
    schemaVersion: 1,
    createdAt: new Date().toISOString(),
    artifact: { name: 'bench', type: 'container_image' },
    os: { family: 'alma', name: '8.9' },
    results: [
      { target: 'bench (alma 8.9)', class: 'os-pkgs', type: 'alma', packages: alma },
      { target: 'go.mod', class: 'lang-pkgs', type: 'gomod', packages: byEco.get('Go') },
      { target: 'requirements.txt', class: 'lang-pkgs', type: 'pip', packages: byEco.get('PyPI') },
      { target: 'Cargo.lock', class: 'lang-pkgs', type: 'cargo', packages: byEco.get('crates.io') },
    ],
    diagnostics: [],
  };
  // Cold: a fresh store and matcher (SQLite lookups, JSON parsing, range compilation), no details.
  let store = AdvisoryStore.open(dbPath);
  const matcher = new Matcher(store);
  const stats = newDetectStats();
  const cpuMs = (since) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1000;
  };
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpuMs();
  const report = detectVulnerabilities(inventory, store, { matcher, stats, details: false });
  const matchMs = performance.now() - t0;
  const matchCpuMs = cpuMs(c0);
  const matchMainCpuMs = m0 === undefined ? undefined : mainThreadCpuMs() - m0;
  // Warm: the same matcher again (compiled ranges cached).
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  detectVulnerabilities(inventory, store, { matcher, details: false });
  const warmMs = performance.now() - t1;
  const warmCpuMs = cpuMs(c1);
  store.close();
  // Cold with details: every matched advisory read in full for description and references.
  store = AdvisoryStore.open(dbPath);
  const t2 = performance.now();
  detectVulnerabilities(inventory, store);
  const detailsMs = performance.now() - t2;
  store.close();
  const findings = report.results.reduce((n, r) => n + r.vulnerabilities.length, 0);
  if (stats.packages !== PACKAGES) throw new Error(`inventory has ${stats.packages} packages`);
  console.log(
    JSON.stringify({
      matchMs,
      matchCpuMs,
      matchMainCpuMs,
      warmMs,
      warmCpuMs,
      detailsMs,
      findings,
      withAdvisories: nHits,
    }),
  );
}

/**
 * CPU time of the calling thread (Linux: /proc/thread-self/schedstat, nanoseconds on CPU), or undefined.
 * The process' CPU time also counts V8's helper threads (concurrent GC marking, background compilation),
 * which on an idle machine run beside the main thread; the main thread's time is what bounds the wall time.
 */
function mainThreadCpuMs() {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}
