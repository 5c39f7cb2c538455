/**
 * The table writer: Trivy's own table test vectors (pkg/report/table), the
 * wrapping rules of its table library, and golden files for whole reports built
 * from trivy-integration goldens. Update the golden files with `npx vitest run -u`.
 */
import type { DetectedVulnerability, ScanReport, ScanResult } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { readGolden } from '../testing/trivy-goldens.js';
import { scanReportFromTrivy } from '../testing/trivy-report.js';
import { writeScanReport } from './scan-format.js';
import { scanTable } from './scan-table.js';
import { renderTextTable, wrapText } from './scan-text-table.js';

function report(results: ScanResult[]): ScanReport {
  return {
    schemaVersion: 1,
    createdAt: '2024-01-01T00:00:00Z',
    artifact: { name: 'test', type: 'filesystem' },
    results,
    diagnostics: [],
  };
}

function vuln(v: Partial<DetectedVulnerability>): DetectedVulnerability {
  return {
    vulnerabilityId: 'CVE-0000-0000',
    pkgName: 'foo',
    installedVersion: '1.0',
    status: 'fixed',
    severity: 'HIGH',
    ...v,
  };
}

const MEDIUM_HIGH = ['MEDIUM', 'HIGH'] as const;

describe('vulnerability tables as Trivy renders them (its table test vectors)', () => {
  it('puts the primary URL under the title', () => {
    const out = scanTable(
      report([
        {
          target: 'test',
          class: 'lang-pkgs',
          vulnerabilities: [
            vuln({
              vulnerabilityId: 'CVE-2020-0001',
              installedVersion: '1.2.3',
              primaryUrl: 'https://avd.aquasec.com/nvd/cve-2020-0001',
              status: 'will_not_fix',
              title: 'foobar',
              description: 'baz',
            }),
          ],
        },
      ]),
      { summary: false, severities: MEDIUM_HIGH },
    );
    expect(out).toBe(`
test ()
=======
Total: 1 (MEDIUM: 0, HIGH: 1)

┌─────────┬───────────────┬──────────┬──────────────┬───────────────────┬───────────────┬───────────────────────────────────────────┐
│ Library │ Vulnerability │ Severity │    Status    │ Installed Version │ Fixed Version │                   Title                   │
├─────────┼───────────────┼──────────┼──────────────┼───────────────────┼───────────────┼───────────────────────────────────────────┤
│ foo     │ CVE-2020-0001 │ HIGH     │ will_not_fix │ 1.2.3             │               │ foobar                                    │
│         │               │          │              │                   │               │ https://avd.aquasec.com/nvd/cve-2020-0001 │
└─────────┴───────────────┴──────────┴──────────────┴───────────────────┴───────────────┴───────────────────────────────────────────┘
`);
  });

  it('names the file of a package found inside another file, and truncates long titles at 12 words', () => {
    const out = scanTable(
      report([
        {
          target: 'test',
          class: 'lang-pkgs',
          vulnerabilities: [
            vuln({
              vulnerabilityId: 'CVE-2020-1234',
              pkgPath: 'app/lib/outer.jar/inner.jar',
              installedVersion: '1.2.3',
              fixedVersion: '3.4.5',
              primaryUrl: 'https://avd.aquasec.com/nvd/cve-2020-1234',
              title: 'a b c d e f g h i j k l m n o p q r s t u v',
            }),
          ],
        },
      ]),
      { summary: false, severities: MEDIUM_HIGH },
    );
    expect(out).toContain(
      '│ foo (outer.jar) │ CVE-2020-1234 │ HIGH     │ fixed  │ 1.2.3             │ 3.4.5         │ a b c d e f g h i j k l...                │',
    );
  });

  it('merges repeated cells and leaves the line between them open', () => {
    const out = scanTable(
      report([
        {
          target: 'package-lock.json',
          class: 'lang-pkgs',
          type: 'npm',
          vulnerabilities: [
            vuln({
              vulnerabilityId: 'CVE-2021-26539',
              pkgName: 'sanitize-html',
              installedVersion: '1.20.0',
              fixedVersion: '2.3.1',
              severity: 'MEDIUM',
              title: 'foobar',
            }),
            vuln({
              vulnerabilityId: 'CVE-2022-0235',
              pkgName: 'node-fetch',
              installedVersion: '1.7.3',
              fixedVersion: '2.6.7, 3.1.1',
              title: 'foobar',
            }),
          ],
        },
      ]),
      { summary: false, severities: MEDIUM_HIGH },
    );
    expect(out).toBe(`
package-lock.json (npm)
=======================
Total: 2 (MEDIUM: 1, HIGH: 1)

┌───────────────┬────────────────┬──────────┬────────┬───────────────────┬───────────────┬────────┐
│    Library    │ Vulnerability  │ Severity │ Status │ Installed Version │ Fixed Version │ Title  │
├───────────────┼────────────────┼──────────┼────────┼───────────────────┼───────────────┼────────┤
│ node-fetch    │ CVE-2022-0235  │ HIGH     │ fixed  │ 1.7.3             │ 2.6.7, 3.1.1  │ foobar │
├───────────────┼────────────────┼──────────┤        ├───────────────────┼───────────────┤        │
│ sanitize-html │ CVE-2021-26539 │ MEDIUM   │        │ 1.20.0            │ 2.3.1         │        │
└───────────────┴────────────────┴──────────┴────────┴───────────────────┴───────────────┴────────┘
`);
  });

  it('draws fully merged rows as blank lines', () => {
    const v = vuln({
      vulnerabilityId: 'CVE-2017-5645',
      pkgName: 'org.apache.logging.log4j:log4j-core',
      installedVersion: '2.6.1',
      fixedVersion: '2.8.2',
      title: 'foobar',
    });
    const out = scanTable(
      report([{ target: 'pom.xml', class: 'lang-pkgs', type: 'pom', vulnerabilities: [v, v, v] }]),
      { summary: false, severities: MEDIUM_HIGH },
    );
    expect(out.split('\n').filter((l) => /^│\s+(│\s+)+│$/.test(l))).toHaveLength(4);
  });

  it('skips language results without findings but always prints OS results', () => {
    const out = scanTable(
      report([
        { target: 'img (debian 12.5)', class: 'os-pkgs', type: 'debian', vulnerabilities: [] },
        { target: 'go.mod', class: 'lang-pkgs', type: 'gomod', vulnerabilities: [] },
      ]),
      { summary: false },
    );
    expect(out).toBe(
      '\nimg (debian 12.5)\n=================\nTotal: 0 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0)\n\n',
    );
  });
});

describe('the table library’s wrapping rules', () => {
  it.each([
    ['hello world!', 100, ['hello world!']],
    ['hello world!', 10, ['hello', 'world!']],
    ['hello incredible world!', 10, ['hello', 'incredible', 'world!']],
    ['it fit gud hooray', 10, ['it fit gud', 'hooray']],
    [
      'hello world, antidisestablishmentarianism!',
      16,
      ['hello world,', 'antidisestablis-', 'hmentarianism!'],
    ],
    ['hello world\nthis is a\nlong sentence.', 10, ['hello', 'world', 'this is a', 'long', 'sentence.']],
    ['', 10, ['']],
    ['hello          world!', 10, ['hello', 'world!']],
  ])('wraps %j at %i', (text, width, want) => {
    expect(wrapText(text, width)).toEqual(want);
  });

  it('counts wide characters twice when sizing columns', () => {
    expect(renderTextTable({ headers: ['名前'], rows: [['ab']] })).toBe(
      '┌──────┐\n│ 名前 │\n├──────┤\n│ ab   │\n└──────┘\n',
    );
  });
});

describe('whole reports (golden files)', () => {
  it.each([
    'alpine-310.json.golden',
    'secrets.json.golden',
    'cargo.lock.json.golden',
    'spring4shell-jre8.json.golden',
    'fluentd-gems.json.golden',
    'alpine-39-skip.json.golden',
  ])('%s', async (name) => {
    const { report: r } = scanReportFromTrivy(readGolden(name));
    await expect(writeScanReport(r, 'table')).toMatchFileSnapshot(
      `testdata/scan-table/${name.replace('.json.golden', '.txt')}`,
    );
  });

  it('shows suppressed findings when asked', () => {
    const r = report([
      {
        target: 'go.mod',
        class: 'lang-pkgs',
        type: 'gomod',
        vulnerabilities: [],
        packages: [{ name: 'x', version: '1' }],
        suppressed: [
          {
            type: 'vulnerability',
            status: 'not_affected',
            statement: 'vulnerable_code_not_in_execute_path',
            source: 'openvex.json',
            finding: vuln({ pkgName: 'x', installedVersion: '1' }),
          },
        ],
      },
    ]);
    expect(scanTable(r, { summary: false })).not.toContain('Suppressed');
    expect(scanTable(r, { summary: false, showSuppressed: true })).toContain(
      '│ x       │ CVE-0000-0000 │ HIGH     │ not_affected │ vulnerable_code_not_in_execute_path │ openvex.json │',
    );
  });
});
