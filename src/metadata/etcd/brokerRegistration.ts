import type { Etcd3, Lease } from 'etcd3';
import type { Logger } from '../../log';
import type { BrokerIdentity, SessionListener, SessionState } from '../types';
import { encodeBroker, type KeyLayout } from './layout';
import type { WatchedCache } from './watchedCache';
import { SHUTDOWN_CALL_MS, settledWithin } from './boundedCall';

/**
 * This broker's entry under `brokers/<node id>`, attached to a lease kept
 * alive while the broker runs: a broker that dies stops renewing, its lease
 * expires after the session timeout and its entry disappears, which is how the
 * others learn it is gone. A lost lease (etcd unreachable for too long) is
 * replaced and the entry written again. It also tells the broker when its
 * session can no longer be trusted (renewals failing for fenceAfterMs) and
 * when it is trusted again (renewed and caught up), so it can stop leading in
 * between.
 */
export class BrokerRegistration {
  private lease: Lease | null = null;
  private registered = false;
  private closed = false;
  private identity: BrokerIdentity | null = null;
  /** When etcd last confirmed the lease (grant or keepalive answer). */
  private lastRenewed = 0;
  /** False from a lost session until this broker has caught up with etcd again. */
  private sessionHeld = true;
  private resyncing = false;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly sessionListeners = new Set<SessionListener>();

  constructor(
    private readonly client: Etcd3,
    private readonly keys: KeyLayout,
    private readonly sync: WatchedCache,
    private readonly sessionTimeoutMs: number,
    private readonly logger: Logger,
    private readonly onRegisteredAgain: () => void,
  ) {}

  /**
   * A broker killed a moment ago still holds its registration until its lease
   * expires; a restart waits that out. A node id still held after that is a
   * live broker with the same id: refuse to start.
   */
  async waitForStale(nodeId: number): Promise<void> {
    const deadline = Date.now() + this.sessionTimeoutMs + 2000;
    while (this.sync.cache.brokers.has(nodeId)) {
      if (Date.now() > deadline) {
        throw new Error(`node id ${nodeId} is registered in etcd by a live broker (${JSON.stringify(this.sync.cache.brokers.get(nodeId))}); node ids must be unique`);
      }
      await this.sync.nextChange(Math.max(10, deadline - Date.now()));
    }
  }

  /** Writes (or updates) the entry; refused when another live broker holds the node id. */
  async register(identity: BrokerIdentity): Promise<void> {
    this.identity = identity;
    this.lease ??= await this.grantLease();
    const leaseId = await this.lease.grant();
    const key = this.keys.broker(identity.nodeId);
    const value = encodeBroker(identity);
    const created = await this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(value).lease(leaseId)).commit();
    let revision = created.header.revision;
    if (!created.succeeded) {
      // The key exists: fine if it is ours (an address update), a conflict otherwise.
      const updated = await this.client.if(key, 'Lease', '==', leaseId).then(this.client.put(key).value(value).lease(leaseId)).commit();
      if (!updated.succeeded) throw new Error(`node id ${identity.nodeId} is registered in etcd by another live broker`);
      revision = updated.header.revision;
    }
    this.registered = true;
    this.lastRenewed = Date.now();
    await this.sync.caughtUp(revision);
    this.startWatchdog();
    this.setSession('regained');
  }

  /**
   * How long without a renewal before this broker stops trusting its session.
   * Earlier than the lease TTL (which is at least the session timeout): etcd
   * expires the lease, and the controller moves leadership, at most that long
   * after the last renewal this broker heard of, so a broker that fences itself
   * first never acknowledges writes a new leader will not have.
   */
  get fenceAfterMs(): number {
    return Math.max(Math.floor((this.sessionTimeoutMs * 2) / 3), this.sessionTimeoutMs - 1000);
  }

  /** Session lost (renewals failing) and regained (re-synced with etcd); returns an unsubscribe function. */
  onSessionChange(listener: SessionListener): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  get sessionLost(): boolean {
    return !this.sessionHeld;
  }

  private setSession(state: SessionState): void {
    const held = state === 'regained';
    if (this.sessionHeld === held || this.closed) return;
    this.sessionHeld = held;
    if (held) this.logger.info({ nodeId: this.identity?.nodeId }, 'etcd session regained: following the current metadata');
    else this.logger.warn({ nodeId: this.identity?.nodeId, msSinceRenewal: Date.now() - this.lastRenewed }, 'etcd session lost: no longer acting as leader');
    for (const l of this.sessionListeners) {
      try {
        l(state);
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, 'session listener failed');
      }
    }
  }

  private startWatchdog(): void {
    if (this.watchdog || this.closed) return;
    const period = Math.max(20, Math.min(200, Math.floor(this.sessionTimeoutMs / 20)));
    this.watchdog = setInterval(() => {
      if (this.sessionHeld && Date.now() - this.lastRenewed > this.fenceAfterMs) this.setSession('lost');
    }, period);
    this.watchdog.unref();
  }

  /**
   * A renewal after a lost session: the lease survived, but events may have
   * been missed while etcd was unreachable, so the session counts as regained
   * only once the watch has caught up with etcd's current revision.
   */
  private async resync(): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    try {
      while (!this.closed && !this.sessionHeld && this.registered) {
        try {
          // writing the entry again gives a revision inside this cluster's prefix, which the watch delivers in
          // order after everything missed (a read's header revision may be another prefix's, never delivered)
          await this.register(this.identity!);
          return;
        } catch (err) {
          this.logger.warn({ err: (err as Error).message }, 'catching up with etcd failed; retrying');
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      this.resyncing = false;
    }
  }

  /** The lease id while registered. */
  async currentLeaseId(): Promise<string | null> {
    return this.registered && this.lease ? this.lease.grant() : null;
  }

  private async grantLease(): Promise<Lease> {
    const ttl = Math.max(1, Math.ceil(this.sessionTimeoutMs / 1000));
    const lease = this.client.lease(ttl, { autoKeepAlive: true });
    lease.on('keepaliveSucceeded', () => {
      if (this.lease !== lease) return;
      this.lastRenewed = Date.now();
      if (!this.sessionHeld) void this.resync();
    });
    lease.on('lost', (err) => {
      if (this.closed || this.lease !== lease) return;
      this.logger.warn({ err: err.message }, 'broker lease lost; registering again');
      this.lease = null;
      this.registered = false;
      this.setSession('lost');
      void this.reRegister();
    });
    await lease.grant();
    return lease;
  }

  private async reRegister(): Promise<void> {
    while (!this.closed && !this.registered && this.identity) {
      try {
        await this.register(this.identity);
        this.logger.info({ nodeId: this.identity.nodeId }, 'registered again in etcd');
        this.onRegisteredAgain();
        return;
      } catch (err) {
        // A granted lease we could not register under would only keep itself alive: give it back.
        const stale = this.lease;
        this.lease = null;
        await stale?.revoke().catch(() => undefined);
        this.logger.warn({ err: (err as Error).message }, 'registration in etcd failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Revokes the lease, so the others see this broker leave at once rather than after the timeout (bounded: boundedCall.ts). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    const lease = this.lease;
    this.lease = null;
    if (!lease) return;
    const ms = Math.min(this.sessionTimeoutMs, SHUTDOWN_CALL_MS);
    if (!(await settledWithin(lease.revoke({ deadline: Date.now() + ms }), ms))) this.logger.warn({ ms }, 'could not revoke the broker lease in etcd; the others see this broker leave when it expires');
  }
}
