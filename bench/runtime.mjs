#!/usr/bin/env node
// Benchmark: the Falco-compatible runtime engine (packages/platform/src/runtime) on one core.
// Bundles the engine from source with esbuild (no full build needed). Loads the current upstream
// k8s audit rules (../shared/data/conformance/falco/k8saudit/k8s_audit_rules.yaml) and streams the
// Falco k8s audit fixture traces, as JSON lines, repeated to at least BENCH_EVENTS events (default
// 1,000,000). The stream is a sequence of chunks of whole repetitions of the traces (≈4,100 lines, as
// a webhook batch or a file read would deliver them); one chunk text serves every chunk, so memory
// stays flat and no phase holds more than one decoded event at a time. Measured in the same run:
//   - JSON.parse only: every line of every chunk sliced out and JSON.parse'd (the floor every event
//     must pass through). Two variants, lines sliced from the chunk text and lines pre-split once;
//     the faster one is the reference;
//   - decode: streamAuditEvents (bounds checks + JSON.parse + event objects), events dropped;
//   - full: decode + evaluation through the whole rule set (first match wins, as Falco) + Falco's
//     JSON alert line for every match.
// Each phase runs BENCH_RUNS times (default 3), interleaved; the best run counts (the machine is
// shared). Prints a table, then the figures as one JSON line (last line).
//
//   npm run bench:runtime
//   BENCH_EVENTS=200000 BENCH_RUNS=1 node bench/runtime.mjs
import { build } from 'esbuild';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import process from 'node:process';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.PALISADE_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');
const target = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const loadStart = loadavg();

const out = await build({
  entryPoints: [join(root, 'packages/platform/src/runtime/index.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  write: false,
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
const dir = mkdtempSync(join(tmpdir(), 'runtime-bench-'));
const file = join(dir, 'runtime.mjs');
writeFileSync(file, out.outputFiles[0].text);
const rt = await import(pathToFileURL(file).href);
rmSync(dir, { recursive: true, force: true });

const falco = join(shared, 'conformance', 'falco');
const rulesPath = join(falco, 'k8saudit', 'k8s_audit_rules.yaml');
const t0 = performance.now();
const loaded = rt.loadRules([{ name: rulesPath, content: readFileSync(rulesPath, 'utf8') }]);
const loadMs = performance.now() - t0;
if (!loaded.ok) throw new Error('rules failed to load');

const traceDir = join(falco, 'k8saudit-fixtures', 'trace_files');
const base = [];
for (const f of readdirSync(traceDir).sort())
  for (const line of readFileSync(join(traceDir, f), 'utf8').split('\n'))
    if (line.trim()) base.push(line.trim());

const reps = Math.ceil(4096 / base.length);
const chunkLines = [];
for (let i = 0; i < reps; i++) chunkLines.push(...base);
const chunkText = chunkLines.join('\n');
const perChunk = chunkLines.length;
const chunks = Math.ceil(target / perChunk);
const events = chunks * perChunk;
const bytes = chunks * (Buffer.byteLength(chunkText) + 1);

function parseSliced(text) {
  let n = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (JSON.parse(text.slice(start, end))) n++;
    start = end + 1;
  }
  return n;
}
function parseSplit(lines) {
  let n = 0;
  for (const l of lines) if (JSON.parse(l)) n++;
  return n;
}
const noop = () => {};
function decode(text) {
  return rt.streamAuditEvents(text, noop).events;
}
const engine = new rt.Engine(loaded.rules, { sources: ['k8s_audit'], hostname: 'bench' });
let alerts = 0;
let alertBytes = 0;
function onEvent(ev) {
  for (const m of engine.process(ev)) {
    alertBytes += rt.alertJson(engine.alert(m)).length;
    alerts++;
  }
}
function full(text) {
  return rt.streamAuditEvents(text, onEvent).events;
}

const phases = {
  json_parse_sliced: () => {
    let n = 0;
    for (let c = 0; c < chunks; c++) n += parseSliced(chunkText);
    return n;
  },
  json_parse_split: () => {
    let n = 0;
    for (let c = 0; c < chunks; c++) n += parseSplit(chunkLines);
    return n;
  },
  decode: () => {
    let n = 0;
    for (let c = 0; c < chunks; c++) n += decode(chunkText);
    return n;
  },
  full: () => {
    alerts = 0;
    alertBytes = 0;
    let n = 0;
    for (let c = 0; c < chunks; c++) n += full(chunkText);
    return n;
  },
};

// warm-up: one chunk through every phase
parseSliced(chunkText);
parseSplit(chunkLines);
decode(chunkText);
full(chunkText);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const best = {};
const bestCpu = {};
let fullAlerts = 0;
let fullAlertBytes = 0;
for (let r = 0; r < runs; r++)
  for (const [name, fn] of Object.entries(phases)) {
    const c = cpuMs();
    const s = performance.now();
    const n = fn();
    const ms = performance.now() - s;
    bestCpu[name] = Math.min(bestCpu[name] ?? Infinity, cpuMs() - c);
    if (n !== events) throw new Error(`${name}: ${n} events, expected ${events}`);
    if (name === 'full') {
      fullAlerts = alerts;
      fullAlertBytes = alertBytes;
    }
    best[name] = Math.min(best[name] ?? Infinity, ms);
  }

const eps = (ms) => Math.round((events / ms) * 1000);
const parseMs = Math.min(best.json_parse_sliced, best.json_parse_split);
const parseCpu = Math.min(bestCpu.json_parse_sliced, bestCpu.json_parse_split);
const figures = {
  bench: 'runtime',
  events,
  bytes,
  runs,
  rules: loaded.counts.rules,
  macros: loaded.counts.macros,
  lists: loaded.counts.lists,
  load_ms: Math.round(loadMs),
  json_parse_events_per_s: eps(parseMs),
  json_parse_sliced_events_per_s: eps(best.json_parse_sliced),
  json_parse_split_events_per_s: eps(best.json_parse_split),
  decode_events_per_s: eps(best.decode),
  full_events_per_s: eps(best.full),
  alerts: fullAlerts,
  alert_bytes: fullAlertBytes,
  decode_vs_json_parse: Number((parseMs / best.decode).toFixed(3)),
  full_vs_json_parse: Number((parseMs / best.full).toFixed(3)),
  // the same from process CPU time (all threads, so GC helpers count), steadier on a shared machine
  json_parse_events_per_cpu_s: eps(parseCpu),
  decode_events_per_cpu_s: eps(bestCpu.decode),
  full_events_per_cpu_s: eps(bestCpu.full),
  full_vs_json_parse_cpu: Number((parseCpu / bestCpu.full).toFixed(3)),
  peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024),
  load_avg_start: Number(loadStart[0].toFixed(2)),
  load_avg_end: Number(loadavg()[0].toFixed(2)),
  node: process.version,
};
const fmt = (v) => v.toLocaleString('en-US').padStart(12);
const row = (label, v, c, extra = '') =>
  console.log(`${label.padEnd(26)}${fmt(v)} events/s ${fmt(c)} events/CPU-s${extra}`);
console.log(
  `rules: ${figures.rules} rules, ${figures.macros} macros, ${figures.lists} lists, loaded in ${figures.load_ms} ms`,
);
console.log(
  `events: ${events.toLocaleString('en-US')} (${(bytes / 1e6).toFixed(1)} MB), alerts: ${fullAlerts}, ` +
    `best of ${runs} run(s), load average ${figures.load_avg_start} → ${figures.load_avg_end}`,
);
const pct = (x) => `${(x * 100).toFixed(0)}%`;
row('JSON.parse (sliced lines)', figures.json_parse_sliced_events_per_s, eps(bestCpu.json_parse_sliced));
row('JSON.parse (split lines)', figures.json_parse_split_events_per_s, eps(bestCpu.json_parse_split));
row('decode', figures.decode_events_per_s, figures.decode_events_per_cpu_s);
row(
  'decode + rules + alerts',
  figures.full_events_per_s,
  figures.full_events_per_cpu_s,
  ` (${pct(figures.full_vs_json_parse)} of JSON.parse; ${pct(figures.full_vs_json_parse_cpu)} in CPU time)`,
);
console.log(`peak RSS ${figures.peak_rss_mib} MiB`);
console.log(JSON.stringify(figures));
