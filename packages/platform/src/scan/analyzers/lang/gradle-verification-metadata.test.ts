import { describe, expect, it } from 'vitest';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { compareNameVersions, osvCases, osvFixture, runSuite } from '../../../testing/lang-conformance.js';
import { analyzer } from './gradle-verification-metadata.js';

async function run(files: AnalyzerFile[]) {
  const ctx = testContext();
  const result = await analyzer.analyze(files, ctx);
  return { sets: result.packageSets ?? [], diagnostics: ctx.diagnostics.items };
}

describe('lang/gradle-verification-metadata', () => {
  it('applies to gradle/verification-metadata.xml in source trees', () => {
    expect(analyzer.targets).toEqual(['fs']);
    expect(analyzer.required('gradle/verification-metadata.xml', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('gradle/verification-keyring.keys', { size: 1, mode: 0o644 })).toBe(false);
  });

  it("agrees with osv-scanner's verification metadata tests on name@version", async () => {
    const cases = osvCases('ParseGradleVerificationMetadata');
    const results = await Promise.all(
      cases.map(async (c) => run([analyzerFile(osvFixture(c.fixture), 'gradle/verification-metadata.xml')])),
    );
    const report = runSuite(
      'osv-scanner gradle verification metadata',
      cases.map((c, i) => ({
        name: c.test,
        run: () => compareNameVersions(results[i]?.sets[0]?.packages ?? [], c.packages),
      })),
    );
    expect(report.total).toBe(6);
    expect(report.failures).toEqual([]);
    const notXml = cases.findIndex((c) => c.fixture.endsWith('not-xml.txt'));
    expect(results[notXml]?.diagnostics.map((d) => d.code)).toEqual(['GRADLE_VERIFICATION_MALFORMED']);
  });
});
