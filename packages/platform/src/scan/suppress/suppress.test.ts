/**
 * Ignore files, path patterns, purl matching and VEX graph rules, as tables
 * of plain-sentence cases. Expected values come from Trivy's documented
 * semantics (pkg/result/ignore.go, doublestar v4, go-vex), not from this code.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DetectedVulnerability, Package, ScanReport } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../core/errors.js';
import { compileGlob, validateGlob } from './glob.js';
import { parseIgnoreFile, readIgnoreFile } from './ignorefile.js';
import { suppressFindings, ociPurl } from './filter.js';
import { parseOpenVex } from './openvex.js';
import { parsePurl, purlMatches } from './purl.js';

const NOW = new Date('2025-06-15T12:00:00Z');

describe('path patterns follow doublestar', () => {
  const cases: [string, string, boolean][] = [
    ['**/*-lock.json', 'package-lock.json', true],
    ['**/*-lock.json', 'foo/bar/package-lock.json', true],
    ['*-lock.json', 'foo/package-lock.json', false],
    ['foo/*', 'foo/bar', true],
    ['foo/*', 'foo/bar/baz', false],
    ['foo/**', 'foo', true],
    ['foo/**', 'foo/bar/baz', true],
    ['foo/**/baz', 'foo/baz', true],
    ['foo/**/baz', 'foo/a/b/baz', true],
    ['foo/**/baz', 'foo/a/b/bazz', false],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['[a-c]x', 'bx', true],
    ['[!a-c]x', 'bx', false],
    ['[^a-c]x', 'dx', true],
    ['{foo,bar}/go.mod', 'bar/go.mod', true],
    ['{foo,bar}/go.mod', 'baz/go.mod', false],
    ['a**b', 'axxb', true],
    ['a**b', 'ax/xb', false],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['usr/lib/**/*.jar', 'usr/lib/java/x/y.jar', true],
  ];
  for (const [pat, path, want] of cases)
    it(`${pat} ${want ? 'matches' : 'does not match'} ${path}`, () => {
      expect(compileGlob(pat).match(path)).toBe(want);
    });
  it('rejects unclosed classes and braces and a trailing escape', () => {
    expect(validateGlob('[abc')).toBeDefined();
    expect(validateGlob('{a,b')).toBeDefined();
    expect(validateGlob('a\\')).toBeDefined();
    expect(validateGlob('a}')).toBeDefined();
  });
  it('stays fast on a hostile pattern', () => {
    const g = compileGlob(`${'*a'.repeat(40)}b`);
    const t = Date.now();
    expect(g.match('a'.repeat(4000))).toBe(false);
    const deep = compileGlob(`${'**/'.repeat(30)}x`);
    expect(deep.match(`${'a/'.repeat(200)}y`)).toBe(false);
    expect(Date.now() - t).toBeLessThan(2000);
  });
  it('bounds brace expansion', () => {
    expect(() => compileGlob('{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}')).toThrow(RangeError);
  });
});

describe('purl constraints', () => {
  const cases: [string, string, boolean][] = [
    ['pkg:deb/debian/libssl1.1', 'pkg:deb/debian/libssl1.1@1.1.1n-0?arch=amd64', true],
    ['pkg:deb/debian/libssl1.1@1.1.1n-0', 'pkg:deb/debian/libssl1.1@1.1.1n-1', false],
    ['pkg:deb/debian/libssl1.1?arch=amd64', 'pkg:deb/debian/libssl1.1@1?arch=amd64&distro=debian-12', true],
    ['pkg:deb/debian/libssl1.1?arch=arm64', 'pkg:deb/debian/libssl1.1@1?arch=amd64', false],
    ['pkg:deb/ubuntu/libssl1.1', 'pkg:deb/debian/libssl1.1@1', false],
    ['pkg:golang/github.com/a/b', 'pkg:golang/github.com/a/c@v1.0.0', false],
  ];
  for (const [c, t, want] of cases)
    it(`${c} ${want ? 'matches' : 'does not match'} ${t}`, () => {
      expect(purlMatches(parsePurl(c)!, parsePurl(t)!, true)).toBe(want);
    });
});

describe('plain ignore files', () => {
  const text = [
    '# vulnerabilities',
    'CVE-2019-0001',
    '  CVE-2019-0002   # trailing text is another field',
    'CVE-2019-0004 exp:2020-01-01',
    'CVE-2019-0005 exp:9999-01-01',
    'CVE-2019-0006 exp:2025-13-01',
    'CVE-2019-0007 exp:2025-06-15',
    'CVE-2019-0008 exp:2025-06-16',
    '',
    'generic-unwanted-rule',
  ].join('\n');
  const { ignore, diagnostics } = parseIgnoreFile(text, '.trivyignore', { now: NOW });
  const ids = ignore.rules.vulnerabilities.map((r) => r.id);
  it('reads IDs, skips comments and blank lines', () => {
    expect(ids).toEqual([
      'CVE-2019-0001',
      'CVE-2019-0002',
      'CVE-2019-0005',
      'CVE-2019-0008',
      'generic-unwanted-rule',
    ]);
  });
  it('drops rules whose expiry date has passed, including the day of expiry itself', () => {
    expect(ignore.expired.map((r) => r.id)).toEqual(['CVE-2019-0004', 'CVE-2019-0007']);
  });
  it('skips a rule with an impossible date and says where', () => {
    const d = diagnostics.find((x) => x.code === 'IGNORE_BAD_EXPIRY');
    expect(d?.location).toMatchObject({ file: '.trivyignore', line: 6 });
  });
  it('applies plain IDs to secrets as well', () => {
    expect(ignore.rules.secrets.map((r) => r.id)).toContain('generic-unwanted-rule');
  });
  it('records each rule line', () => {
    expect(ignore.rules.vulnerabilities[1]?.location.line).toBe(3);
  });
});

describe('YAML ignore files', () => {
  const text = `vulnerabilities:
  - id: CVE-2019-0001
    paths:
      - "**/*-lock.json"
  - id: CVE-2019-0003
    statement: accepted risk
  - id: CVE-2019-0005
    expired_at: 2023-01-01
  - id: CVE-2019-0007
    purls:
      - "pkg:golang/github.com/aquasecurity/bar"
  - purls:
      - "pkg:deb/ubuntu/linux-libc-dev"
    statement: kernel headers
  - id: CVE-2019-0009
    paths: ["[unclosed"]
  - id: CVE-2019-0010
    purls: ["not a purl"]
  - statement: matches everything
  - just a string
secrets:
  - id: generic-unwanted-rule
    paths:
      - "**/config.yaml"
bogus: 1
`;
  const { ignore, diagnostics } = parseIgnoreFile(text, '.trivyignore.yaml', { now: NOW });
  it('reads valid entries with their lines', () => {
    expect(ignore.rules.vulnerabilities.map((r) => [r.id, r.location.line])).toEqual([
      ['CVE-2019-0001', 2],
      ['CVE-2019-0003', 5],
      ['CVE-2019-0007', 9],
      [undefined, 12],
    ]);
    expect(ignore.rules.secrets).toHaveLength(1);
  });
  it('drops expired entries', () => {
    expect(ignore.expired.map((r) => r.id)).toEqual(['CVE-2019-0005']);
  });
  it('reports bad globs, bad purls, entries without id/paths/purls, non-maps and unknown keys with lines', () => {
    const bad = diagnostics.filter((d) => d.code === 'IGNORE_BAD_RULE').map((d) => d.location?.line);
    expect(bad).toEqual([15, 17, 19, 20]);
    expect(diagnostics.find((d) => d.code === 'IGNORE_UNKNOWN_FIELD')?.location?.line).toBe(25);
  });
  it('turns broken YAML into a located diagnostic, not an exception', () => {
    const r = parseIgnoreFile('vulnerabilities:\n  - id: [\n', 'x.yaml');
    expect(r.diagnostics[0]?.code).toBe('IGNORE_YAML');
    expect(r.diagnostics[0]?.location?.line).toBeGreaterThan(0);
    expect(r.ignore.rules.vulnerabilities).toHaveLength(0);
  });
  it('accepts an empty file', () => {
    expect(parseIgnoreFile('', 'x.yaml').diagnostics).toEqual([]);
  });
});

describe('ignore files on disk', () => {
  it('a missing optional file gives no rules; a missing explicit one is E_NOT_FOUND', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-ignore-'));
    const r = await readIgnoreFile(join(dir, '.trivyignore'), { optional: true });
    expect(r.ignore.rules.vulnerabilities).toEqual([]);
    await expect(readIgnoreFile(join(dir, '.trivyignore'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
  it('refuses a file over the size bound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-ignore-'));
    const p = join(dir, 'big');
    writeFileSync(p, Buffer.alloc(9 * 1024 * 1024, 0x41));
    await expect(readIgnoreFile(p)).rejects.toBeInstanceOf(PalisadeError);
  });
});

function vuln(over: Partial<DetectedVulnerability>): DetectedVulnerability {
  return {
    vulnerabilityId: 'CVE-2024-0001',
    pkgName: 'lib',
    installedVersion: '1.0',
    status: 'fixed',
    severity: 'HIGH',
    ...over,
  };
}

function report(results: ScanReport['results'], artifact: Partial<ScanReport['artifact']> = {}): ScanReport {
  return {
    schemaVersion: 1,
    createdAt: '2025-01-01T00:00:00Z',
    artifact: { name: 'x', type: 'filesystem', ...artifact },
    results,
    diagnostics: [],
  };
}

describe('ignore rules on findings', () => {
  const yaml = `vulnerabilities:
  - id: GHSA-aaaa-bbbb-cccc
    statement: alias match
  - id: CVE-2024-0002
    paths: ["sub/**"]
  - id: CVE-2024-0003
    purls: ["pkg:npm/left-pad"]
secrets:
  - id: aws-access-key-id
    paths: ["tests/**"]
`;
  const ign = parseIgnoreFile(yaml, '.trivyignore.yaml', { now: NOW }).ignore;
  const r = report([
    {
      target: 'sub/package-lock.json',
      class: 'lang-pkgs',
      vulnerabilities: [
        vuln({ vulnerabilityId: 'CVE-2024-0001', aliases: ['GHSA-aaaa-bbbb-cccc'] }),
        vuln({ vulnerabilityId: 'CVE-2024-0002' }),
        vuln({ vulnerabilityId: 'CVE-2024-0003', purl: 'pkg:npm/left-pad@1.0.0' }),
        vuln({ vulnerabilityId: 'CVE-2024-0003', purl: 'pkg:npm/right-pad@1.0.0' }),
        vuln({ vulnerabilityId: 'CVE-2024-0003' }),
      ],
    },
    {
      target: 'package-lock.json',
      class: 'lang-pkgs',
      vulnerabilities: [vuln({ vulnerabilityId: 'CVE-2024-0002' })],
    },
    {
      target: 'tests/creds.txt',
      class: 'secret',
      secrets: [
        {
          ruleId: 'aws-access-key-id',
          category: 'AWS',
          severity: 'CRITICAL',
          title: 't',
          startLine: 1,
          endLine: 1,
          match: '***',
        },
      ],
    },
  ]);
  const { report: out, stats } = suppressFindings(r, { ignore: [ign] });
  const kept = out.results.map((x) =>
    (x.vulnerabilities ?? []).map((v) => `${v.vulnerabilityId}:${v.purl ?? ''}`),
  );
  it('matches an ID against aliases, paths against the target, purls against the package', () => {
    expect(kept[0]).toEqual(['CVE-2024-0003:pkg:npm/right-pad@1.0.0']);
    expect(kept[1]).toEqual(['CVE-2024-0002:']);
    expect(out.results[2]?.secrets).toEqual([]);
    expect(stats.ignored).toBe(5);
  });
  it('keeps suppressed findings with the rule location and statement', () => {
    const s = out.results[0]?.suppressed ?? [];
    expect(s.map((x) => [x.source, x.statement, x.status])).toEqual([
      ['.trivyignore.yaml:2', 'alias match', 'ignored'],
      ['.trivyignore.yaml:4', '', 'ignored'],
      ['.trivyignore.yaml:6', '', 'ignored'],
      ['.trivyignore.yaml:6', '', 'ignored'],
    ]);
  });
  it('does not modify its input', () => {
    expect(r.results[0]?.vulnerabilities).toHaveLength(5);
    expect(r.results[0]?.suppressed).toBeUndefined();
  });
});

describe('severity, status, EPSS and KEV filters', () => {
  const r = report([
    {
      target: 't',
      class: 'os-pkgs',
      vulnerabilities: [
        vuln({ vulnerabilityId: 'A', severity: 'LOW', epss: { score: 0.5, percentile: 0.9 } }),
        vuln({ vulnerabilityId: 'B', status: 'affected', epss: { score: 0.01, percentile: 0.1 } }),
        vuln({
          vulnerabilityId: 'C',
          kev: { dateAdded: '2024-01-01' },
          epss: { score: 0.2, percentile: 0.8 },
        }),
        vuln({ vulnerabilityId: 'D' }),
      ],
    },
  ]);
  const ids = (o: Parameters<typeof suppressFindings>[1]): string[] =>
    (suppressFindings(r, o).report.results[0]?.vulnerabilities ?? []).map((v) => v.vulnerabilityId);
  it('--severity keeps only the listed severities', () =>
    expect(ids({ severities: ['HIGH'] })).toEqual(['B', 'C', 'D']));
  it('--ignore-unfixed drops everything not fixed', () =>
    expect(ids({ ignoreUnfixed: true })).toEqual(['A', 'C', 'D']));
  it('--epss-min keeps scores at or above the bound and drops unscored findings', () => {
    expect(ids({ epssMin: 0.2 })).toEqual(['A', 'C']);
    expect(suppressFindings(r, { epssMin: 0.2 }).stats.epssUnscored).toBe(1);
  });
  it('--kev keeps only KEV-listed findings', () => expect(ids({ kevOnly: true })).toEqual(['C']));
  it('filtered findings are dropped silently unless recordFiltered', () => {
    expect(suppressFindings(r, { kevOnly: true }).report.results[0]?.suppressed).toBeUndefined();
    const rec = suppressFindings(r, { kevOnly: true, recordFiltered: true }).report.results[0]?.suppressed;
    expect(rec?.map((s) => s.source)).toEqual(['--kev', '--kev', '--kev']);
  });
});

function vexDoc(statements: unknown[], timestamp = '2024-01-01T00:00:00Z'): string {
  return JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'x', timestamp, statements });
}

describe('OpenVEX', () => {
  const pkgs: Package[] = [
    { id: 'app', name: 'app', version: '', purl: 'pkg:npm/app', dependsOn: ['a@1', 'b@1'] },
    { id: 'a@1', name: 'a', version: '1', purl: 'pkg:npm/a@1', dependsOn: ['lib@1'] },
    { id: 'b@1', name: 'b', version: '1', purl: 'pkg:npm/b@1', dependsOn: ['lib@1'] },
    { id: 'lib@1', name: 'lib', version: '1', purl: 'pkg:npm/lib@1' },
  ];
  const r = report([
    {
      target: 'package-lock.json',
      class: 'lang-pkgs',
      packages: pkgs,
      vulnerabilities: [vuln({ pkgId: 'lib@1', purl: 'pkg:npm/lib@1', aliases: ['GHSA-1111-2222-3333'] })],
    },
  ]);
  const run = (stmts: unknown[], extra: Record<string, unknown> = {}): ScanReport =>
    suppressFindings(r, { vex: [parseOpenVex(vexDoc(stmts), 'v.json').document], ...extra }).report;
  const keptCount = (x: ScanReport): number => x.results[0]?.vulnerabilities?.length ?? 0;
  const st = (over: Record<string, unknown>): Record<string, unknown> => ({
    vulnerability: { name: 'CVE-2024-0001' },
    products: [{ '@id': 'pkg:npm/lib' }],
    status: 'not_affected',
    justification: 'vulnerable_code_not_present',
    ...over,
  });
  it('not_affected on the package itself (versionless purl) suppresses', () => {
    const out = run([st({})]);
    expect(keptCount(out)).toBe(0);
    expect(out.results[0]?.suppressed?.[0]).toMatchObject({
      status: 'not_affected',
      statement: 'not_affected (vulnerable_code_not_present)',
      source: 'v.json#/statements/0',
    });
  });
  it('fixed suppresses with status fixed', () => {
    expect(run([st({ status: 'fixed', justification: undefined })]).results[0]?.suppressed?.[0]?.status).toBe(
      'fixed',
    );
  });
  it('affected and under_investigation keep the finding', () => {
    expect(keptCount(run([st({ status: 'affected', justification: undefined })]))).toBe(1);
    expect(keptCount(run([st({ status: 'under_investigation', justification: undefined })]))).toBe(1);
  });
  it('matches the vulnerability by alias and by @id', () => {
    expect(keptCount(run([st({ vulnerability: { name: 'GHSA-1111-2222-3333' } })]))).toBe(0);
    expect(keptCount(run([st({ vulnerability: { '@id': 'CVE-2024-0001' } })]))).toBe(0);
    expect(keptCount(run([st({ vulnerability: { name: 'CVE-2024-9999' } })]))).toBe(1);
  });
  it('a versioned product must have the same version', () => {
    expect(keptCount(run([st({ products: [{ '@id': 'pkg:npm/lib@2' }] })]))).toBe(1);
  });
  it('the latest statement wins by timestamp, whatever the order', () => {
    const older = st({ timestamp: '2024-01-01T00:00:00Z' });
    const newer = st({ status: 'affected', justification: undefined, timestamp: '2024-02-01T00:00:00Z' });
    expect(keptCount(run([newer, older]))).toBe(1);
    expect(keptCount(run([older, newer]))).toBe(1);
    const newerNot = st({ timestamp: '2024-03-01T00:00:00Z' });
    expect(keptCount(run([newerNot, newer]))).toBe(0);
  });
  it('a subcomponent statement suppresses only if every path to the root passes a matching product', () => {
    const viaA = st({ products: [{ '@id': 'pkg:npm/a', subcomponents: [{ '@id': 'pkg:npm/lib@1' }] }] });
    expect(keptCount(run([viaA]))).toBe(1); // still reachable through b
    const viaBoth = st({
      products: [
        { '@id': 'pkg:npm/a', subcomponents: [{ '@id': 'pkg:npm/lib' }] },
        { '@id': 'pkg:npm/b', subcomponents: [{ '@id': 'pkg:npm/lib' }] },
      ],
    });
    expect(keptCount(run([viaBoth]))).toBe(0);
    const viaApp = st({ products: [{ '@id': 'pkg:npm/app', subcomponents: [{ '@id': 'pkg:npm/lib@1' }] }] });
    expect(keptCount(run([viaApp]))).toBe(0);
  });
  it('a product with subcomponents does not match the package alone', () => {
    const s = st({ products: [{ '@id': 'pkg:npm/lib', subcomponents: [{ '@id': 'pkg:npm/other' }] }] });
    expect(keptCount(run([s]))).toBe(1);
  });
  it('the artifact purl is the root product for image VEX', () => {
    const img = report(
      [
        {
          target: 'img (debian 12)',
          class: 'os-pkgs',
          vulnerabilities: [vuln({ purl: 'pkg:deb/debian/lib@1?arch=amd64' })],
        },
      ],
      { type: 'container_image', repoDigests: ['ghcr.io/acme/app@sha256:abc'], architecture: 'amd64' },
    );
    const p = ociPurl(img);
    expect(p).toBe('pkg:oci/app@sha256%3Aabc?arch=amd64&repository_url=ghcr.io%2Facme%2Fapp');
    const doc = parseOpenVex(
      vexDoc([
        st({
          products: [{ '@id': 'pkg:oci/app@sha256%3Aabc', subcomponents: [{ '@id': 'pkg:deb/debian/lib' }] }],
        }),
      ]),
      'v.json',
    ).document;
    expect(
      suppressFindings(img, { vex: [doc], artifactPurl: p! }).report.results[0]?.vulnerabilities,
    ).toEqual([]);
    expect(suppressFindings(img, { vex: [doc] }).report.results[0]?.vulnerabilities).toHaveLength(1);
  });
  it('malformed statements become located diagnostics; non-OpenVEX and non-JSON are coded errors', () => {
    const { document, diagnostics } = parseOpenVex(
      vexDoc([st({ status: 'maybe' }), { products: [] }, 7, st({ timestamp: 'yesterday' })]),
      'v.json',
    );
    expect(document.statements).toHaveLength(1);
    expect(diagnostics.map((d) => [d.code, d.location?.snippet])).toEqual([
      ['VEX_BAD_STATEMENT', '/statements/0'],
      ['VEX_BAD_STATEMENT', '/statements/1'],
      ['VEX_BAD_STATEMENT', '/statements/2'],
      ['VEX_BAD_TIMESTAMP', '/statements/3'],
    ]);
    expect(() => parseOpenVex('{"@context":"https://cyclonedx.org"}', 'c.json')).toThrow(/not an OpenVEX/);
    expect(() => parseOpenVex('{\n  "a": ,\n}', 'bad.json')).toThrowError(PalisadeError);
    // V8 reports a position for a truncated document: the error carries its line.
    try {
      parseOpenVex('{\n  "a": 1\n', 'cut.json');
      expect.unreachable();
    } catch (e) {
      expect((e as PalisadeError).location?.line).toBe(3);
    }
  });
});
