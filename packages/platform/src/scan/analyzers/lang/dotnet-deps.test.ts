import type { Package } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { trivyFixture } from '../../../testing/lang-conformance.js';
import { analyzer } from './dotnet-deps.js';

const DIR = 'pkg/dependency/parser/dotnet/core_deps/testdata/';

async function run(files: AnalyzerFile[]) {
  const ctx = testContext();
  const result = await analyzer.analyze(files, ctx);
  return { sets: result.packageSets ?? [], diagnostics: ctx.diagnostics.items };
}

function describePkg(p: Package): string {
  const loc = p.locations?.map((l) => `${l.startLine}-${l.endLine}`).join(',') ?? '';
  return `${p.id} ${p.relationship} ${loc}${p.dependsOn ? ` -> ${p.dependsOn.join(',')}` : ''}`;
}

async function fixture(name: string) {
  return run([analyzerFile(trivyFixture(DIR + name), `app/${name}`)]);
}

describe('lang/dotnet-deps', () => {
  it('applies to *.deps.json in every kind of scan, as Trivy', () => {
    expect(analyzer.targets).toEqual(['image', 'rootfs', 'fs']);
    expect(analyzer.required('app/App.deps.json', { size: 1, mode: 0o644 })).toBe(true);
    expect(
      analyzer.required(
        'usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json',
        { size: 1, mode: 0o644 },
      ),
    ).toBe(true);
    expect(analyzer.required('app/App.runtimeconfig.json', { size: 1, mode: 0o644 })).toBe(false);
  });

  // Expectations for Trivy's core_deps fixtures, from the behaviour its parser documents: the root project,
  // its direct dependencies, the rest indirect, ids name/version, line ranges of the `libraries` entries.
  it('reads a simple application: root project and its package', async () => {
    const { sets, diagnostics } = await fixture('happy.deps.json');
    expect(diagnostics).toEqual([]);
    expect(sets.map((s) => [s.filePath, s.type])).toEqual([['app/happy.deps.json', 'dotnet-core']]);
    expect(sets[0]?.packages.map(describePkg)).toEqual([
      'ExampleApp1/1.0.0 root 28-32 -> Newtonsoft.Json/13.0.1',
      'Newtonsoft.Json/13.0.1 direct 33-39',
    ]);
  });

  it('lists only libraries with runtime assets (trivy#7039)', async () => {
    const { sets } = await fixture('without-runtime.deps.json');
    expect(sets[0]?.packages.map((p) => `${p.id} ${p.relationship}`)).toEqual([
      'hello2/1.0.0 root',
      'JsonDiffPatch/2.0.61 direct',
      'Libuv/1.9.1 indirect',
    ]);
  });

  it('reports the bundled runtime of a self-contained app without its runtimepack. prefix (trivy#10802)', async () => {
    const { sets } = await fixture('self-contained.deps.json');
    expect(sets[0]?.packages.map((p) => `${p.id} ${p.relationship}`)).toEqual([
      'ExampleApp1/1.0.0 root',
      'Microsoft.AspNetCore.App.Runtime.linux-x64/8.0.0 direct',
      'Microsoft.NETCore.App.Runtime.linux-x64/8.0.0 direct',
      'Newtonsoft.Json/13.0.1 direct',
    ]);
    expect(sets[0]?.packages[0]?.dependsOn).toEqual([
      'Microsoft.AspNetCore.App.Runtime.linux-x64/8.0.0',
      'Microsoft.NETCore.App.Runtime.linux-x64/8.0.0',
      'Newtonsoft.Json/13.0.1',
    ]);
  });

  it('finds the root project from the graph when several projects are built together (trivy#10954)', async () => {
    const multi = await fixture('multi-project.deps.json');
    expect(multi.sets[0]?.packages.map((p) => `${p.id} ${p.relationship}`)).toEqual([
      'Web/1.0.0 root',
      'Api/1.0.0 direct',
      'Newtonsoft.Json/13.0.3 direct',
      'Data/1.0.0 indirect',
    ]);
    // Two projects nothing depends on: the first by name is the root.
    const ambiguous = await fixture('ambiguous-root.deps.json');
    expect(ambiguous.sets[0]?.packages.map((p) => `${p.id} ${p.relationship}`)).toEqual([
      'Web/1.0.0 root',
      'Newtonsoft.Json/13.0.3 direct',
      'Worker/1.0.0 indirect',
    ]);
  });

  it('keeps every library when the runtime target is missing, and says so', async () => {
    const { sets, diagnostics } = await fixture('missing-target.deps.json');
    expect(sets[0]?.packages.map((p) => `${p.id} ${p.relationship}`)).toEqual([
      'ExampleApp1/1.0.0 root',
      'Newtonsoft.Json/13.0.1 unknown',
    ]);
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([['DOTNET_DEPS_INCOMPLETE', 'info']]);
  });

  it('reports invalid JSON with its line and finds nothing in a file without libraries', async () => {
    const { sets, diagnostics } = await run([
      analyzerFile(trivyFixture(`${DIR}invalid.deps.json`), 'a/invalid.deps.json'),
      analyzerFile(trivyFixture(`${DIR}no-libraries.deps.json`), 'b/no-libraries.deps.json'),
    ]);
    expect(sets).toEqual([]);
    expect(diagnostics.map((d) => [d.code, d.location?.file, typeof d.location?.line])).toEqual([
      ['DOTNET_DEPS_MALFORMED', 'a/invalid.deps.json', 'number'],
    ]);
  });
});
