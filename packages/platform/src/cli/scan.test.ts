/**
 * `palisade scan` driven through the real CLI in-process: a database imported
 * from OSV records written here (two PyPI advisories, one with a CVE alias
 * group, one without a fix), a project with a requirements.txt and a file
 * holding an AWS key, then every stage the command strings together.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../testing/shared-data.js';
import { run } from './program.js';

let dir: string;
let project: string;
let cacheDir: string;

// Built at run time so the repository holds nothing that looks like a credential.
const AWS_KEY_ID = ['AKIA', 'QWERTYUIOPASDFGH'].join('');

async function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = project) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await run(args, {
    stdout,
    stderr,
    env: { HOME: dir, CI: '1', PALISADE_CACHE_DIR: cacheDir, ...env },
    cwd,
  });
  return { code, out, err };
}

interface JsonVuln {
  vulnerabilityId: string;
  aliases?: string[];
  pkgName: string;
  installedVersion: string;
  fixedVersion?: string;
  status: string;
  severity: string;
  epss?: { score: number };
  kev?: unknown;
}
interface JsonReport {
  results: {
    target: string;
    class: string;
    vulnerabilities?: JsonVuln[];
    secrets?: { ruleId: string; match: string }[];
    suppressed?: { statement: string; source: string }[];
  }[];
  database?: { stale?: boolean };
}

function vulns(out: string): JsonVuln[] {
  return (JSON.parse(out) as JsonReport).results.flatMap((r) => r.vulnerabilities ?? []);
}

const records = [
  {
    id: 'PYSEC-2099-1',
    modified: '2024-01-01T00:00:00Z',
    aliases: ['CVE-2099-1111', 'GHSA-aaaa-bbbb-cccc'],
    summary: 'Example SQL injection in widget',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [
      {
        package: { ecosystem: 'PyPI', name: 'Widget_Lib' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0.1' }] }],
      },
    ],
  },
  {
    id: 'PYSEC-2099-2',
    modified: '2024-01-02T00:00:00Z',
    summary: 'Example unfixed weakness in widget',
    affected: [
      {
        package: { ecosystem: 'PyPI', name: 'widget-lib' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '1.0' }] }],
      },
    ],
  },
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-cli-scan-'));
  cacheDir = join(dir, 'cache');
  project = join(dir, 'project');
  mkdirSync(project);
  const osv = join(dir, 'osv');
  mkdirSync(osv);
  for (const r of records) writeFileSync(join(osv, `${r.id}.json`), JSON.stringify(r));
  // widget.lib normalizes to widget-lib (PEP 503), as the advisories name it.
  writeFileSync(join(project, 'requirements.txt'), 'widget.lib==1.5\nother==1.0\n');
  writeFileSync(join(project, 'creds.ini'), `aws_access_key_id = ${AWS_KEY_ID}\n`);
  const r = await cli(['db', 'import', osv], {}, dir);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('palisade scan', () => {
  it('explains itself with --help, with examples and every format', async () => {
    const r = await cli(['scan', '--help']);
    expect(r.code).toBe(0);
    for (const s of [
      '--severity',
      '--ignore-unfixed',
      '--exit-code',
      '--scanners',
      '--vex',
      'sarif',
      'trivy-json',
    ])
      expect(r.out).toContain(s);
  });

  it('finds both advisories by normalized name, one finding per alias group, CVE preferred', async () => {
    const r = await cli(['scan', 'fs', '.', '--format', 'json']);
    expect(r.code).toBe(0);
    const v = vulns(r.out);
    expect(
      v.map((x) => [x.vulnerabilityId, x.pkgName, x.installedVersion, x.fixedVersion ?? '', x.status]),
    ).toEqual([
      ['CVE-2099-1111', 'widget.lib', '1.5', '2.0.1', 'fixed'],
      ['PYSEC-2099-2', 'widget.lib', '1.5', '', 'affected'],
    ]);
    expect(v[0]!.aliases).toEqual(['GHSA-aaaa-bbbb-cccc', 'PYSEC-2099-1']);
    expect(v[0]!.severity).toBe('CRITICAL');
    expect(v[1]!.severity).toBe('UNKNOWN');
  });

  it('prints a table with the target, a severity total and the rows', async () => {
    const r = await cli(['scan', 'fs', '.']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('requirements.txt (pip)');
    expect(r.out).toContain('Total: 2 (UNKNOWN: 1, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 1)');
    expect(r.out).toContain('CVE-2099-1111');
  });

  it('filters by severity and fix status', async () => {
    const sev = await cli(['scan', 'fs', '.', '--format', 'json', '--severity', 'HIGH,CRITICAL']);
    expect(vulns(sev.out).map((x) => x.vulnerabilityId)).toEqual(['CVE-2099-1111']);
    const unfixed = await cli(['scan', 'fs', '.', '--format', 'json', '--ignore-unfixed']);
    expect(vulns(unfixed.out).map((x) => x.vulnerabilityId)).toEqual(['CVE-2099-1111']);
    const bad = await cli(['scan', 'fs', '.', '--severity', 'HIGH,SEVERE']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("'SEVERE'");
  });

  it('gates CI with --exit-code only when findings remain', async () => {
    expect((await cli(['scan', 'fs', '.', '--exit-code', '1'])).code).toBe(1);
    expect((await cli(['scan', 'fs', '.', '--exit-code', '5', '--severity', 'LOW'])).code).toBe(0);
    expect((await cli(['scan', 'fs', '.', '--severity', 'CRITICAL'])).code).toBe(0);
  });

  it('reads .trivyignore in the working directory (by any alias) and shows suppressed findings on request', async () => {
    const other = join(dir, 'with-ignore');
    mkdirSync(other, { recursive: true });
    copyFileSync(join(project, 'requirements.txt'), join(other, 'requirements.txt'));
    writeFileSync(join(other, '.trivyignore'), '# accepted risk\nGHSA-aaaa-bbbb-cccc\n');
    const r = await cli(['scan', 'fs', '.', '--format', 'json'], {}, other);
    expect(vulns(r.out).map((x) => x.vulnerabilityId)).toEqual(['PYSEC-2099-2']);
    const suppressed = (JSON.parse(r.out) as JsonReport).results.flatMap((x) => x.suppressed ?? []);
    expect(suppressed.map((s) => s.source)).toEqual([expect.stringMatching(/\.trivyignore:2$/)]);
    const table = await cli(['scan', 'fs', '.', '--show-suppressed'], {}, other);
    expect(table.out).toContain('CVE-2099-1111');
  });

  it('suppresses what an OpenVEX document says is not affected', async () => {
    const vex = join(dir, 'vex.json');
    writeFileSync(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.com/vex-1',
        author: 'test',
        timestamp: '2024-01-01T00:00:00Z',
        version: 1,
        statements: [
          {
            vulnerability: { name: 'CVE-2099-1111' },
            // The purl the scan gives the package (PEP 503 name, as report/purl.ts writes pypi purls).
            products: [{ '@id': 'pkg:pypi/widget-lib@1.5' }],
            status: 'not_affected',
            justification: 'vulnerable_code_not_in_execute_path',
          },
        ],
      }),
    );
    const r = await cli(['scan', 'fs', '.', '--format', 'json', '--vex', vex]);
    expect(r.code).toBe(0);
    expect(vulns(r.out).map((x) => x.vulnerabilityId)).toEqual(['PYSEC-2099-2']);
  });

  it('finds secrets with --scanners secret and never prints them', async () => {
    for (const format of ['table', 'json', 'sarif', 'trivy-json']) {
      const r = await cli(['scan', 'fs', '.', '--scanners', 'vuln,secret', '--format', format]);
      expect(r.code, format).toBe(0);
      expect(r.out, format).toContain('aws-access-key-id');
      expect(r.out, format).not.toContain(AWS_KEY_ID);
      expect(r.out, format).not.toContain(AWS_KEY_ID.slice(4));
    }
    const only = await cli(['scan', 'fs', '.', '--scanners', 'secret', '--format', 'json']);
    const results = (JSON.parse(only.out) as JsonReport).results;
    expect(results.map((x) => [x.target, x.class])).toEqual([['creds.ini', 'secret']]);
  });

  it('writes SARIF, Trivy JSON, CycloneDX and JUnit', async () => {
    const sarif = JSON.parse((await cli(['scan', 'fs', '.', '--format', 'sarif'])).out) as {
      version: string;
      runs: { results: { ruleId: string }[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results.map((x) => x.ruleId).sort()).toEqual(['CVE-2099-1111', 'PYSEC-2099-2']);
    const trivy = JSON.parse((await cli(['scan', 'fs', '.', '--format', 'trivy-json'])).out) as {
      SchemaVersion: number;
      Results: { Vulnerabilities: { VulnerabilityID: string }[] }[];
    };
    expect(trivy.SchemaVersion).toBe(2);
    expect(trivy.Results[0]!.Vulnerabilities.map((x) => x.VulnerabilityID)).toContain('CVE-2099-1111');
    const cdx = JSON.parse((await cli(['scan', 'fs', '.', '--format', 'cyclonedx'])).out) as {
      specVersion: string;
      vulnerabilities: { id: string }[];
    };
    expect(cdx.specVersion).toBe('1.6');
    expect(cdx.vulnerabilities.map((x) => x.id).sort()).toEqual(['CVE-2099-1111', 'PYSEC-2099-2']);
    expect((await cli(['scan', 'fs', '.', '--format', 'junit'])).out).toContain('<testsuites');
    const spdx = await cli(['scan', 'fs', '.', '--format', 'spdx-json']);
    expect(spdx.code).toBe(2);
    expect(spdx.err).toContain('palisade sbom');
  });

  it('adds EPSS and KEV from the files beside the database, and filters by them', async () => {
    const dbDir = join(cacheDir, 'db');
    writeFileSync(
      join(dbDir, 'epss_scores.csv.gz'),
      gzipSync(
        '#model_version:v2025.03.14,score_date:2026-12-01T12:55:00Z\ncve,epss,percentile\nCVE-2099-1111,0.42000,0.97000\n',
      ),
    );
    const kev = join(dbDir, 'known_exploited_vulnerabilities.json');
    copyFileSync(sharedData('vulndb/kev/known_exploited_vulnerabilities.json'), kev);
    try {
      const r = await cli(['scan', 'fs', '.', '--format', 'json']);
      const v = vulns(r.out);
      expect(v.find((x) => x.vulnerabilityId === 'CVE-2099-1111')!.epss?.score).toBeCloseTo(0.42);
      const min = await cli(['scan', 'fs', '.', '--format', 'json', '--epss-min', '0.4']);
      expect(vulns(min.out).map((x) => x.vulnerabilityId)).toEqual(['CVE-2099-1111']);
      // None of the made-up CVEs is in the real catalogue.
      const kevOnly = await cli(['scan', 'fs', '.', '--format', 'json', '--kev']);
      expect(vulns(kevOnly.out)).toEqual([]);
    } finally {
      rmSync(join(dbDir, 'epss_scores.csv.gz'));
      rmSync(kev);
    }
    const none = await cli(['scan', 'fs', '.', '--epss-min', '0.1']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('palisade db update');
  });

  it('warns when the database is stale and records it in the report', async () => {
    const r = await cli(['scan', 'fs', '.', '--format', 'json', '--db-stale-after', '0']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/advisory database was last updated .* run `palisade db update`/);
    expect((JSON.parse(r.out) as JsonReport).database?.stale).toBe(true);
  });

  it('says how to create the database when there is none, before reading the target', async () => {
    const r = await cli(['scan', 'image', 'registry.invalid/none:1'], {
      PALISADE_CACHE_DIR: join(dir, 'empty'),
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain('no advisory database');
    expect(r.err).toContain('palisade db update');
  });
});
