import { describe, expect, it } from 'vitest';
import type { Package } from '@palisade/api';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import { splitLicenses } from '../lib/licensing.js';
import { runSuite, trivyFixture } from '../../../testing/lang-conformance.js';
import { analyzer } from './gemspec.js';

const DIR = 'pkg/dependency/parser/ruby/gemspec/testdata';

function run(fixture: string, path: string): { packages: Package[]; diagnostics: string[] } {
  const ctx = testContext();
  const res = analyzer.analyze([analyzerFile(trivyFixture(`${DIR}/${fixture}`), path)], ctx) as {
    packageSets: { type: string; filePath: string; packages: Package[] }[];
  };
  for (const s of res.packageSets) {
    expect(s.type).toBe('gemspec');
    expect(s.filePath).toBe(path);
  }
  return {
    packages: res.packageSets.flatMap((s) => s.packages),
    diagnostics: ctx.diagnostics.items.map((d) => d.code),
  };
}

describe('lang/gemspec', () => {
  // Trivy's gemspec parser tests (pkg/dependency/parser/ruby/gemspec/parse_test.go): name, version, licenses; or an error.
  const TRIVY: [string, { name: string; version: string; licenses: string[] } | 'error'][] = [
    ['normal00.gemspec', { name: 'rake', version: '13.0.3', licenses: ['MIT'] }],
    ['normal01.gemspec', { name: 'async', version: '1.25.0', licenses: [] }],
    ['license.gemspec', { name: 'async', version: '1.25.0', licenses: ['MIT'] }],
    [
      'multiple_licenses.gemspec',
      { name: 'test-unit', version: '3.3.7', licenses: ['Ruby', 'BSDL', 'PSFL'] },
    ],
    ['malformed00.gemspec', 'error'],
    ['malformed01.gemspec', 'error'],
  ];

  it("agrees with Trivy's gemspec parser tests", () => {
    const report = runSuite(
      'Trivy ruby/gemspec',
      TRIVY.map(([fixture, want]) => ({
        name: fixture,
        run: () => {
          const path = `usr/local/bundle/specifications/${fixture}`;
          const got = run(fixture, path);
          if (want === 'error')
            return got.diagnostics.join() === 'GEMSPEC_INVALID' && got.packages.length === 0
              ? []
              : ['expected a parse failure'];
          const p = got.packages[0];
          const problems: string[] = [];
          if (got.packages.length !== 1 || !p) return [`expected one package, got ${got.packages.length}`];
          if (p.name !== want.name || p.version !== want.version) problems.push(`got ${p.name}@${p.version}`);
          if (JSON.stringify(p.licenses ?? []) !== JSON.stringify(want.licenses))
            problems.push(`licenses ${JSON.stringify(p.licenses)}`);
          if (p.filePath !== path) problems.push(`filePath ${p.filePath}`);
          if (p.id !== `${want.name}@${want.version}`) problems.push(`id ${p.id}`);
          return problems;
        },
      })),
    );
    expect(report.failures).toEqual([]);
  });

  // Trivy's gemspec analyzer Required tests (pkg/fanal/analyzer/language/ruby/gemspec/gemspec_test.go).
  it.each([
    ['usr/ank/specifications/default/ank.gemspec', true],
    ['usr/ank/specifications/ank.gemspec', true],
    ['usr/ank/specifications/ankgemspec', false],
    ['/localtRepo/default/ank.gemspec', false],
  ] as const)('requires %s: %s', (path, want) => {
    expect(analyzer.required(path, { size: 1, mode: 0o644 })).toBe(want);
  });

  it('applies to images and root file systems', () => {
    expect([...analyzer.targets].sort()).toEqual(['image', 'rootfs']);
  });

  it('survives binary garbage with a diagnostic', () => {
    const ctx = testContext();
    const junk = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 131) % 256));
    const res = analyzer.analyze(
      [{ path: 'a/specifications/x.gemspec', content: junk, size: junk.length, mode: 0o644 }],
      ctx,
    );
    expect(res).toEqual({ packageSets: [] });
    expect(ctx.diagnostics.items.map((d) => d.code)).toEqual(['GEMSPEC_INVALID']);
  });

  // Examples from the comments of Trivy's licensing.SplitLicenses (its `LGPLv3+_or_GPLv2+` example
  // writes `GPLv2`, but the regular expression keeps the `+`).
  it.each([
    ['GPL-1+,GPL-2', ['GPL-1+', 'GPL-2']],
    ['GPL-1+ or Artistic or Artistic-dist', ['GPL-1+', 'Artistic', 'Artistic-dist']],
    ['LGPLv3+_or_GPLv2+', ['LGPLv3+', 'GPLv2+']],
    ['BSD-3-CLAUSE and GPL-2', ['BSD-3-CLAUSE', 'GPL-2']],
    ['GPL-1+ or Artistic, and BSD-4-clause-POWERDOG', ['GPL-1+', 'Artistic', 'BSD-4-clause-POWERDOG']],
    [
      'BSD 3-Clause License or Apache License, Version 2.0',
      ['BSD 3-Clause License', 'Apache License, Version 2.0'],
    ],
    [
      'GNU Lesser General Public License v2 or later (LGPLv2+)',
      ['GNU Lesser General Public License v2 or later (LGPLv2+)'],
    ],
    ['Ruby, BSDL, PSFL', ['Ruby', 'BSDL', 'PSFL']],
    ['', []],
  ] as const)('splits licenses as Trivy does: %s', (input, want) => {
    expect(splitLicenses(input)).toEqual(want);
  });
});
