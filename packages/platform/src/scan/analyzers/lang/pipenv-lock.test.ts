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
import { analyzer } from './pipenv-lock.js';

async function run(f: AnalyzerFile) {
  const ctx = testContext();
  const result = await analyzer.analyze([f], ctx);
  return { sets: result.packageSets ?? [], diagnostics: ctx.diagnostics.items };
}

async function lockPackages(hostPath: string): Promise<Package[]> {
  const { sets } = await run(analyzerFile(hostPath, 'Pipfile.lock'));
  return sets[0]?.packages ?? [];
}

const DIR = 'pkg/dependency/parser/python/pipenv/testdata/';

/** osv-scanner cases where we follow Trivy instead, each with the reason. */
const OSV_PIPENV_DIVERGENCES: Record<string, string> = {
  'pkg/lockfile/parse-pipenv-lock_test.go:TestParsePipenvLock_MultiplePackages':
    'the develop section: osv-scanner lists it (dev group), Trivy reads only default',
  'pkg/lockfile/parse-pipenv-lock_test.go:TestParsePipenvLock_OnePackageDev':
    'the develop section: osv-scanner lists it (dev group), Trivy reads only default',
  'pkg/lockfile/parse-pipenv-lock_test.go:TestParsePipenvLock_TwoPackages':
    'the develop section: osv-scanner lists it (dev group), Trivy reads only default',
  'pkg/lockfile/parse-pipenv-lock_test.go:TestParsePipenvLock_PackageWithoutVersion':
    'an entry without a version (a git or path dependency): Trivy keeps it with an empty version',
};

describe('lang/pipenv-lock', () => {
  it("agrees with Trivy's pipenv parser tests", async () => {
    const cases = trivyCases('parser/python/pipenv/');
    const results = await Promise.all(cases.map(async (c) => lockPackages(trivyFixture(c.fixture))));
    const report = runSuite(
      'trivy pipenv',
      cases.map((c, i) => ({ name: c.fixture, run: () => compareWithTrivy(results[i] ?? [], c.packages) })),
    );
    expect(report.total).toBe(3);
    expect(report.failures).toEqual([]);
  });

  it("matches Trivy's integration golden for a repository", async () => {
    const files = integrationRepoFiles('pipenv').filter((f) => analyzer.required(f.path, f));
    const ctx = testContext();
    const sets = (await analyzer.analyze(files, ctx)).packageSets ?? [];
    expect(compareWithGolden(sets, integrationGolden('pipenv'))).toEqual([]);
  });

  it("agrees with osv-scanner's Pipfile.lock tests on name@version", async () => {
    const cases = osvCases('ParsePipenvLock');
    const results = await Promise.all(cases.map(async (c) => lockPackages(osvFixture(c.fixture))));
    const report = runSuite(
      'osv-scanner pipenv',
      cases.map((c, i) => ({ name: c.test, run: () => compareNameVersions(results[i] ?? [], c.packages) })),
      OSV_PIPENV_DIVERGENCES,
    );
    expect(report.total).toBe(cases.length - Object.keys(OSV_PIPENV_DIVERGENCES).length);
    expect(report.failures).toEqual([]);
  });

  it('records the line range of each entry and strips the == from versions', async () => {
    const pkgs = await lockPackages(trivyFixture(DIR + 'Pipfile_normal.lock'));
    expect(pkgs.find((p) => p.name === 'certifi')).toEqual({
      name: 'certifi',
      version: '2019.3.9',
      locations: [{ startLine: 19, endLine: 25 }],
    });
  });

  it('reports truncated JSON as a diagnostic with file and line, and does not throw', async () => {
    const text = readFileSync(trivyFixture(DIR + 'Pipfile_normal.lock'), 'utf8');
    const content = Buffer.from(text.slice(0, 900));
    const { sets, diagnostics } = await run({
      path: 'api/Pipfile.lock',
      content,
      size: content.length,
      mode: 0o644,
    });
    expect(sets).toEqual([]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]?.code).toBe('PARSE_ERROR');
    expect(diagnostics[0]?.location).toEqual({
      file: 'api/Pipfile.lock',
      line: text.slice(0, 900).split('\n').length,
    });
  });
});
