#!/usr/bin/env node
// Benchmark: cost of comparing hostile version strings (packages/platform/src/scan/version)
// at 1,000 and 4,000 characters, per scheme. Linear cost gives a ratio near 4, quadratic 16.
// This replaces a timed assertion: the figures are measured and recorded, not asserted.
// Physical reference measured in the same run: a plain byte scan (Buffer.compare) of the
// same strings, whose cost is linear by construction.
// Prints a table, then the figures as one JSON line (last line).
//
//   npm run bench:version
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'packages/platform/src/scan/version');
const entry = `
export { hostile, twin, work } from ${JSON.stringify(join(src, 'testdata/hostile.ts'))};
export { deb } from ${JSON.stringify(join(src, 'deb.ts'))};
export { rpm, rpmSegment } from ${JSON.stringify(join(src, 'rpm.ts'))};
export { apk } from ${JSON.stringify(join(src, 'apk.ts'))};
export { semver, npm } from ${JSON.stringify(join(src, 'semver.ts'))};
export { go } from ${JSON.stringify(join(src, 'go.ts'))};
export { pep440 } from ${JSON.stringify(join(src, 'pep440.ts'))};
export { maven } from ${JSON.stringify(join(src, 'maven.ts'))};
export { rubygems } from ${JSON.stringify(join(src, 'rubygems.ts'))};
export { nuget } from ${JSON.stringify(join(src, 'nuget.ts'))};
export { composer } from ${JSON.stringify(join(src, 'composer.ts'))};
`;
const out = await build({
  stdin: { contents: entry, resolveDir: src, loader: 'ts' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  write: false,
});
const dir = mkdtempSync(join(tmpdir(), 'version-bench-'));
const file = join(dir, 'version.mjs');
writeFileSync(file, out.outputFiles[0].text);
const m = await import(pathToFileURL(file).href);
rmSync(dir, { recursive: true, force: true });

function bestOf(runs, f) {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

const schemes = [
  m.deb,
  m.rpm,
  m.rpmSegment,
  m.apk,
  m.semver,
  m.npm,
  m.go,
  m.pep440,
  m.maven,
  m.rubygems,
  m.nuget,
  m.composer,
];
const small = m.hostile(1000);
const large = m.hostile(4000);
const bytes = (inputs) => () => {
  for (const s of inputs) Buffer.compare(Buffer.from(s), Buffer.from(m.twin(s)));
};
const refSmall = bestOf(20, bytes(small));
const refLarge = bestOf(20, bytes(large));
const rows = [];
for (const scheme of schemes) {
  m.work(scheme, large); // warm up the JIT
  const ts = bestOf(7, () => m.work(scheme, small));
  const tl = bestOf(7, () => m.work(scheme, large));
  rows.push({
    scheme: scheme.name,
    ms1000: +ts.toFixed(3),
    ms4000: +tl.toFixed(3),
    ratio: +(tl / Math.max(ts, 0.01)).toFixed(2),
  });
}
console.log('scheme       1,000 chars   4,000 chars   ratio (linear ≈ 4, quadratic ≈ 16)');
for (const r of rows)
  console.log(
    `${r.scheme.padEnd(12)} ${r.ms1000.toFixed(3).padStart(9)} ms  ${r.ms4000.toFixed(3).padStart(9)} ms  ${r.ratio.toFixed(2).padStart(6)}`,
  );
console.log(
  `bytes ref    ${refSmall.toFixed(3).padStart(9)} ms  ${refLarge.toFixed(3).padStart(9)} ms  ${(refLarge / Math.max(refSmall, 0.01)).toFixed(2).padStart(6)}`,
);
const worst = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a));
console.log(
  JSON.stringify({
    bench: 'version-hostile',
    schemes: rows,
    reference: { name: 'Buffer.compare', ms1000: +refSmall.toFixed(3), ms4000: +refLarge.toFixed(3) },
    worstRatio: worst.ratio,
    worstScheme: worst.scheme,
  }),
);
