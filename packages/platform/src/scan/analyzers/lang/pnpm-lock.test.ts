import { readFileSync } from 'node:fs';
import type { Package } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import {
  compareNameVersions,
  compareWithGolden,
  integrationGolden,
  integrationRepoFiles,
  compareWithTrivy,
  osvCases,
  osvFixture,
  runSuite,
  trivyCases,
  trivyFixture,
} from '../../../testing/lang-conformance.js';
import { analyzer } from './pnpm-lock.js';

function file(path: string, content: string): AnalyzerFile {
  const buf = Buffer.from(content);
  return { path, content: buf, size: buf.length, mode: 0o644 };
}

async function run(files: AnalyzerFile[]) {
  const ctx = testContext();
  const result = await analyzer.analyze(files, ctx);
  return { sets: result.packageSets ?? [], diagnostics: ctx.diagnostics.items };
}

async function lockPackages(hostPath: string): Promise<Package[]> {
  const { sets } = await run([analyzerFile(hostPath, 'pnpm-lock.yaml')]);
  return sets[0]?.packages ?? [];
}

/** osv-scanner cases where we follow Trivy instead, each with the reason. */
const OSV_PNPM_DIVERGENCES: Record<string, string> = {
  'pkg/lockfile/parse-pnpm-lock_test.go:TestParsePnpmLock_Exotic':
    'keys that are not name/version (github.com/kevva/is-positive, /foo/bar): Trivy keeps them with an empty version',
  'pkg/lockfile/parse-pnpm-lock_test.go:TestParsePnpmLock_Files':
    'a file: entry without a name: Trivy takes the name from the key and leaves the version empty',
  'pkg/lockfile/parse-pnpm-lock_test.go:TestParsePnpmLock_InvalidPackagePath':
    'osv-scanner rejects the whole file for one malformed key; Trivy keeps the readable packages',
  'pkg/lockfile/parse-pnpm-lock_test.go:TestParsePnpmLock_Tarball':
    'the only package is `dev: true`: Trivy leaves dev packages out of v5/v6 lockfiles',
};

describe('lang/pnpm-lock', () => {
  it("agrees with Trivy's pnpm parser tests", async () => {
    const cases = trivyCases('parser/nodejs/pnpm/');
    const results = await Promise.all(cases.map(async (c) => lockPackages(trivyFixture(c.fixture))));
    const report = runSuite(
      'trivy pnpm',
      cases.map((c, i) => ({ name: c.fixture, run: () => compareWithTrivy(results[i] ?? [], c.packages) })),
    );
    expect(report.total).toBe(10);
    expect(report.failures).toEqual([]);
  });

  it("matches Trivy's integration golden for a repository (pnpm-lock.yaml and the .pnpm store)", async () => {
    const { sets, diagnostics } = await run(integrationRepoFiles('pnpm'));
    expect(diagnostics).toEqual([]);
    expect(compareWithGolden(sets, integrationGolden('pnpm'))).toEqual([]);
  });
  it("agrees with osv-scanner's pnpm lockfile tests on name@version", async () => {
    const cases = osvCases('ParsePnpmLock');
    const results = await Promise.all(cases.map(async (c) => lockPackages(osvFixture(c.fixture))));
    const report = runSuite(
      'osv-scanner pnpm',
      cases.map((c, i) => ({ name: c.test, run: () => compareNameVersions(results[i] ?? [], c.packages) })),
      OSV_PNPM_DIVERGENCES,
    );
    expect(report.total).toBe(26 - Object.keys(OSV_PNPM_DIVERGENCES).length);
    expect(report.failures).toEqual([]);
  });

  it('resolves v9 dependsOn to snapshot ids, peers included, and propagates production status', async () => {
    const pkgs = await lockPackages(
      trivyFixture('pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_v9_same-vers-diff-peers.yaml'),
    );
    const get = (id: string) => pkgs.find((p) => p.id === id);
    expect(get('jest-runner@30.0.3')?.dependsOn).toEqual(['jest-pnp-resolver@1.2.3(jest-resolve@30.0.2)']);
    expect(get('jest-resolve@30.0.2')?.dev).toBe(false);
    expect(get('jest-resolve@27.5.1')?.dev).toBe(true);
  });

  it('reads the last document of a multi-document lockfile', async () => {
    const pkgs = await lockPackages(
      trivyFixture('pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_v9_multiple_documents.yaml'),
    );
    expect(pkgs.map((p) => p.id)).toEqual(['is-number@7.0.0']);
  });

  it('takes licenses from installed packages, including the .pnpm virtual store', async () => {
    const lock = [
      "lockfileVersion: '9.0'",
      'importers:',
      '  .:',
      '    dependencies:',
      '      a:',
      '        specifier: ^1.0.0',
      '        version: 1.0.0',
      'packages:',
      '  a@1.0.0:',
      '    resolution: {integrity: sha512-x}',
      'snapshots:',
      '  a@1.0.0: {}',
      '',
    ].join('\n');
    const { sets } = await run([
      file('pnpm-lock.yaml', lock),
      file(
        'node_modules/.pnpm/a@1.0.0/node_modules/a/package.json',
        '{"name":"a","version":"1.0.0","license":"MIT"}',
      ),
    ]);
    expect(sets[0]?.packages).toEqual([
      { id: 'a@1.0.0', name: 'a', version: '1.0.0', relationship: 'direct', dev: false, licenses: ['MIT'] },
    ]);
  });

  it('keeps versions as written (1.10 is not the number 1.1)', async () => {
    const lock = [
      "lockfileVersion: '6.0'",
      'dependencies:',
      '  a: 1.10',
      'packages:',
      '  /a@1.10:',
      '    dev: false',
      '',
    ];
    const { sets } = await run([file('pnpm-lock.yaml', lock.join('\n'))]);
    expect(sets[0]?.packages.map((p) => p.name)).toEqual(['a']);
  });

  it('reports truncated YAML as a diagnostic with file and line, and does not throw', async () => {
    const text = readFileSync(
      trivyFixture('pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_v9.yaml'),
      'utf8',
    );
    const truncated = text.slice(0, text.indexOf('resolution: {integrity') + 25);
    const { sets, diagnostics } = await run([file('a/pnpm-lock.yaml', truncated)]);
    expect(sets).toEqual([]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]?.code).toBe('PARSE_ERROR');
    expect(diagnostics[0]?.location?.file).toBe('a/pnpm-lock.yaml');
    expect(diagnostics[0]?.location?.line).toBeGreaterThan(40);
  });

  it('bounds YAML alias expansion', async () => {
    const bomb = [
      "lockfileVersion: '9.0'",
      'a: &a [x,x,x,x,x,x,x,x,x,x]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      '',
    ].join('\n');
    const { diagnostics } = await run([file('pnpm-lock.yaml', bomb)]);
    expect(diagnostics[0]?.code).toBe('PARSE_ERROR');
  });
});
