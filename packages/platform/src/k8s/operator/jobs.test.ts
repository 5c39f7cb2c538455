/**
 * The scan-job endpoints of JobScanner (jobs.ts) over real HTTP: authentication by the one-time
 * token, the bounds on what a job may post, the database download, and the hard cap. The
 * Kubernetes side (Jobs, Secrets, status, deletion) runs against a real apiserver in
 * test/operator-jobs-e2e.test.ts; here a stand-in client only records the objects, so that the
 * token can be read from the Secret the scanner creates.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../client/resources.js';
import type { KubeClient } from '../client/rest.js';
import { JobScanner, SCAN_JOB_PATHS, startScanJobServer } from './jobs.js';
import type { ScanJobServer } from './jobs.js';

interface Recorded {
  kind: string;
  obj: KubeObject & { stringData?: Record<string, string> };
}

function recordingClient(created: Recorded[], deleted: string[]): KubeClient {
  let n = 0;
  return {
    create: (r: { kind: string }, obj: KubeObject) => {
      created.push({ kind: r.kind, obj: obj });
      return Promise.resolve({ ...obj, metadata: { ...obj.metadata, uid: `uid-${++n}` } });
    },
    delete: (r: { kind: string }, name: string) => {
      deleted.push(`${r.kind}/${name}`);
      return Promise.resolve({});
    },
    list: () => Promise.resolve({ items: [], metadata: {} }),
  } as unknown as KubeClient;
}

function call(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const DIGEST = 'sha256:' + 'd'.repeat(64);
const report = {
  schemaVersion: 1,
  createdAt: 'x',
  artifact: { name: 'a', type: 'container_image' },
  results: [],
  diagnostics: [],
};

let work: string;
let dbPath: string;
let server: ScanJobServer;
let scanner: JobScanner;
const created: Recorded[] = [];
const deleted: string[] = [];

const secretCount = (): number => created.filter((c) => c.kind === 'Secret').length;

/** The token of the Secret created after `before` Secrets existed. */
async function tokenOfNextScan(before = secretCount()): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const secrets = created.filter((c) => c.kind === 'Secret');
    if (secrets.length > before) return secrets[secrets.length - 1]?.obj.stringData?.['token'] ?? '';
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no Secret created');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'palisade-jobs-unit-'));
  dbPath = join(work, 'db.sqlite');
  writeFileSync(dbPath, Buffer.alloc(300_000, 7));
  scanner = new JobScanner(recordingClient(created, deleted), {
    namespace: 'scans',
    image: 'palisade/palisade:test',
    serverUrl: 'http://unused',
    concurrentLimit: 1,
    timeoutMs: 60_000,
    scanners: new Set(['vuln']),
    dbPath,
    maxResultBytes: 10_000,
  });
  server = await startScanJobServer(scanner, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('scan-job endpoints', () => {
  it('refuses an unknown token and unknown paths', async () => {
    const r = await call(server.url + SCAN_JOB_PATHS.db, 'GET', { authorization: 'Bearer nope' });
    expect(r.status).toBe(401);
    expect((await call(server.url + '/other', 'GET', {})).status).toBe(404);
  });

  it('serves the database, bounds results and resolves the scan with a valid one', async () => {
    const scan = scanner.scan({ reference: `r/x@${DIGEST}`, digest: DIGEST });
    const token = await tokenOfNextScan();
    const auth = { authorization: `Bearer ${token}` };
    // The database, gzipped on request, byte for byte.
    const db = await call(server.url + SCAN_JOB_PATHS.db, 'GET', { ...auth, 'accept-encoding': 'gzip' });
    expect(db.status).toBe(200);
    expect(db.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(db.body).equals(Buffer.alloc(300_000, 7))).toBe(true);
    // Over the size bound, plain and as a gzip bomb: 413, and the scan is still waiting.
    const big = Buffer.from(JSON.stringify({ dbBuiltAt: 'b', report, pad: 'x'.repeat(20_000) }));
    expect((await call(server.url + SCAN_JOB_PATHS.result, 'POST', auth, big)).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(1_000_000, 32));
    expect(bomb.length).toBeLessThan(5_000);
    const r2 = await call(
      server.url + SCAN_JOB_PATHS.result,
      'POST',
      { ...auth, 'content-encoding': 'gzip' },
      bomb,
    );
    expect(r2.status).toBe(413);
    // Malformed: 400.
    expect(
      (await call(server.url + SCAN_JOB_PATHS.result, 'POST', auth, Buffer.from('{"report":1}'))).status,
    ).toBe(400);
    expect(
      (await call(server.url + SCAN_JOB_PATHS.result, 'POST', auth, Buffer.from('not json'))).status,
    ).toBe(400);
    // A valid result resolves the scan; the Job and its Secret are deleted; the token is spent.
    const ok = Buffer.from(JSON.stringify({ dbBuiltAt: '2024-01-01T00:00:00Z', report }));
    expect((await call(server.url + SCAN_JOB_PATHS.result, 'POST', auth, ok)).status).toBe(204);
    const res = await scan;
    expect(res.dbBuiltAt).toBe('2024-01-01T00:00:00Z');
    expect(deleted.filter((d) => d.startsWith('Job/'))).toHaveLength(1);
    expect(deleted.filter((d) => d.startsWith('Secret/'))).toHaveLength(1);
    expect((await call(server.url + SCAN_JOB_PATHS.db, 'GET', auth)).status).toBe(401);
  });

  it('fails the scan with the message a job posts when its Job fails, and holds the cap', async () => {
    const first = scanner.scan({ reference: `r/x@${DIGEST}`, digest: DIGEST });
    const token = await tokenOfNextScan();
    // The cap is 1: a second scan creates no Job until the first one's is deleted.
    const jobsBefore = created.filter((c) => c.kind === 'Job').length;
    const secretsBefore = secretCount();
    const second = scanner.scan({ reference: `r/y@${DIGEST}`, digest: DIGEST });
    await new Promise((r) => setTimeout(r, 100));
    expect(created.filter((c) => c.kind === 'Job').length).toBe(jobsBefore);
    const err = gzipSync(Buffer.from('manifest unknown'));
    const auth = { authorization: `Bearer ${token}` };
    expect(
      (await call(server.url + SCAN_JOB_PATHS.error, 'POST', { ...auth, 'content-encoding': 'gzip' }, err))
        .status,
    ).toBe(204);
    // What the informer would deliver: the Job's Failed condition.
    const job = created.filter((c) => c.kind === 'Job').at(-1)?.obj as KubeObject;
    (scanner as unknown as { observe(j: unknown): void }).observe({
      ...job,
      status: { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
    });
    await expect(first).rejects.toThrow(/manifest unknown \(BackoffLimitExceeded\)/);
    expect(scanner.stats.failed).toBe(1);
    // The Warning Event was recorded, then the slot went to the second scan.
    expect(created.some((c) => c.kind === 'Event')).toBe(true);
    const token2 = await tokenOfNextScan(secretsBefore);
    const ok = Buffer.from(JSON.stringify({ dbBuiltAt: 'b2', report }));
    expect(
      (await call(server.url + SCAN_JOB_PATHS.result, 'POST', { authorization: `Bearer ${token2}` }, ok))
        .status,
    ).toBe(204);
    expect((await second).dbBuiltAt).toBe('b2');
    expect(scanner.stats.maxActive).toBe(1);
  });

  it('hands a freed slot to the next waiting scan, not to one cancelled while waiting', async () => {
    const secretsA = secretCount();
    const a = scanner.scan({ reference: `r/a@${DIGEST}`, digest: DIGEST });
    const tokenA = await tokenOfNextScan(secretsA);
    const cancel = new AbortController();
    const b = scanner.scan({ reference: `r/b@${DIGEST}`, digest: DIGEST, signal: cancel.signal });
    const secretsC = secretCount();
    const c = scanner.scan({ reference: `r/c@${DIGEST}`, digest: DIGEST });
    cancel.abort();
    await expect(b).rejects.toThrow(/cancelled/);
    const ok = Buffer.from(JSON.stringify({ dbBuiltAt: 'a', report }));
    expect(
      (await call(server.url + SCAN_JOB_PATHS.result, 'POST', { authorization: `Bearer ${tokenA}` }, ok))
        .status,
    ).toBe(204);
    await a;
    // C gets the slot: its Job and Secret are created and its result ends it.
    const tokenC = await tokenOfNextScan(secretsC);
    const okC = Buffer.from(JSON.stringify({ dbBuiltAt: 'c', report }));
    expect(
      (await call(server.url + SCAN_JOB_PATHS.result, 'POST', { authorization: `Bearer ${tokenC}` }, okC))
        .status,
    ).toBe(204);
    expect((await c).dbBuiltAt).toBe('c');
    const jobArgs = created.filter((x) => x.kind === 'Job').map((x) => JSON.stringify(x.obj));
    expect(jobArgs.some((j) => j.includes('r/b@'))).toBe(false);
  });

  it('builds the Job of the contract: no retries in the cluster, a deadline, secrets only by reference', () => {
    const js = new JobScanner(recordingClient([], []), {
      namespace: 'scans',
      image: 'palisade/palisade:1',
      serverUrl: 'http://op.palisade.svc:8082',
      concurrentLimit: 3,
      timeoutMs: 300_000,
      ttlSecondsAfterFinished: 3600,
      serviceAccountName: 'scan-sa',
      imagePullSecrets: ['scanner-pull'],
      scanners: new Set(['vuln', 'secret']),
      includePackages: true,
      resources: { requests: { cpu: '100m' }, limits: { memory: '1Gi' } },
      nodeSelector: { pool: 'scan' },
    });
    const job = js.jobManifest(
      'palisade-scan-x',
      { reference: `r/x@${DIGEST}`, digest: DIGEST, username: 'u', password: 'p4ss' },
      true,
    );
    expect(job.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'palisade',
      'palisade.dev/scan-job': 'true',
    });
    expect(job.spec?.backoffLimit).toBe(0);
    expect(job.spec?.activeDeadlineSeconds).toBe(300);
    expect(job.spec?.ttlSecondsAfterFinished).toBe(3600);
    const pod = job.spec?.template.spec;
    expect(pod?.restartPolicy).toBe('Never');
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.serviceAccountName).toBe('scan-sa');
    expect(pod?.imagePullSecrets).toEqual([{ name: 'scanner-pull' }]);
    expect(pod?.nodeSelector).toEqual({ pool: 'scan' });
    const c = pod?.containers[0];
    expect(c?.command).toBeUndefined();
    expect(c?.args).toEqual([
      'operator',
      'scan-job',
      '--image',
      `r/x@${DIGEST}`,
      '--digest',
      DIGEST,
      '--server',
      'http://op.palisade.svc:8082',
      '--scanners',
      'secret,vuln',
      '--include-packages',
    ]);
    expect(c?.resources).toEqual({ requests: { cpu: '100m' }, limits: { memory: '1Gi' } });
    const refs = (c?.env ?? []).filter((e) => e.valueFrom).map((e) => [e.name, e.valueFrom?.secretKeyRef]);
    expect(refs).toEqual([
      ['PALISADE_SCAN_JOB_TOKEN', { name: 'palisade-scan-x', key: 'token' }],
      ['PALISADE_SCAN_JOB_USERNAME', { name: 'palisade-scan-x', key: 'username' }],
      ['PALISADE_SCAN_JOB_PASSWORD', { name: 'palisade-scan-x', key: 'password' }],
    ]);
    // The password is in the Secret, never in the Job.
    expect(JSON.stringify(job)).not.toContain('p4ss');
  });
});
