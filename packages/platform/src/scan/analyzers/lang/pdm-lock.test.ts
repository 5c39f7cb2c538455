import { readFileSync } from 'node:fs';
import type { Package } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { compareNameVersions, osvCases, osvFixture, runSuite } from '../../../testing/lang-conformance.js';
import { analyzer } from './pdm-lock.js';

async function run(f: AnalyzerFile) {
  const ctx = testContext();
  const result = await analyzer.analyze([f], ctx);
  return { sets: result.packageSets ?? [], diagnostics: ctx.diagnostics.items };
}

async function lockPackages(hostPath: string): Promise<Package[]> {
  const { sets } = await run(analyzerFile(hostPath, 'pdm.lock'));
  return sets[0]?.packages ?? [];
}

describe('lang/pdm-lock', () => {
  it("agrees with osv-scanner's pdm.lock tests on name@version and dev groups", async () => {
    const cases = osvCases('ParsePdmLock');
    const results = await Promise.all(cases.map(async (c) => lockPackages(osvFixture(c.fixture))));
    const report = runSuite(
      'osv-scanner pdm',
      cases.map((c, i) => ({
        name: c.test,
        run: () => {
          const got = results[i] ?? [];
          const problems = compareNameVersions(got, c.packages);
          // osv-scanner's `dev` group is our dev flag.
          for (const w of c.packages) {
            const g = got.find((p) => p.name === w.name && p.version === w.version);
            const wantDev = (w.depGroups ?? []).includes('dev');
            if (g && (g.dev ?? false) !== wantDev) problems.push(`${w.name}: dev ${g.dev} ≠ ${wantDev}`);
          }
          return problems;
        },
      })),
    );
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
    const content = Buffer.from(truncated);
    const { sets, diagnostics } = await run({
      path: 'x/pdm.lock',
      content,
      size: content.length,
      mode: 0o644,
    });
    expect(sets).toEqual([]);
    expect(diagnostics[0]?.code).toBe('PARSE_ERROR');
    expect(diagnostics[0]?.location).toEqual({ file: 'x/pdm.lock', line: truncated.split('\n').length });
  });
});
