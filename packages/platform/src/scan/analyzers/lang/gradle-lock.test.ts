import { describe, expect, it } from 'vitest';
import { analyzerFile } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { analyze, langFixtureSuite, trivyFixture } from '../../../testing/lang-conformance.js';
import { analyzer } from './gradle-lock.js';

const run = (files: AnalyzerFile[]) => analyze(analyzer, files);

describe('lang/gradle-lock', () => {
  it('applies to *gradle.lockfile in source trees, as Trivy', () => {
    expect(analyzer.targets).toEqual(['fs']);
    expect(analyzer.required('app/gradle.lockfile', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('app/buildscript-gradle.lockfile', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('app/gradle.lockfile.bak', { size: 1, mode: 0o644 })).toBe(false);
  });

  it("agrees with osv-scanner's Gradle lock tests on name@version", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect(report.total).toBe(5);
    expect(report.failures).toEqual([]);
  });

  // Trivy's parser test (gradle/lockfile/parse_test.go): leading spaces trimmed, comments (even indented) skipped,
  // the `empty=` line skipped, the line number as location, relationship unknown.
  it("reads Trivy's happy.lockfile with line locations", async () => {
    const dir = 'pkg/dependency/parser/gradle/lockfile/testdata/';
    const { sets } = await run([
      analyzerFile(trivyFixture(`${dir}happy.lockfile`), 'gradle.lockfile'),
      analyzerFile(trivyFixture(`${dir}empty.lockfile`), 'b/gradle.lockfile'),
    ]);
    expect(sets.map((s) => s.filePath)).toEqual(['gradle.lockfile']);
    expect(sets[0]?.packages.map((p) => `${p.id} ${p.relationship} ${p.locations?.[0]?.startLine}`)).toEqual([
      'cglib:cglib-nodep:2.1.2 unknown 4',
      'junit:junit:4.13.2 unknown 5',
      'org.springframework:spring-asm:3.1.3.RELEASE unknown 6',
      'org.springframework:spring-beans:5.0.5.RELEASE unknown 7',
    ]);
  });
});
