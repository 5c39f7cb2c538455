#!/usr/bin/env node
// Benchmark: import of the four real OSV zips (Go, PyPI, crates.io, AlmaLinux) with `palisade db import`,
// then matching of a 10,000-package inventory against that database with the detector
// (packages/platform/dist/scan/detect). Wall time and peak RSS are measured by GNU time for the import;
// matching runs in a child process (fresh store, the scan's own matcher: SQLite lookups and JSON parsing
// included) timed around detectVulnerabilities, median of BENCH_RUNS runs, with the child's
// peak RSS; a cold scan with details (description, references, CWE IDs: what `palisade scan` reads by
// default) is timed the same way in its own fresh children, and `palisade scan sbom` of the same inventory
// written as CycloneDX runs end to end under GNU time (EPSS and KEV beside the database). Each time is given as wall time and as the
// process' CPU time (user + system, which a loaded machine inflates much less), and the cold run also as
// the main thread's CPU time (V8's helper threads — concurrent GC, background compilation — excluded; on an
// idle machine the wall time is close to it),
// with the load average at the end. Beside each cold time, two limits of the machine measured in the same
// run, in fresh child processes like the cold one: the reading floor (the match index rows of the packages
// with advisories read through the store's lookup and all their JSON parsed, nothing else; coldOverFloor = cold wall
// time / that floor) and the cost of a first touch of a fresh memory page, with the page faults the cold
// match took (faultMsEstimate = faults × that cost: on a VM where a fault costs ~15 µs it is half the time).
// Every process runs node with the flags of the CLI's launcher (docs/adr/0019: one V8 helper thread, 4 MiB
// semi-spaces), as `palisade` itself runs; the cold match is also timed with Node's default flags (defaultFlags*), interleaved.
// Prints a summary on stderr, then the figures as one JSON line (last line).
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
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { Buffer } from 'node:buffer';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { palisadeNodeArgs } from '../scripts/palisade-bin.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'packages/platform/dist');
const PACKAGES = 10_000;

if (process.argv[2] === '--child') {
  await child(
    process.argv[3],
    Number(process.argv[4]),
    Number(process.argv[5]),
    process.argv[6],
    process.argv[7],
  );
  process.exit(0);
}
if (process.argv[2] === '--floor') {
  await floor(process.argv[3], Number(process.argv[4]));
  process.exit(0);
}

const shared = process.env.PALISADE_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');
const ecosystems = ['Go', 'PyPI', 'crates.io', 'AlmaLinux'];
const zips = ecosystems.map((e) => join(shared, 'vulndb', 'osv', e, 'all.zip'));
for (const z of zips)
  if (!existsSync(z)) throw new Error(`missing ${z}: check out the repository beside ../shared`);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const hitShares = (process.env.BENCH_HIT_SHARE ?? '0.05,0.2').split(',').map(Number);
// The CLI as its bin runs it: node with the flags of its launcher (docs/adr/0019), and those flags alone: the
// children that time the detector run with them too, as the detector runs inside `palisade scan`.
const palisade = palisadeNodeArgs(join(dist, 'palisade.mjs'));
const cliFlags = palisade.slice(0, -1);
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
    ...palisade,
    'db',
    'import',
    ...zips,
    '--db-path',
    db,
    '--fresh',
    '--quiet',
  ]);
  const dbMiB = Math.round((statSync(db).size / 1024 / 1024) * 10) / 10;
  // EPSS and KEV beside the database, as `palisade db update` leaves them: the end-to-end scan reads them.
  const { enrichmentPath } = await import(pathToFileURL(join(dist, 'scan/enrich/index.js')).href);
  copyFileSync(join(shared, 'vulndb', 'epss', 'epss_scores.csv.gz'), enrichmentPath('epss', dir));
  copyFileSync(
    join(shared, 'vulndb', 'kev', 'known_exploited_vulnerabilities.json'),
    enrichmentPath('kev', dir),
  );
  const matching = [];
  for (const hitShare of hitShares) {
    // This script again (child() or floor()) under GNU time with these node flags: its JSON line, peak RSS.
    const runSelf = (flags, role, ...args) => {
      const m = measure(process.execPath, [
        ...flags,
        fileURLToPath(import.meta.url),
        role,
        db,
        String(hitShare),
        ...args,
      ]);
      return { ...JSON.parse(m.stdout.trim().split('\n').pop()), rssMiB: m.rssMiB };
    };
    const runChildWith = (flags, seed, ...mode) => runSelf(flags, '--child', String(seed), ...mode);
    const runChild = (seed, ...mode) => runChildWith(cliFlags, seed, ...mode);
    const samples = [];
    // Interleaved with the same cold run under Node's default flags (a program that calls the detector as a
    // library, without the CLI's flags), so that both see the same machine.
    const defaults = [];
    for (let i = 0; i < runs; i++) {
      samples.push(runChild(i));
      defaults.push(runChildWith([], i));
    }
    // A cold scan with details, as `palisade scan` runs by default, each in its own fresh process.
    const detailed = [];
    for (let i = 0; i < runs; i++) detailed.push(runChild(i, 'details'));
    if (detailed.some((d) => d.findings !== samples[0].findings))
      throw new Error(`a scan with details found ${detailed.map((d) => d.findings).join(', ')} findings`);
    // End to end: `palisade scan sbom` of the same inventory written as CycloneDX (process start, SBOM
    // reading, matching with details, EPSS and KEV, JSON written to a file), under GNU time.
    const sbom = join(dir, `inventory-${hitShare}.cdx.json`);
    runChild(0, 'sbom', sbom);
    const cli = [];
    const out = join(dir, 'report.json');
    for (let i = 0; i < runs; i++) {
      cli.push(
        measure(process.execPath, [
          ...palisade,
          'scan',
          'sbom',
          sbom,
          '--db-path',
          db,
          '--format',
          'json',
          '--quiet',
          '--output',
          out,
        ]),
      );
      const r = JSON.parse(readFileSync(out, 'utf8'));
      const n = r.results.reduce((k, x) => k + (x.vulnerabilities?.length ?? 0), 0);
      if (n !== samples[0].findings)
        throw new Error(`palisade scan sbom found ${n} findings, the detector ${samples[0].findings}`);
    }
    const floors = [];
    for (let i = 0; i < runs; i++) floors.push(runSelf(cliFlags, '--floor'));
    const found = [...samples, ...defaults].map((s) => s.findings);
    if (new Set(found).size !== 1)
      throw new Error(`runs found different numbers of findings: ${found.join(', ')}`);
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
      defaultFlagsMatchMs: round(median(defaults.map((s) => s.matchMs))),
      defaultFlagsMatchSamplesMs: defaults.map((s) => round(s.matchMs)),
      defaultFlagsMatchMainThreadCpuMs:
        defaults[0].matchMainCpuMs === undefined
          ? undefined
          : round(median(defaults.map((s) => s.matchMainCpuMs))),
      warmMatchMs: round(median(samples.map((s) => s.warmMs))),
      warmCpuMs: round(median(samples.map((s) => s.warmCpuMs))),
      coldWithDetailsMs: round(median(detailed.map((d) => d.ms))),
      coldWithDetailsSamplesMs: detailed.map((d) => round(d.ms)),
      withDetailsMs: round(median(samples.map((s) => s.detailsMs))),
      cliScanSeconds: Math.round(median(cli.map((c) => c.wall)) * 100) / 100,
      cliScanSamplesSeconds: cli.map((c) => c.wall),
      cliScanPeakRssMiB: Math.round(median(cli.map((c) => c.rssMiB))),
      readFloorMs: round(median(floors.map((f) => f.ms))),
      readFloorKiB: Math.round(floors[0].kib),
      coldOverFloor: round(median(samples.map((s) => s.matchMs)) / median(floors.map((f) => f.ms))),
      matchFaults: median(samples.map((s) => s.matchFaults)),
      faultUs: round(median(floors.map((f) => f.faultUs))),
      faultMsEstimate: round(
        (median(samples.map((s) => s.matchFaults)) * median(floors.map((f) => f.faultUs))) / 1000,
      ),
      peakRssMiB: Math.round(median(samples.map((s) => s.rssMiB))),
    };
    matching.push(row);
    process.stderr.write(
      `matching ${PACKAGES} packages, ${row.packagesWithAdvisories} with advisories → ${row.findings} findings: ` +
        `${row.matchMs} ms cold (runs: ${row.matchSamplesMs.join(', ')}; CPU ${row.matchCpuMs} ms, ` +
        `main thread ${row.matchMainThreadCpuMs ?? '?'} ms; node ${cliFlags.join(' ') || '(no flags)'}, as palisade runs), ` +
        `${row.defaultFlagsMatchMs} ms cold with Node's default flags (runs: ${row.defaultFlagsMatchSamplesMs.join(', ')}; ` +
        `main thread ${row.defaultFlagsMatchMainThreadCpuMs ?? '?'} ms), ` +
        `${row.warmMatchMs} ms with a warm matcher (CPU ${row.warmCpuMs} ms), ` +
        `${row.coldWithDetailsMs} ms cold with details (description, references, CWE IDs: palisade scan's default; ` +
        `runs: ${row.coldWithDetailsSamplesMs.join(', ')}), ${row.withDetailsMs} ms with details in the process ` +
        `that ran the others (fresh store and matcher), peak RSS ${row.peakRssMiB} MiB; ` +
        `palisade scan sbom end to end (with details, EPSS and KEV, JSON to a file): ${row.cliScanSeconds} s ` +
        `(runs: ${row.cliScanSamplesSeconds.join(', ')}; peak RSS ${row.cliScanPeakRssMiB} MiB); ` +
        `reading and parsing the ${row.readFloorKiB} KiB of index rows alone: ${row.readFloorMs} ms ` +
        `(cold match = ${row.coldOverFloor}× that floor); the cold match took ${row.matchFaults} page faults, ` +
        `at ${row.faultUs} µs per first touch of a page here ≈ ${row.faultMsEstimate} ms\n`,
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
    nodeFlags: cliFlags,
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
async function child(dbPath, share, seed, mode, sbomPath) {
  const { AdvisoryStore } = await import(pathToFileURL(join(dist, 'scan/db/store.js')).href);
  const { detectVulnerabilities, Matcher, newDetectStats } = await import(
    pathToFileURL(join(dist, 'scan/detect/index.js')).href
  );
  const Database = (await import('better-sqlite3')).default;
  const { names: hitsInOrder, total: nHits } = chooseHits(dbPath, share, Database);
  const chosen = shuffle(hitsInOrder, seed);
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
  if (mode === 'sbom') {
    // The same inventory as a CycloneDX SBOM, for `palisade scan sbom` end to end.
    const { formatInventory } = await import(pathToFileURL(join(dist, 'report/index.js')).href);
    for (const p of alma) p.arch = 'x86_64';
    writeFileSync(sbomPath, formatInventory(inventory, 'cyclonedx'));
    console.log(JSON.stringify({ written: sbomPath }));
    return;
  }
  let store = AdvisoryStore.open(dbPath);
  if (mode === 'details') {
    // Cold with details (palisade scan's default): description, references and CWE IDs of every matched record.
    const t = performance.now();
    const r = detectVulnerabilities(inventory, store);
    const ms = performance.now() - t;
    store.close();
    console.log(
      JSON.stringify({ ms, findings: r.results.reduce((n, x) => n + x.vulnerabilities.length, 0) }),
    );
    return;
  }
  // Cold: a fresh store and the scan's own matcher, as `palisade scan` runs it (SQLite lookups, JSON parsing,
  // no details).
  const stats = newDetectStats();
  const cpuMs = (since) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1000;
  };
  const f0 = minorFaults();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpuMs();
  const report = detectVulnerabilities(inventory, store, { stats, details: false });
  const matchMs = performance.now() - t0;
  const matchCpuMs = cpuMs(c0);
  const matchMainCpuMs = m0 === undefined ? undefined : mainThreadCpuMs() - m0;
  const matchFaults = minorFaults() - f0;
  // Warm: a matcher passed in keeps every package it read; filled by one scan, timed on the next.
  const matcher = new Matcher(store);
  detectVulnerabilities(inventory, store, { matcher, details: false });
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  detectVulnerabilities(inventory, store, { matcher, details: false });
  const warmMs = performance.now() - t1;
  const warmCpuMs = cpuMs(c1);
  store.close();
  // With details, after the runs above (so the code is optimized already): a fresh store and matcher.
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
      matchFaults,
    }),
  );
}

/** Deterministic shuffle (a fixed linear congruential sequence per seed). */
function shuffle(xs, seed) {
  let s = 0x9e3779b9 ^ seed;
  const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  return xs.sort(() => rand() - 0.5);
}

/**
 * The packages with advisories of an inventory: names with advisories at a version inside their first range,
 * read with plain SQL (not the detector), the same ones in every run (chosen with seed 0).
 */
function chooseHits(dbPath, share, Database) {
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
  const total = Math.min(Math.round(PACKAGES * share), hits.length);
  return { names: shuffle(hits, 0).slice(0, total), total };
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

/** Minor page faults of this process so far (/proc/self/stat, field 10), or 0 where there is no /proc. */
function minorFaults() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
  } catch {
    return 0;
  }
}

/**
 * Floor child, a fresh process like the cold run: the match index rows of the same packages with advisories
 * read through the store's own lookup in the detector's batches (AdvisoryStore.packagesAdvisories: the
 * query, name normalization and the entries parsed) and their other JSON columns parsed too (version lists, every finding template),
 * nothing evaluated or built — what any scan of this design reads. Then the cost of a first touch of a page
 * on this machine: 64 MiB of fresh memory written one byte per page.
 */
async function floor(dbPath, share) {
  const Database = (await import('better-sqlite3')).default;
  const { AdvisoryStore } = await import(pathToFileURL(join(dist, 'scan/db/store.js')).href);
  const { names, total } = chooseHits(dbPath, share, Database);
  const byEco = new Map();
  for (const h of names) byEco.set(h.ecosystem, [...(byEco.get(h.ecosystem) ?? []), h.name]);
  const { MATCH_BATCH } = await import(pathToFileURL(join(dist, 'scan/detect/index.js')).href);
  const store = AdvisoryStore.open(dbPath);
  const t0 = performance.now();
  let rows = 0;
  // In the detector's batches, each dropped before the next, as a scan reads them.
  for (const [eco, list] of byEco)
    for (let i = 0; i < list.length; i += MATCH_BATCH)
      for (const pkg of store.packagesAdvisories(eco, list.slice(i, i + MATCH_BATCH)).values()) {
        pkg.versions();
        pkg.expectTemplates(pkg.entries.length);
        rows++;
      }
  const ms = performance.now() - t0;
  store.close();
  const { packageNameNormalizer } = await import(pathToFileURL(join(dist, 'scan/db/normalize.js')).href);
  const kib = kibOfRows(dbPath, byEco, Database, packageNameNormalizer);
  const PAGE = 4096;
  const buf = Buffer.allocUnsafeSlow(64 * 1024 * 1024);
  const t1 = performance.now();
  for (let i = 0; i < buf.length; i += PAGE) buf[i] = 1;
  const faultUs = ((performance.now() - t1) * 1000) / (buf.length / PAGE);
  console.log(JSON.stringify({ ms, kib, rows, packages: total, faultUs }));
}

/** KiB of JSON in the match index rows of these names (after the timing: what the floor read). */
function kibOfRows(dbPath, byEco, Database, packageNameNormalizer) {
  const conn = new Database(dbPath, { readonly: true });
  const q = conn.prepare(
    `SELECT sum(length(entries) + ifnull(length(versions), 0) + length(findings)) FROM match_packages
      WHERE ecosystem = ? AND name = ?`,
  );
  q.pluck(true);
  let bytes = 0;
  for (const [eco, list] of byEco) {
    const normalize = packageNameNormalizer(eco);
    for (const n of list) bytes += q.get(eco, normalize(n)) ?? 0;
  }
  conn.close();
  return bytes / 1024;
}
