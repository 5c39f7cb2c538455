import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  analyze,
  fixturePackages,
  integrationProblems,
  langFixtureSuite,
  textFile,
  trivyFixture,
} from '../../../testing/lang-conformance.js';
import { analyzer } from './pipenv-lock.js';

const lockPackages = (hostPath: string) => fixturePackages(analyzer, hostPath, 'Pipfile.lock');

const DIR = 'pkg/dependency/parser/python/pipenv/testdata/';

describe('lang/pipenv-lock', () => {
  it("agrees with Trivy's pipenv parser tests", async () => {
    const report = await langFixtureSuite(analyzer, 'trivy');
    expect(report.total).toBe(3);
    expect(report.failures).toEqual([]);
  });

  it("matches Trivy's integration golden for a repository", async () => {
    expect((await integrationProblems(analyzer, 'pipenv')).problems).toEqual([]);
  });

  it("agrees with osv-scanner's Pipfile.lock tests on name@version", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect([report.total, report.divergent.length]).toEqual([4, 4]);
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
    const { sets, diagnostics } = await analyze(analyzer, [textFile('api/Pipfile.lock', text.slice(0, 900))]);
    expect(sets).toEqual([]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]?.code).toBe('PARSE_ERROR');
    expect(diagnostics[0]?.location).toEqual({
      file: 'api/Pipfile.lock',
      line: text.slice(0, 900).split('\n').length,
    });
  });
});
