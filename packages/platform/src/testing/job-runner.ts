/**
 * Test support: a stand-in for the parts of Kubernetes that run Jobs, for the test cluster
 * (cluster.ts), which has a real kube-apiserver and etcd but no kube-controller-manager (job
 * controller, TTL controller, garbage collector) and no kubelet. Without them a Job is only an
 * object: nothing ever runs it.
 *
 * What it emulates, honestly and no more:
 * - the job controller + kubelet for Jobs matching a label selector in one namespace: when such a
 *   Job appears it is "started" (status.startTime, status.active = 1 through the status
 *   subresource), and the pod template's single container is run as a REAL local process: its
 *   `command` (or the image's entrypoint, from `entrypoints`) and `args`, with the container's
 *   `env` — literal values and `secretKeyRef`s read from the Secret through the apiserver, waiting
 *   for the Secret to appear as the kubelet retries (CreateContainerConfigError);
 * - `activeDeadlineSeconds`: the process is killed when the deadline passes (reason
 *   DeadlineExceeded);
 * - the end: exit 0 → status.succeeded = 1 and the Complete (with SuccessCriteriaMet) condition;
 *   non-zero → status.failed = 1 and the Failed (with FailureTarget) condition, reason
 *   BackoffLimitExceeded (the harness assumes backoffLimit 0, as the operator sets; it runs one pod).
 *
 * What it does not do: no Pod objects are created (the operator reads Job status only), no image
 * is pulled (the entrypoint map says what an image runs), no volumes, resources, security context
 * or service account are applied, no retries of pods, and no TTL controller or garbage collector
 * (a Job the operator does not delete stays). A Job deleted while its process runs has the
 * process killed, as the kubelet would after the garbage collector deleted the Pod.
 *
 * It also observes: the most Jobs that existed at once (from its watch), for cap assertions.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { V1Job, V1Secret } from '@kubernetes/client-node';
import { Informer } from '../k8s/client/informer.js';
import { Secrets } from '../k8s/client/resources.js';
import type { Wire } from '../k8s/client/resources.js';
import { KubeApiError } from '../k8s/client/rest.js';
import type { KubeClient } from '../k8s/client/rest.js';
import { Jobs } from '../k8s/operator/resources.js';

type Job = Wire<V1Job>;

export interface JobRunnerOptions {
  namespace: string;
  labelSelector: string;
  /** What each image runs when the container has no `command` (its ENTRYPOINT), as argv. */
  entrypoints: Record<string, string[]>;
  /** Maps a container `command[0]` to a local argv prefix (e.g. `palisade` → node + bundle). */
  commands?: Record<string, string[]>;
  /** How long a missing Secret is waited for before the pod fails; default 30 s. */
  secretWaitMs?: number;
  /** Extra env for every process (PATH etc. are inherited from this process otherwise). */
  baseEnv?: Record<string, string | undefined>;
  /** Called with each process's output, for debugging failed tests. */
  onOutput?: (job: string, line: string) => void;
}

export interface JobRun {
  job: string;
  argv: string[];
  exitCode: number | null;
  reason: 'Completed' | 'Failed' | 'DeadlineExceeded' | 'Deleted' | 'ConfigError';
  output: string;
  /** When the process started and ended (ms since the epoch). */
  startedAt: number;
  endedAt: number;
}

export class JobRunner {
  /** Jobs that exist now, and the most that existed at once. */
  live = 0;
  maxLive = 0;
  readonly runs: JobRun[] = [];
  private readonly seen = new Set<string>();
  private readonly procs = new Map<string, ChildProcess>();
  private readonly deleted = new Set<string>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly client: KubeClient,
    private readonly o: JobRunnerOptions,
  ) {}

  /** Watches and runs Jobs until the signal aborts; running processes are then killed. */
  async run(signal: AbortSignal): Promise<void> {
    const inf = new Informer<Job>(this.client, Jobs, {
      namespace: this.o.namespace,
      labelSelector: this.o.labelSelector,
    });
    const uids = new Set<string>();
    inf.addEventHandler({
      onAdd: (j) => {
        const uid = j.metadata?.uid ?? '';
        if (!uids.has(uid)) {
          uids.add(uid);
          this.live = uids.size;
          this.maxLive = Math.max(this.maxLive, this.live);
        }
        this.start(j, signal);
      },
      onUpdate: (_o, j) => this.start(j, signal),
      onDelete: (j) => {
        uids.delete(j.metadata?.uid ?? '');
        this.live = uids.size;
        const name = j.metadata?.name ?? '';
        this.deleted.add(name);
        this.procs.get(name)?.kill('SIGKILL');
      },
    });
    await inf.run(signal);
    for (const p of this.procs.values()) p.kill('SIGKILL');
    await Promise.allSettled([...this.running]);
  }

  private start(j: Job, signal: AbortSignal): void {
    const name = j.metadata?.name ?? '';
    const uid = j.metadata?.uid ?? '';
    if (this.seen.has(uid) || j.status?.startTime || signal.aborted) return;
    this.seen.add(uid);
    const p = this.execute(j, signal).finally(() => this.running.delete(p));
    this.running.add(p);
    void name;
  }

  private async status(name: string, status: Record<string, unknown>): Promise<void> {
    try {
      await this.client.patch(Jobs, name, { status }, { namespace: this.o.namespace, subresource: 'status' });
    } catch (err) {
      // A Job deleted meanwhile needs no status.
      if (!(err instanceof KubeApiError && err.isNotFound)) throw err;
    }
  }

  private async env(j: Job): Promise<Record<string, string> | string> {
    const c = j.spec?.template?.spec?.containers?.[0];
    const out: Record<string, string> = {};
    const secrets = new Map<string, Wire<V1Secret>>();
    for (const e of c?.env ?? []) {
      if (e.value !== undefined) out[e.name] = e.value;
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) continue;
      let s = secrets.get(ref.name ?? '');
      const end = Date.now() + (this.o.secretWaitMs ?? 30_000);
      while (!s) {
        try {
          s = await this.client.get(Secrets, ref.name ?? '', this.o.namespace);
          secrets.set(ref.name ?? '', s);
        } catch (err) {
          if (!(err instanceof KubeApiError && err.isNotFound)) throw err;
          if (Date.now() > end) return `secret "${ref.name}" not found`;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const v = s.data?.[ref.key] ?? undefined;
      if (v === undefined) {
        if (ref.optional) continue;
        return `couldn't find key ${ref.key} in Secret ${this.o.namespace}/${ref.name}`;
      }
      out[e.name] = Buffer.from(v, 'base64').toString('utf8');
    }
    return out;
  }

  private argv(j: Job): string[] {
    const c = j.spec?.template?.spec?.containers?.[0];
    const cmd = c?.command && c.command.length > 0 ? c.command : (this.o.entrypoints[c?.image ?? ''] ?? []);
    const [first, ...rest] = cmd;
    const mapped = first !== undefined ? (this.o.commands?.[first] ?? [first]) : [];
    return [...mapped, ...rest, ...(c?.args ?? [])];
  }

  private async execute(j: Job, signal: AbortSignal): Promise<void> {
    const name = j.metadata?.name ?? '';
    const startTime = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await this.status(name, { startTime, active: 1 });
    const env = await this.env(j);
    const argv = this.argv(j);
    const run: JobRun = {
      job: name,
      argv,
      exitCode: null,
      reason: 'Failed',
      output: '',
      startedAt: Date.now(),
      endedAt: 0,
    };
    this.runs.push(run);
    let reason: JobRun['reason'];
    if (typeof env === 'string' || argv.length === 0) {
      run.output = typeof env === 'string' ? env : 'no command and no entrypoint for the image';
      reason = 'ConfigError';
    } else {
      const [file, ...args] = argv;
      const child = spawn(file as string, args, {
        env: { ...process.env, ...this.o.baseEnv, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.procs.set(name, child);
      const collect = (b: Buffer): void => {
        const s = b.toString('utf8');
        if (run.output.length < 200_000) run.output += s;
        for (const line of s.split('\n')) if (line.trim()) this.o.onOutput?.(name, line);
      };
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      const deadline = j.spec?.activeDeadlineSeconds;
      let timedOut = false;
      const timer =
        deadline !== undefined
          ? setTimeout(() => {
              timedOut = true;
              child.kill('SIGKILL');
            }, deadline * 1000)
          : undefined;
      const onAbort = (): void => {
        child.kill('SIGKILL');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      run.exitCode = await new Promise<number | null>((resolve) => {
        child.once('error', (err) => {
          run.output += String(err);
          resolve(127);
        });
        child.once('exit', (code) => resolve(code));
      });
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      this.procs.delete(name);
      reason = this.deleted.has(name)
        ? 'Deleted'
        : timedOut
          ? 'DeadlineExceeded'
          : run.exitCode === 0
            ? 'Completed'
            : 'Failed';
    }
    run.reason = reason;
    run.endedAt = Date.now();
    if (reason === 'Deleted' || signal.aborted) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const cond = (type: string, r: string, message: string) => ({
      type,
      status: 'True',
      reason: r,
      message,
      lastProbeTime: now,
      lastTransitionTime: now,
    });
    if (reason === 'Completed') {
      await this.status(name, {
        active: 0,
        ready: 0,
        succeeded: 1,
        completionTime: now,
        conditions: [
          cond('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'),
          cond('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'),
        ],
      });
    } else {
      const r = reason === 'DeadlineExceeded' ? 'DeadlineExceeded' : 'BackoffLimitExceeded';
      const m =
        reason === 'DeadlineExceeded'
          ? 'Job was active longer than specified deadline'
          : 'Job has reached the specified backoff limit';
      await this.status(name, {
        active: 0,
        ready: 0,
        failed: 1,
        conditions: [cond('FailureTarget', r, m), cond('Failed', r, m)],
      });
    }
  }
}
