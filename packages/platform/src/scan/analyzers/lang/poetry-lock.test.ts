import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AnalyzerFile } from '../types.js';
import {
  analyze,
  fixturePackages,
  integrationProblems,
  langFixtureSuite,
  textFile as file,
  trivyFixture,
} from '../../../testing/lang-conformance.js';
import { analyzer } from './poetry-lock.js';

const run = (files: AnalyzerFile[]) => analyze(analyzer, files);
const lockPackages = (hostPath: string) => fixturePackages(analyzer, hostPath, 'poetry.lock');

const DIR = 'pkg/dependency/parser/python/poetry/testdata/';

describe('lang/poetry-lock', () => {
  it("agrees with Trivy's poetry parser tests", async () => {
    const report = await langFixtureSuite(analyzer, 'trivy');
    expect(report.total).toBe(3);
    expect(report.failures).toEqual([]);
  });

  it("matches Trivy's integration golden for a repository (poetry.lock and pyproject.toml)", async () => {
    expect(await integrationProblems(analyzer, 'poetry')).toEqual({ problems: [], diagnostics: [] });
  });

  it("agrees with osv-scanner's poetry.lock tests on name@version", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect([report.total, report.divergent.length]).toEqual([8, 0]);
    expect(report.failures).toEqual([]);
  });

  it('resolves dependency ranges to locked versions', async () => {
    const pkgs = await lockPackages(trivyFixture(DIR + 'poetry_flask.lock'));
    const deps = (id: string) => pkgs.find((p) => p.id === id)?.dependsOn;
    // The ranges in the lockfile (Flask: click>=5.1, itsdangerous>=0.24, Jinja2>=2.10, Werkzeug>=0.14).
    expect(deps('flask@1.0.3')).toEqual([
      'click@8.1.8',
      'itsdangerous@2.2.0',
      'jinja2@3.1.5',
      'werkzeug@3.1.3',
    ]);
    expect(deps('pytest@5.4.3')).toEqual([
      'atomicwrites@1.4.1',
      'attrs@25.1.0',
      'colorama@0.4.6',
      'more-itertools@10.6.0',
      'packaging@24.2',
      'pluggy@0.13.1',
      'py@1.11.0',
      'wcwidth@0.2.13',
    ]);
  });

  it('marks groups and unreachable packages as dev from pyproject.toml (PEP 621 and poetry sections)', async () => {
    const lock = readFileSync(trivyFixture(DIR + 'poetry_v2_flask.lock'), 'utf8');
    const project = [
      '[project]',
      'name = "app"',
      'dependencies = ["Flask (==1.0.3)"]',
      '[tool.poetry.group.dev.dependencies]',
      'pytest = "^5.4"',
      '',
    ].join('\n');
    const { sets } = await run([file('svc/poetry.lock', lock), file('svc/pyproject.toml', project)]);
    const view: Record<string, unknown> = Object.fromEntries(
      (sets[0]?.packages ?? []).map((p) => [p.id ?? '', [p.relationship, p.dev]]),
    );
    expect(view['flask@1.0.3']).toEqual(['direct', false]);
    expect(view['werkzeug@3.1.3']).toEqual(['indirect', false]);
    expect(view['pytest@5.4.3']).toEqual(['direct', true]);
    expect(view['pluggy@0.13.1']).toEqual(['indirect', true]);
  });

  it('reports truncated TOML as a diagnostic with file and line, and does not throw', async () => {
    const text = readFileSync(trivyFixture(DIR + 'poetry_flask.lock'), 'utf8');
    const truncated = text.slice(0, text.indexOf('description = "', 400) + 20);
    const { sets, diagnostics } = await run([file('poetry.lock', truncated)]);
    expect(sets).toEqual([]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]?.code).toBe('PARSE_ERROR');
    expect(diagnostics[0]?.location).toEqual({ file: 'poetry.lock', line: truncated.split('\n').length });
  });

  it('keeps the lockfile packages when pyproject.toml is malformed, and says so', async () => {
    const lock = readFileSync(trivyFixture(DIR + 'poetry_normal.lock'), 'utf8');
    const { sets, diagnostics } = await run([
      file('poetry.lock', lock),
      file('pyproject.toml', '[tool.poetry\n'),
    ]);
    expect(sets[0]?.packages.map((p) => p.id)).toEqual(['pypi@2.1']);
    expect(diagnostics.map((d) => [d.code, d.location?.file, d.location?.line])).toEqual([
      ['PARSE_ERROR', 'pyproject.toml', 1],
    ]);
  });
});
