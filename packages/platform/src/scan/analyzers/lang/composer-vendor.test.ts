import { describe, expect, it } from 'vitest';
import type { Package } from '@palisade/api';
import { testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { analyzer } from './composer-vendor.js';

function text(path: string, s: string): AnalyzerFile {
  return { path, content: Buffer.from(s), size: Buffer.byteLength(s), mode: 0o644 };
}

function run(f: AnalyzerFile): { packages: Package[]; diagnostics: string[] } {
  const ctx = testContext();
  const res = analyzer.analyze([f], ctx) as {
    packageSets: { type: string; filePath: string; packages: Package[] }[];
  };
  for (const s of res.packageSets) {
    expect(s.type).toBe('composer-vendor');
    expect(s.filePath).toBe(f.path);
  }
  return {
    packages: res.packageSets.flatMap((s) => s.packages),
    diagnostics: ctx.diagnostics.items.map((d) => d.code),
  };
}

// Composer 2's vendor/composer/installed.json layout.
const INSTALLED = `{
  "packages": [
    {
      "name": "pear/log",
      "version": "1.13.3",
      "require": {
        "pear/pear_exception": "1.0.1 || 1.0.2",
        "php": ">5.2"
      },
      "license": [
        "MIT"
      ],
      "install-path": "../pear/log"
    },
    {
      "name": "pear/pear_exception",
      "version": "v1.0.2",
      "license": [
        "BSD-2-Clause"
      ],
      "install-path": "../pear/pear_exception"
    }
  ],
  "dev": true,
  "dev-package-names": []
}
`;

describe('lang/composer-vendor', () => {
  it('reads installed packages with locations, licenses and dependencies, relationship unknown', () => {
    expect(run(text('app/vendor/composer/installed.json', INSTALLED))).toEqual({
      diagnostics: [],
      packages: [
        {
          id: 'pear/log@1.13.3',
          name: 'pear/log',
          version: '1.13.3',
          relationship: 'unknown',
          licenses: ['MIT'],
          locations: [{ startLine: 3, endLine: 14 }],
          dependsOn: ['pear/pear_exception@v1.0.2'],
        },
        {
          id: 'pear/pear_exception@v1.0.2',
          name: 'pear/pear_exception',
          version: 'v1.0.2',
          relationship: 'unknown',
          licenses: ['BSD-2-Clause'],
          locations: [{ startLine: 15, endLine: 22 }],
        },
      ],
    });
  });

  it("reports Composer 1's bare list and malformed JSON as diagnostics, as Trivy cannot decode them", () => {
    expect(run(text('vendor/composer/installed.json', '[{"name": "a/b", "version": "1.0.0"}]'))).toEqual({
      packages: [],
      diagnostics: ['COMPOSER_INSTALLED_INVALID'],
    });
    expect(run(text('vendor/composer/installed.json', '{"packages": [')).diagnostics).toEqual([
      'COMPOSER_INSTALLED_INVALID',
    ]);
    // Some other tool's installed.json without packages: nothing to report.
    expect(run(text('opt/tool/installed.json', '{"plugins": []}'))).toEqual({
      packages: [],
      diagnostics: [],
    });
  });

  // Trivy's Required tests (pkg/fanal/analyzer/language/php/composer/vendor_test.go).
  it.each([
    ['app/vendor/composer/installed.json', true],
    ['composer.json', false],
  ] as const)('requires %s: %s', (path, want) => {
    expect(analyzer.required(path, { size: 1, mode: 0o644 })).toBe(want);
  });

  it('applies to images and root file systems', () => {
    expect([...analyzer.targets].sort()).toEqual(['image', 'rootfs']);
  });
});
