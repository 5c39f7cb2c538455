import { describe, expect, it } from 'vitest';
import { analyzerFile } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import {
  analyze,
  fixturePackages,
  langFixtureSuite,
  osvFixture,
  textFile as file,
  trivyFixture,
} from '../../../testing/lang-conformance.js';
import { analyzer } from './nuget-lock.js';

const run = (files: AnalyzerFile[]) => analyze(analyzer, files);
const lockPackages = (hostPath: string) => fixturePackages(analyzer, hostPath, 'packages.lock.json');

describe('lang/nuget-lock', () => {
  it('applies to packages.lock.json in every kind of scan, as Trivy', () => {
    expect(analyzer.targets).toEqual(['image', 'rootfs', 'fs']);
    expect(analyzer.required('src/App/packages.lock.json', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('src/App/packages.lock.json.bak', { size: 1, mode: 0o644 })).toBe(false);
  });

  it("agrees with Trivy's NuGet lock parser tests", async () => {
    const report = await langFixtureSuite(analyzer, 'trivy');
    expect(report.total).toBe(4);
    expect(report.failures).toEqual([]);
  });

  it("agrees with osv-scanner's NuGet lock tests on name@version", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect(report.total).toBe(8);
    expect(report.failures).toEqual([]);
    // The not-JSON fixture is a diagnostic, not an exception.
    const notJson = await run([
      analyzerFile(osvFixture('fixtures/nuget/not-json.txt'), 'packages.lock.json'),
    ]);
    expect(notJson.diagnostics.map((d) => d.code)).toEqual(['NUGET_LOCK_MALFORMED']);
  });

  it('records the line range of each entry and the dependency graph, as Trivy', async () => {
    const simple = await lockPackages(
      trivyFixture('pkg/dependency/parser/nuget/lock/testdata/packages_lock_simple.json'),
    );
    expect(simple.map((p) => [p.id, p.locations])).toEqual([
      ['Newtonsoft.Json@12.0.3', [{ startLine: 5, endLine: 10 }]],
      ['NuGet.Frameworks@5.7.0', [{ startLine: 11, endLine: 16 }]],
    ]);
    const sub = await lockPackages(
      trivyFixture('pkg/dependency/parser/nuget/lock/testdata/packages_lock_subdependencies.json'),
    );
    const graph: Record<string, string[]> = {};
    for (const p of sub) if (p.dependsOn && p.id) graph[p.id] = p.dependsOn;
    expect(graph).toEqual({
      'Swashbuckle.AspNetCore@5.5.1': [
        'Microsoft.Extensions.ApiDescription.Server@3.0.0',
        'Swashbuckle.AspNetCore.Swagger@5.5.1',
        'Swashbuckle.AspNetCore.SwaggerGen@5.5.1',
        'Swashbuckle.AspNetCore.SwaggerUI@5.5.1',
      ],
      'Swashbuckle.AspNetCore.Swagger@5.5.1': ['Microsoft.OpenApi@1.1.4'],
      'Swashbuckle.AspNetCore.SwaggerGen@5.5.1': ['Swashbuckle.AspNetCore.Swagger@5.5.1'],
    });
  });

  it('skips the project itself, merges a package found in several frameworks and keeps going after malformed input', async () => {
    const lock = JSON.stringify(
      {
        version: 1,
        dependencies: {
          'net6.0': {
            'My.Lib': { type: 'Project', dependencies: { 'A.Pkg': '[1.0.0, )' } },
            'A.Pkg': { type: 'Direct', resolved: '1.0.0' },
            'B.Pkg': { type: 'CentralTransitive', resolved: '2.0.0' },
          },
          'net8.0': { 'A.Pkg': { type: 'Direct', resolved: '1.0.0' } },
        },
      },
      null,
      2,
    );
    const { sets, diagnostics } = await run([
      file('a/packages.lock.json', '{"version": 1, "dependencies": {'),
      file('b/packages.lock.json', lock),
      file('c/packages.lock.json', '[1, 2]'),
    ]);
    expect(diagnostics.map((d) => [d.code, d.location?.file, d.location?.line])).toEqual([
      ['NUGET_LOCK_MALFORMED', 'a/packages.lock.json', 1],
      ['NUGET_LOCK_MALFORMED', 'c/packages.lock.json', undefined],
    ]);
    expect(sets.map((s) => [s.filePath, s.type])).toEqual([['b/packages.lock.json', 'nuget']]);
    expect(sets[0]?.packages.map((p) => [p.id, p.relationship, p.locations?.length])).toEqual([
      ['A.Pkg@1.0.0', 'direct', 2],
      ['B.Pkg@2.0.0', 'indirect', 1],
    ]);
  });
});
