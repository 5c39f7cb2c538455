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
import { analyzer } from './yarn-lock.js';

const run = (files: AnalyzerFile[]) => analyze(analyzer, files);
const lockPackages = (hostPath: string) => fixturePackages(analyzer, hostPath, 'yarn.lock');

describe('lang/yarn-lock', () => {
  it("agrees with Trivy's yarn parser tests", async () => {
    const report = await langFixtureSuite(analyzer, 'trivy');
    expect(report.total).toBe(6);
    expect(report.failures).toEqual([]);
  });

  it("matches Trivy's integration golden for a repository (yarn.lock, package.json, node_modules)", async () => {
    expect(await integrationProblems(analyzer, 'yarn')).toEqual({ problems: [], diagnostics: [] });
  });

  it("agrees with osv-scanner's yarn lockfile tests on name@version", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect([report.total, report.divergent.length]).toEqual([13, 10]);
    expect(report.failures).toEqual([]);
  });

  it('records block line ranges and resolves dependsOn through patterns, as Trivy does', async () => {
    const dir = 'pkg/dependency/parser/nodejs/yarn/testdata/';
    const v1 = await lockPackages(trivyFixture(dir + 'yarn_happy.lock'));
    const v2 = await lockPackages(trivyFixture(dir + 'yarn_v2_happy.lock'));
    const get = (pkgs: Package[], id: string) => pkgs.find((p) => p.id === id);
    // Values from Trivy's parse_testcase.go (yarnHappy, yarnV2Happy, yarnHappyDeps).
    expect(get(v1, 'wide-align@1.1.3')?.locations).toEqual([{ startLine: 101, endLine: 106 }]);
    expect(get(v1, 'whatwg-fetch@3.0.0')?.locations).toEqual([{ startLine: 96, endLine: 99 }]);
    expect(get(v1, 'wide-align@1.1.3')?.dependsOn).toEqual(['string-width@2.1.1']);
    expect(get(v1, 'string-width@2.1.1')?.dependsOn).toEqual([
      'is-fullwidth-code-point@2.0.0',
      'strip-ansi@4.0.0',
    ]);
    expect(get(v2, '@types/color-name@1.1.1')?.locations).toEqual([{ startLine: 8, endLine: 13 }]);
    expect(get(v2, 'ansi-styles@4.2.1')?.locations).toEqual([{ startLine: 31, endLine: 39 }]);
    expect(get(v2, 'ansi-styles@4.2.1')?.dependsOn).toEqual([
      '@types/color-name@1.1.1',
      'color-convert@2.0.1',
    ]);
  });

  it('warns about an unknown protocol and keeps the other entries', async () => {
    const { sets, diagnostics } = await run([
      analyzerFile(
        trivyFixture('pkg/dependency/parser/nodejs/yarn/testdata/yarn_with_bad_protocol.lock'),
        'yarn.lock',
      ),
    ]);
    expect(sets[0]?.packages.map((p) => p.id)).toEqual(['jquery@3.4.1']);
    expect(diagnostics.map((d) => [d.code, d.location?.line])).toEqual([['YARN_LOCK_ENTRY', 1]]);
  });

  const lock = [
    '# yarn lockfile v1',
    '',
    'a@^1.0.0:',
    '  version "1.2.0"',
    '  dependencies:',
    '    b "^2.0.0"',
    '',
    'b@^2.0.0:',
    '  version "2.1.0"',
    '',
    'c@^3.0.0:',
    '  version "3.0.0"',
    '  dependencies:',
    '    d "~4.0.0"',
    '',
    'd@~4.0.0:',
    '  version "4.0.1"',
    '',
    'e@^5.0.0:',
    '  version "5.0.0"',
    '',
    'orphan@^9.0.0:',
    '  version "9.0.0"',
    '',
  ].join('\n');

  it('marks direct, indirect and dev packages from package.json and adds the root and workspaces', async () => {
    const { sets, diagnostics } = await run([
      file('app/yarn.lock', lock),
      file(
        'app/package.json',
        JSON.stringify({
          name: 'app',
          version: '1.0.0',
          license: 'MIT',
          workspaces: ['packages/*'],
          dependencies: { a: '^1.0.0' },
          devDependencies: { c: '^3.0.0' },
        }),
      ),
      file(
        'app/packages/w1/package.json',
        JSON.stringify({ name: 'w1', version: '0.1.0', dependencies: { e: '^5' } }),
      ),
      file(
        'app/node_modules/a/package.json',
        JSON.stringify({ name: 'a', version: '1.2.0', license: 'ISC' }),
      ),
    ]);
    expect(diagnostics).toEqual([]);
    const view = (sets[0]?.packages ?? []).map((p) => ({
      id: p.id,
      rel: p.relationship,
      dev: p.dev ?? false,
      deps: p.dependsOn,
      lic: p.licenses,
    }));
    expect(view).toEqual([
      { id: 'app@1.0.0', rel: 'root', dev: false, deps: ['a@1.2.0', 'c@3.0.0', 'w1@0.1.0'], lic: ['MIT'] },
      { id: 'w1@0.1.0', rel: 'workspace', dev: false, deps: ['e@5.0.0'], lic: undefined },
      { id: 'a@1.2.0', rel: 'direct', dev: false, deps: ['b@2.1.0'], lic: ['ISC'] },
      { id: 'c@3.0.0', rel: 'direct', dev: true, deps: ['d@4.0.1'], lic: undefined },
      { id: 'e@5.0.0', rel: 'direct', dev: false, deps: undefined, lic: undefined },
      { id: 'b@2.1.0', rel: 'indirect', dev: false, deps: undefined, lic: undefined },
      { id: 'd@4.0.1', rel: 'indirect', dev: true, deps: undefined, lic: undefined },
      { id: 'orphan@9.0.0', rel: undefined, dev: false, deps: undefined, lic: undefined },
    ]);
  });

  it('matches an aliased direct dependency (npm:real@range) to its lockfile entry', async () => {
    const aliasLock = ['"string-width-cjs@npm:string-width@^4.2.0":', '  version "4.2.3"', ''].join('\n');
    const { sets } = await run([
      file('yarn.lock', aliasLock),
      file(
        'package.json',
        JSON.stringify({
          name: 'x',
          version: '1.0.0',
          dependencies: { 'string-width-cjs': 'npm:string-width@^4.2.0' },
        }),
      ),
    ]);
    const direct = sets[0]?.packages.find((p) => p.relationship === 'direct');
    expect(direct?.name).toBe('string-width');
    expect(direct?.version).toBe('4.2.3');
  });

  it('reads a protocol-prefixed range (npm:^1.0.0) as the range, not as an alias', async () => {
    const { sets } = await run([
      file('yarn.lock', lock),
      file(
        'package.json',
        JSON.stringify({ name: 'x', version: '1.0.0', dependencies: { a: 'npm:^1.0.0' } }),
      ),
    ]);
    const a = sets[0]?.packages.find((p) => p.id === 'a@1.2.0');
    expect(a).toMatchObject({ name: 'a', relationship: 'direct' });
  });

  it('leaves relationships unknown when a direct dependency range cannot be compared', async () => {
    const { sets, diagnostics } = await run([
      file('yarn.lock', lock),
      file('package.json', JSON.stringify({ name: 'x', version: '1.0.0', dependencies: { a: 'latest' } })),
    ]);
    expect(diagnostics.map((d) => d.code)).toEqual(['YARN_DIRECT_DEPS']);
    expect(sets[0]?.packages.every((p) => p.relationship === undefined)).toBe(true);
  });

  it('skips lockfiles in node_modules and .yarn, and wants every manifest', () => {
    const info = { size: 1, mode: 0o644 };
    expect(analyzer.required('yarn.lock', info)).toBe(true);
    expect(analyzer.required('node_modules/x/yarn.lock', info)).toBe(false);
    expect(analyzer.required('.yarn/cache/yarn.lock', info)).toBe(false);
    expect(analyzer.required('packages/w/package.json', info)).toBe(true);
    expect(analyzer.required('node_modules/x/package.json', info)).toBe(true);
    expect(analyzer.required('node_modules/x/dist/package.json', info)).toBe(false);
  });

  it('reports a truncated entry with file and line, and keeps the rest', async () => {
    const truncated = lock.slice(0, lock.indexOf('  version "9.0.0"') + 4);
    const { sets, diagnostics } = await run([file('sub/yarn.lock', truncated)]);
    expect(sets[0]?.packages.map((p) => p.id)).toContain('e@5.0.0');
    expect(diagnostics).toEqual([
      {
        code: 'YARN_LOCK_ENTRY',
        severity: 'warning',
        message: 'entry orphan has no version',
        location: { file: 'sub/yarn.lock', line: 22 },
      },
    ]);
  });

  it('reports an unparsable package.json beside the lockfile and keeps the lockfile packages', async () => {
    const { sets, diagnostics } = await run([
      file('yarn.lock', lock),
      file('package.json', '{"name": "x",\n "dependencies": {'),
    ]);
    expect(sets[0]?.packages).toHaveLength(6);
    expect(diagnostics[0]?.code).toBe('PARSE_ERROR');
    expect(diagnostics[0]?.location).toEqual({ file: 'package.json', line: 2 });
  });
});
