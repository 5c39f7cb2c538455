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
import { analyzer } from './pnpm-lock.js';

const run = (files: AnalyzerFile[]) => analyze(analyzer, files);
const lockPackages = (hostPath: string) => fixturePackages(analyzer, hostPath, 'pnpm-lock.yaml');

describe('lang/pnpm-lock', () => {
  it("agrees with Trivy's pnpm parser tests", async () => {
    const report = await langFixtureSuite(analyzer, 'trivy');
    expect(report.total).toBe(10);
    expect(report.failures).toEqual([]);
  });

  it("matches Trivy's integration golden for a repository (pnpm-lock.yaml and the .pnpm store)", async () => {
    expect(await integrationProblems(analyzer, 'pnpm')).toEqual({ problems: [], diagnostics: [] });
  });

  it("agrees with osv-scanner's pnpm lockfile tests on name@version", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect([report.total, report.divergent.length]).toEqual([22, 4]);
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
