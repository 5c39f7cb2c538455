/** Table tests of the operator's pure parts: work queue, owner resolution, pull secrets, cache, comparison. */
import { describe, expect, it } from 'vitest';
import type { ScanReport } from '@palisade/api';
import { nullLogger } from '../../core/logger.js';
import { DigestCache } from './digest-cache.js';
import { credentialFor, credentialsFromSecret, parseKey } from './pull-secrets.js';
import { canonicalJson, sameReport } from './report-writer.js';
import type { ReportObject } from './report-writer.js';
import { WorkQueue } from './workqueue.js';
import type { ClusterView, Pod, WatchedKind, WorkloadObject } from './workloads.js';
import { containerImages, desiredWorkload, keysForChange, statusDigest } from './workloads.js';

describe('WorkQueue', () => {
  it('queues a key once, and again after processing when it was added meanwhile', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    const k = await q.get();
    expect(k).toBe('a');
    q.add('a'); // while processing
    expect(q.length).toBe(1);
    q.done('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('b');
    expect(await q.get()).toBe('a');
  });

  it('drops keys past its bound and counts them', () => {
    const q = new WorkQueue({ maxSize: 3 });
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    expect(q.length).toBe(3);
    expect(q.stats.dropped).toBe(2);
  });

  it('backs off exponentially per key up to the cap', () => {
    const q = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 1000 });
    expect([0, 1, 2, 3, 4, 10].map((n) => q.backoff(n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('hands a waiting worker the next key and ends waiting workers on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.add('x');
    expect(await waiting).toBe('x');
    const w2 = q.get();
    q.shutDown();
    expect(await w2).toBeUndefined();
  });
});

function obj(
  kind: string,
  name: string,
  extra: {
    uid?: string;
    owner?: [string, string, string];
    annotations?: Record<string, string>;
    spec?: unknown;
  } = {},
): WorkloadObject {
  return {
    kind,
    metadata: {
      name,
      namespace: 'ns',
      uid: extra.uid ?? `uid-${name}`,
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
      ...(extra.owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: extra.owner[0],
                name: extra.owner[1],
                uid: extra.owner[2],
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: extra.spec ?? { template: { spec: { containers: [{ name: 'app', image: 'x:1' }] } } },
  };
}

function viewOf(objs: Record<string, WorkloadObject[]>): ClusterView {
  const all = Object.entries(objs).flatMap(([k, list]) => list.map((o) => [k, o] as const));
  return {
    get: (kind: WatchedKind, ns: string, name: string) =>
      all.find(([k, o]) => k === kind && o.metadata?.namespace === ns && o.metadata?.name === name)?.[1],
    podsOf: (ns, uid) =>
      (objs['Pod'] ?? []).filter((p) => p.metadata?.ownerReferences?.some((r) => r.uid === uid)) as Pod[],
    replicaSetsOf: (ns, uid) =>
      (objs['ReplicaSet'] ?? []).filter((p) => p.metadata?.ownerReferences?.some((r) => r.uid === uid)),
  };
}

const podSpec = { containers: [{ name: 'app', image: 'x:1' }] };

describe('report owners (as Trivy Operator)', () => {
  const dep = obj('Deployment', 'web', { annotations: { 'deployment.kubernetes.io/revision': '2' } });
  const rsNew = obj('ReplicaSet', 'web-2', {
    owner: ['Deployment', 'web', 'uid-web'],
    annotations: { 'deployment.kubernetes.io/revision': '2' },
  });
  const rsOld = obj('ReplicaSet', 'web-1', {
    owner: ['Deployment', 'web', 'uid-web'],
    annotations: { 'deployment.kubernetes.io/revision': '1' },
  });
  const podNew = obj('Pod', 'web-2-a', { owner: ['ReplicaSet', 'web-2', 'uid-web-2'], spec: podSpec });
  const podOld = obj('Pod', 'web-1-a', { owner: ['ReplicaSet', 'web-1', 'uid-web-1'], spec: podSpec });
  const bare = obj('Pod', 'bare', { spec: podSpec });
  const sts = obj('StatefulSet', 'db');
  const stsPod = obj('Pod', 'db-0', { owner: ['StatefulSet', 'db', 'uid-db'], spec: podSpec });
  const lonelySts = obj('StatefulSet', 'idle');
  const rc = obj('ReplicationController', 'legacy');
  const rcPod = obj('Pod', 'legacy-x1', {
    owner: ['ReplicationController', 'legacy', 'uid-legacy'],
    spec: podSpec,
  });
  const lonelyRc = obj('ReplicationController', 'scaled-down');
  const cj = obj('CronJob', 'nightly', {
    spec: { jobTemplate: { spec: { template: { spec: podSpec } } } },
  });
  const cjJob = obj('Job', 'nightly-1', { owner: ['CronJob', 'nightly', 'uid-nightly'] });
  const job = obj('Job', 'once');
  const view = viewOf({
    Deployment: [dep],
    ReplicaSet: [rsNew, rsOld],
    Pod: [podNew, podOld, bare, stsPod, rcPod],
    StatefulSet: [sts, lonelySts],
    ReplicationController: [rc, lonelyRc],
    CronJob: [cj],
    Job: [cjJob, job],
  });

  it.each([
    ['the current ReplicaSet of a Deployment', 'ReplicaSet/ns/web-2', 'ReplicaSet/web-2'],
    ['not an old revision of a Deployment', 'ReplicaSet/ns/web-1', undefined],
    ['not a Pod a ReplicaSet controls', 'Pod/ns/web-2-a', undefined],
    ['an unmanaged Pod', 'Pod/ns/bare', 'Pod/bare'],
    ['a StatefulSet with a Pod', 'StatefulSet/ns/db', 'StatefulSet/db'],
    ['not a StatefulSet without Pods', 'StatefulSet/ns/idle', undefined],
    ['a ReplicationController with a Pod', 'ReplicationController/ns/legacy', 'ReplicationController/legacy'],
    ['not a ReplicationController without Pods', 'ReplicationController/ns/scaled-down', undefined],
    ['not a Pod a ReplicationController controls', 'Pod/ns/legacy-x1', undefined],
    ['a CronJob', 'CronJob/ns/nightly', 'CronJob/nightly'],
    ['not a Job a CronJob controls', 'Job/ns/nightly-1', undefined],
    ['an unmanaged Job', 'Job/ns/once', 'Job/once'],
    ['never a Deployment itself', 'Deployment/ns/web', undefined],
    ['nothing for a key whose object is gone', 'Pod/ns/missing', undefined],
  ])('reports %s', (_what, key, want) => {
    const d = desiredWorkload(key, view);
    expect(d ? `${d.ref.kind}/${d.ref.name}` : undefined).toBe(want);
  });

  it('drops a ReplicaSet whose Deployment is gone (no garbage collector needed)', () => {
    const v = viewOf({ ReplicaSet: [rsNew], Pod: [podNew] });
    expect(desiredWorkload('ReplicaSet/ns/web-2', v)).toBeUndefined();
  });

  it('queues the controller of a changed Pod and the ReplicaSets of a changed Deployment', () => {
    expect(keysForChange('Pod', podNew, view)).toEqual(['Pod/ns/web-2-a', 'ReplicaSet/ns/web-2']);
    expect(keysForChange('Deployment', dep, view).sort()).toEqual([
      'ReplicaSet/ns/web-1',
      'ReplicaSet/ns/web-2',
    ]);
    expect(keysForChange('Pod', rcPod, view)).toEqual([
      'Pod/ns/legacy-x1',
      'ReplicationController/ns/legacy',
    ]);
    expect(keysForChange('Job', cjJob, view)).toEqual(['Job/ns/nightly-1', 'CronJob/ns/nightly']);
  });

  it('lists containers and init containers, and reads digests from the Pod status', () => {
    const spec = {
      containers: [{ name: 'a', image: 'r/a:1' }],
      initContainers: [{ name: 'i', image: 'r/i:1' }],
    };
    expect(containerImages(spec).map((c) => c.container)).toEqual(['a', 'i']);
    expect(containerImages(spec, true).map((c) => c.container)).toEqual(['a']);
    const d = `sha256:${'ab'.repeat(32)}`;
    const pod = {
      spec,
      status: { containerStatuses: [{ name: 'a', image: 'r/a:1', imageID: `docker-pullable://r/a@${d}` }] },
    } as unknown as Pod;
    expect(statusDigest([pod], 'a', 'r/a:1')).toBe(d);
    expect(statusDigest([pod], 'a', 'r/a:2')).toBeUndefined();
    expect(statusDigest([pod], 'i', 'r/i:1')).toBeUndefined();
  });
});

function secret(auths: unknown, type = '.dockerconfigjson'): Parameters<typeof credentialsFromSecret>[0] {
  const body = type === '.dockerconfigjson' ? { auths } : auths;
  return {
    metadata: { name: 's', namespace: 'ns' },
    data: { [type]: Buffer.from(JSON.stringify(body)).toString('base64') },
  };
}
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('image pull secrets', () => {
  it.each([
    ['https://index.docker.io/v1/', { host: 'docker.io', path: '' }],
    ['registry.example.com:5000', { host: 'registry.example.com:5000', path: '' }],
    ['https://Reg.Example.com/v2/team/app/', { host: 'reg.example.com', path: 'team/app' }],
  ])('parses key %s', (key, want) => {
    expect(parseKey(key)).toEqual(want);
  });

  it('reads auth and username/password entries from dockerconfigjson and dockercfg', () => {
    const a = credentialsFromSecret(
      secret({ 'reg.io': { auth: b64('u:p:with:colons') }, 'other.io': { username: 'x', password: 'y' } }),
    );
    expect(a.credentials.map((c) => [c.host, c.username, c.password])).toEqual([
      ['reg.io', 'u', 'p:with:colons'],
      ['other.io', 'x', 'y'],
    ]);
    const legacy = credentialsFromSecret(secret({ 'reg.io': { auth: b64('a:b') } }, '.dockercfg'));
    expect(legacy.credentials[0]?.username).toBe('a');
  });

  it('reports malformed secrets as problems, not exceptions', () => {
    expect(
      credentialsFromSecret({ metadata: { name: 'x' }, data: { '.dockerconfigjson': 'bm90IGpzb24=' } })
        .problems,
    ).toEqual(['/x: docker config is not JSON']);
    expect(credentialsFromSecret({ metadata: { name: 'x' }, data: {} }).problems[0]).toMatch(
      /no .dockerconfigjson/,
    );
    expect(credentialsFromSecret(secret({ 'r.io': { auth: b64('nocolon') } })).problems[0]).toMatch(
      /not base64/,
    );
  });

  it('matches by host, glob and path prefix, most specific key first', () => {
    const creds = credentialsFromSecret(
      secret({
        'reg.io': { auth: b64('host:1') },
        'reg.io/team': { auth: b64('team:1') },
        '*.corp.io': { auth: b64('glob:1') },
        'https://index.docker.io/v1/': { auth: b64('hub:1') },
      }),
    ).credentials;
    const who = (image: string): string | undefined => credentialFor(image, creds)?.username;
    expect(who('reg.io/team/app:1')).toBe('team');
    expect(who('reg.io/other/app:1')).toBe('host');
    expect(who('a.corp.io/x')).toBe('glob');
    expect(who('a.b.corp.io/x')).toBeUndefined();
    expect(who('nginx:1.25')).toBe('hub');
    expect(who('quay.io/x/y')).toBeUndefined();
  });
});

const report = (n: number): ScanReport => ({
  schemaVersion: 1,
  createdAt: '2024-01-01T00:00:00Z',
  artifact: { name: `img${n}`, type: 'container_image' },
  results: [],
  diagnostics: [],
});

describe('DigestCache', () => {
  it('keeps results by digest, scanners and database build, and prunes older builds', () => {
    const c = DigestCache.open(':memory:', nullLogger);
    c.put({ digest: 'sha256:a', dbBuiltAt: 'b1', scanners: 'vuln', scannedAt: 1, report: report(1) });
    c.put({ digest: 'sha256:a', dbBuiltAt: 'b2', scanners: 'vuln', scannedAt: 2, report: report(2) });
    c.put({ digest: 'sha256:b', dbBuiltAt: 'b1', scanners: 'vuln', scannedAt: 3, report: report(3) });
    expect(c.get('sha256:a', 'vuln', 'b1')?.report.artifact.name).toBe('img1');
    expect(c.get('sha256:a', 'vuln,secret', 'b1')).toBeUndefined();
    expect(c.latest('sha256:a', 'vuln')?.dbBuiltAt).toBe('b2');
    expect([...c.index('vuln')].map(([d, m]) => `${d}:${m.dbBuiltAt}`).sort()).toEqual([
      'sha256:a:b2',
      'sha256:b:b1',
    ]);
    // Only a's b1 row goes: b has no b2 result yet and keeps its old one.
    expect(c.prune('vuln', 'b2')).toBe(1);
    expect(c.get('sha256:b', 'vuln', 'b1')).toBeDefined();
    expect(c.forgetExcept(new Set(['sha256:a']))).toBe(1);
    c.close();
  });
});

describe('report comparison', () => {
  const base: ReportObject = {
    metadata: {
      name: 'r',
      namespace: 'ns',
      labels: { a: '1' },
      annotations: { 'palisade.dev/truncated': 'true' },
      ownerReferences: [{ kind: 'ReplicaSet', uid: 'u' }],
    },
    report: { summary: { criticalCount: 1, highCount: 0 } },
  };
  it('ignores key order, server fields and annotations of other tools', () => {
    const server: ReportObject = {
      metadata: {
        ...base.metadata,
        resourceVersion: '7',
        labels: { a: '1', extra: 'x' },
        annotations: { 'palisade.dev/truncated': 'true', 'kubectl.kubernetes.io/x': 'y' },
      },
      report: { summary: { highCount: 0, criticalCount: 1 } },
    };
    expect(sameReport(server, base)).toBe(true);
  });
  it('sees a changed count, owner or mark', () => {
    expect(sameReport({ ...base, report: { summary: { criticalCount: 2, highCount: 0 } } }, base)).toBe(
      false,
    );
    expect(
      sameReport(
        { ...base, metadata: { ...base.metadata, ownerReferences: [{ kind: 'ReplicaSet', uid: 'v' }] } },
        base,
      ),
    ).toBe(false);
    expect(sameReport({ ...base, metadata: { ...base.metadata, annotations: {} } }, base)).toBe(false);
  });
  it('canonicalJson sorts nested keys', () => {
    expect(canonicalJson({ b: 1, a: { d: 1, c: [{ f: 1, e: 2 }] } })).toBe(
      '{"a":{"c":[{"e":2,"f":1}],"d":1},"b":1}',
    );
  });
});
