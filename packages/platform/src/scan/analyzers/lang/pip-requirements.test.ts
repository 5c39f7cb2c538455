import { readFileSync } from 'node:fs';
import type { Package } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import {
  compareNameVersions,
  compareWithGolden,
  compareWithTrivy,
  integrationGolden,
  integrationRepoFiles,
  osvCases,
  osvFixture,
  runSuite,
  trivyCases,
  trivyFixture,
} from '../../../testing/lang-conformance.js';
import { analyzer, parseRequirements } from './pip-requirements.js';

async function run(f: AnalyzerFile) {
  const ctx = testContext();
  const result = await analyzer.analyze([f], ctx);
  return { sets: result.packageSets ?? [], diagnostics: ctx.diagnostics.items };
}

async function packagesOf(hostPath: string): Promise<Package[]> {
  const { sets } = await run(analyzerFile(hostPath, 'requirements.txt'));
  return sets[0]?.packages ?? [];
}

const DIR = 'pkg/dependency/parser/python/pip/testdata/';

/**
 * Trivy cases run with its "comprehensive" detection priority (minimum
 * versions of ranges); the analyzer uses the default precise mode.
 */
const MIN_VERSION_CASES = new Set([DIR + 'requirements_compatible.txt']);

/** osv-scanner cases where we follow Trivy instead, each with the reason. */
const OSV_PIP_DIVERGENCES: Record<string, string> = {
  'pkg/lockfile/parse-requirements-txt_test.go:TestParseRequirementsTxt_FileFormatExample':
    'unpinned and ranged requirements: osv-scanner lists them (0.0.0 or the range bound), Trivy only `==` pins',
  'pkg/lockfile/parse-requirements-txt_test.go:TestParseRequirementsTxt_OneRequirementUnconstrained':
    'an unpinned requirement has no known version: Trivy leaves it out',
  'pkg/lockfile/parse-requirements-txt_test.go:TestParseRequirementsTxt_MultipleRequirementsMixed':
    'unpinned requirements are left out by Trivy',
  'pkg/lockfile/parse-requirements-txt_test.go:TestParseRequirementsTxt_NonNormalizedNames':
    'osv-scanner normalizes names (PEP 503); Trivy keeps them as written',
  'pkg/lockfile/parse-requirements-txt_test.go:TestParseRequirementsTxt_WithMultipleROptions':
    '-r includes: Trivy does not follow them',
  'pkg/lockfile/parse-requirements-txt_test.go:TestParseRequirementsTxt_WithBadROption':
    "-r includes: Trivy does not follow them (and keeps the file's own pins)",
  'pkg/lockfile/parse-requirements-txt_test.go:TestParseRequirementsTxt_DuplicateROptions':
    '-r includes: Trivy does not follow them',
  'pkg/lockfile/parse-requirements-txt_test.go:TestParseRequirementsTxt_CyclicRComplex':
    '-r includes: Trivy does not follow them',
  'pkg/lockfile/parse-requirements-txt_test.go:TestParseRequirementsTxt_WithPerRequirementOptions':
    'osv-scanner lower-cases names and keeps ranges; Trivy keeps `==` pins as written',
  'pkg/lockfile/parse-requirements-txt_test.go:TestParseRequirementsTxt_LineContinuation':
    'Trivy reads line by line (a backslash is deleted, not a continuation), so split pins differ',
};

describe('lang/pip-requirements', () => {
  it("agrees with Trivy's pip parser tests", async () => {
    const cases = trivyCases('parser/python/pip/');
    const results = cases.map((c) => {
      const text = readFileSync(trivyFixture(c.fixture));
      if (!MIN_VERSION_CASES.has(c.fixture)) return null;
      // Decode as the analyzer does (UTF-16 with BOM included).
      return parseRequirements(new TextDecoder().decode(text), { useMinVersion: true }).packages;
    });
    const analyzed = await Promise.all(cases.map(async (c) => packagesOf(trivyFixture(c.fixture))));
    const report = runSuite(
      'trivy pip',
      cases.map((c, i) => ({
        name: c.fixture,
        run: () => compareWithTrivy(results[i] ?? analyzed[i] ?? [], c.packages),
      })),
    );
    expect(report.total).toBe(10);
    expect(report.failures).toEqual([]);
  });

  it("matches Trivy's integration golden for a repository", async () => {
    const files = integrationRepoFiles('pip');
    const ctx = testContext();
    const sets =
      (
        await analyzer.analyze(
          files.filter((f) => analyzer.required(f.path, f)),
          ctx,
        )
      ).packageSets ?? [];
    expect(compareWithGolden(sets, integrationGolden('pip'))).toEqual([]);
  });

  it("agrees with osv-scanner's requirements.txt tests on name@version", async () => {
    const cases = osvCases('ParseRequirementsTxt');
    const results = await Promise.all(cases.map(async (c) => packagesOf(osvFixture(c.fixture))));
    const report = runSuite(
      'osv-scanner pip',
      cases.map((c, i) => ({ name: c.test, run: () => compareNameVersions(results[i] ?? [], c.packages) })),
      OSV_PIP_DIVERGENCES,
    );
    expect(report.total).toBe(cases.length - Object.keys(OSV_PIP_DIVERGENCES).length);
    expect(report.failures).toEqual([]);
  });

  it('records the line of each pin', async () => {
    const pkgs = await packagesOf(trivyFixture(DIR + 'requirements_hash.txt'));
    expect(pkgs.map((p) => [p.name, p.version, p.locations])).toEqual([
      ['FooProject', '1.2', [{ startLine: 1, endLine: 1 }]],
      ['Jinja2', '3.0.0', [{ startLine: 4, endLine: 4 }]],
    ]);
  });

  it('reads UTF-16 files', async () => {
    const pkgs = await packagesOf(trivyFixture(DIR + 'requirements_utf16le.txt'));
    expect(pkgs.map((p) => `${p.name}==${p.version}`)).toEqual(['attrs==20.3.0']);
  });

  it('reports pins with an invalid name or version with file and line, and keeps the rest', async () => {
    const { sets, diagnostics } = await run(
      analyzerFile(trivyFixture(DIR + 'requirements_with_templating_engine.txt'), 'app/requirements.txt'),
    );
    expect(sets).toEqual([]);
    // Lines 1-4 do not read as `name==…` at all; line 5 pins an invalid version.
    expect(diagnostics.map((d) => [d.code, d.location?.file, d.location?.line])).toEqual([
      ['PIP_INVALID_REQUIREMENT', 'app/requirements.txt', 5],
    ]);
  });

  it('wants requirements files only', () => {
    const info = { size: 1, mode: 0o644 };
    for (const p of ['requirements.txt', 'a/requirements-dev.txt', 'requirements_test.txt'])
      expect(analyzer.required(p, info), p).toBe(true);
    for (const p of ['requirements.in', 'a/constraints.txt', 'requirements/base.txt'])
      expect(analyzer.required(p, info), p).toBe(false);
  });
});
