import { describe, expect, it } from 'vitest';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { trivyFixture } from '../../../testing/lang-conformance.js';
import { analyzer } from './packages-props.js';

const DIR = 'pkg/dependency/parser/nuget/packagesprops/testdata/';

async function run(files: AnalyzerFile[]) {
  const ctx = testContext();
  const result = await analyzer.analyze(files, ctx);
  return { sets: result.packageSets ?? [], diagnostics: ctx.diagnostics.items };
}

describe('lang/packages-props', () => {
  it('applies to any path ending in packages.props, case-insensitively, in every kind of scan (as Trivy)', () => {
    expect(analyzer.targets).toEqual(['image', 'rootfs', 'fs']);
    for (const p of [
      'Directory.Packages.props',
      'src/Packages.props',
      'x/packages.props',
      'a/MyPackages.PROPS',
    ]) {
      expect(analyzer.required(p, { size: 1, mode: 0o644 })).toBe(true);
    }
    expect(analyzer.required('Directory.Build.props', { size: 1, mode: 0o644 })).toBe(false);
  });

  // What Trivy's parser test (nuget/packagesprops/parse_test.go) expects for its fixtures.
  it("reads Trivy's fixtures", async () => {
    const fixtures = [
      'packages.props',
      'Directory.Packages.props',
      'several_item_groups',
      'variables_and_empty',
      'no_item_group.props',
      'no_project.props',
    ];
    const { sets, diagnostics } = await run(fixtures.map((f) => analyzerFile(trivyFixture(DIR + f), f)));
    expect(sets.map((s) => [s.filePath, s.type, s.packages.map((p) => p.id)])).toEqual([
      [
        'packages.props',
        'packages-props',
        [
          'Microsoft.Extensions.Configuration@2.1.1',
          'Microsoft.Extensions.DependencyInjection.Abstractions@2.2.1',
          'Microsoft.Extensions.Http@3.2.1',
        ],
      ],
      [
        'Directory.Packages.props',
        'packages-props',
        ['PackageOne@6.2.3', 'PackageThree@2.4.1', 'PackageTwo@6.0.0'],
      ],
      [
        'several_item_groups',
        'packages-props',
        ['PackageOne@6.2.3', 'PackageThree@2.4.1', 'PackageTwo@6.0.0'],
      ],
      ['variables_and_empty', 'packages-props', ['PackageFour@2.4.1']],
    ]);
    // no_item_group.props: items outside <ItemGroup> are not read (no packages, no error);
    // no_project.props: the root element is not <Project>.
    expect(diagnostics.map((d) => [d.code, d.location?.file])).toEqual([
      ['PACKAGES_PROPS_MALFORMED', 'no_project.props'],
    ]);
  });

  it('reads PackageVersion items (central package management) and reports malformed XML', async () => {
    const text = `<Project><ItemGroup><PackageVersion Include="Serilog" Version="3.1.1" /></ItemGroup></Project>`;
    const { sets, diagnostics } = await run([
      { path: 'Directory.Packages.props', content: Buffer.from(text), size: text.length, mode: 0o644 },
      {
        path: 'bad/Directory.Packages.props',
        content: Buffer.from('<Project><ItemGroup>'),
        size: 20,
        mode: 0o644,
      },
    ]);
    expect(sets[0]?.packages).toEqual([{ id: 'Serilog@3.1.1', name: 'Serilog', version: '3.1.1' }]);
    expect(diagnostics.map((d) => d.code)).toEqual(['PACKAGES_PROPS_MALFORMED']);
  });
});
