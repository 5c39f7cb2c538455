import { readFileSync } from 'node:fs';
import type { Package } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import {
  compareWithGolden,
  compareWithTrivy,
  integrationGolden,
  integrationRepoFiles,
  runSuite,
  trivyCases,
  trivyFixture,
} from '../../../testing/lang-conformance.js';
import { analyzer } from './uv-lock.js';

async function run(f: AnalyzerFile) {
  const ctx = testContext();
  const result = await analyzer.analyze([f], ctx);
  return { sets: result.packageSets ?? [], diagnostics: ctx.diagnostics.items };
}

async function lockPackages(hostPath: string): Promise<Package[]> {
  const { sets } = await run(analyzerFile(hostPath, 'uv.lock'));
  return sets[0]?.packages ?? [];
}

const DIR = 'pkg/dependency/parser/python/uv/testdata/';

describe('lang/uv-lock', () => {
  it("agrees with Trivy's uv parser tests", async () => {
    const cases = trivyCases('parser/python/uv/');
    const results = await Promise.all(cases.map(async (c) => lockPackages(trivyFixture(c.fixture))));
    const report = runSuite(
      'trivy uv',
      cases.map((c, i) => ({ name: c.fixture, run: () => compareWithTrivy(results[i] ?? [], c.packages) })),
    );
    expect(report.total).toBe(1);
    expect(report.failures).toEqual([]);
  });

  it("matches Trivy's integration golden for a repository", async () => {
    const files = integrationRepoFiles('uv').filter((f) => analyzer.required(f.path, f));
    const ctx = testContext();
    const sets = (await analyzer.analyze(files, ctx)).packageSets ?? [];
    expect(compareWithGolden(sets, integrationGolden('uv'))).toEqual([]);
  });

  it('gives relationships, dev-ness and dependsOn as Trivy does', async () => {
    const pkgs = await lockPackages(trivyFixture(DIR + 'uv_normal.lock'));
    const get = (id: string) => pkgs.find((p) => p.id === id);
    // From Trivy's parse_testcase.go (uvNormal, uvNormalDeps).
    expect(get('normal@0.1.0')).toMatchObject({
      relationship: 'root',
      dev: false,
      dependsOn: ['httpx@0.28.1', 'orjson@3.10.12', 'pytest@8.3.4', 'requests@2.32.0'],
    });
    expect(get('pytest@8.3.4')).toMatchObject({ relationship: 'direct', dev: true });
    expect(get('colorama@0.4.6')).toMatchObject({ relationship: 'indirect', dev: true });
    expect(get('socksio@1.0.0')).toMatchObject({ relationship: 'indirect', dev: false });
    expect(get('httpx@0.28.1')?.dependsOn).toEqual([
      'anyio@4.7.0',
      'certifi@2024.12.14',
      'httpcore@1.0.7',
      'idna@3.10',
      'socksio@1.0.0',
    ]);
  });

  for (const name of ['uv_without_root.lock', 'uv_multiple_roots.lock']) {
    it(`refuses ${name} (a lockfile needs exactly one root) with a diagnostic`, async () => {
      const { sets, diagnostics } = await run(analyzerFile(trivyFixture(DIR + name), 'py/uv.lock'));
      expect(sets).toEqual([]);
      expect(diagnostics.map((d) => [d.code, d.location?.file])).toEqual([['UV_LOCK_ROOT', 'py/uv.lock']]);
    });
  }

  it('reports truncated TOML as a diagnostic with file and line, and does not throw', async () => {
    const text = readFileSync(trivyFixture(DIR + 'uv_normal.lock'), 'utf8');
    const truncated = text.slice(0, text.indexOf('wheels = [') + 30);
    const content = Buffer.from(truncated);
    const { sets, diagnostics } = await run({ path: 'uv.lock', content, size: content.length, mode: 0o644 });
    expect(sets).toEqual([]);
    expect(diagnostics[0]?.code).toBe('PARSE_ERROR');
    expect(diagnostics[0]?.location?.file).toBe('uv.lock');
    expect(diagnostics[0]?.location?.line).toBeGreaterThan(5);
  });
});
