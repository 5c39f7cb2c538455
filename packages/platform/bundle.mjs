// Bundles the CLI into one ESM file (dist/palisade.mjs) so that start-up does not pay for
// resolving and reading hundreds of module files: a warm `palisade sbom` is dominated by
// module loading otherwise (see docs/benchmarks.md). better-sqlite3 stays external (native addon).
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
