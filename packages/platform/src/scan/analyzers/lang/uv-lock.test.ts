import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzerFile } from '../../../testing/shared-data.js';
import {
  analyze,
  fixturePackages,
  integrationProblems,
  langFixtureSuite,
  textFile,
  trivyFixture,
} from '../../../testing/lang-conformance.js';
import { analyzer } from './uv-lock.js';

const lockPackages = (hostPath: string) => fixturePackages(analyzer, hostPath, 'uv.lock');

const DIR = 'pkg/dependency/parser/python/uv/testdata/';

describe('lang/uv-lock', () => {
  it("agrees with Trivy's uv parser tests", async () => {
    const report = await langFixtureSuite(analyzer, 'trivy');
    expect(report.total).toBe(1);
    expect(report.failures).toEqual([]);
  });

  it("matches Trivy's integration golden for a repository", async () => {
    expect((await integrationProblems(analyzer, 'uv')).problems).toEqual([]);
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
      const { sets, diagnostics } = await analyze(analyzer, [
        analyzerFile(trivyFixture(DIR + name), 'py/uv.lock'),
      ]);
      expect(sets).toEqual([]);
      expect(diagnostics.map((d) => [d.code, d.location?.file])).toEqual([['UV_LOCK_ROOT', 'py/uv.lock']]);
    });
  }

  it('reports truncated TOML as a diagnostic with file and line, and does not throw', async () => {
    const text = readFileSync(trivyFixture(DIR + 'uv_normal.lock'), 'utf8');
    const truncated = text.slice(0, text.indexOf('wheels = [') + 30);
    const { sets, diagnostics } = await analyze(analyzer, [textFile('uv.lock', truncated)]);
    expect(sets).toEqual([]);
    expect(diagnostics[0]?.code).toBe('PARSE_ERROR');
    expect(diagnostics[0]?.location?.file).toBe('uv.lock');
    expect(diagnostics[0]?.location?.line).toBeGreaterThan(5);
  });
});
