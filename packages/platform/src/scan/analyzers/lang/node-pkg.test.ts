import { describe, expect, it } from 'vitest';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { trivyFixture } from '../../../testing/lang-conformance.js';
import { analyzer } from './node-pkg.js';

const DIR = 'pkg/dependency/parser/nodejs/packagejson/testdata/';

async function run(f: AnalyzerFile) {
  const ctx = testContext();
  const result = await analyzer.analyze([f], ctx);
  return { sets: result.packageSets ?? [], diagnostics: ctx.diagnostics.items };
}

function fixture(name: string, path = 'usr/lib/node_modules/x/package.json'): AnalyzerFile {
  return analyzerFile(trivyFixture(DIR + name), path);
}

describe('lang/node-pkg', () => {
  // Trivy's packagejson parser fixtures: the package (id, licenses) each one yields, or none.
  const table: [string, string | undefined, string[] | undefined][] = [
    ['package.json', 'bootstrap@5.0.2', ['MIT']],
    ['legacy_package.json', 'angular@4.1.2', ['ISC']],
    ['legacy_array_package.json', 'tv4@1.3.0', ['Public Domain', 'MIT']],
    ['mixed_array_license_package.json', 'mixed-array-license@1.0.0', ['MIT']],
    ['empty_array_license_package.json', 'empty-array-license@1.0.0', undefined],
    ['null_license_package.json', 'null-license@1.0.0', undefined],
    ['invalid_license_package.json', 'weird-license@1.0.0', undefined],
    ['unknown_license_object_package.json', 'unknown-license-object@1.0.0', undefined],
    ['workspace_as_map_package.json', 'example@1.0.0', undefined],
    ['without_version_package.json', undefined, undefined],
    ['without_name_and_version_package.json', undefined, undefined],
  ];
  for (const [name, id, licenses] of table) {
    it(`reads ${name}`, async () => {
      const { sets, diagnostics } = await run(fixture(name));
      expect(diagnostics).toEqual([]);
      if (id === undefined) {
        expect(sets).toEqual([]);
        return;
      }
      expect(sets).toHaveLength(1);
      expect(sets[0]?.type).toBe('node-pkg');
      expect(sets[0]?.filePath).toBe('usr/lib/node_modules/x/package.json');
      const pkg = sets[0]?.packages[0];
      expect(pkg?.id).toBe(id);
      expect(pkg?.licenses).toEqual(licenses);
      expect(pkg?.filePath).toBe('usr/lib/node_modules/x/package.json');
    });
  }

  it('rejects an invalid package name with a diagnostic', async () => {
    const { sets, diagnostics } = await run(fixture('invalid_name.json'));
    expect(sets).toEqual([]);
    expect(diagnostics.map((d) => d.code)).toEqual(['PARSE_ERROR']);
  });

  it('reports malformed JSON with file and line, and does not throw', async () => {
    const { sets, diagnostics } = await run(fixture('invalid_package.json', 'app/package.json'));
    expect(sets).toEqual([]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]?.location).toEqual({ file: 'app/package.json', line: 2 });
  });

  it('reads the Node.js version from its header', async () => {
    const header = [
      '#ifndef SRC_NODE_VERSION_H_',
      '#define NODE_MAJOR_VERSION 20',
      '#define NODE_MINOR_VERSION 11',
      '#define NODE_PATCH_VERSION 1',
      '#define NODE_VERSION_IS_RELEASE 1',
      '',
    ].join('\n');
    const content = Buffer.from(header);
    const path = 'usr/local/include/node/node_version.h';
    const { sets } = await run({ path, content, size: content.length, mode: 0o644 });
    expect(sets[0]?.packages).toEqual([
      { id: 'node@20.11.1', name: 'node', version: '20.11.1', filePath: path },
    ]);
  });

  it('wants package roots, not subpath helpers inside node_modules', () => {
    const info = { size: 1, mode: 0o644 };
    expect(analyzer.required('app/package.json', info)).toBe(true);
    expect(analyzer.required('app/node_modules/rxjs/package.json', info)).toBe(true);
    expect(analyzer.required('app/node_modules/@angular/core/package.json', info)).toBe(true);
    expect(analyzer.required('app/node_modules/.pnpm/a@1/node_modules/a/package.json', info)).toBe(true);
    expect(analyzer.required('app/node_modules/rxjs/ajax/package.json', info)).toBe(false);
    expect(analyzer.required('app/node_modules/@angular/core/testing/package.json', info)).toBe(false);
    expect(analyzer.required('usr/include/node/node_version.h', info)).toBe(true);
    expect(analyzer.required('app/package-lock.json', info)).toBe(false);
  });

  it('applies to images and root file systems only', () => {
    expect([...analyzer.targets].sort()).toEqual(['image', 'rootfs']);
  });
});
