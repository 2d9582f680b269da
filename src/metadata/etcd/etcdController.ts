import type { Logger } from '../../log';
import { reconcilePartition, type ElectionPolicy } from '../controller/election';
import type { Etcd3 } from 'etcd3';
import type { BrokerIdentity, MetadataEvent, MetadataListener } from '../types';
import type { ClusterConfig } from './clusterConfig';
import { encodePartition, type KeyLayout } from './layout';
import type { MetadataCache } from './metadataCache';
import { completeReassignment, reassigning } from '../controller/reassignment';

/** What the controller uses of the etcd metadata service that runs it. */
export interface ControllerHost {
  self(): BrokerIdentity;
  onChange(listener: MetadataListener): () => void;
  liveBrokerIds(): Set<number>;
  /** The lease id while registered, for keys that must vanish with this broker (the controller key). */
  currentLeaseId(): Promise<string | null>;
  readonly internals: { client: Etcd3; keys: KeyLayout; cache: MetadataCache; caughtUp: (revision: string) => Promise<void>; waitFor: (done: () => boolean) => Promise<void> };
}

/**
 * The cluster controller: at most one broker holds the `controller` key,
 * attached to its broker lease, so a dead controller's key vanishes with it and
 * the others race to take it. The holder reconciles every partition against
 * the live brokers whenever brokers or partitions change. Its writes compare
 * both the partition's mod revision and its own hold on the controller key, so
 * a deposed controller cannot overwrite a newer decision.
 */
export class EtcdController {
  private running = false;
  private dirty = false;
  private busy: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly policy: ElectionPolicy;

  constructor(
    private readonly svc: ControllerHost,
    cluster: ClusterConfig,
    private readonly logger: Logger,
  ) {
    this.policy = { uncleanLeaderElection: cluster.uncleanLeaderElection, preferredLeaderElection: cluster.autoLeaderRebalance };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.svc.onChange((e: MetadataEvent) => {
      // Not awaited: a controller write waits for the cache, which is what is calling us.
      // configs-altered: unclean.leader.election.enable turned on for a topic elects its offline partitions now
      if (e.type === 'brokers-changed' || e.type === 'partition-changed' || e.type === 'topic-created' || e.type === 'partitions-added' || e.type === 'configs-altered') this.kick();
    });
    this.kick();
  }

  stop(): void {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private get selfId(): number {
    return this.svc.self().nodeId;
  }

  /** Runs a round now, or right after the current one. */
  kick(): void {
    if (!this.running) return;
    if (this.busy) {
      this.dirty = true;
      return;
    }
    this.busy = this.loop().finally(() => {
      this.busy = null;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.dirty = false;
      try {
        await this.round();
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'controller round failed; retrying on the next change');
        // etcd may be briefly away; try again shortly rather than wait for a change that already happened.
        setTimeout(() => this.kick(), 500).unref();
      }
    } while (this.dirty && this.running);
  }

  private async round(): Promise<void> {
    const { cache } = this.svc.internals;
    if (cache.controllerId === -1) await this.campaign();
    if (cache.controllerId !== this.selfId || !this.running) return;
    await this.reconcileAll();
  }

  private async campaign(): Promise<void> {
    const { client, keys, cache, caughtUp, waitFor } = this.svc.internals;
    const leaseId = await this.svc.currentLeaseId();
    if (leaseId === null) return;
    const res = await client
      .if(keys.controller, 'Create', '==', 0)
      .then(client.put(keys.controller).value(String(this.selfId)).lease(leaseId))
      .commit();
    if (res.succeeded) {
      await caughtUp(res.header.revision);
      this.logger.info({ nodeId: this.selfId }, 'became controller');
    } else {
      await waitFor(() => cache.controllerId !== -1);
    }
  }

  private async reconcileAll(): Promise<void> {
    const { client, keys, cache, caughtUp } = this.svc.internals;
    const live = this.svc.liveBrokerIds();
    const writes: Array<Promise<void>> = [];
    for (const [topic, states] of cache.partitions) {
      const info = cache.topics.get(topic);
      if (!info) continue;
      // A topic may override the broker's unclean election setting, as in Kafka.
      const unclean = info.configs['unclean.leader.election.enable'];
      const policy = unclean === undefined ? this.policy : { ...this.policy, uncleanLeaderElection: unclean === 'true' };
      for (const s of states) {
        if (!s) continue;
        const reconciled = reconcilePartition(s, live, policy);
        // a reassignment whose target replicas are all in sync completes in the same write
        const next = completeReassignment(reconciled ?? s, live) ?? reconciled;
        if (!next) continue;
        const key = keys.partition(s.topic, s.partition);
        const modRev = cache.modRevisions.get(key);
        if (modRev === undefined) continue;
        this.logger.info(
          { topic: s.topic, partition: s.partition, leader: next.leader, was: s.leader, isr: next.isr, leaderEpoch: next.leaderEpoch },
          next.leader === -1 ? 'partition offline' : reassigning(s) && !reassigning(next) ? 'reassignment completed' : 'partition state changed',
        );
        writes.push(
          client
            .if(key, 'Mod', '==', modRev)
            .and(keys.controller, 'Value', '==', String(this.selfId))
            .then(client.put(key).value(encodePartition(next)))
            .commit()
            .then((res) => (res.succeeded ? caughtUp(res.header.revision) : undefined)),
        );
      }
    }
    // A failed compare means the record moved on; its watch event starts another round.
    await Promise.all(writes);
  }
}
