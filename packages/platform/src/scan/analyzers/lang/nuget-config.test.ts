import { describe, expect, it } from 'vitest';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { trivyFixture } from '../../../testing/lang-conformance.js';
import { analyzer } from './nuget-config.js';

const DIR = 'pkg/dependency/parser/nuget/config/testdata/';

async function run(files: AnalyzerFile[]) {
  const ctx = testContext();
  const result = await analyzer.analyze(files, ctx);
  return { sets: result.packageSets ?? [], diagnostics: ctx.diagnostics.items };
}

describe('lang/nuget-config', () => {
  it('applies to packages.config in every kind of scan, as Trivy', () => {
    expect(analyzer.targets).toEqual(['image', 'rootfs', 'fs']);
    expect(analyzer.required('x/packages.config', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('x/web.config', { size: 1, mode: 0o644 })).toBe(false);
  });

  // Trivy's parser test (nuget/config/parse_test.go) expects these packages for its fixtures.
  it("reads Trivy's packages.config fixtures (BOM, development dependencies, malformed XML)", async () => {
    const { sets, diagnostics } = await run([
      analyzerFile(trivyFixture(`${DIR}packages.config`), 'a/packages.config'),
      analyzerFile(trivyFixture(`${DIR}dev_dependency.config`), 'b/packages.config'),
      analyzerFile(trivyFixture(`${DIR}malformed_xml.config`), 'c/packages.config'),
    ]);
    expect(sets.map((s) => [s.filePath, s.type, s.packages.map((p) => p.id)])).toEqual([
      ['a/packages.config', 'nuget', ['Microsoft.AspNet.WebApi@5.2.2', 'Newtonsoft.Json@6.0.4']],
      ['b/packages.config', 'nuget', ['Newtonsoft.Json@8.0.3']],
    ]);
    expect(diagnostics.map((d) => [d.code, d.location?.file])).toEqual([
      ['NUGET_CONFIG_MALFORMED', 'c/packages.config'],
    ]);
  });

  it('skips entries without an id, accepts Go-style booleans and rejects a document that is not <packages>', async () => {
    const text = `<packages>
  <package id="" version="1.0.0" />
  <package id="A" version="1.0.0" developmentDependency="True" />
  <package id="B" version="2.0.0" developmentDependency="false" />
  <package id="B" version="2.0.0" />
</packages>`;
    const buf = (s: string): AnalyzerFile => ({
      path: 'packages.config',
      content: Buffer.from(s),
      size: s.length,
      mode: 0o644,
    });
    const { sets } = await run([buf(text)]);
    expect(sets[0]?.packages).toEqual([{ id: 'B@2.0.0', name: 'B', version: '2.0.0' }]);
    const other = await run([buf('<configuration><package id="A" version="1"/></configuration>')]);
    expect(other.sets).toEqual([]);
    expect(other.diagnostics.map((d) => d.code)).toEqual(['NUGET_CONFIG_MALFORMED']);
  });
});
