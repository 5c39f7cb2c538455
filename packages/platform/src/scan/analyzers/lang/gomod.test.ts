import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import type { AnalysisResult, AnalyzerFile } from '../types.js';
import { parseGoSum } from '../lib/go-mod.js';
import { analyzeNow, langFixtureSuite, textFile, trivyFixture } from '../../../testing/lang-conformance.js';
import { analyzer } from './gomod.js';

const run = (files: AnalyzerFile[]) => analyzeNow(analyzer, files, 'gomod');

describe('lang/gomod conformance', () => {
  // Two of Trivy's cases run the parser with options its analyzer does not use (`no replace`,
  // `normal with stdlib`): they are checked on the library with those options, the others
  // through the analyzer (GOMOD_PARSER_OPTIONS in testing/lang-conformance.ts).
  it("agrees with Trivy's go.mod parser tests", async () => {
    const report = await langFixtureSuite(analyzer, 'trivy', 'pkg/dependency/parser/golang/mod/');
    expect(report.total).toBe(10);
    expect(report.failures).toEqual([]);
  });

  it("agrees with Trivy's go.sum parser tests (the extracted expectations list module names)", async () => {
    const report = await langFixtureSuite(analyzer, 'trivy', 'pkg/dependency/parser/golang/sum/');
    expect(report.total).toBe(4);
    expect(report.failures).toEqual([]);
  });

  // osv-scanner writes Go versions without the `v` and does not report the main module: both are
  // normalised away before comparing.
  it("agrees with osv-scanner's go.mod tests, except where osv-scanner's semantics differ from Trivy's", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect([report.total, report.divergent.length]).toEqual([6, 5]);
    expect(report.failures).toEqual([]);
  });
});

describe('lang/gomod', () => {
  const dir = 'pkg/dependency/parser/golang/mod/testdata';

  it('adds the modules only go.sum lists as indirect when go.mod predates Go 1.17', () => {
    const mod = analyzerFile(trivyFixture(`${dir}/go116/go.mod`), 'src/go.mod');
    const sum = analyzerFile(trivyFixture(`${dir}/go116/go.sum`), 'src/go.sum');
    const { sets, diagnostics } = run([mod, sum]);
    expect(diagnostics).toEqual([]);
    expect(sets).toHaveLength(1);
    const set = sets[0]!;
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
    // Trivy's default (precise) priority: no stdlib from go.mod.
    expect(run([mod, sum]).sets[0]!.packages.map((p) => p.id)).toEqual([
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
    expect(run([a, b, sum]).sets.map((s) => s.packages.length)).toEqual([2, 2]);
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
    const res = analyzer.analyze([textFile('go.mod', text)], ctx) as AnalysisResult;
    expect(res.packageSets?.[0]?.packages.map((p) => `${p.id} ${p.relationship}`)).toEqual([
      'example.com/app root',
      'example.com/a@v1.0.0 direct',
      'example.com/d@v2.0.0 indirect',
    ]);
  });

  it('survives binary garbage and deep parenthesis without throwing', () => {
    const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const deep = Buffer.from('require ('.repeat(10_000));
    const { sets, diagnostics } = run([textFile('a/go.mod', junk), textFile('b/go.mod', deep)]);
    expect(sets.every((s) => s.packages.length === 0)).toBe(true);
    expect(diagnostics.length).toBeGreaterThan(0);
  });
});
