import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzerFile } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { parseGemfileLock } from '../lib/ruby.js';
import { analyzeNow, langFixtureSuite, trivyFixture } from '../../../testing/lang-conformance.js';
import { analyzer } from './bundler.js';

function run(f: AnalyzerFile) {
  const { sets, diagnostics } = analyzeNow(analyzer, [f], 'bundler');
  for (const s of sets) expect(s.filePath).toBe(f.path);
  return { packages: sets.flatMap((s) => s.packages), diagnostics };
}

const DIR = 'pkg/dependency/parser/ruby/bundler/testdata';

describe('lang/bundler conformance', () => {
  it("agrees with Trivy's Gemfile.lock parser tests", async () => {
    const report = await langFixtureSuite(analyzer, 'trivy');
    expect(report.total).toBe(2);
    expect(report.failures).toEqual([]);
  });

  // Locations and dependencies from Trivy's parser test (pkg/dependency/parser/ruby/bundler/parse_test.go).
  it.each([
    [
      'Gemfile_normal.lock',
      {
        'dotenv@2.7.2': 6,
        'faker@1.9.3': 7,
        'pry@0.12.2': 12,
        'coderay@1.1.2': 4,
        'concurrent-ruby@1.1.5': 5,
        'i18n@1.6.0': 9,
        'method_source@0.9.2': 11,
      },
      {
        'faker@1.9.3': ['i18n@1.6.0'],
        'i18n@1.6.0': ['concurrent-ruby@1.1.5'],
        'pry@0.12.2': ['coderay@1.1.2', 'method_source@0.9.2'],
      },
    ],
    [
      'Gemfile_bundler2.lock',
      {
        'dotenv@2.7.6': 6,
        'faker@2.21.0': 7,
        'json@2.6.2': 11,
        'pry@0.14.1': 13,
        'coderay@1.1.3': 4,
        'concurrent-ruby@1.1.10': 5,
        'i18n@1.10.0': 9,
        'method_source@1.0.0': 12,
      },
      {
        'faker@2.21.0': ['i18n@1.10.0'],
        'i18n@1.10.0': ['concurrent-ruby@1.1.10'],
        'pry@0.14.1': ['coderay@1.1.3', 'method_source@1.0.0'],
      },
    ],
  ] as const)('records lines and dependencies as Trivy does: %s', (name, lines, deps) => {
    const pkgs = parseGemfileLock(readFileSync(trivyFixture(`${DIR}/${name}`), 'utf8'));
    const gotLines: Record<string, number> = {};
    const gotDeps: Record<string, string[]> = {};
    for (const p of pkgs) {
      expect(p.locations).toEqual([
        { startLine: p.locations![0]!.startLine, endLine: p.locations![0]!.startLine },
      ]);
      gotLines[p.id!] = p.locations![0]!.startLine;
      if (p.dependsOn) gotDeps[p.id!] = p.dependsOn;
    }
    expect(gotLines).toEqual(lines);
    expect(gotDeps).toEqual(deps);
  });

  it("agrees with osv-scanner's Gemfile.lock tests", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect(report.total).toBe(10);
    expect(report.failures).toEqual([]);
  });
});

describe('lang/bundler', () => {
  it('drops platform suffixes and merges platform variants of one gem', () => {
    const lock = [
      'GEM',
      '  remote: https://rubygems.org/',
      '  specs:',
      '    nokogiri (1.13.6-x86_64-linux)',
      '      racc (~> 1.4)',
      '    nokogiri (1.13.6-arm64-darwin)',
      '      racc (~> 1.4)',
      '    racc (1.6.0)',
      '',
      'PLATFORMS',
      '  arm64-darwin',
      '  x86_64-linux',
      '',
      'DEPENDENCIES',
      '  nokogiri',
      '',
    ].join('\n');
    const { packages } = run({
      path: 'Gemfile.lock',
      content: Buffer.from(lock),
      size: lock.length,
      mode: 0o644,
    });
    expect(packages).toEqual([
      {
        id: 'nokogiri@1.13.6',
        name: 'nokogiri',
        version: '1.13.6',
        relationship: 'direct',
        locations: [{ startLine: 6, endLine: 6 }],
        dependsOn: ['racc@1.6.0'],
      },
      {
        id: 'racc@1.6.0',
        name: 'racc',
        version: '1.6.0',
        relationship: 'indirect',
        locations: [{ startLine: 8, endLine: 8 }],
      },
    ]);
  });

  it('returns nothing for a malformed Gemfile.lock, and reports binary content', () => {
    expect(run(analyzerFile(trivyFixture(`${DIR}/Gemfile_malformed.lock`), 'Gemfile.lock'))).toEqual({
      packages: [],
      diagnostics: [],
    });
    const junk = Buffer.from([0x47, 0x45, 0x4d, 0x0a, 0x00, 0xff, 0x20, 0x20, 0x20, 0x20, 0x78]);
    expect(run({ path: 'Gemfile.lock', content: junk, size: junk.length, mode: 0o644 })).toEqual({
      packages: [],
      diagnostics: ['GEMFILE_LOCK_INVALID'],
    });
  });

  it('requires Gemfile.lock in source trees only', () => {
    expect(analyzer.required('app/Gemfile.lock', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('app/Gemfile', { size: 1, mode: 0o644 })).toBe(false);
    expect(analyzer.targets).toEqual(['fs']);
  });
});
