/**
 * The CRDs generated from the zod schemas: (1) regenerating gives the committed deploy/crds files;
 * (2) each Trivy Operator CRD equals upstream's (../shared/data/scan/trivy-operator/crds) in
 * group, names, short names, scope, printer columns, subresources and the whole openAPIV3Schema
 * (descriptions included); (3) the schemas accept the objects upstream's plugin fixtures produce
 * and reject malformed ones.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error -- plain ESM script without type declarations
import { renderCrdFiles } from '../../../../scripts/gen-crds.mjs';
import {
  ALL_CRDS,
  ClusterPolicyReportCrd,
  PolicyReportCrd,
  TRIVY_OPERATOR_CRDS,
  VulnerabilityReportSchema,
  openApiSchemaOf,
  toCustomResourceDefinition,
} from './index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const upstreamDir = resolve(repoRoot, '../shared/data/scan/trivy-operator/crds');
const render = renderCrdFiles as (
  crds: typeof ALL_CRDS,
  toCrd: typeof toCustomResourceDefinition,
) => Map<string, string>;

function upstream(file: string): Record<string, unknown> {
  if (!existsSync(upstreamDir))
    throw new Error(`${upstreamDir} is missing: the shared data folder must sit beside the checkout`);
  return parse(readFileSync(join(upstreamDir, file), 'utf8')) as Record<string, unknown>;
}

/** The CRD's semantic content: metadata annotations (controller-gen's version) are not part of it. */
function semantic(crd: Record<string, unknown>): unknown {
  const spec = crd['spec'] as Record<string, unknown>;
  return {
    apiVersion: crd['apiVersion'],
    kind: crd['kind'],
    name: (crd['metadata'] as { name: string }).name,
    spec,
  };
}

describe('deploy/crds', () => {
  it('regenerating the CRDs gives the committed files, and no other file is there', () => {
    const files = render(ALL_CRDS, toCustomResourceDefinition);
    const dir = join(repoRoot, 'deploy/crds');
    const committed = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(committed.sort()).toEqual([...files.keys()].sort());
    for (const [name, text] of files) {
      expect(readFileSync(join(dir, name), 'utf8'), `${name} is stale: run node scripts/gen-crds.mjs`).toBe(
        text,
      );
    }
  });

  it('names every file <group>_<plural>.yaml as upstream does', () => {
    const files = [...render(ALL_CRDS, toCustomResourceDefinition).keys()];
    for (const d of TRIVY_OPERATOR_CRDS) {
      const name = `${d.group}_${d.names.plural}.yaml`;
      expect(files).toContain(name);
      expect(existsSync(join(upstreamDir, name)), `${name} exists upstream`).toBe(true);
    }
  });
});

describe('Trivy Operator CRDs equal upstream v0.32.0', () => {
  for (const d of TRIVY_OPERATOR_CRDS) {
    const file = `${d.group}_${d.names.plural}.yaml`;
    it(`${d.names.kind}: group, names, short names, scope, printer columns, subresources and schema`, () => {
      const up = upstream(file);
      const ours = parse(render([d], toCustomResourceDefinition).get(file) ?? '') as Record<string, unknown>;
      const upSpec = up['spec'] as { versions: Record<string, unknown>[] } & Record<string, unknown>;
      const ourSpec = ours['spec'] as { versions: Record<string, unknown>[] } & Record<string, unknown>;
      // Field by field first, so a failure names the part that differs.
      expect(ourSpec['group']).toBe(upSpec['group']);
      expect(ourSpec['names']).toEqual(upSpec['names']);
      expect(ourSpec['scope']).toBe(upSpec['scope']);
      const [uv] = upSpec.versions;
      const [ov] = ourSpec.versions;
      expect(ov?.['name']).toBe(uv?.['name']);
      expect(ov?.['additionalPrinterColumns']).toEqual(uv?.['additionalPrinterColumns']);
      expect(ov?.['subresources']).toEqual(uv?.['subresources']);
      expect(ov?.['schema']).toEqual(uv?.['schema']);
      expect(semantic(ours)).toEqual(semantic(up));
    });
  }

  it('covers the six kinds the brief names (the cluster-scoped duplicates are not generated)', () => {
    expect(TRIVY_OPERATOR_CRDS.map((d) => d.names.kind)).toEqual([
      'VulnerabilityReport',
      'ExposedSecretReport',
      'SbomReport',
      'ConfigAuditReport',
      'RbacAssessmentReport',
      'ClusterComplianceReport',
    ]);
  });
});

describe('PolicyReport CRDs (wgpolicyk8s.io/v1alpha2)', () => {
  it('have the printer columns and short names Kyverno installs', () => {
    for (const d of [PolicyReportCrd, ClusterPolicyReportCrd]) {
      expect(d.printerColumns.map((c) => `${c.name}:${c.jsonPath}:${c.type}`)).toEqual([
        'Kind:.scope.kind:string',
        'Name:.scope.name:string',
        'Pass:.summary.pass:integer',
        'Fail:.summary.fail:integer',
        'Warn:.summary.warn:integer',
        'Error:.summary.error:integer',
        'Skip:.summary.skip:integer',
        'Age:.metadata.creationTimestamp:date',
      ]);
    }
    expect(PolicyReportCrd.names.shortNames).toEqual(['polr']);
    expect(ClusterPolicyReportCrd.names.shortNames).toEqual(['cpolr']);
    expect(ClusterPolicyReportCrd.scope).toBe('Cluster');
  });

  it('keeps the Kubernetes list/map markers and integer formats in the schema', () => {
    const s = openApiSchemaOf(PolicyReportCrd.schema) as {
      properties: {
        scope: Record<string, unknown>;
        results: { items: { properties: Record<string, unknown> } };
      };
    };
    expect(s.properties.scope['x-kubernetes-map-type']).toBe('atomic');
    const ts = s.properties.results.items.properties['timestamp'] as {
      properties: { nanos: Record<string, unknown>; seconds: Record<string, unknown> };
    };
    expect(ts.properties.nanos).toMatchObject({ type: 'integer', format: 'int32' });
    expect(ts.properties.seconds).toMatchObject({ type: 'integer', format: 'int64' });
  });
});

describe('VulnerabilityReportSchema', () => {
  const valid = {
    apiVersion: 'aquasecurity.github.io/v1alpha1',
    kind: 'VulnerabilityReport',
    metadata: { name: 'replicaset-nginx-6d4cf56db6-nginx', namespace: 'default' },
    report: {
      artifact: { repository: 'library/nginx', tag: '1.16' },
      os: { family: 'debian', name: '10.3' },
      registry: { server: 'index.docker.io' },
      scanner: { name: 'Trivy', vendor: 'Aqua Security', version: '0.50.0' },
      summary: { criticalCount: 1, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 },
      updateTimestamp: '2024-01-01T00:00:00Z',
      vulnerabilities: [
        {
          vulnerabilityID: 'CVE-2020-1',
          resource: 'openssl',
          installedVersion: '1.1.1d',
          fixedVersion: '1.1.1g',
          severity: 'CRITICAL',
          title: 't',
          publishedDate: '',
          lastModifiedDate: '',
        },
      ],
    },
  };

  it('accepts a well-formed report and keeps unknown top-level fields', () => {
    const r = VulnerabilityReportSchema.safeParse({ ...valid, extra: 1 });
    expect(r.success).toBe(true);
    expect((r.data as Record<string, unknown>)['extra']).toBe(1);
  });

  it('rejects a negative count, an unknown severity and a missing summary, naming the path', () => {
    const cases: [string, unknown, string][] = [
      [
        'negative count',
        { ...valid, report: { ...valid.report, summary: { ...valid.report.summary, highCount: -1 } } },
        'report.summary.highCount',
      ],
      [
        'unknown severity',
        {
          ...valid,
          report: {
            ...valid.report,
            vulnerabilities: [{ ...valid.report.vulnerabilities[0], severity: 'SEVERE' }],
          },
        },
        'report.vulnerabilities.0.severity',
      ],
      ['missing summary', { ...valid, report: { ...valid.report, summary: undefined } }, 'report.summary'],
    ];
    for (const [name, obj, path] of cases) {
      const r = VulnerabilityReportSchema.safeParse(obj);
      expect(r.success, name).toBe(false);
      expect(
        r.error?.issues.map((i) => i.path.join('.')),
        name,
      ).toContain(path);
    }
  });
});
