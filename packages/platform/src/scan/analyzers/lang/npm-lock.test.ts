import { readFileSync } from 'node:fs';
import type { Package } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { analyzerFile } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import {
  analyze,
  fixturePackages,
  integrationProblems,
  langFixtureSuite,
  textFile as file,
  trivyFixture,
} from '../../../testing/lang-conformance.js';
import { analyzer } from './npm-lock.js';

const run = (files: AnalyzerFile[]) => analyze(analyzer, files);
const lockPackages = (hostPath: string) => fixturePackages(analyzer, hostPath, 'package-lock.json');

describe('lang/npm-lock', () => {
  it("agrees with Trivy's npm parser tests", async () => {
    const report = await langFixtureSuite(analyzer, 'trivy');
    expect(report.total).toBe(9);
    expect(report.failures).toEqual([]);
  });

  it("matches Trivy's integration golden for a repository (package-lock.json and node_modules), without and with dev dependencies", async () => {
    expect(await integrationProblems(analyzer, 'npm')).toEqual({ problems: [], diagnostics: [] });
    const withDev = await integrationProblems(analyzer, 'npm', 'npm-with-dev', { includeDev: true });
    expect(withDev.problems).toEqual([]);
  });

  it("agrees with osv-scanner's npm lockfile tests on name@version", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect([report.total, report.divergent.length]).toEqual([20, 5]);
    expect(report.failures).toEqual([]);
  });

  it('records the line range of every lockfile entry, as Trivy does (v1 nested and v2 flat)', async () => {
    const dir = 'pkg/dependency/parser/nodejs/npm/testdata/';
    const v1 = await lockPackages(trivyFixture(dir + 'package-lock_v1.json'));
    const byId = (pkgs: Package[], id: string) => pkgs.find((p) => p.id === id);
    // Values from Trivy's parse_testcase.go (npmV1Libs / npmV2Libs).
    expect(byId(v1, '@babel/helper-string-parser@7.19.4')?.locations).toEqual([
      { startLine: 7, endLine: 11 },
    ]);
    expect(byId(v1, 'debug@2.6.9')?.locations).toEqual([
      { startLine: 35, endLine: 42 },
      { startLine: 111, endLine: 118 },
    ]);
    expect(byId(v1, 'ms@2.0.0')?.locations).toEqual([
      { startLine: 43, endLine: 47 },
      { startLine: 119, endLine: 123 },
    ]);
    const v3 = await lockPackages(trivyFixture(dir + 'package-lock_v3.json'));
    expect(byId(v3, '@babel/helper-string-parser@7.19.4')?.locations).toEqual([
      { startLine: 24, endLine: 31 },
    ]);
    expect(byId(v3, 'body-parser@1.18.3')?.locations).toEqual([{ startLine: 38, endLine: 57 }]);
  });

  it('resolves dependsOn through nested node_modules and the root', async () => {
    const dir = 'pkg/dependency/parser/nodejs/npm/testdata/';
    for (const name of ['package-lock_v1.json', 'package-lock_v3.json']) {
      const pkgs = await lockPackages(trivyFixture(dir + name));
      const deps = (id: string) => pkgs.find((p) => p.id === id)?.dependsOn;
      // From Trivy's npmDeps table.
      expect(deps('debug@2.5.2'), name).toEqual(['ms@0.7.2']);
      expect(deps('debug@2.6.9'), name).toEqual(['ms@2.0.0']);
      expect(deps('promise@8.3.0'), name).toEqual(['asap@2.0.6']);
      expect(deps('type-is@1.6.18'), name).toEqual(['media-typer@0.3.0', 'mime-types@2.1.35']);
    }
  });

  it('reads licenses from the lockfile, including the legacy object and array forms', async () => {
    const pkgs = await lockPackages(
      trivyFixture('pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3_with_legacy_licenses.json'),
    );
    const lic = (id: string) => pkgs.find((p) => p.id === id)?.licenses;
    expect(lic('tv4@1.3.0')).toEqual(['Public Domain', 'MIT']);
    expect(lic('pause-stream@0.0.11')).toEqual(['MIT', 'Apache2']);
    expect(lic('mustache@2.3.2')).toEqual(['MIT']);
  });

  it('takes licenses from node_modules/*/package.json beside the lockfile when the lockfile has none', async () => {
    const lock = JSON.stringify({
      lockfileVersion: 3,
      packages: {
        '': { dependencies: { a: '^1.0.0', '@s/b': '^2.0.0' } },
        'node_modules/a': { version: '1.0.0' },
        'node_modules/@s/b': { version: '2.0.0' },
      },
    });
    const { sets } = await run([
      file('app/package-lock.json', lock),
      file('app/node_modules/a/package.json', '{"name":"a","version":"1.0.0","license":"MIT"}'),
      file(
        'app/node_modules/@s/b/package.json',
        '{"name":"@s/b","version":"2.0.0","license":{"type":"ISC"}}',
      ),
      file('other/node_modules/a/package.json', '{"name":"a","version":"1.0.0","license":"GPL-3.0"}'),
    ]);
    expect(sets).toHaveLength(1);
    expect(sets[0]?.filePath).toBe('app/package-lock.json');
    expect(sets[0]?.packages.map((p) => [p.id, p.licenses])).toEqual([
      ['@s/b@2.0.0', ['ISC']],
      ['a@1.0.0', ['MIT']],
    ]);
  });

  it('wants lockfiles outside node_modules and package roots inside it', () => {
    const info = { size: 1, mode: 0o644 };
    expect(analyzer.required('package-lock.json', info)).toBe(true);
    expect(analyzer.required('web/package-lock.json', info)).toBe(true);
    expect(analyzer.required('node_modules/x/package-lock.json', info)).toBe(false);
    expect(analyzer.required('node_modules/x/package.json', info)).toBe(true);
    expect(analyzer.required('node_modules/@s/x/package.json', info)).toBe(true);
    expect(analyzer.required('node_modules/x/lib/package.json', info)).toBe(false);
    expect(analyzer.required('package.json', info)).toBe(false);
  });

  it('warns about a broken workspace link and skips it', async () => {
    const pkgs = await run([
      analyzerFile(
        trivyFixture('pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3_broken_link.json'),
        'package-lock.json',
      ),
    ]);
    expect(pkgs.diagnostics.map((d) => d.code)).toContain('NPM_LOCK_ENTRY');
    // The link was its only package: nothing is left.
    expect(pkgs.sets).toEqual([]);
  });

  it('reports truncated JSON as a diagnostic with file and line, and does not throw', async () => {
    const text = readFileSync(
      trivyFixture('pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3.json'),
      'utf8',
    );
    const truncated = text.slice(0, Math.floor(text.length / 2));
    const { sets, diagnostics } = await run([file('web/package-lock.json', truncated)]);
    expect(sets).toEqual([]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]?.code).toBe('PARSE_ERROR');
    expect(diagnostics[0]?.location?.file).toBe('web/package-lock.json');
    expect(diagnostics[0]?.location?.line).toBe(truncated.split('\n').length);
  });

  it('bounds nesting depth on hostile input', async () => {
    const deep = '{"lockfileVersion":1,"dependencies":' + '{"a":{"version":"1","dependencies":'.repeat(2000);
    const { diagnostics } = await run([file('package-lock.json', deep)]);
    expect(diagnostics[0]?.code).toBe('PARSE_ERROR');
  });
});
