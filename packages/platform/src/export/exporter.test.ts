import type { VulnerabilityReport } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { summaryOnly } from './exporter.js';

describe('summaryOnly (the exporter cache transform without the per-CVE series)', () => {
  const report = {
    apiVersion: 'aquasecurity.github.io/v1alpha1',
    kind: 'VulnerabilityReport',
    metadata: {
      name: 'replicaset-nginx-7f9c-nginx',
      namespace: 'default',
      labels: { 'trivy-operator.resource.kind': 'ReplicaSet' },
      managedFields: [{ manager: 'palisade' }],
    },
    report: {
      updateTimestamp: '2026-01-01T00:00:00Z',
      scanner: { name: 'Palisade', vendor: 'Palisade', version: '0.1.0' },
      registry: { server: 'index.docker.io' },
      artifact: { repository: 'library/nginx', tag: '1.25', digest: 'sha256:ab' },
      summary: { criticalCount: 1, highCount: 2, mediumCount: 0, lowCount: 3, unknownCount: 0 },
      vulnerabilities: [{ vulnerabilityID: 'CVE-2024-0001', resource: 'openssl', title: 'x'.repeat(1000) }],
    },
  } as unknown as VulnerabilityReport;

  it('keeps what the summary metrics read and drops the findings and bookkeeping', () => {
    const out = summaryOnly(report);
    expect(out).toEqual({
      apiVersion: 'aquasecurity.github.io/v1alpha1',
      kind: 'VulnerabilityReport',
      metadata: {
        name: 'replicaset-nginx-7f9c-nginx',
        namespace: 'default',
        labels: { 'trivy-operator.resource.kind': 'ReplicaSet' },
      },
      report: {
        registry: { server: 'index.docker.io' },
        artifact: { repository: 'library/nginx', tag: '1.25', digest: 'sha256:ab' },
        summary: { criticalCount: 1, highCount: 2, mediumCount: 0, lowCount: 3, unknownCount: 0 },
      },
    });
    // The argument is not changed (the informer may hand the same object to handlers).
    expect(report.report?.vulnerabilities).toHaveLength(1);
  });

  it('leaves an object without a report body alone but for the bookkeeping', () => {
    const bare = { metadata: { name: 'x', managedFields: [] } } as unknown as VulnerabilityReport;
    expect(summaryOnly(bare)).toEqual({ metadata: { name: 'x' } });
  });
});
