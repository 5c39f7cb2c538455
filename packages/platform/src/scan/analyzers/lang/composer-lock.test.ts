import { describe, expect, it } from 'vitest';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import {
  analyzeNow,
  langFixtureSuite,
  textFile as text,
  trivyFixture,
} from '../../../testing/lang-conformance.js';
import { analyzer } from './composer-lock.js';

const run = (files: AnalyzerFile[]) => analyzeNow(analyzer, files, 'composer');

const HAPPY = 'pkg/dependency/parser/php/composer/testdata/composer_happy.lock';

describe('lang/composer-lock conformance', () => {
  it("agrees with Trivy's composer.lock parser tests", async () => {
    const report = await langFixtureSuite(analyzer, 'trivy');
    expect(report.total).toBe(1);
    expect(report.failures).toEqual([]);
  });

  it('records locations, licenses and dependencies as Trivy does', () => {
    // From Trivy's parser test (pkg/dependency/parser/php/composer/parse_test.go).
    const want: Record<string, { lines: [number, number]; licenses: string[]; dependsOn?: string[] }> = {
      'guzzlehttp/guzzle@6.5.8': {
        lines: [9, 123],
        licenses: ['MIT'],
        dependsOn: [
          'guzzlehttp/promises@1.5.2',
          'guzzlehttp/psr7@1.9.0',
          'symfony/polyfill-intl-idn@v1.27.0',
        ],
      },
      'guzzlehttp/promises@1.5.2': { lines: [124, 207], licenses: ['MIT'] },
      'guzzlehttp/psr7@1.9.0': {
        lines: [208, 317],
        licenses: ['MIT'],
        dependsOn: ['psr/http-message@1.0.1', 'ralouphie/getallheaders@3.0.3'],
      },
      'pear/log@1.13.3': { lines: [660, 719], licenses: ['MIT'], dependsOn: ['pear/pear_exception@v1.0.2'] },
      'pear/pear_exception@v1.0.2': { lines: [720, 778], licenses: ['BSD-2-Clause'] },
      'psr/http-message@1.0.1': { lines: [318, 370], licenses: ['MIT'] },
      'ralouphie/getallheaders@3.0.3': { lines: [371, 414], licenses: ['MIT'] },
      'symfony/polyfill-intl-idn@v1.27.0': {
        lines: [415, 501],
        licenses: ['MIT'],
        dependsOn: ['symfony/polyfill-intl-normalizer@v1.27.0', 'symfony/polyfill-php72@v1.27.0'],
      },
      'symfony/polyfill-intl-normalizer@v1.27.0': { lines: [502, 583], licenses: ['MIT'] },
      'symfony/polyfill-php72@v1.27.0': { lines: [584, 657], licenses: ['MIT', 'BSD-2-Clause'] },
    };
    const got: typeof want = {};
    for (const p of run([analyzerFile(trivyFixture(HAPPY), 'composer.lock')]).sets[0]!.packages) {
      const loc = p.locations![0]!;
      got[p.id!] = { lines: [loc.startLine, loc.endLine], licenses: p.licenses ?? [] };
      if (p.dependsOn) got[p.id!]!.dependsOn = p.dependsOn;
    }
    expect(got).toEqual(want);
  });

  // osv-scanner's `dev` group is our dev flag (osvDevNames in testing/lang-conformance.ts).
  it("agrees with osv-scanner's composer.lock tests, dev packages included", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect(report.total).toBe(6);
    expect(report.failures).toEqual([]);
  });
});

describe('lang/composer-lock', () => {
  const LOCK = JSON.stringify(
    {
      packages: [
        {
          name: 'acme/app',
          version: '1.0.0',
          require: { php: '>=7.4', 'ext-json': '*', 'extension/foo': '^1.0' },
        },
        { name: 'extension/foo', version: '1.2.0', license: 'MIT or Apache-2.0' },
        { name: 'shared/both', version: '2.0.0' },
      ],
      'packages-dev': [
        { name: 'phpunit/phpunit', version: '9.6.0', require: { 'shared/both': '*' } },
        { name: 'shared/both', version: '9.9.9' },
      ],
    },
    null,
    2,
  );

  it('marks composer.json requirements (require and require-dev) direct and the rest indirect', () => {
    const json = JSON.stringify({
      require: { 'acme/app': '^1.0', php: '^8' },
      'require-dev': { 'phpunit/phpunit': '^9' },
    });
    const { sets, diagnostics } = run([text('web/composer.lock', LOCK), text('web/composer.json', json)]);
    expect(diagnostics).toEqual([]);
    expect(sets[0]!.filePath).toBe('web/composer.lock');
    expect(
      sets[0]!.packages.map((p) => [
        p.id,
        p.relationship,
        p.dev ?? false,
        p.licenses ?? [],
        p.dependsOn ?? [],
      ]),
    ).toEqual([
      ['acme/app@1.0.0', 'direct', false, [], ['extension/foo@1.2.0']],
      ['phpunit/phpunit@9.6.0', 'direct', true, [], ['shared/both@2.0.0']],
      ['extension/foo@1.2.0', 'indirect', false, ['MIT', 'Apache-2.0'], []],
      // Listed in both sections: the production entry wins.
      ['shared/both@2.0.0', 'indirect', false, [], []],
    ]);
  });

  it('leaves the relationship unknown without composer.json, and reports a broken one', () => {
    const alone = run([text('composer.lock', LOCK)]);
    expect(alone.sets[0]!.packages.every((p) => p.relationship === 'unknown')).toBe(true);
    const broken = run([text('composer.lock', LOCK), text('composer.json', '{"require": ')]);
    expect(broken.diagnostics).toEqual(['COMPOSER_JSON_INVALID']);
    expect(broken.sets[0]!.packages.every((p) => p.relationship === 'unknown')).toBe(true);
  });

  it('reports malformed composer.lock with its line and returns nothing for it', () => {
    const ctx = testContext();
    const res = analyzer.analyze(
      [text('composer.lock', '{\n  "packages": [\n    {"name": "a",,}\n  ]\n}\n')],
      ctx,
    );
    expect(res).toEqual({ packageSets: [] });
    expect(ctx.diagnostics.items).toMatchObject([
      { code: 'COMPOSER_LOCK_INVALID', location: { file: 'composer.lock', line: 3 } },
    ]);
    expect(run([text('composer.lock', '{"packages": {"a": 1}}')]).diagnostics).toEqual([
      'COMPOSER_LOCK_INVALID',
    ]);
    expect(run([text('composer.lock', '['.repeat(100_000))]).diagnostics).toEqual(['COMPOSER_LOCK_INVALID']);
  });

  it('skips locks under vendor directories and applies to source trees only', () => {
    expect(analyzer.required('app/composer.lock', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('app/composer.json', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('app/vendor/x/y/composer.lock', { size: 1, mode: 0o644 })).toBe(false);
    expect(analyzer.targets).toEqual(['fs']);
  });
});
