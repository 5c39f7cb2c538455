/**
 * Scans in Kubernetes Jobs (`palisade operator --scan-mode jobs`, ADR 0015): an ImageScanner that
 * runs each scan as a Job in the scan namespace instead of in the operator's process. The
 * ScanService in front of it still scans each digest once, retries failures with backoff and
 * persists results; this class only changes where the scan runs.
 *
 * Contract of one scan:
 * 1. The operator creates a Job `palisade-scan-<digest12>-<rand>` (labels
 *    `app.kubernetes.io/managed-by=palisade`, `palisade.dev/scan-job=true`; backoffLimit 0,
 *    activeDeadlineSeconds = the scan timeout, ttlSecondsAfterFinished as a fallback cleanup)
 *    whose container runs `palisade operator scan-job --image <repo@digest> --server <url> …`,
 *    and a Secret of the same name owned by the Job, holding a one-time token and, when the
 *    workload's imagePullSecrets or service account give credentials for the image, the
 *    registry username and password; the container reads them through `secretKeyRef` env
 *    (as Trivy Operator passes registry credentials to its scan jobs).
 * 2. The job downloads the advisory database from the operator (`GET /scan-jobs/v1/db`,
 *    bearer token, gzip), scans the image, and posts the result (`POST /scan-jobs/v1/result`:
 *    `{dbBuiltAt, report}`, bounded) or, on failure, its error message (`POST /scan-jobs/v1/error`).
 * 3. The operator resolves the scan when the result arrives, and fails it when the Job fails
 *    (Failed condition, failed pods), is deleted, or outlives the timeout; a failure is logged,
 *    recorded as a Warning Event on the Job in the scan namespace, and retried by the ScanService
 *    with its per-digest backoff.
 * 4. Either way the operator deletes the Job (propagation Background) and its Secret. Jobs left by
 *    an earlier leader are deleted when this one starts.
 *
 * At most `concurrentLimit` scan Jobs exist at a time (a hard cap, Trivy Operator's
 * scanJobsConcurrentLimit): a scan waits for a slot before creating its Job and frees the slot
 * only after the Job is deleted.
 */
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createGzip, gunzip } from 'node:zlib';
import type { CoreV1Event, V1Job, V1Secret } from '@kubernetes/client-node';
import type { ScanReport } from '@palisade/api';
import { PalisadeError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { nullLogger } from '../../core/logger.js';
import { Informer } from '../client/informer.js';
import { Secrets } from '../client/resources.js';
import type { Wire } from '../client/resources.js';
import { KubeApiError } from '../client/rest.js';
import type { KubeClient } from '../client/rest.js';
import { LABEL_MANAGED_BY } from '../reports/naming.js';
import { Events, Jobs } from './resources.js';
import type { ImageScanRequest, ImageScanResult, ImageScanner } from './scanner.js';
import { SCAN_JOB_LABEL } from './workloads.js';

export type Job = Wire<V1Job>;

export const SCAN_JOB_DIGEST_ANNOTATION = 'palisade.dev/image-digest';
export const SCAN_JOB_SELECTOR = `${LABEL_MANAGED_BY}=palisade,${SCAN_JOB_LABEL}=true`;
/** Env names the scan job reads (from the job's Secret). */
export const SCAN_JOB_ENV = {
  token: 'PALISADE_SCAN_JOB_TOKEN',
  username: 'PALISADE_SCAN_JOB_USERNAME',
  password: 'PALISADE_SCAN_JOB_PASSWORD',
} as const;
export const SCAN_JOB_PATHS = {
  db: '/scan-jobs/v1/db',
  result: '/scan-jobs/v1/result',
  error: '/scan-jobs/v1/error',
} as const;
export const DB_BUILT_AT_HEADER = 'x-palisade-db-built-at';

export interface JobScannerOptions {
  /** Namespace the Jobs (and their Secrets) are created in. */
  namespace: string;
  /** The scanner image (Palisade's own). */
  image: string;
  /** Container command; default: the image's entrypoint (the palisade CLI). */
  command?: string[];
  /** URL the jobs reach the operator's scan-job endpoints at (`http://svc.ns.svc:8082`). */
  serverUrl: string;
  /** Most scan Jobs at once (hard cap; Trivy Operator's scanJobsConcurrentLimit, default 10). */
  concurrentLimit: number;
  /** A scan Job taking longer fails (activeDeadlineSeconds; the operator waits 30 s more). */
  timeoutMs: number;
  /** ttlSecondsAfterFinished of the Jobs, for when the operator cannot delete them itself. */
  ttlSecondsAfterFinished?: number;
  serviceAccountName?: string;
  /** Pull secrets for the scanner image itself (in the scan namespace). */
  imagePullSecrets?: readonly string[];
  scanners: ReadonlySet<'vuln' | 'secret'>;
  /** The job keeps every package (for SbomReports). */
  includePackages?: boolean;
  insecure?: boolean;
  platform?: string;
  /** The advisory database file served to the jobs (vuln scanning). */
  dbPath?: string;
  /** Largest result a job may post, bytes after decompression (default 64 MiB). */
  maxResultBytes?: number;
  /** Extra env for the job container (e.g. PALISADE_LOG_LEVEL). */
  env?: Record<string, string>;
  /** Job container resources. */
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  /** nodeSelector of the Job pods. */
  nodeSelector?: Record<string, string>;
  logger?: Logger;
}

export interface JobScannerStats {
  created: number;
  succeeded: number;
  failed: number;
  deleted: number;
  /** Scan Jobs of this operator that exist now, and the most at once. */
  active: number;
  maxActive: number;
}

interface Pending {
  job: string;
  token: Buffer;
  digest: string;
  error?: string;
  settled: boolean;
  resolve: (r: ImageScanResult) => void;
  reject: (e: Error) => void;
}

const MAX_ERROR_BYTES = 8 * 1024;

function isFailed(j: Job): string | undefined {
  const c = j.status?.conditions?.find((x) => x.type === 'Failed' && x.status === 'True');
  if (c) return [c.reason, c.message].filter(Boolean).join(': ') || 'Failed';
  if ((j.status?.failed ?? 0) > 0) return `${j.status?.failed} failed pod(s)`;
  return undefined;
}

function isComplete(j: Job): boolean {
  return (
    j.status?.conditions?.some((x) => x.type === 'Complete' && x.status === 'True') === true ||
    (j.status?.succeeded ?? 0) > 0
  );
}

/** Reads a request body up to `max` bytes (gunzipped when sent with Content-Encoding: gzip). */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const gz = (req.headers['content-encoding'] ?? '') === 'gzip';
  const wireMax = gz ? Math.max(1024, Math.floor(max / 2)) : max;
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > wireMax) throw new PalisadeError('E_LIMIT', `request body over ${wireMax} bytes`);
    chunks.push(c as Buffer);
  }
  const raw = Buffer.concat(chunks);
  if (!gz) return raw;
  return await new Promise((resolve, reject) =>
    gunzip(raw, { maxOutputLength: max }, (err, out) =>
      err ? reject(new PalisadeError('E_LIMIT', `gzip body: ${err.message}`, { cause: err })) : resolve(out),
    ),
  );
}

function send(res: ServerResponse, status: number, msg = ''): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(msg);
}

export class JobScanner implements ImageScanner {
  readonly stats: JobScannerStats = {
    created: 0,
    succeeded: 0,
    failed: 0,
    deleted: 0,
    active: 0,
    maxActive: 0,
  };
  private readonly o: JobScannerOptions;
  private readonly log: Logger;
  private readonly byJob = new Map<string, Pending>();
  private readonly byToken = new Map<string, Pending>();
  private free: number;
  private readonly slotWaiters: (() => void)[] = [];
  private informer: Informer<Job> | undefined;

  constructor(
    private readonly client: KubeClient,
    opts: JobScannerOptions,
  ) {
    if (!(opts.concurrentLimit >= 1))
      throw new PalisadeError('E_USAGE', 'scan jobs: concurrent limit must be ≥ 1');
    this.o = opts;
    this.free = opts.concurrentLimit;
    this.log = (opts.logger ?? nullLogger).child({ component: 'scan-jobs' });
  }

  /**
   * Deletes scan Jobs an earlier leader left, then watches this operator's scan Jobs until the
   * signal aborts. Call while leading, next to Operator.run.
   */
  async run(signal: AbortSignal): Promise<void> {
    await this.deleteLeftovers();
    const inf = new Informer<Job>(this.client, Jobs, {
      namespace: this.o.namespace,
      labelSelector: SCAN_JOB_SELECTOR,
      logger: this.log,
    });
    inf.addEventHandler({
      onAdd: (j) => this.observe(j),
      onUpdate: (_o, j) => this.observe(j),
      onDelete: (j) => {
        const p = this.byJob.get(j.metadata?.name ?? '');
        if (p && !p.settled) this.fail(p, 'the scan Job was deleted before it reported');
      },
    });
    this.informer = inf;
    await inf.run(signal);
  }

  private async deleteLeftovers(): Promise<void> {
    try {
      const list = await this.client.list(Jobs, this.o.namespace, { labelSelector: SCAN_JOB_SELECTOR });
      for (const j of list.items) {
        const name = j.metadata?.name ?? '';
        if (this.byJob.has(name)) continue;
        this.log.info({ job: name }, 'deleting a scan Job left by an earlier run');
        await this.deleteJob(name);
      }
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'cannot list leftover scan Jobs');
    }
  }

  private observe(j: Job): void {
    const p = this.byJob.get(j.metadata?.name ?? '');
    if (!p || p.settled) return;
    const failed = isFailed(j);
    if (failed) {
      this.fail(p, p.error ? `${p.error} (${failed})` : failed);
      return;
    }
    if (isComplete(j)) {
      // The result is posted before the process exits; give a late POST a moment.
      const t = setTimeout(() => {
        if (!p.settled) this.fail(p, 'the scan Job completed without posting a result');
      }, 5_000);
      t.unref?.();
    }
  }

  private fail(p: Pending, message: string): void {
    if (p.settled) return;
    p.settled = true;
    p.reject(new PalisadeError('E_INTERNAL', `scan Job ${this.o.namespace}/${p.job}: ${message}`));
  }

  private async acquire(signal: AbortSignal | undefined): Promise<void> {
    while (this.free <= 0) {
      if (signal?.aborted) throw new PalisadeError('E_ABORTED', 'scan cancelled');
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        // A cancelled waiter leaves the line, so a freed slot is not handed to it.
        const onAbort = (): void => {
          const i = this.slotWaiters.indexOf(wake);
          if (i >= 0) this.slotWaiters.splice(i, 1);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.slotWaiters.push(wake);
      });
    }
    this.free--;
  }

  private release(): void {
    this.free++;
    this.slotWaiters.shift()?.();
  }

  /** The Job object for a scan (exported for tests and docs through `jobManifest`). */
  jobManifest(name: string, req: ImageScanRequest, withCredentials: boolean): Job {
    const o = this.o;
    const labels = { [LABEL_MANAGED_BY]: 'palisade', [SCAN_JOB_LABEL]: 'true' };
    const args = [
      'operator',
      'scan-job',
      '--image',
      req.reference,
      '--digest',
      req.digest,
      '--server',
      o.serverUrl,
      '--scanners',
      [...o.scanners].sort().join(','),
      ...(o.includePackages ? ['--include-packages'] : []),
      ...(o.insecure ? ['--insecure'] : []),
      ...(o.platform ? ['--platform', o.platform] : []),
    ];
    const secretEnv = (env: string, key: string) => ({
      name: env,
      valueFrom: { secretKeyRef: { name, key } },
    });
    return {
      metadata: {
        name,
        namespace: o.namespace,
        labels,
        annotations: { [SCAN_JOB_DIGEST_ANNOTATION]: req.digest },
      },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: Math.max(1, Math.ceil(o.timeoutMs / 1000)),
        ...(o.ttlSecondsAfterFinished !== undefined
          ? { ttlSecondsAfterFinished: o.ttlSecondsAfterFinished }
          : {}),
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'Never',
            // The job talks to the operator, not to the apiserver.
            automountServiceAccountToken: false,
            ...(o.serviceAccountName ? { serviceAccountName: o.serviceAccountName } : {}),
            ...(o.imagePullSecrets?.length
              ? { imagePullSecrets: o.imagePullSecrets.map((n) => ({ name: n })) }
              : {}),
            ...(o.nodeSelector && Object.keys(o.nodeSelector).length > 0
              ? { nodeSelector: { ...o.nodeSelector } }
              : {}),
            securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'scan',
                image: o.image,
                ...(o.command ? { command: [...o.command] } : {}),
                args,
                env: [
                  { name: 'HOME', value: '/tmp' },
                  ...Object.entries(o.env ?? {}).map(([k, v]) => ({ name: k, value: v })),
                  secretEnv(SCAN_JOB_ENV.token, 'token'),
                  ...(withCredentials
                    ? [
                        secretEnv(SCAN_JOB_ENV.username, 'username'),
                        secretEnv(SCAN_JOB_ENV.password, 'password'),
                      ]
                    : []),
                ],
                ...(o.resources ? { resources: o.resources } : {}),
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: {} }],
          },
        },
      },
    };
  }

  async scan(req: ImageScanRequest): Promise<ImageScanResult> {
    await this.acquire(req.signal);
    const hex = req.digest.slice(req.digest.indexOf(':') + 1, req.digest.indexOf(':') + 13);
    const name = `palisade-scan-${hex}-${randomBytes(3).toString('hex')}`;
    const token = randomBytes(32);
    let created = false;
    let pending: Pending | undefined;
    try {
      const outcome = new Promise<ImageScanResult>((resolve, reject) => {
        pending = { job: name, token, digest: req.digest, settled: false, resolve, reject };
      });
      const p = pending as unknown as Pending;
      this.byJob.set(name, p);
      this.byToken.set(token.toString('base64url'), p);
      const withCredentials = req.username !== undefined;
      const job = await this.client.create(Jobs, this.jobManifest(name, req, withCredentials));
      created = true;
      this.stats.created++;
      this.stats.active++;
      this.stats.maxActive = Math.max(this.stats.maxActive, this.stats.active);
      const secret: Wire<V1Secret> = {
        metadata: {
          name,
          namespace: this.o.namespace,
          labels: { [LABEL_MANAGED_BY]: 'palisade', [SCAN_JOB_LABEL]: 'true' },
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'Job',
              name,
              uid: job.metadata?.uid ?? '',
              controller: true,
              blockOwnerDeletion: false,
            },
          ],
        },
        type: 'Opaque',
        stringData: {
          token: token.toString('base64url'),
          ...(withCredentials ? { username: req.username ?? '', password: req.password ?? '' } : {}),
        },
      };
      await this.client.create(Secrets, secret);
      this.log.info({ job: name, digest: req.digest }, 'scan Job created');
      // Failure already seen by the informer before this scan was registered is caught here.
      const seen = this.informer?.get(name, this.o.namespace);
      if (seen) this.observe(seen);
      return await this.waitFor(p, outcome, req.signal);
    } catch (err) {
      if (created && !req.signal?.aborted) {
        this.stats.failed++;
        this.log.warn({ job: name, digest: req.digest, err: errorMessage(err) }, 'scan Job failed');
        await this.recordFailure(name, errorMessage(err));
      }
      throw err;
    } finally {
      if (pending) {
        pending.settled = true;
        this.byToken.delete(token.toString('base64url'));
      }
      if (created) await this.deleteJob(name);
      this.byJob.delete(name);
      this.release();
    }
  }

  private async waitFor(
    p: Pending,
    outcome: Promise<ImageScanResult>,
    signal: AbortSignal | undefined,
  ): Promise<ImageScanResult> {
    const grace = 30_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => this.fail(p, 'scan cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      timer = setTimeout(
        () => this.fail(p, `no result within ${Math.round((this.o.timeoutMs + grace) / 1000)} s`),
        this.o.timeoutMs + grace,
      );
      const r = await outcome;
      this.stats.succeeded++;
      return r;
    } finally {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async deleteJob(name: string): Promise<void> {
    const ns = this.o.namespace;
    // The slot is freed after this: retry, so that a transient error does not break the cap.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.delete(Jobs, name, ns, { propagationPolicy: 'Background' });
        this.stats.deleted++;
        break;
      } catch (err) {
        if (err instanceof KubeApiError && err.isNotFound) break;
        this.log.warn({ job: name, attempt, err: errorMessage(err) }, 'cannot delete the scan Job');
        if (attempt >= 5) break;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
    // The Job owns its Secret, but there may be no garbage collector to act on that.
    try {
      await this.client.delete(Secrets, name, ns);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.isNotFound))
        this.log.warn({ job: name, err: errorMessage(err) }, 'cannot delete the scan Job Secret');
    }
    if (this.byJob.has(name)) this.stats.active = Math.max(0, this.stats.active - 1);
  }

  /** A Warning Event on the Job: the failure stays visible after the Job is deleted. */
  private async recordFailure(job: string, message: string): Promise<void> {
    const now = new Date().toISOString();
    const ev: Wire<CoreV1Event> = {
      metadata: { generateName: `${job}.`, namespace: this.o.namespace },
      involvedObject: { apiVersion: 'batch/v1', kind: 'Job', name: job, namespace: this.o.namespace },
      reason: 'ScanJobFailed',
      message: message.slice(0, 1024),
      type: 'Warning',
      source: { component: 'palisade-operator' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.client.create(Events, ev);
    } catch (err) {
      this.log.debug({ job, err: errorMessage(err) }, 'cannot record the failure Event');
    }
  }

  // --- the endpoints the jobs call ------------------------------------------------------------

  private authorize(req: IncomingMessage): Pending | undefined {
    const h = req.headers.authorization ?? '';
    if (!h.startsWith('Bearer ')) return undefined;
    const given = Buffer.from(h.slice(7).trim());
    const p = this.byToken.get(given.toString());
    // The map lookup picks the candidate; the constant-time compare confirms it.
    if (!p || p.settled) return undefined;
    const want = Buffer.from(p.token.toString('base64url'));
    return want.length === given.length && timingSafeEqual(want, given) ? p : undefined;
  }

  /** Handles a scan-job request; false when the path is not one of ours. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0];
    if (path !== SCAN_JOB_PATHS.db && path !== SCAN_JOB_PATHS.result && path !== SCAN_JOB_PATHS.error)
      return false;
    const p = this.authorize(req);
    if (!p) {
      req.resume();
      send(res, 401, 'unknown or finished scan job\n');
      return true;
    }
    const fail = (err: unknown): void => {
      if (res.headersSent) res.destroy();
      else
        send(
          res,
          err instanceof PalisadeError && err.code === 'E_LIMIT' ? 413 : 400,
          `${errorMessage(err)}\n`,
        );
    };
    if (path === SCAN_JOB_PATHS.db) {
      if (req.method !== 'GET') return (send(res, 405), true);
      this.serveDb(req, res).catch(fail);
    } else if (path === SCAN_JOB_PATHS.result) {
      if (req.method !== 'POST') return (send(res, 405), true);
      this.takeResult(p, req, res).catch(fail);
    } else {
      if (req.method !== 'POST') return (send(res, 405), true);
      readBody(req, MAX_ERROR_BYTES)
        .then((b) => {
          p.error = b.toString('utf8').slice(0, 2048).trim() || 'the scan failed';
          this.log.warn({ job: p.job, err: p.error }, 'scan job reported an error');
          send(res, 204);
        })
        .catch(fail);
    }
    return true;
  }

  private async serveDb(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const dbPath = this.o.dbPath;
    if (!dbPath) return send(res, 404, 'no advisory database (vuln scanning is off)\n');
    // Open once: `db update` renames a new file over the path; this stream keeps the one it opened.
    const st = statSync(dbPath);
    const stream = createReadStream(dbPath);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    const gz = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    res.writeHead(200, {
      'content-type': 'application/vnd.sqlite3',
      ...(gz ? { 'content-encoding': 'gzip' } : { 'content-length': String(st.size) }),
    });
    const body = gz ? stream.pipe(createGzip({ level: 1 })) : stream;
    body.pipe(res);
    await new Promise<void>((resolve) => res.once('close', () => resolve()));
    stream.destroy();
  }

  private async takeResult(p: Pending, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, this.o.maxResultBytes ?? 64 * 1024 * 1024);
    let parsed: { dbBuiltAt?: unknown; report?: Partial<ScanReport> };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch (err) {
      throw new PalisadeError('E_PARSE', 'result is not JSON', { cause: err });
    }
    const r = parsed.report;
    if (
      !r ||
      r.schemaVersion !== 1 ||
      !Array.isArray(r.results) ||
      typeof r.artifact !== 'object' ||
      typeof parsed.dbBuiltAt !== 'string'
    )
      throw new PalisadeError(
        'E_PARSE',
        'result is not {dbBuiltAt, report} with a schemaVersion 1 scan report',
      );
    send(res, 204);
    if (p.settled) return;
    p.settled = true;
    p.resolve({ report: r as ScanReport, dbBuiltAt: parsed.dbBuiltAt });
  }
}

export interface ScanJobServer {
  url: string;
  close(): Promise<void>;
}

/** A plain HTTP listener for the scan-job endpoints (in-cluster traffic; see ADR 0015). */
export async function startScanJobServer(
  scanner: JobScanner,
  o: { host?: string; port: number },
): Promise<ScanJobServer> {
  const server = createServer((req, res) => {
    if (!scanner.handle(req, res)) send(res, 404, 'not found\n');
  });
  server.requestTimeout = 10 * 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${host}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
