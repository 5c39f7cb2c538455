import { describe, expect, it } from 'vitest';
import { analyzerFile } from '../../../testing/shared-data.js';
import { analyze, langFixtureSuite, osvFixture } from '../../../testing/lang-conformance.js';
import { analyzer } from './gradle-verification-metadata.js';

describe('lang/gradle-verification-metadata', () => {
  it('applies to gradle/verification-metadata.xml in source trees', () => {
    expect(analyzer.targets).toEqual(['fs']);
    expect(analyzer.required('gradle/verification-metadata.xml', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('gradle/verification-keyring.keys', { size: 1, mode: 0o644 })).toBe(false);
  });

  it("agrees with osv-scanner's verification metadata tests on name@version", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect(report.total).toBe(6);
    expect(report.failures).toEqual([]);
    const notXml = await analyze(analyzer, [
      analyzerFile(
        osvFixture('fixtures/gradle-verification-metadata/not-xml.txt'),
        'gradle/verification-metadata.xml',
      ),
    ]);
    expect(notXml.diagnostics.map((d) => d.code)).toEqual(['GRADLE_VERIFICATION_MALFORMED']);
  });
});
