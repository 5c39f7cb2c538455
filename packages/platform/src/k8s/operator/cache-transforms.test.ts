/**
 * The operator's informer transforms: slim reports (body → hash) and slim Pods. What matters is
 * that the writer decides exactly as it did with full objects, and that every reading of a Pod
 * the operator makes gives the same answer on the slim Pod.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { stripServerBookkeeping } from '../client/informer.js';
import { computeHash } from '../reports/naming.js';
import { podSpecHash, slimPod } from './pod-cache.js';
import { canonicalJson, reportBodyHash, sameReport, slimReport } from './report-writer.js';
import type { ReportObject } from './report-writer.js';
import { containerImages, controllerOf, desiredWorkload, isActivePod, statusDigest } from './workloads.js';
import type { ClusterView, Pod, WorkloadObject } from './workloads.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** A report as the apiserver returns it: server fields, managedFields, a body with findings. */
function serverReport(body: unknown): ReportObject {
  return {
    apiVersion: 'aquasecurity.github.io/v1alpha1',
    kind: 'VulnerabilityReport',
    metadata: {
      name: 'pod-p-app',
      namespace: 'ns',
      uid: 'uid-1',
      resourceVersion: '42',
      generation: 1,
      labels: { 'trivy-operator.resource.kind': 'Pod', 'trivy-operator.resource.name': 'p' },
      annotations: { 'palisade.dev/truncated': 'true', 'example.com/note': 'kept' },
      ownerReferences: [{ kind: 'Pod', name: 'p', uid: 'pod-uid', controller: true }],
      // @ts-expect-error: a server field the ReportObject type does not name
      managedFields: [{ manager: 'palisade', fieldsV1: { 'f:report': {} } }],
      creationTimestamp: '2026-01-01T00:00:00Z',
    },
    report: body,
  };
}

const BODY = {
  artifact: { repository: 'library/app', tag: 'v1', digest: DIGEST },
  summary: { criticalCount: 1, highCount: 0 },
  vulnerabilities: [
    { vulnerabilityID: 'RUSTSEC-2019-0009', resource: 'smallvec', description: 'x'.repeat(2000) },
  ],
};

describe('slim report (the report informers transform)', () => {
  it('keeps the metadata the writer and the operator read, and drops the body and managedFields', () => {
    const full = serverReport(BODY);
    const slim = slimReport(full);
    expect(slim.report).toBeUndefined();
    expect(slim.metadata).toEqual({
      name: 'pod-p-app',
      namespace: 'ns',
      uid: 'uid-1',
      resourceVersion: '42',
      generation: 1,
      labels: full.metadata.labels,
      annotations: full.metadata.annotations,
      ownerReferences: full.metadata.ownerReferences,
    });
    expect(JSON.stringify(slim).length).toBeLessThan(JSON.stringify(full).length / 4);
    // The argument is not changed (handlers of other informers could share it).
    expect(full.report).toBe(BODY);
    expect((full.metadata as Record<string, unknown>)['managedFields']).toBeDefined();
  });

  it('hashes the body with SHA-256 over its canonical JSON, so key order does not matter', () => {
    const slim = slimReport(serverReport(BODY));
    const expected = createHash('sha256').update(canonicalJson(BODY)).digest('hex');
    expect(slim.reportHash).toBe(expected);
    const reordered = {
      vulnerabilities: [
        { description: 'x'.repeat(2000), resource: 'smallvec', vulnerabilityID: 'RUSTSEC-2019-0009' },
      ],
      summary: { highCount: 0, criticalCount: 1 },
      artifact: { digest: DIGEST, tag: 'v1', repository: 'library/app' },
    };
    expect(reportBodyHash(reordered)).toBe(expected);
    expect(reportBodyHash({ ...BODY, summary: { criticalCount: 2, highCount: 0 } })).not.toBe(expected);
  });

  it('hashes the body even when the object received claims a reportHash of its own', () => {
    const forged = { ...serverReport(BODY), reportHash: 'f'.repeat(64) };
    const slim = slimReport(forged);
    expect(slim.reportHash).toBe(reportBodyHash(BODY));
    expect(slim.report).toBeUndefined();
  });

  const desired = (body: unknown, labels?: Record<string, string>): ReportObject => ({
    metadata: {
      name: 'pod-p-app',
      namespace: 'ns',
      labels: labels ?? { 'trivy-operator.resource.kind': 'Pod', 'trivy-operator.resource.name': 'p' },
      annotations: { 'palisade.dev/truncated': 'true' },
      ownerReferences: [{ kind: 'Pod', name: 'p', uid: 'pod-uid', controller: true }],
    },
    report: body,
  });

  // Each case: the writer's verdict on the slim cached report equals its verdict on the full one.
  const cases: [string, ReportObject, boolean][] = [
    [
      'the same body, keys in another order: unchanged (no churn)',
      desired(JSON.parse(JSON.stringify(BODY))),
      true,
    ],
    ['a changed finding: an update', desired({ ...BODY, vulnerabilities: [] }), false],
    [
      'a changed summary count: an update',
      desired({ ...BODY, summary: { criticalCount: 0, highCount: 0 } }),
      false,
    ],
    ['a changed label: an update', desired(BODY, { 'trivy-operator.resource.kind': 'Job' }), false],
  ];
  for (const [name, want, same] of cases) {
    it(name, () => {
      const full = serverReport(BODY);
      expect(sameReport(full, want)).toBe(same);
      expect(sameReport(slimReport(full), want)).toBe(same);
    });
  }
});

/** A Pending Pod as the apiserver returns it (fields trimmed from a real one). */
function serverPod(over: { owner?: boolean; imageID?: string; phase?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      namespace: 'ns',
      uid: 'pod-uid',
      resourceVersion: '9',
      labels: { app: 'web' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"big":"copy"}',
        'example.com/a': 'b',
      },
      creationTimestamp: '2026-01-01T00:00:00Z',
      ...(over.owner
        ? {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true },
            ],
          }
        : {}),
      managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.example/web:v1',
          ports: [{ containerPort: 80 }],
          env: [{ name: 'A', value: '1' }],
          volumeMounts: [
            { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
          ],
          terminationMessagePath: '/dev/termination-log',
        },
      ],
      initContainers: [{ name: 'init', image: 'registry.example/init:v1', command: ['sh', '-c', 'true'] }],
      imagePullSecrets: [{ name: 'pull' }],
      serviceAccountName: 'sa',
      serviceAccount: 'sa',
      nodeName: 'n1',
      volumes: [
        { name: 'kube-api-access', projected: { sources: [{ configMap: { name: 'kube-root-ca.crt' } }] } },
      ],
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
      schedulerName: 'default-scheduler',
    },
    status: {
      phase: over.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        {
          name: 'app',
          image: 'registry.example/web:v1',
          imageID: over.imageID ?? `registry.example/web@${DIGEST}`,
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: '2026-01-01T00:00:01Z' } },
        },
      ],
      initContainerStatuses: [
        { name: 'init', image: 'registry.example/init:v1', imageID: '', ready: true, restartCount: 0 },
      ],
    },
  };
}

function viewOf(kind: 'Pod' | 'ReplicaSet', objects: WorkloadObject[], pods: Pod[]): ClusterView {
  return {
    get: (k, ns, name) =>
      k === kind ? objects.find((o) => o.metadata?.namespace === ns && o.metadata?.name === name) : undefined,
    podsOf: (ns, uid) => pods.filter((p) => p.metadata?.namespace === ns && controllerOf(p)?.uid === uid),
    replicaSetsOf: () => [],
  };
}

describe('slim Pod (the Pod informer transform)', () => {
  it('keeps only the fields the operator reads', () => {
    const slim = slimPod(serverPod({ owner: true }));
    expect(slim).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-1',
        namespace: 'ns',
        uid: 'pod-uid',
        resourceVersion: '9',
        labels: { app: 'web' },
        annotations: { 'example.com/a': 'b' },
        creationTimestamp: '2026-01-01T00:00:00Z',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true },
        ],
      },
      spec: {
        containers: [{ name: 'app', image: 'registry.example/web:v1' }],
        initContainers: [{ name: 'init', image: 'registry.example/init:v1' }],
        imagePullSecrets: [{ name: 'pull' }],
        serviceAccountName: 'sa',
        serviceAccount: 'sa',
        nodeName: 'n1',
      },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'app', image: 'registry.example/web:v1', imageID: `registry.example/web@${DIGEST}` },
        ],
        initContainerStatuses: [{ name: 'init', image: 'registry.example/init:v1', imageID: '' }],
      },
    });
  });

  it('does not change the Pod it is given', () => {
    const pod = serverPod();
    const before = JSON.stringify(pod);
    slimPod(pod);
    expect(JSON.stringify(pod)).toBe(before);
  });

  it('remembers the hash of the full spec for the resource-spec-hash label', () => {
    const pod = serverPod();
    const slim = slimPod(pod);
    const full = computeHash(JSON.stringify(pod.spec));
    expect(podSpecHash(slim.spec!)).toBe(full);
    // A spec that did not come through the transform is hashed as it is.
    expect(podSpecHash(pod.spec!)).toBe(full);
    expect(computeHash(JSON.stringify(slim.spec))).not.toBe(full);
  });

  it('gives the same answers as the full Pod to every reading the operator makes', () => {
    for (const over of [
      {},
      { owner: true },
      { imageID: '' },
      { phase: 'Succeeded' },
      { owner: true, phase: 'Failed' },
    ]) {
      const full = serverPod(over);
      const slim = slimPod(full);
      expect(containerImages(slim.spec!)).toEqual(containerImages(full.spec!));
      expect(containerImages(slim.spec!, true)).toEqual(containerImages(full.spec!, true));
      expect(statusDigest([slim], 'app', 'registry.example/web:v1')).toBe(
        statusDigest([full], 'app', 'registry.example/web:v1'),
      );
      expect(statusDigest([slim], 'app', 'registry.example/other:v1')).toBe(
        statusDigest([full], 'app', 'registry.example/other:v1'),
      );
      expect(isActivePod(slim)).toBe(isActivePod(full));
      expect(controllerOf(slim)).toEqual(controllerOf(full));
      const rs: WorkloadObject = {
        metadata: { name: 'web', namespace: 'ns', uid: 'rs-uid' },
        spec: { template: { spec: full.spec } },
      };
      for (const key of ['Pod/ns/web-1', 'ReplicaSet/ns/web']) {
        const a = desiredWorkload(
          key,
          viewOf(key.startsWith('Pod') ? 'Pod' : 'ReplicaSet', [key.startsWith('Pod') ? full : rs], [full]),
        );
        const b = desiredWorkload(
          key,
          viewOf(key.startsWith('Pod') ? 'Pod' : 'ReplicaSet', [key.startsWith('Pod') ? slim : rs], [slim]),
        );
        expect(b === undefined).toBe(a === undefined);
        if (a && b) {
          expect(b.ref).toEqual(a.ref);
          expect(b.pods.length).toBe(a.pods.length);
          expect(containerImages(b.spec)).toEqual(containerImages(a.spec));
          expect(podSpecHash(b.spec)).toBe(podSpecHash(a.spec));
          expect(b.spec.imagePullSecrets).toEqual(a.spec.imagePullSecrets);
          expect(b.spec.serviceAccountName).toBe(a.spec.serviceAccountName);
        }
      }
    }
  });
});

describe('stripServerBookkeeping (the other workload informers transform)', () => {
  it('drops managedFields and the last-applied annotation and keeps the rest, without changing its argument', () => {
    const pod = serverPod();
    const out = stripServerBookkeeping(pod);
    expect(out.metadata).not.toHaveProperty('managedFields');
    expect(out.metadata?.annotations).toEqual({ 'example.com/a': 'b' });
    expect(out.spec).toBe(pod.spec);
    expect(pod.metadata).toHaveProperty('managedFields');
    expect(pod.metadata?.annotations).toHaveProperty(['kubectl.kubernetes.io/last-applied-configuration']);
  });
  it('returns an object with nothing to strip as it is, and drops an annotations map left empty', () => {
    const plain = { metadata: { name: 'a', annotations: { x: 'y' } } };
    expect(stripServerBookkeeping(plain)).toBe(plain);
    const only = {
      metadata: { name: 'a', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    };
    expect(stripServerBookkeeping(only).metadata).toEqual({ name: 'a' });
  });
});
