/**
 * CycloneDX with vulnerabilities: valid against the official CycloneDX 1.6
 * schema (from @cyclonedx/cyclonedx-library, as test/sbom-schema.test.ts), and
 * the vulnerabilities of Trivy's CycloneDX goldens reproduced from the JSON
 * golden of the same input, compared per (ID, affected purl).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ScanReport } from '@palisade/api';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { jsonDiff } from '../testing/json-diff.js';
import { readGolden, trivyJsonGoldens } from '../testing/trivy-goldens.js';
import { scanReportFromTrivy } from '../testing/trivy-report.js';
import { writeScanReport } from './scan-format.js';
import { toScanCycloneDX } from './scan-cyclonedx.js';

const require = createRequire(import.meta.url);

function validator(): (doc: unknown) => string[] {
  const dir = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res/schema');
  const load = (f: string) => {
    const s = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
    delete s['$id'];
    return s;
  };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, logger: false });
  addFormats.default(ajv);
  ajv.addSchema(load('spdx.SNAPSHOT.schema.json'), 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json');
  ajv.addSchema(
    load('jsf-0.82.SNAPSHOT.schema.json'),
    'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json',
  );
  ajv.addSchema(load('bom-1.6.SNAPSHOT.schema.json'), 'http://cyclonedx.org/schema/bom-1.6.schema.json');
  const validate = ajv.getSchema('http://cyclonedx.org/schema/bom-1.6.schema.json');
  if (!validate) throw new Error('CycloneDX 1.6 schema did not compile');
  return (doc) =>
    validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

type Bom = {
  components?: { 'bom-ref': string; purl?: string }[];
  vulnerabilities?: Record<string, unknown>[];
};

/** Vulnerabilities keyed by `ID purl`, with `affects` reduced to the versions of that purl. */
function byIdAndPurl(bom: Bom): Map<string, Record<string, unknown>> {
  const purl = new Map((bom.components ?? []).map((c) => [c['bom-ref'], c.purl ?? c['bom-ref']]));
  const out = new Map<string, Record<string, unknown>>();
  for (const v of bom.vulnerabilities ?? []) {
    for (const a of v['affects'] as { ref: string; versions: unknown }[]) {
      const p = purl.get(a.ref) ?? a.ref;
      const { affects: _affects, ...rest } = v;
      out.set(`${String(v['id'])} ${p}`, { ...rest, versions: a.versions });
    }
  }
  return out;
}

describe('CycloneDX 1.6 with vulnerabilities', () => {
  const validate = validator();

  it('every trivy-integration golden, written as CycloneDX, is valid CycloneDX 1.6', () => {
    const failures: string[] = [];
    const goldens = trivyJsonGoldens();
    let vulns = 0;
    for (const { name, doc } of goldens) {
      const { report } = scanReportFromTrivy(doc);
      const bom = JSON.parse(writeScanReport(report, 'cyclonedx')) as Bom;
      vulns += bom.vulnerabilities?.length ?? 0;
      const errors = validate(bom);
      if (errors.length > 0) failures.push(`${name}: ${errors.slice(0, 3).join('; ')}`);
    }
    console.log(
      `cyclonedx schema: ${goldens.length - failures.length}/${goldens.length} valid, ${vulns} vulnerabilities`,
    );
    expect(vulns).toBeGreaterThan(50);
    expect(failures).toEqual([]);
  });

  it.each([
    ['pom-cyclonedx.json.golden', 'pom.json.golden'],
    ['npm-cyclonedx.json.golden', 'npm.json.golden'],
    ['fluentd-multiple-lockfiles-short.cdx.json.golden', 'fluentd-multiple-lockfiles.json.golden'],
  ])('the vulnerabilities of %s come out of %s', (cdx, json) => {
    const golden = byIdAndPurl(readGolden(cdx) as Bom);
    const ours = byIdAndPurl(toScanCycloneDX(scanReportFromTrivy(readGolden(json)).report));
    const diffs = [...golden].flatMap(([k, v]) =>
      jsonDiff(v, ours.get(k), k).map(
        (d) => `${d.path}: expected ${JSON.stringify(d.expected)} got ${JSON.stringify(d.actual)}`,
      ),
    );
    console.log(
      `${cdx}: ${golden.size} vulnerability/component pairs, ${[...golden.keys()].filter((k) => ours.has(k)).length} present, ${diffs.length} differences${diffs.length ? `\n  ${diffs.join('\n  ')}` : ''}`,
    );
    expect(golden.size).toBeGreaterThan(0);
    expect(diffs).toEqual([]);
  });

  it('links each vulnerability to its component, merges one ID over several components, and records VEX analysis', () => {
    const v = {
      vulnerabilityId: 'CVE-2024-1',
      pkgName: 'a',
      installedVersion: '1.0',
      status: 'fixed' as const,
      severity: 'HIGH' as const,
      fixedVersion: '1.1',
    };
    const report: ScanReport = {
      schemaVersion: 1,
      createdAt: '2024-01-01T00:00:00Z',
      artifact: { name: 'app', type: 'filesystem' },
      diagnostics: [],
      results: [
        {
          target: 'package-lock.json',
          class: 'lang-pkgs',
          type: 'npm',
          packages: [
            { id: 'a@1.0', name: 'a', version: '1.0' },
            { id: 'b@2.0', name: 'b', version: '2.0' },
            { id: 'c@3.0', name: 'c', version: '3.0' },
          ],
          vulnerabilities: [
            { ...v, pkgId: 'a@1.0' },
            { ...v, pkgId: 'b@2.0', pkgName: 'b', installedVersion: '2.0' },
          ],
          suppressed: [
            {
              type: 'vulnerability',
              status: 'not_affected',
              statement: 'vulnerable_code_not_in_execute_path',
              source: 'openvex.json',
              finding: {
                ...v,
                vulnerabilityId: 'CVE-2024-2',
                pkgId: 'c@3.0',
                pkgName: 'c',
                installedVersion: '3.0',
              },
            },
          ],
        },
      ],
    };
    const bom = toScanCycloneDX(report) as unknown as {
      components?: { 'bom-ref': string }[];
      vulnerabilities: {
        id: string;
        affects: { ref: string }[];
        analysis?: unknown;
        recommendation?: string;
      }[];
    };
    expect(validate(bom)).toEqual([]);
    expect(bom.vulnerabilities.map((x) => [x.id, x.affects.map((a) => a.ref)])).toEqual([
      ['CVE-2024-1', ['pkg:npm/a@1.0', 'pkg:npm/b@2.0']],
      ['CVE-2024-2', ['pkg:npm/c@3.0']],
    ]);
    expect(bom.vulnerabilities[0]?.recommendation).toBe('Upgrade a to version 1.1');
    expect(bom.vulnerabilities[1]?.analysis).toEqual({
      state: 'not_affected',
      justification: 'code_not_reachable',
      detail: 'vulnerable_code_not_in_execute_path (openvex.json)',
    });
    const refs = new Set(bom.components?.map((c) => c['bom-ref']));
    for (const x of bom.vulnerabilities) for (const a of x.affects) expect(refs.has(a.ref)).toBe(true);
  });
});
