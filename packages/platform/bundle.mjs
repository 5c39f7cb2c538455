// Bundles the CLI into one ESM file (dist/palisade.mjs) so that start-up does not pay for
// resolving and reading hundreds of module files: a warm `palisade sbom` is dominated by
// module loading otherwise (see docs/benchmarks.md). better-sqlite3 stays external (native addon).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

await build({
  // Code splitting: commands loaded with import() (program.ts LAZY_COMMANDS, lazy parsers) become
  // chunks that are read and compiled only when used; start-up compiles the main chunk alone.
  entryPoints: { palisade: here('src/cli/main.ts') },
  outdir: here('dist'),
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'linked',
  external: ['better-sqlite3'],
  banner: {
    js: "import { createRequire as __palisadeCreateRequire } from 'node:module';\nconst require = __palisadeCreateRequire(import.meta.url);",
  },
  minify: true,
  keepNames: true,
  logLevel: 'warning',
});

// The bin starts Node with these flags (docs/adr/0019-cli-node-flags.md): one V8 helper thread, so
// background compilation and concurrent marking do not take the core the scan runs on, and a young
// generation that stops growing at 4 MiB per semi-space, so a scan reuses pages it has touched.
// `#!/usr/bin/env -S node <flags>` would fail where env has no -S (BusyBox, so Alpine; OpenBSD), so the
// first two lines are a POSIX sh launcher that Node reads as a hashbang, a string and a comment:
// sh runs `:` and then `exec node <flags> <this file> <args>`. `node dist/palisade.mjs` skips it.
const NODE_FLAGS = ['--v8-pool-size=1', '--max-semi-space-size=4'];
const bin = here('dist/palisade.mjs');
const text = readFileSync(bin, 'utf8');
const hashbang = '#!/usr/bin/env node\n';
if (!text.startsWith(hashbang))
  throw new Error(`${bin}: expected esbuild to keep ${JSON.stringify(hashbang)} first`);
writeFileSync(
  bin,
  `#!/bin/sh\n":" //; exec node ${NODE_FLAGS.join(' ')} "$0" "$@"\n${text.slice(hashbang.length)}`,
);
// One line more than esbuild wrote: its source map gets one unmapped line (';') in front.
const map = JSON.parse(readFileSync(`${bin}.map`, 'utf8'));
map.mappings = `;${map.mappings}`;
writeFileSync(`${bin}.map`, JSON.stringify(map));
