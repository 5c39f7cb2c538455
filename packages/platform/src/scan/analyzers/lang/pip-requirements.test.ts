import { describe, expect, it } from 'vitest';
import { analyzerFile } from '../../../testing/shared-data.js';
import {
  analyze,
  fixturePackages,
  integrationProblems,
  langFixtureSuite,
  trivyFixture,
} from '../../../testing/lang-conformance.js';
import { analyzer } from './pip-requirements.js';

const packagesOf = (hostPath: string) => fixturePackages(analyzer, hostPath, 'requirements.txt');

const DIR = 'pkg/dependency/parser/python/pip/testdata/';

describe('lang/pip-requirements', () => {
  // requirements_compatible.txt runs at Trivy's comprehensive priority (minimum versions of
  // ranges), on the parser: see PIP_MIN_VERSION_CASES in testing/lang-conformance.ts.
  it("agrees with Trivy's pip parser tests", async () => {
    const report = await langFixtureSuite(analyzer, 'trivy');
    expect(report.total).toBe(10);
    expect(report.failures).toEqual([]);
  });

  it("matches Trivy's integration golden for a repository", async () => {
    expect((await integrationProblems(analyzer, 'pip')).problems).toEqual([]);
  });

  it("agrees with osv-scanner's requirements.txt tests on name@version", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect([report.total, report.divergent.length]).toEqual([6, 10]);
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
    const { sets, diagnostics } = await analyze(analyzer, [
      analyzerFile(trivyFixture(DIR + 'requirements_with_templating_engine.txt'), 'app/requirements.txt'),
    ]);
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
