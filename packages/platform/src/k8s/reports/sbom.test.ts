/**
 * SbomReport builder: the object validates against the CRD schema (the zod schema generated from
 * Trivy Operator's CRD), counts follow Trivy Operator's BomSummary (components + 1, dependency
 * entries), the object is identical for the same scan, and the size cap keeps a consistent BOM.
 */
import type { Package, ScanReport } from '@palisade/api';
import { SbomReportSchema } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { buildSbomReport } from './sbom.js';

const DIGEST = 'sha256:' + 'b'.repeat(64);
const WORKLOAD = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'web-5d8f9',
  namespace: 'apps',
  uid: '0c6f2e3a-0000-4000-8000-000000000001',
};

function pkgs(n: number, prefix = 'lib'): Package[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i}@1.${i}`,
    name: `${prefix}${i}`,
    version: `1.${i}`,
    ...(i > 0 ? { dependsOn: [`${prefix}${i - 1}@1.${i - 1}`] } : {}),
  }));
}

function scan(osPkgs: number, npmPkgs: number): ScanReport {
  return {
    schemaVersion: 1,
    createdAt: '2024-01-01T00:00:00Z',
    artifact: { name: 'reg.example/app:1', type: 'container_image', digest: DIGEST },
    os: { family: 'alpine', name: '3.17.1' },
    results: [
      {
        target: 'reg.example/app:1 (alpine 3.17.1)',
        class: 'os-pkgs',
        type: 'alpine',
        packages: pkgs(osPkgs),
      },
      { target: 'app/package-lock.json', class: 'lang-pkgs', type: 'npm', packages: pkgs(npmPkgs, 'npm') },
      { target: '/app/.env', class: 'secret', secrets: [] },
    ],
    diagnostics: [],
  };
}

const opts = {
  workload: WORKLOAD,
  container: 'app',
  image: 'reg.example/app:1',
  imageDigest: DIGEST,
  now: new Date('2024-02-03T04:05:06.789Z'),
};

describe('SbomReport', () => {
  it('is a valid SbomReport named and labelled like the other per-container reports', () => {
    const r = buildSbomReport(scan(3, 2), opts);
    expect(r).toBeDefined();
    if (!r) return;
    expect(SbomReportSchema.safeParse(r).success).toBe(true);
    expect(r.metadata).toMatchObject({
      name: 'replicaset-web-5d8f9-app',
      namespace: 'apps',
      labels: {
        'trivy-operator.resource.kind': 'ReplicaSet',
        'trivy-operator.resource.name': 'web-5d8f9',
        'trivy-operator.container.name': 'app',
        'app.kubernetes.io/managed-by': 'palisade',
      },
    });
    expect((r.metadata as { ownerReferences?: unknown[] }).ownerReferences).toHaveLength(1);
    expect(r.report.artifact).toEqual({ repository: 'app', tag: '1', digest: DIGEST });
    expect(r.report.registry).toEqual({ server: 'reg.example' });
    expect(r.report.updateTimestamp).toBe('2024-02-03T04:05:06Z');
    const bom = r.report.components;
    expect(bom.bomFormat).toBe('CycloneDX');
    // 3 alpine packages + 2 npm packages + the OS component + the application component.
    expect(bom.components).toHaveLength(7);
    expect(r.report.summary.componentsCount).toBe(8);
    expect(r.report.summary.dependenciesCount).toBe(bom.dependencies?.length);
    const names = (bom.components ?? []).map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(['lib0', 'lib2', 'npm1', 'alpine', 'app/package-lock.json']),
    );
    // Only the CRD's component fields survive (the apiserver would prune the rest).
    for (const c of bom.components ?? [])
      for (const k of Object.keys(c))
        expect([
          'bom-ref',
          'group',
          'hashes',
          'licenses',
          'name',
          'properties',
          'purl',
          'supplier',
          'type',
          'version',
        ]).toContain(k);
    expect(Object.keys(bom)).not.toContain('$schema');
  });

  it('keeps every dependency pointing at a component of the BOM', () => {
    const r = buildSbomReport(scan(4, 3), opts);
    const bom = r?.report.components;
    const refs = new Set([
      ...(bom?.components ?? []).map((c) => c['bom-ref']),
      bom?.metadata?.component?.['bom-ref'],
    ]);
    for (const d of bom?.dependencies ?? []) {
      expect(refs.has(d.ref)).toBe(true);
      for (const x of d.dependsOn ?? []) expect(refs.has(x)).toBe(true);
    }
  });

  it('is the same object for the same scan (no random refs, so no report churn)', () => {
    expect(JSON.stringify(buildSbomReport(scan(5, 5), opts))).toBe(
      JSON.stringify(buildSbomReport(scan(5, 5), opts)),
    );
    const other = buildSbomReport(scan(5, 5), { ...opts, imageDigest: 'sha256:' + 'c'.repeat(64) });
    expect(other?.report.components.serialNumber).not.toBe(
      buildSbomReport(scan(5, 5), opts)?.report.components.serialNumber,
    );
  });

  it('is not built for an image without packages (as Trivy Operator)', () => {
    expect(buildSbomReport(scan(0, 0), opts)).toBeUndefined();
  });

  it('keeps the first components that fit the size cap, with the counts of the whole BOM', () => {
    const full = buildSbomReport(scan(2000, 0), opts);
    const fullSize = Buffer.byteLength(JSON.stringify(full));
    const maxBytes = Math.floor(fullSize / 3);
    const r = buildSbomReport(scan(2000, 0), { ...opts, maxBytes });
    expect(r).toBeDefined();
    if (!r) return;
    const size = Buffer.byteLength(JSON.stringify(r));
    expect(size).toBeLessThanOrEqual(maxBytes);
    const kept = r.report.components.components?.length ?? 0;
    expect(kept).toBeGreaterThan(100);
    expect(kept).toBeLessThan(2001);
    const ann = (r.metadata as { annotations?: Record<string, string> }).annotations ?? {};
    expect(ann['palisade.dev/truncated']).toBe('true');
    expect(ann['palisade.dev/findings-kept']).toBe(`${kept}/2001`);
    expect(r.report.summary.componentsCount).toBe(2002);
    expect(SbomReportSchema.safeParse(r).success).toBe(true);
    // Dependencies point only at kept components.
    const refs = new Set((r.report.components.components ?? []).map((c) => c['bom-ref']));
    refs.add(r.report.components.metadata?.component?.['bom-ref']);
    for (const d of r.report.components.dependencies ?? [])
      for (const x of d.dependsOn ?? []) expect(refs.has(x)).toBe(true);
  });
});
