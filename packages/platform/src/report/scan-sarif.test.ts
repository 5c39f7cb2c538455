/**
 * SARIF output: every document we write validates against the SARIF 2.1.0 JSON
 * schema (the file @microsoft/jest-sarif ships), and the trivy-integration SARIF
 * golden is reproduced from its JSON golden's findings.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ScanReport } from '@palisade/api';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { jsonDiff } from '../testing/json-diff.js';
import { goldenIndex, readGolden, trivyJsonGoldens } from '../testing/trivy-goldens.js';
import { scanReportFromTrivy } from '../testing/trivy-report.js';
import { writeScanReport } from './scan-format.js';
import { goUri, imageRepository, toPathUri, toSarif } from './scan-sarif.js';

const require = createRequire(import.meta.url);

function sarifValidator(): (doc: unknown) => string[] {
  const file = join(
    dirname(require.resolve('@microsoft/jest-sarif/package.json')),
    'lib/schemas/sarif-2.1.0-rtm.5.json',
  );
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  // The schema is draft-04 and uses no draft-04-only keyword; Ajv 8 reads it once `id`/`$schema` are dropped.
  delete schema['$schema'];
  delete schema['id'];
  // unicodeRegExp off: the schema's `language` pattern has a stray `]`, legal only in non-unicode regexes.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, unicodeRegExp: false });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);
  return (doc) =>
    validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

const TRIVY_DRIVER = {
  name: 'Trivy',
  fullName: 'Trivy Vulnerability Scanner',
  informationUri: 'https://github.com/aquasecurity/trivy',
};

describe('SARIF 2.1.0', () => {
  const validate = sarifValidator();

  it('rejects an invalid document (the validator is live)', () => {
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] }).length).toBeGreaterThan(0);
  });

  it('every trivy-integration golden, written as SARIF, is valid SARIF 2.1.0', () => {
    let n = 0;
    const failures: string[] = [];
    for (const { name, doc } of trivyJsonGoldens()) {
      const { report } = scanReportFromTrivy(doc);
      const errors = validate(JSON.parse(writeScanReport(report, 'sarif')));
      if (errors.length > 0) failures.push(`${name}: ${errors.slice(0, 3).join('; ')}`);
      n++;
    }
    console.log(`sarif schema: ${n - failures.length}/${n} valid`);
    expect(failures).toEqual([]);
  });

  it('reproduces every SARIF golden from the findings of the JSON golden with the same input', () => {
    const sarifCases = goldenIndex().filter((e) => e.golden.endsWith('.sarif.golden'));
    expect(sarifCases.length).toBeGreaterThan(0);
    const results: string[] = [];
    let pass = 0;
    for (const c of sarifCases) {
      const golden = readGolden(c.golden.replace(/^testdata\//, ''));
      const json = goldenIndex().find(
        (e) =>
          e.golden.endsWith('.json.golden') &&
          e.args['Input'] === c.args['Input'] &&
          e.test_file === c.test_file &&
          Object.keys(e.args).length === 1,
      );
      expect(json, `JSON golden for ${c.case}`).toBeDefined();
      const { report } = scanReportFromTrivy(readGolden(json!.golden.replace(/^testdata\//, '')));
      const ours = toSarif(report, { toolVersion: 'dev', driver: TRIVY_DRIVER });
      const diffs = jsonDiff(golden, ours);
      if (diffs.length === 0) pass++;
      results.push(`${c.case} (${c.golden} from ${json!.golden}): ${diffs.length} differences`);
      for (const d of diffs.slice(0, 10))
        results.push(`  ${d.path}: expected ${JSON.stringify(d.expected)} got ${JSON.stringify(d.actual)}`);
    }
    console.log(`sarif goldens: ${pass}/${sarifCases.length} identical\n  ${results.join('\n  ')}`);
    expect(pass).toBe(sarifCases.length);
  });

  it('locates a lockfile finding at the package’s lines, and each of several places', () => {
    const report: ScanReport = {
      schemaVersion: 1,
      createdAt: '2024-01-01T00:00:00Z',
      artifact: { name: 'app', type: 'filesystem' },
      diagnostics: [],
      results: [
        {
          target: 'app/package-lock.json',
          class: 'lang-pkgs',
          type: 'npm',
          packages: [
            {
              name: 'lodash',
              version: '4.17.4',
              locations: [
                { startLine: 10, endLine: 14 },
                { startLine: 40, endLine: 44 },
              ],
            },
          ],
          vulnerabilities: [
            {
              vulnerabilityId: 'CVE-2019-10744',
              pkgName: 'lodash',
              installedVersion: '4.17.4',
              status: 'fixed',
              severity: 'CRITICAL',
              severitySource: 'ghsa',
              cvss: { ghsa: { v3Score: 9.1, v3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H' } },
            },
          ],
          secrets: [
            {
              ruleId: 'github-pat',
              category: 'GitHub',
              severity: 'CRITICAL',
              title: 'GitHub Personal Access Token',
              startLine: 3,
              endLine: 3,
              match: 'token: ****',
            },
          ],
        },
      ],
    };
    const sarif = toSarif(report) as {
      runs: {
        results: {
          locations: {
            physicalLocation: {
              artifactLocation: { uri: string };
              region: { startLine: number; endLine: number };
            };
          }[];
        }[];
        tool: { driver: { rules: { properties: Record<string, unknown> }[] } };
      }[];
    };
    const run = sarif.runs[0]!;
    const regions = run.results[0]!.locations.map((l) => [
      l.physicalLocation.artifactLocation.uri,
      l.physicalLocation.region.startLine,
      l.physicalLocation.region.endLine,
    ]);
    expect(regions).toEqual([
      ['app/package-lock.json', 10, 14],
      ['app/package-lock.json', 40, 44],
    ]);
    expect(run.tool.driver.rules[0]!.properties['security-severity']).toBe('9.1');
    expect(run.tool.driver.rules[1]!.properties['security-severity']).toBe('9.5');
    expect(run.results[1]!.locations[0]!.physicalLocation.region.startLine).toBe(3);
    expect(validate(sarif)).toEqual([]);
  });

  it.each([
    ['alpine:3.10 (alpine 3.10.2)', 'library/alpine'],
    ['ghcr.io/aquasecurity/trivy-test-images:alpine-310 (alpine 3.10.2)', 'aquasecurity/trivy-test-images'],
    ['localhost:5000/team/app@sha256:' + 'a'.repeat(64) + ' (debian 12.5)', 'team/app'],
    [
      'testdata/fixtures/images/alpine-310.tar.gz (alpine 3.10.2)',
      'testdata/fixtures/images/alpine-310.tar.gz',
    ],
    ['My Image.tar (debian 12)', 'My Image.tar'],
  ])('an OS target %s is located at %s', (target, uri) => {
    expect(toPathUri(target, 'os-pkgs')).toBe(uri);
  });

  it('keeps language targets as they are and encodes URIs as Go does', () => {
    expect(toPathUri('app (x)/go.mod', 'lang-pkgs')).toBe('app (x)/go.mod');
    expect(goUri('app (x)/go.mod')).toBe('app%20%28x%29/go.mod');
    expect(goUri('100%zz')).toBe('');
    expect(imageRepository('UPPER/case')).toBeUndefined();
  });
});
