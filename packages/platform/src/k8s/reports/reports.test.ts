/**
 * Report naming and builders. The expected hashes were computed by Trivy Operator's own
 * functions (go-spew ConfigState{Indent:" ",SortKeys,DisableMethods,SpewKeys} `%#v` into FNV-32a,
 * then k8s.io/apimachinery v0.37.2 rand.SafeEncodeString), run once with Go; they are not
 * produced by the code under test.
 */
import type { DetectedVulnerability, ScanReport } from '@palisade/api';
import { ExposedSecretReportSchema, VulnerabilityReportSchema } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { buildExposedSecretReport, buildVulnerabilityReport, imageFields } from './builders.js';
import { computeHash, containerReportName, isValidLabelValue, workloadLabels } from './naming.js';

describe('Trivy Operator naming', () => {
  it.each([
    ['nginx-nginx', '85bfbf647d'],
    ['a-very-long-deployment-name-that-goes-on-and-on-and-on-7d4b9c-sidecar', 'ff47bbff7'],
    ['x', '7444ddf767'],
    ['coredns-6488c6fcc6-coredns', 'f95b66686'],
    ['this-is-a-very-long-replicaset-name-to-exceed-the-63-char-limit-abc12', '675f5b7b79'],
  ])('ComputeHash(%j) is %s as in Go', (input, want) => {
    expect(computeHash(input)).toBe(want);
  });

  it('names a report <kind>-<name>-<container> when that is a valid label value', () => {
    expect(containerReportName('ReplicaSet', 'nginx-6d4cf56db6', 'nginx')).toBe(
      'replicaset-nginx-6d4cf56db6-nginx',
    );
  });

  it('hashes name-container when the plain name is longer than 63 characters', () => {
    const name = 'a-very-long-deployment-name-that-goes-on-and-on-and-on-7d4b9c';
    expect(containerReportName('ReplicaSet', name, 'sidecar')).toBe('replicaset-ff47bbff7');
  });

  it('puts a long workload name in a hash label and an annotation', () => {
    const long = 'this-is-a-very-long-replicaset-name-to-exceed-the-63-char-limit-abc12';
    expect(isValidLabelValue(long)).toBe(false);
    const { labels, annotations } = workloadLabels({ kind: 'ReplicaSet', name: long, namespace: 'ns' });
    expect(labels).toEqual({
      'trivy-operator.resource.kind': 'ReplicaSet',
      'trivy-operator.resource.namespace': 'ns',
      'trivy-operator.resource.name-hash': '675f5b7b79',
    });
    expect(annotations).toEqual({ 'trivy-operator.resource.name': long });
  });
});

describe('imageFields', () => {
  it.each([
    ['nginx:1.16', { registry: 'index.docker.io', repository: 'library/nginx', tag: '1.16', digest: '' }],
    ['ghcr.io/org/app', { registry: 'ghcr.io', repository: 'org/app', tag: 'latest', digest: '' }],
    ['127.0.0.1:5000/x/y:2', { registry: '127.0.0.1:5000', repository: 'x/y', tag: '2', digest: '' }],
  ])('%s', (image, want) => {
    expect(imageFields(image)).toEqual(want);
  });
});

function vuln(
  id: string,
  severity: DetectedVulnerability['severity'],
  extra: Partial<DetectedVulnerability> = {},
): DetectedVulnerability {
  return {
    vulnerabilityId: id,
    pkgName: 'pkg',
    installedVersion: '1',
    status: 'affected',
    severity,
    ...extra,
  };
}

function scanWith(vulns: DetectedVulnerability[]): ScanReport {
  return {
    schemaVersion: 1,
    createdAt: '2024-01-01T00:00:00Z',
    artifact: { name: 'nginx:1.16', type: 'container_image', digest: 'sha256:' + 'a'.repeat(64) },
    os: { family: 'debian', name: '12.5' },
    results: [
      { target: 'nginx:1.16 (debian 12.5)', class: 'os-pkgs', type: 'debian', vulnerabilities: vulns },
      {
        target: '/app/.env',
        class: 'secret',
        secrets: [
          {
            ruleId: 'aws-access-key-id',
            category: 'AWS',
            severity: 'CRITICAL',
            title: 'AWS Access Key ID',
            startLine: 1,
            endLine: 1,
            match: 'AWS=****',
          },
        ],
      },
    ],
    diagnostics: [],
  };
}

const workload = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'nginx-6d4cf56db6',
  namespace: 'default',
  uid: 'u-1',
};

describe('buildVulnerabilityReport', () => {
  const scan = scanWith([
    vuln('CVE-1', 'LOW'),
    vuln('CVE-2', 'CRITICAL', { cvss: { nvd: { v3Score: 9.8, v3Vector: 'AV:N' } }, fixedVersion: '2' }),
    vuln('CVE-3', 'HIGH'),
    vuln('CVE-4', 'UNKNOWN'),
    vuln('CVE-5', 'HIGH'),
  ]);
  const r = buildVulnerabilityReport(scan, {
    workload,
    container: 'nginx',
    image: 'nginx:1.16',
    now: new Date('2024-05-01T10:00:00.123Z'),
  });

  it('is valid against the CRD schema', () => {
    const p = VulnerabilityReportSchema.safeParse(r);
    expect(p.error?.issues ?? []).toEqual([]);
  });

  it('has Trivy Operator name, labels and a controller ownerReference without blockOwnerDeletion', () => {
    expect(r.metadata.name).toBe('replicaset-nginx-6d4cf56db6-nginx');
    expect(r.metadata.labels).toMatchObject({
      'trivy-operator.resource.kind': 'ReplicaSet',
      'trivy-operator.resource.name': 'nginx-6d4cf56db6',
      'trivy-operator.resource.namespace': 'default',
      'trivy-operator.container.name': 'nginx',
    });
    expect(r.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'nginx-6d4cf56db6',
        uid: 'u-1',
        controller: true,
        blockOwnerDeletion: false,
      },
    ]);
  });

  it('counts every severity and orders findings most severe first', () => {
    expect(r.report.summary).toEqual({
      criticalCount: 1,
      highCount: 2,
      mediumCount: 0,
      lowCount: 1,
      unknownCount: 1,
    });
    expect(r.report.vulnerabilities.map((v) => v.vulnerabilityID)).toEqual([
      'CVE-2',
      'CVE-3',
      'CVE-5',
      'CVE-1',
      'CVE-4',
    ]);
    expect(r.report.vulnerabilities[0]).toMatchObject({
      score: 9.8,
      fixedVersion: '2',
      cvss: { nvd: { V3Score: 9.8, V3Vector: 'AV:N' } },
    });
    expect(r.report.updateTimestamp).toBe('2024-05-01T10:00:00Z');
    expect(r.report.artifact).toEqual({
      repository: 'library/nginx',
      tag: '1.16',
      digest: 'sha256:' + 'a'.repeat(64),
    });
  });

  it('cuts the list to fit maxBytes, keeps the summary and the most severe, and marks the cut', () => {
    const many = Array.from({ length: 3000 }, (_, i) =>
      vuln(`CVE-2024-${String(i).padStart(5, '0')}`, i % 10 === 0 ? 'CRITICAL' : 'LOW', {
        description: 'x'.repeat(400),
      }),
    );
    const big = buildVulnerabilityReport(scanWith(many), {
      workload,
      container: 'nginx',
      image: 'nginx:1.16',
      maxBytes: 200_000,
    });
    const size = Buffer.byteLength(JSON.stringify(big));
    expect(size).toBeLessThanOrEqual(200_000);
    expect(size).toBeGreaterThan(190_000);
    const kept = big.report.vulnerabilities.length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(3000);
    expect(big.metadata.annotations).toMatchObject({
      'palisade.dev/truncated': 'true',
      'palisade.dev/findings-kept': `${kept}/3000`,
    });
    expect(big.report.summary).toMatchObject({ criticalCount: 300, lowCount: 2700 });
    // All 300 criticals come before any low.
    const firstLow = big.report.vulnerabilities.findIndex((v) => v.severity === 'LOW');
    expect(firstLow === -1 ? kept : firstLow).toBe(Math.min(300, kept));
  });

  it('does not mark a report that fits', () => {
    expect(r.metadata.annotations?.['palisade.dev/truncated']).toBeUndefined();
  });
});

describe('buildExposedSecretReport', () => {
  it('maps secret findings, counts and is valid against the CRD schema', () => {
    const r = buildExposedSecretReport(scanWith([]), { workload, container: 'nginx', image: 'nginx:1.16' });
    expect(ExposedSecretReportSchema.safeParse(r).error?.issues ?? []).toEqual([]);
    expect(r.report.summary).toEqual({ criticalCount: 1, highCount: 0, mediumCount: 0, lowCount: 0 });
    expect(r.report.secrets).toEqual([
      {
        target: '/app/.env',
        ruleID: 'aws-access-key-id',
        title: 'AWS Access Key ID',
        category: 'AWS',
        severity: 'CRITICAL',
        match: 'AWS=****',
      },
    ]);
  });
});
