import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Package } from '@palisade/api';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import { goModPackages, parseGoModFile, parseGoSum } from '../lib/go-mod.js';
import type { GoModOptions } from '../lib/go-mod.js';
import {
  compareNameVersions,
  compareWithTrivy,
  osvCases,
  osvFixture,
  runSuite,
  trivyCases,
  trivyFixture,
} from '../../../testing/lang-conformance.js';
import { analyzer } from './gomod.js';

/**
 * Trivy's mod parser tests run the parser with options: `replace` (the fanal
 * analyzer always applies replace directives to the project's go.mod) and
 * `useMinVersion` (stdlib from the toolchain line, only at Trivy's
 * comprehensive detection priority). Our analyzer uses Trivy's defaults; the
 * library takes the same options so these cases can be checked.
 */
const TRIVY_PARSER_OPTIONS: Record<string, GoModOptions> = {
  'no replace': { replace: false },
  'normal with stdlib': { stdlib: true },
};

describe('lang/gomod conformance', () => {
  it("agrees with Trivy's go.mod parser tests", () => {
    const cases = trivyCases('parser/golang/mod/');
    expect(cases.length).toBeGreaterThan(5);
    const report = runSuite(
      'Trivy golang/mod',
      cases.map((c) => ({
        name: `${c.fixture} (${c.name})`,
        run: () => {
          const f = parseGoModFile(readFileSync(trivyFixture(c.fixture), 'utf8'));
          expect(f.errors).toEqual([]);
          return compareWithTrivy(goModPackages(f, TRIVY_PARSER_OPTIONS[c.name] ?? {}), c.packages);
        },
      })),
    );
    expect(report.failures).toEqual([]);
  });

  it("agrees with Trivy's go.sum parser tests (the extracted expectations list module names)", () => {
    const cases = trivyCases('parser/golang/sum/');
    expect(cases.length).toBe(4);
    const report = runSuite(
      'Trivy golang/sum',
      cases.map((c) => ({
        name: c.fixture,
        run: () => {
          const got = parseGoSum(readFileSync(trivyFixture(c.fixture), 'utf8')).map((p) => p.name);
          const want = c.packages.map((p) => p.Name ?? '');
          return compareNameVersions(
            got.map((name) => ({ name, version: '' })),
            want.map((name) => ({ name, version: '' })),
          );
        },
      })),
    );
    expect(report.failures).toEqual([]);
  });

  it("agrees with osv-scanner's go.mod tests, except where osv-scanner's semantics differ from Trivy's", () => {
    // osv-scanner writes Go versions without the `v` and does not report the
    // main module: both are normalised away before comparing.
    const DIVERGENCES: Record<string, string> = {
      'fixtures/go/two-packages.mod':
        'osv-scanner adds stdlib at the `go` directive version; Trivy reports stdlib from go.mod only at comprehensive priority',
      'fixtures/go/indirect-packages.mod': 'stdlib from the `go` directive, as above',
      'fixtures/go/replace-different.mod':
        'the same module required twice: osv-scanner keeps both requirements, Trivy (a map by module path) keeps the last one, so only its replacement applies',
      'fixtures/go/replace-mixed.mod': 'the same module required twice (last one wins in Trivy), as above',
      'fixtures/go/replace-local.mod':
        'a module replaced by a local directory: osv-scanner reports the directory, Trivy drops the module',
    };
    const cases = osvCases('ParseGoLock');
    expect(cases.length).toBeGreaterThan(8);
    const report = runSuite(
      'osv-scanner ParseGoLock',
      cases.map((c) => ({
        name: c.fixture,
        run: () => {
          const file = analyzerFile(osvFixture(c.fixture), 'app/go.mod');
          const res = analyzer.analyze([file], testContext()) as { packageSets?: { packages: Package[] }[] };
          const got = (res.packageSets ?? [])
            .flatMap((s) => s.packages)
            .filter((p) => p.relationship !== 'root')
            .map((p) => ({ name: p.name, version: p.version.replace(/^v/, '') }));
          return compareNameVersions(got, c.packages);
        },
      })),
      DIVERGENCES,
    );
    expect(report.failures).toEqual([]);
  });
});

describe('lang/gomod', () => {
  const dir = 'pkg/dependency/parser/golang/mod/testdata';

  it('adds the modules only go.sum lists as indirect when go.mod predates Go 1.17', () => {
    const mod = analyzerFile(trivyFixture(`${dir}/go116/go.mod`), 'src/go.mod');
    const sum = analyzerFile(trivyFixture(`${dir}/go116/go.sum`), 'src/go.sum');
    const ctx = testContext();
    const res = analyzer.analyze([mod, sum], ctx) as {
      packageSets: { filePath: string; packages: Package[] }[];
    };
    expect(ctx.diagnostics.items).toEqual([]);
    expect(res.packageSets).toHaveLength(1);
    const set = res.packageSets[0]!;
    expect(set.filePath).toBe('src/go.mod');
    const byName = new Map(set.packages.map((p) => [p.name, p]));
    // go.mod wins for modules it lists; its `// indirect` line is skipped before 1.17.
    expect(byName.get('github.com/aquasecurity/go-dep-parser')).toMatchObject({
      version: 'v0.0.0-20211224170007-df43bca6b6ff',
      relationship: 'direct',
    });
    expect(byName.get('github.com/org/repo')?.relationship).toBe('root');
    // Every other module of go.sum is indirect, at the last version listed.
    const sumModules = parseGoSum(readFileSync(trivyFixture(`${dir}/go116/go.sum`), 'utf8'));
    for (const p of sumModules) {
      if (p.name === 'github.com/aquasecurity/go-dep-parser') continue;
      expect(byName.get(p.name), p.name).toMatchObject({ version: p.version, relationship: 'indirect' });
    }
    expect(byName.get('gopkg.in/yaml.v3')?.version).toBe('v3.0.0-20210107192922-496545a6307b');
    expect(set.packages).toHaveLength(sumModules.length + 1);
  });

  it('ignores go.sum when go.mod records indirect requirements', () => {
    const mod = analyzerFile(trivyFixture(`${dir}/normal/go.mod`), 'go.mod');
    const sum = analyzerFile(trivyFixture(`${dir}/normal/go.sum`), 'go.sum');
    const res = analyzer.analyze([mod, sum], testContext()) as { packageSets: { packages: Package[] }[] };
    // Trivy's default (precise) priority: no stdlib from go.mod.
    expect(res.packageSets[0]!.packages.map((p) => p.id)).toEqual([
      'github.com/org/repo',
      'github.com/aquasecurity/go-version@v0.0.0-20240603093900-cf8a8d29271d',
      'github.com/davecgh/go-spew@v1.1.2-0.20180830191138-d8f796af33cc',
      'github.com/pmezard/go-difflib@v1.0.1-0.20181226105442-5d4384ee4fb2',
      'github.com/stretchr/testify@v1.9.0',
      'golang.org/x/xerrors@v0.0.0-20231012003039-104605ab7028',
    ]);
  });

  it('pairs go.mod and go.sum by directory', () => {
    const a = analyzerFile(trivyFixture(`${dir}/go116/go.mod`), 'a/go.mod');
    const b = analyzerFile(trivyFixture(`${dir}/no-go-version/gomod`), 'b/go.mod');
    const sum = analyzerFile(trivyFixture(`${dir}/go116/go.sum`), 'b/sub/go.sum');
    const res = analyzer.analyze([a, b, sum], testContext()) as { packageSets: { packages: Package[] }[] };
    expect(res.packageSets.map((s) => s.packages.length)).toEqual([2, 2]);
  });

  it('requires go.mod and go.sum only', () => {
    expect(analyzer.required('x/go.mod', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('go.sum', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('x/go.mod.bak', { size: 1, mode: 0o644 })).toBe(false);
    expect(analyzer.targets).toEqual(['fs']);
  });

  it('reports malformed go.mod as diagnostics with lines and keeps what parses', () => {
    const text = [
      'module example.com/app',
      'go 1.21',
      'this is not a directive',
      'require (',
      '  example.com/a v1.0.0',
      '  example.com/b',
      '  "example.com/c v1',
      ')',
      'replace example.com/a v1.0.0 example.com/z v1',
      'require example.com/d v2.0.0 // indirect',
    ].join('\n');
    const ctx = testContext();
    const file = { path: 'go.mod', content: Buffer.from(text), size: text.length, mode: 0o644 };
    const res = analyzer.analyze([file], ctx) as { packageSets: { packages: Package[] }[] };
    expect(ctx.diagnostics.items.map((d) => [d.code, d.location?.line])).toEqual([
      ['GOMOD_SYNTAX', 7],
      ['GOMOD_SYNTAX', 3],
      ['GOMOD_SYNTAX', 6],
      ['GOMOD_SYNTAX', 9],
    ]);
    expect(res.packageSets[0]!.packages.map((p) => `${p.id} ${p.relationship}`)).toEqual([
      'example.com/app root',
      'example.com/a@v1.0.0 direct',
      'example.com/d@v2.0.0 indirect',
    ]);
  });

  it('survives binary garbage and deep parenthesis without throwing', () => {
    const ctx = testContext();
    const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const deep = Buffer.from('require ('.repeat(10_000));
    const res = analyzer.analyze(
      [
        { path: 'a/go.mod', content: junk, size: junk.length, mode: 0o644 },
        { path: 'b/go.mod', content: deep, size: deep.length, mode: 0o644 },
      ],
      ctx,
    ) as { packageSets: { packages: Package[] }[] };
    expect(res.packageSets.every((s) => s.packages.length === 0)).toBe(true);
    expect(ctx.diagnostics.items.length).toBeGreaterThan(0);
  });
});
