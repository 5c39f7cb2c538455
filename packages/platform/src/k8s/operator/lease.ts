/**
 * Leader election with a coordination.k8s.io/v1 Lease, with client-go's leaderelection semantics:
 *
 * - A candidate reads the Lease; a missing Lease is created with itself as holder. A Lease held by
 *   another identity is taken over only when it has not changed for `leaseDurationMs` as observed
 *   on this candidate's own clock (the holder's renewTime is not compared across clocks).
 * - The leader renews every `retryPeriodMs`; when a renewal has not succeeded for
 *   `renewDeadlineMs` it stops leading (its work is cancelled) and does not retry.
 * - Every write is an update conditional on the resourceVersion read, so two candidates never
 *   both win.
 * - On shutdown the leader releases the Lease (empty holder, 1 s duration) so a standby takes over
 *   at once.
 */
import type { V1Lease } from '@kubernetes/client-node';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { nullLogger } from '../../core/logger.js';
import type { Wire } from '../client/resources.js';
import { KubeApiError } from '../client/rest.js';
import type { KubeClient } from '../client/rest.js';
import { Leases } from './resources.js';

type Lease = Wire<V1Lease>;

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  /** default 15 s */
  leaseDurationMs?: number;
  /** default 10 s */
  renewDeadlineMs?: number;
  /** default 2 s */
  retryPeriodMs?: number;
  logger?: Logger;
  now?: () => number;
}

/** RFC 3339 with microseconds, as metav1.MicroTime serialises. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectionOptions, 'logger' | 'now'>>;
  private readonly log: Logger;
  private readonly now: () => number;
  private observed: { rv: string; at: number; holder: string } | undefined;
  private leading = false;
  /** Times this candidate became leader. */
  acquisitions = 0;

  constructor(
    private readonly client: KubeClient,
    opts: LeaderElectionOptions,
  ) {
    this.o = {
      namespace: opts.namespace,
      name: opts.name,
      identity: opts.identity,
      leaseDurationMs: opts.leaseDurationMs ?? 15_000,
      renewDeadlineMs: opts.renewDeadlineMs ?? 10_000,
      retryPeriodMs: opts.retryPeriodMs ?? 2_000,
    };
    this.log = (opts.logger ?? nullLogger).child({ component: 'leader-election', lease: opts.name });
    this.now = opts.now ?? Date.now;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get identity(): string {
    return this.o.identity;
  }

  private spec(prev: Lease | undefined, acquiring: boolean): NonNullable<Lease['spec']> {
    const now = microTime(this.now());
    const transitions = prev?.spec?.leaseTransitions ?? 0;
    const changed = prev?.spec?.holderIdentity !== this.o.identity;
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      acquireTime: acquiring || changed ? now : (prev?.spec?.acquireTime ?? now),
      renewTime: now,
      leaseTransitions: changed && prev?.spec?.holderIdentity ? transitions + 1 : transitions,
    };
  }

  /** One attempt to acquire or renew; true when this candidate holds the Lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    let lease: Lease | undefined;
    try {
      lease = await this.client.get(Leases, this.o.name, this.o.namespace);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.isNotFound)) throw err;
    }
    if (!lease) {
      try {
        await this.client.create(Leases, {
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: this.spec(undefined, true),
        });
        return true;
      } catch (err) {
        if (err instanceof KubeApiError && err.isConflict) return false;
        throw err;
      }
    }
    const rv = lease.metadata?.resourceVersion ?? '';
    const holder = lease.spec?.holderIdentity ?? '';
    if (!this.observed || this.observed.rv !== rv) this.observed = { rv, at: this.now(), holder };
    const held = holder !== '' && holder !== this.o.identity;
    const durationMs = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    if (held && this.observed.at + durationMs > this.now()) return false;
    try {
      await this.client.replace(Leases, {
        ...lease,
        spec: this.spec(lease, holder !== this.o.identity),
      });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.isConflict) return false;
      throw err;
    }
  }

  /**
   * Campaigns until leading, runs `lead(signal)` while the Lease is renewed, and returns when
   * leadership is lost ('lost') or `signal` aborts ('stopped'; the Lease is then released).
   */
  async run(
    signal: AbortSignal,
    lead: (leaderSignal: AbortSignal) => Promise<void>,
  ): Promise<'lost' | 'stopped'> {
    // Campaign.
    while (!signal.aborted) {
      try {
        if (await this.tryAcquireOrRenew()) break;
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, 'cannot read or write the lease; retrying');
      }
      await sleep(this.o.retryPeriodMs, signal);
    }
    if (signal.aborted) return 'stopped';
    this.leading = true;
    this.acquisitions++;
    this.log.info({ identity: this.o.identity }, 'became leader');
    const leader = new AbortController();
    const stopLeading = (): void => leader.abort();
    signal.addEventListener('abort', stopLeading, { once: true });
    const work = lead(leader.signal).catch((err: unknown) => {
      this.log.error({ err: errorMessage(err) }, 'operator stopped with an error');
      leader.abort();
    });
    // Renew.
    let lastRenew = this.now();
    let lost = false;
    while (!leader.signal.aborted) {
      await sleep(this.o.retryPeriodMs, leader.signal);
      if (leader.signal.aborted) break;
      try {
        if (await this.tryAcquireOrRenew()) lastRenew = this.now();
        else if (this.observed && this.observed.holder !== this.o.identity) {
          lost = true;
        }
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, 'lease renewal failed');
      }
      if (lost || this.now() - lastRenew > this.o.renewDeadlineMs) {
        lost = true;
        this.log.error({ identity: this.o.identity }, 'leadership lost');
        leader.abort();
      }
    }
    signal.removeEventListener('abort', stopLeading);
    await work;
    this.leading = false;
    if (!lost) await this.release();
    return lost ? 'lost' : 'stopped';
  }

  /** Gives the Lease up (when this candidate holds it). */
  async release(): Promise<void> {
    try {
      const lease = await this.client.get(Leases, this.o.name, this.o.namespace);
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      await this.client.replace(Leases, {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(this.now()),
        },
      });
      this.log.info({ identity: this.o.identity }, 'released the lease');
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'cannot release the lease');
    }
  }
}
