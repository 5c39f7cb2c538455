import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { repoRoot, sharedData } from '../testing/shared-data.js';
import { run } from './program.js';

async function cli(args: string[], cwd = tmpdir(), env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const cacheDir = mkdtempSync(join(tmpdir(), 'palisade-cli-cache-'));
  const code = await run(args, { stdout, stderr, env: { HOME: cacheDir, ...env }, cwd });
  return { code, out, err };
}

function projectWithLockfile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-cli-'));
  mkdirSync(join(dir, 'app'));
  copyFileSync(
    sharedData('scan/trivy-fixtures/pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3.json'),
    join(dir, 'app/package-lock.json'),
  );
  return dir;
}

describe('palisade CLI', () => {
  it('explains itself with --help, with examples and exit codes', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sbom/);
    expect(r.out).toMatch(/Exit codes/);
  });

  it('shows examples and every format in `sbom --help`', async () => {
    const r = await cli(['sbom', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['palisade sbom image', '--input', 'cyclonedx', 'spdx-json', 'PALISADE_CACHE_DIR'])
      expect(r.out).toContain(s);
  });

  it('rejects an unknown target kind with exit code 2 and the list of kinds', async () => {
    const r = await cli(['sbom', 'tarball', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown target kind 'tarball'/);
    expect(r.err).toMatch(/image, rootfs, fs, sbom/);
  });

  it('rejects an unknown format before doing any work', async () => {
    const r = await cli(['sbom', 'fs', '.', '--format', 'xml']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/xml/);
  });

  it('fails clearly on a missing directory', async () => {
    const r = await cli(['sbom', 'fs', '/nonexistent/palisade']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/E_NOT_FOUND/);
  });

  it('lists the packages of a lockfile in a source tree as JSON', async () => {
    const dir = projectWithLockfile();
    const r = await cli(['sbom', 'fs', '.', '--format', 'json'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as {
      results: { target: string; type: string; packages: { name: string }[] }[];
    };
    const npm = report.results.find((x) => x.target === 'app/package-lock.json');
    expect(npm?.type).toBe('npm');
    expect(npm?.packages.length).toBeGreaterThan(10);
  });

  it('writes --output to a file and nothing to stdout', async () => {
    const dir = projectWithLockfile();
    const r = await cli(['sbom', 'fs', '.', '--format', 'cyclonedx', '--output', 'sbom.cdx.json'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    const bom = JSON.parse(readFileSync(join(dir, 'sbom.cdx.json'), 'utf8')) as {
      bomFormat: string;
      components: unknown[];
    };
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.components.length).toBeGreaterThan(10);
    // and the SBOM reads back with the same packages
    const back = await cli(['sbom', 'sbom', 'sbom.cdx.json', '--format', 'json'], dir);
    expect(back.code).toBe(0);
    const a = JSON.parse((await cli(['sbom', 'fs', '.', '--format', 'json'], dir)).out) as {
      results: { packages: { name: string; version: string }[] }[];
    };
    const b = JSON.parse(back.out) as typeof a;
    const names = (x: typeof a) =>
      x.results.flatMap((res) => res.packages.map((p) => `${p.name}@${p.version}`)).sort();
    expect(names(b)).toEqual(names(a));
  });

  it('takes settings from the environment', async () => {
    const dir = projectWithLockfile();
    const r = await cli(['sbom', 'fs', '.'], dir, { PALISADE_FORMAT: 'spdx-json' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ spdxVersion: 'SPDX-2.3' });
  });
});

describe('the built binary', () => {
  const bin = join(repoRoot, 'packages/platform/dist/palisade.mjs');
  it.skipIf(!existsSync(bin))('prints its version and exits 0', () => {
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toBe('0.1.0');
  });
  // ADR 0004: start-up compiles the scan, sbom and db code only. zod (the CRD schemas of @palisade/api) came
  // back into it once through a re-export and cost ~90 ms per command; the Kubernetes client would cost more.
  it.skipIf(!existsSync(bin))('loads neither zod nor the Kubernetes client at start-up', () => {
    const seen = new Set<string>();
    const sources: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      sources.push(...(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] }).sources);
      // Static imports of the minified output (`import(…)` of lazy commands is not followed).
      for (const m of text.matchAll(/(?:from|import)\s*"(\.\.?\/[^"]+\.mjs)"/g))
        visit(join(dirname(file), m[1] as string));
    };
    visit(bin);
    expect(seen.size).toBeGreaterThan(2);
    expect(sources.some((s) => s.includes('src/scan/detect/'))).toBe(true);
    expect(sources.filter((s) => /node_modules\/(zod|@kubernetes\/client-node)\//.test(s))).toEqual([]);
  });
  // Run as npm's bin link runs it (the file itself, through its sh launcher): Node gets the flags of ADR 0019.
  it.skipIf(!existsSync(bin) || process.platform === 'win32')('runs node with the flags of ADR 0019', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-bin-'));
    const probe = join(dir, 'exec-argv.cjs');
    const out = join(dir, 'exec-argv.json');
    writeFileSync(
      probe,
      'require("node:fs").writeFileSync(process.env.PALISADE_TEST_OUT, JSON.stringify(process.execArgv));\n',
    );
    const env = {
      ...process.env,
      NODE_OPTIONS: `--require ${probe}`,
      PALISADE_TEST_OUT: out,
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    };
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8', env }).trim()).toBe('0.1.0');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(['--v8-pool-size=1', '--max-semi-space-size=4']);
  });
});
