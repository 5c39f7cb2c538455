import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  analyze,
  fixturePackages,
  langFixtureSuite,
  osvFixture,
  textFile,
} from '../../../testing/lang-conformance.js';
import { analyzer } from './pdm-lock.js';

const lockPackages = (hostPath: string) => fixturePackages(analyzer, hostPath, 'pdm.lock');

describe('lang/pdm-lock', () => {
  // osv-scanner's `dev` group is our dev flag (osvDevFlags in testing/lang-conformance.ts).
  it("agrees with osv-scanner's pdm.lock tests on name@version and dev groups", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect(report.total).toBe(7);
    expect(report.failures).toEqual([]);
  });

  it('resolves requirements to locked packages', async () => {
    const pkgs = await lockPackages(osvFixture('fixtures/pdm/dev-dependency.toml'));
    expect(pkgs.find((p) => p.name === 'pyroute2')?.dependsOn).toEqual(['win-inet-pton@1.1.0']);
  });

  it('reports malformed TOML as a diagnostic with file and line, and does not throw', async () => {
    const text = readFileSync(osvFixture('fixtures/pdm/two-packages.toml'), 'utf8');
    const truncated = text.slice(0, text.indexOf('[[package]]') + 8);
    const { sets, diagnostics } = await analyze(analyzer, [textFile('x/pdm.lock', truncated)]);
    expect(sets).toEqual([]);
    expect(diagnostics[0]?.code).toBe('PARSE_ERROR');
    expect(diagnostics[0]?.location).toEqual({ file: 'x/pdm.lock', line: truncated.split('\n').length });
  });
});
