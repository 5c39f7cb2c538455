#!/usr/bin/env node
// `npm start`: the main job on an embedded default, no cluster needed. Makes sure an advisory
// database exists (built offline from ../shared/data/vulndb when that checkout is beside the repo,
// else downloaded with `palisade db update`), then scans examples/demo, a small project pinned to
// old releases, with `palisade scan fs`. Extra arguments go to the scan (e.g. `npm start -- --format json`).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { palisadeNodeArgs } from './palisade-bin.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'packages/platform/dist/palisade.mjs');
// Node with the flags of the bin's launcher, then the bundle (docs/adr/0019); `npm start` has just built it.
const binArgs = palisadeNodeArgs(bin);
const cacheDir =
  process.env.PALISADE_CACHE_DIR ||
  join(process.env.XDG_CACHE_HOME || join(process.env.HOME || homedir(), '.cache'), 'palisade');
const dbDir = join(cacheDir, 'db');
const shared = resolve(root, '../shared/data/vulndb');

function palisade(args) {
  const r = spawnSync(process.execPath, [...binArgs, ...args], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 2);
}

if (!existsSync(join(dbDir, 'osv.sqlite'))) {
  const osv = join(shared, 'osv');
  if (existsSync(osv)) {
    const zips = readdirSync(osv)
      .map((e) => join(osv, e, 'all.zip'))
      .filter((f) => existsSync(f));
    console.error(`No advisory database yet: building one from ${zips.length} OSV files in ${osv}`);
    palisade(['db', 'import', ...zips]);
    // EPSS scores and the KEV catalogue beside it, as `palisade db update` would fetch them.
    mkdirSync(dbDir, { recursive: true });
    for (const [from, to] of [
      ['epss/epss_scores.csv.gz', 'epss_scores.csv.gz'],
      ['kev/known_exploited_vulnerabilities.json', 'known_exploited_vulnerabilities.json'],
    ])
      if (existsSync(join(shared, from))) copyFileSync(join(shared, from), join(dbDir, to));
  } else {
    console.error('No advisory database yet: downloading it with `palisade db update`');
    palisade(['db', 'update']);
  }
}
console.error('Scanning examples/demo (palisade scan fs examples/demo)\n');
palisade(['scan', 'fs', 'examples/demo', ...process.argv.slice(2)]);
