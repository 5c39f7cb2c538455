#!/usr/bin/env node
// Benchmark: the Falco-compatible runtime engine (packages/platform/src/runtime) on one core.
// Bundles the engine from source with esbuild (no full build needed). Loads the current upstream
// k8s audit rules (../shared/data/conformance/falco/k8saudit/k8s_audit_rules.yaml), builds a
// JSON-lines stream from the Falco k8s audit fixture traces repeated to BENCH_EVENTS events
// (default 1,000,000), then measures in the same run:
//   - physical limit: JSON.parse of every line (the bytes every event must go through);
//   - decode: decodeAuditEvents (bounds checks + JSON.parse + event objects);
//   - full path: decode + evaluation through the whole rule set (first match wins) + alert rendering.
// Prints a table, then the figures as one JSON line (last line).
//
//   node bench/runtime.mjs
//   BENCH_EVENTS=200000 node bench/runtime.mjs
import { build } from 'esbuild';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.PALISADE_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');
const target = Number(process.env.BENCH_EVENTS ?? 1_000_000);

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
const lines = [];
while (lines.length < target) lines.push(...base);
lines.length = target;
// events actually replayed through decode/evaluate (whole chunks), reported as `events`
const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);

function time(fn) {
  const s = performance.now();
  const r = fn();
  return { ms: performance.now() - s, r };
}

// warm-up on a slice
{
  const warm = lines.slice(0, 20_000).join('\n');
  for (const l of lines.slice(0, 20_000)) JSON.parse(l);
  const d = rt.decodeAuditEvents(warm);
  const e = new rt.Engine(loaded.rules, { sources: ['k8s_audit'] });
  for (const ev of d.events) for (const m of e.process(ev)) rt.alertJson(e.alert(m));
}

const parse = time(() => {
  let n = 0;
  for (const l of lines) if (JSON.parse(l)) n++;
  return n;
});
// Events arrive as a stream: decode and evaluate in chunks of 4096 lines (as the webhook batches do),
// so the measurement is not dominated by holding a million decoded events in memory.
// Chunks hold whole repetitions of the traces, so one chunk text serves every chunk (memory stays small).
const CHUNK = base.length * Math.ceil(4096 / base.length);
const chunkText = lines.slice(0, CHUNK).join('\n');
const chunks = Array.from({ length: Math.ceil(target / CHUNK) }, () => chunkText);
const decode = time(() => {
  let n = 0;
  for (const c of chunks) n += rt.decodeAuditEvents(c).events.length;
  return n;
});
const engine = new rt.Engine(loaded.rules, { sources: ['k8s_audit'], hostname: 'bench' });
const full = time(() => {
  let alerts = 0;
  for (const c of chunks) {
    const d = rt.decodeAuditEvents(c);
    for (const ev of d.events)
      for (const m of engine.process(ev)) {
        rt.alertJson(engine.alert(m));
        alerts++;
      }
  }
  return alerts;
});

const replayed = decode.r;
const eps = (ms, n = replayed) => Math.round((n / ms) * 1000);
const figures = {
  bench: 'runtime',
  events: replayed,
  bytes,
  rules: loaded.counts.rules,
  macros: loaded.counts.macros,
  lists: loaded.counts.lists,
  load_ms: Math.round(loadMs),
  json_parse_events_per_s: eps(parse.ms, target),
  decode_events_per_s: eps(decode.ms),
  full_events_per_s: eps(full.ms),
  alerts: full.r,
  full_vs_json_parse: Number((parse.ms / full.ms).toFixed(3)),
  node: process.version,
};
console.log(
  `rules: ${figures.rules} rules, ${figures.macros} macros, ${figures.lists} lists, loaded in ${figures.load_ms} ms`,
);
console.log(`events: ${target.toLocaleString('en-US')} (${(bytes / 1e6).toFixed(1)} MB), alerts: ${full.r}`);
console.log(
  `JSON.parse only         ${figures.json_parse_events_per_s.toLocaleString('en-US').padStart(12)} events/s`,
);
console.log(
  `decode                  ${figures.decode_events_per_s.toLocaleString('en-US').padStart(12)} events/s`,
);
console.log(
  `decode + rules + alerts ${figures.full_events_per_s.toLocaleString('en-US').padStart(12)} events/s (${(figures.full_vs_json_parse * 100).toFixed(0)}% of JSON.parse)`,
);
console.log(JSON.stringify(figures));
