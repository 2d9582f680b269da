import { logConfigFromTopicConfigs } from '../config/logConfigMapping';
import { withTagIndex } from '../views/sourceIndexing';
import type { BrokerCore } from '../brokerCore';
import type { MetadataEvent, PartitionState } from '../metadata/types';
import { MetadataError, NO_LEADER } from '../metadata/types';
import { ErrorCode } from '../../protocol/errors';
import type { ReplicationConfig } from './config';
import { RoleBatch } from './roleBatch';
import { isOlderState, replicaKey } from './partitionStates';
import { FollowerFetcher } from './followerFetcher';
import { PartitionReplica } from './partitionReplica';
import { ReplicationThrottle } from './throttle';
import { interBrokerAddress } from '../security/interBroker/address';
import { interBrokerSecurityOf, type InterBrokerSecurity } from '../security/interBroker/settings';
import { EventLoopTurns } from '../../storage/eventLoopTurns';


/** Partitions of a batch taking their roles at once; a few per thread of libuv's pool. */
const APPLY_CONCURRENCY = 16;

/**
 * Kafka's ReplicaManager: gives every partition this broker replicates its
 * role from the metadata (leader or follower of the current leader epoch),
 * runs one follower fetcher per leader broker, shrinks the ISR of partitions
 * it leads when followers fall behind for replica.lag.time.max.ms, and
 * expands it when they catch up. Role changes are applied in batches, 16
 * partitions at a time, each partition's changes in the order the metadata
 * announced them (see enqueue).
 */
export class ReplicaManager {
  private readonly replicas = new Map<string, PartitionReplica>();
  private readonly fetchers = new Map<number, FollowerFetcher>();
  private chain: Promise<void> = Promise.resolve();
  /** Batches of roles queued or being applied (see hurry). */
  private readonly batches = new Set<RoleBatch>();
  /**
   * The batches at the end of the queue with nothing else queued after them (oldest first): a change for a
   * partition one of them still holds replaces it there; other changes join the last one if it has not started.
   */
  private trailing: RoleBatch[] = [];
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastCheckpoint = Date.now();
  /** An ISR pass over the led partitions is running (it gives the event loop turns, so it can outlast a period). */
  private shrinking = false;
  private stopped = false;
  /** The broker lost its metadata session: it leads nothing until the session is regained. */
  private fenced = false;
  private unsubscribeSession: (() => void) | null = null;
  /** Rate limits of reassignment catch-up traffic (dynamic broker configs set them). */
  readonly throttle = new ReplicationThrottle();
  /** ISR changes this broker got accepted as leader, for metrics. */
  isrShrinks = 0;
  isrExpands = 0;
  /** Follower fetches this broker answered as leader, with and without records (round trips per acks=all write). */
  followerFetchesWithData = 0;
  followerFetchesEmpty = 0;
  /** High watermark checkpoint rounds run so far (tests wait on it). */
  checkpointRounds = 0;

  constructor(
    private readonly services: BrokerCore,
    readonly config: ReplicationConfig,
  ) {}

  /** How this broker reaches the others (read once per config; a bad setting fails the broker's start). */
  private get interBroker(): InterBrokerSecurity {
    return interBrokerSecurityOf(this.services.config);
  }

  get selfId(): number {
    return this.services.metadata.self().nodeId;
  }

  /** Takes roles for every known partition and follows metadata changes from now on. */
  async start(): Promise<void> {
    void this.interBroker;
    if (this.config.replicaLagTimeMaxMs <= this.config.replicaFetchWaitMaxMs) {
      // a follower's progress is taken once per fetch, and an idle follower fetches every replica.fetch.wait.max.ms
      this.services.logger.warn(this.config, 'replica.lag.time.max.ms should be well above replica.fetch.wait.max.ms, or idle followers leave the ISR');
    }
    this.unsubscribe = this.services.metadata.onChange((e) => this.onMetadata(e));
    this.unsubscribeSession = this.services.metadata.onSessionChange?.((s) => this.onSession(s === 'lost')) ?? null;
    // internal topics first and before the broker listens: the coordinators that start next replay and write them
    const topics = this.services.metadata.topics();
    const internal = (t: { name: string; internal: boolean }) => t.internal || t.name.startsWith('__');
    for (const t of topics) if (internal(t)) this.enqueueTopic(t.name, 0, t.partitions);
    await this.chain;
    // every other partition takes its role in the background (issue 17: a broker listens within seconds whatever
    // its partition count; applying 3,000 replicas one after another took 4.4 s). Until a partition's role is
    // applied, leader-only requests for it answer NOT_LEADER_OR_FOLLOWER, which clients retry.
    const rest: PartitionState[] = [];
    for (const t of topics) if (!internal(t)) this.statesOf(t.name, 0, t.partitions, rest);
    this.enqueueMany(rest);
    const period = Math.max(50, Math.min(1000, Math.floor(this.config.replicaLagTimeMaxMs / 4)));
    this.timer = setInterval(() => this.tick(), period);
    this.timer.unref();
  }

  /**
   * The broker begins to shut down and stops serving requests: it must not
   * shrink the ISR to itself while its followers cannot reach it (the partition
   * would go offline with it), and produces waiting for followers answer now
   * (NOT_LEADER_OR_FOLLOWER; clients retry on the next leader) instead of
   * holding up the drain until their timeout. The ISR stays as it is, so the
   * controller elects a follower that has every acknowledged record.
   */
  quiesce(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // leaders stop leading here: produces (waiting or new) and fetches get NOT_LEADER_OR_FOLLOWER and go elsewhere
    for (const r of this.replicas.values()) if (r.role === 'leader') r.stop();
  }

  /**
   * Lost session: the controller may elect another leader this broker cannot
   * hear of, so its leaders are fenced now (produces of any acks and consumer
   * fetches get NOT_LEADER_OR_FOLLOWER, the high watermark stops, no ISR
   * changes) rather than acknowledge writes the new leader will not have;
   * they still serve follower fetches, so the next leader gets every record
   * acknowledged before the fence. Regained: every partition takes its role
   * from the current metadata again.
   */
  private onSession(lost: boolean): void {
    if (this.stopped) return;
    this.fenced = lost;
    if (lost) {
      for (const r of this.replicas.values()) r.fence();
      return;
    }
    for (const t of this.services.metadata.topics()) this.enqueueTopic(t.name, 0, t.partitions);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribeSession?.();
    if (this.timer) clearInterval(this.timer);
    await this.chain;
    await Promise.all([...this.fetchers.values()].map((f) => f.stop()));
    this.fetchers.clear();
    for (const r of this.replicas.values()) r.stop();
  }

  /** The replica of a partition in any role, undefined when this broker does not replicate it. */
  replica(topic: string, partition: number): PartitionReplica | undefined {
    return this.replicas.get(replicaKey(topic, partition));
  }

  /** Every partition this broker replicates, in its current role. */
  all(): IterableIterator<PartitionReplica> {
    return this.replicas.values();
  }

  /** Resolves once every role change announced so far is applied (tests). */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Called by the Fetch handler for a follower's fetch, before reading. */
  onFollowerFetch(replica: PartitionReplica, replicaId: number, fetchOffset: number, now: number): void {
    const joining = replica.onFollowerFetch(replicaId, fetchOffset, now);
    if (joining !== null) this.proposeIsr(replica, [...replica.state.isr, joining]);
  }

  private onMetadata(e: MetadataEvent): void {
    if (this.stopped) return;
    switch (e.type) {
      case 'partition-changed':
        this.enqueue(e.state);
        break;
      case 'topic-created':
        this.enqueueTopic(e.topic.name, 0, e.topic.partitions);
        break;
      case 'partitions-added':
        this.enqueueTopic(e.topic.name, e.previous, e.topic.partitions);
        break;
      case 'topic-deleted':
        // later changes go after the drop, not into a batch queued before it
        this.trailing = [];
        this.chain = this.chain.then(() => this.dropTopic(e.topic.name));
        break;
      case 'brokers-changed':
        for (const f of this.fetchers.values()) f.poke();
        break;
      default:
        break;
    }
  }

  private statesOf(topic: string, from: number, to: number, out: PartitionState[]): PartitionState[] {
    for (let p = from; p < to; p++) {
      const s = this.services.metadata.partitionState(topic, p);
      if (s) out.push(s);
    }
    return out;
  }

  private enqueueTopic(topic: string, from: number, to: number): void {
    for (const s of this.statesOf(topic, from, to, [])) this.enqueue(s);
  }

  /**
   * A leader-only request found the partition's role not applied yet: if a batch still holds it, it goes next
   * (the request is answered NOT_LEADER_OR_FOLLOWER meanwhile and the client's retry finds it led).
   */
  hurry(topic: string, partition: number): void {
    for (const b of this.batches) b.hurry(topic, partition);
  }

  /**
   * Applies `states` (each partition once) APPLY_CONCURRENCY at a time, after everything queued so far. Applies of
   * different partitions share only the fetcher map, which each changes without an await in between; each is
   * mostly waiting for its log's files to be opened, so one after another 3,000 partitions took 3.5 s to take
   * their roles on a restarted broker, 2.7 s this way (bench/README.md). Later changes of these partitions are
   * chained after the whole batch. Changes that arrive while the batch waits its turn join it (`enqueue`), and a
   * partition a client asks for goes next (`hurry`).
   */
  private enqueueMany(states: readonly PartitionState[]): void {
    if (states.length === 0) return;
    const batch = new RoleBatch(states);
    this.batches.add(batch);
    this.trailing.push(batch);
    this.chain = this.chain
      .then(() => batch.run(APPLY_CONCURRENCY, (s) => this.applyLogged(s), () => this.stopped))
      .finally(() => {
        this.batches.delete(batch);
        if (this.trailing[0] === batch) this.trailing.shift();
      });
  }

  /**
   * One partition's change. A controller reacting to a broker's return (or a new topic) announces thousands at
   * once: each joins the batch still waiting at the end of the queue, so they are applied together, 16 at a time,
   * instead of one after another (10,000 leaderships taken back one at a time kept the last partition
   * unavailable for 10 s). A partition still waiting in a batch takes the new state there: a restarted broker's
   * start-up batch holds the state it read, and the leadership handed back moments later replaces it instead of
   * being applied after the whole batch.
   */
  private enqueue(state: PartitionState): void {
    for (let i = this.trailing.length - 1; i >= 0; i--) if (this.trailing[i]!.replace(state)) return;
    const last = this.trailing[this.trailing.length - 1];
    if (last && !last.started) last.add(state);
    else this.enqueueMany([state]);
  }

  private applyLogged(state: PartitionState): Promise<void> {
    return this.apply(state).catch((err: unknown) => {
      this.services.logger.error({ topic: state.topic, partition: state.partition, err: err instanceof Error ? err.message : String(err) }, 'applying partition state failed');
    });
  }

  private async apply(state: PartitionState): Promise<void> {
    if (this.stopped) return;
    const self = this.selfId;
    const key = replicaKey(state.topic, state.partition);
    let replica = this.replicas.get(key);
    if (replica && isOlderState(state, replica.state)) return;
    if (!state.replicas.includes(self)) {
      if (replica) {
        await this.unfollow(state.topic, state.partition);
        replica.stop();
        this.replicas.delete(key);
      }
      // moved off this broker (reassignment): its copy goes, as Kafka's StopReplica with deletion
      if (await this.services.logs.deletePartition(state.topic, state.partition)) {
        this.services.logger.info({ topic: state.topic, partition: state.partition, replicas: state.replicas }, 'replica removed from this broker; its log was deleted');
      }
      return;
    }
    const now = Date.now();
    if (!replica) {
      const topic = this.services.metadata.topic(state.topic);
      if (!topic) return;
      const log = await this.services.logs.create(state.topic, state.partition, withTagIndex(this.services.metadata, topic, logConfigFromTopicConfigs(topic.configs)));
      // from now on replication, not the log, decides what is committed; without a saved high watermark
      // (a crash before the first checkpoint) nothing is known to be replicated until the ISR says so
      log.highWatermarkFollowsLog = false;
      log.setHighWatermark(log.checkpointedHighWatermark ?? log.logStartOffset);
      replica = new PartitionReplica(log, state, self);
      this.replicas.set(key, replica);
    }
    if (state.leader === self) {
      const sameEpoch = replica.role === 'leader' && replica.state.leaderEpoch === state.leaderEpoch;
      if (this.fenced) {
        // a possibly stale view while cut off from the metadata: no new leadership until the session is regained
        if (sameEpoch) replica.updateState(state, now);
        return;
      }
      if (sameEpoch) {
        replica.fenced = false;
        replica.updateState(state, now);
        return;
      }
      await this.unfollow(state.topic, state.partition);
      await replica.log.producerState.invalidate();
      await replica.becomeLeader(state, now);
      this.services.logger.info({ topic: state.topic, partition: state.partition, leaderEpoch: state.leaderEpoch, isr: state.isr, highWatermark: replica.log.highWatermark, logEndOffset: replica.log.logEndOffset }, 'became leader');
      return;
    }
    const sameLeader = replica.role === 'follower' && replica.state.leader === state.leader && replica.state.leaderEpoch === state.leaderEpoch;
    if (sameLeader) {
      replica.updateState(state, now);
      return;
    }
    const wasLeader = replica.role === 'leader';
    replica.becomeFollower(state);
    await this.unfollow(state.topic, state.partition);
    if (wasLeader || replica.log.logEndOffset > replica.log.highWatermark) await replica.log.producerState.invalidate();
    if (state.leader !== NO_LEADER) this.fetcherFor(state.leader).add(state.topic, state.partition, replica.log, state.leaderEpoch);
    this.services.logger.info({ topic: state.topic, partition: state.partition, leader: state.leader, leaderEpoch: state.leaderEpoch, logEndOffset: replica.log.logEndOffset }, 'became follower');
  }

  private fetcherFor(leaderId: number): FollowerFetcher {
    let f = this.fetchers.get(leaderId);
    if (!f) {
      f = new FollowerFetcher(leaderId, {
        selfId: this.selfId,
        config: this.config,
        logger: this.services.logger,
        security: this.interBroker,
        throttle: {
          limiter: this.throttle.follower,
          isThrottled: (topic, partition) => this.services.metadata.partitionState(topic, partition)?.addingReplicas?.includes(this.selfId) ?? false,
        },
        addressOf: (id) => {
          const b = this.services.metadata.brokers().find((x) => x.nodeId === id);
          return b ? interBrokerAddress(b, this.interBroker.listenerName) : null;
        },
      });
      this.fetchers.set(leaderId, f);
    }
    return f;
  }

  private async unfollow(topic: string, partition: number): Promise<void> {
    for (const [id, f] of this.fetchers) {
      if (!f.has(topic, partition)) continue;
      await f.remove(topic, partition);
      if (f.size === 0) {
        this.fetchers.delete(id);
        await f.stop();
      }
    }
  }

  private async dropTopic(topic: string): Promise<void> {
    for (const [key, r] of [...this.replicas]) {
      if (r.state.topic !== topic) continue;
      await this.unfollow(topic, r.state.partition);
      r.stop();
      this.replicas.delete(key);
    }
  }

  /** Sends an ISR change to the metadata service; the new state comes back through the normal path. */
  private proposeIsr(replica: PartitionReplica, isr: number[]): void {
    if (replica.isrChangePending || this.stopped || replica.fenced) return;
    replica.isrChangePending = true;
    const s = replica.state;
    this.services.metadata
      .alterPartitionIsr(s.topic, s.partition, { leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch }, isr)
      .then(
        (next) => {
          if (next.isr.length < s.isr.length) this.isrShrinks++;
          else this.isrExpands++;
          this.services.logger.info({ topic: s.topic, partition: s.partition, from: s.isr, to: next.isr }, 'ISR changed');
          this.enqueue(next);
        },
        (err: unknown) => {
          this.services.logger.warn({ topic: s.topic, partition: s.partition, isr, err: err instanceof Error ? err.message : String(err) }, 'ISR change refused');
          // a newer leader exists that this broker has not heard of yet: stop acting as leader at once
          // (waiting produces fail with NOT_LEADER_OR_FOLLOWER) until the new state arrives
          if (err instanceof MetadataError && err.errorCode === ErrorCode.FENCED_LEADER_EPOCH && replica.role === 'leader' && replica.state.leaderEpoch === s.leaderEpoch) {
            replica.stop();
          }
        },
      )
      .finally(() => {
        replica.isrChangePending = false;
      });
  }

  private tick(): void {
    const now = Date.now();
    if (!this.shrinking) {
      this.shrinking = true;
      void this.shrinkIsrs(now).finally(() => (this.shrinking = false));
    }
    if (now - this.lastCheckpoint >= this.config.highWatermarkCheckpointIntervalMs) {
      this.lastCheckpoint = now;
      this.checkpointRounds++;
      // one file for every replicated log of the data dir, written only when a high watermark moved
      this.services.logs.checkpointHighWatermarks().catch((err: unknown) => this.services.logger.warn({ err: String(err) }, 'high watermark checkpoint failed'));
    }
  }

  /** Drops lagging followers from the ISR of every partition led here, with an event-loop turn every 1,000. */
  private async shrinkIsrs(now: number): Promise<void> {
    const turns = new EventLoopTurns();
    for (const r of [...this.replicas.values()]) {
      const turn = turns.next();
      if (turn) await turn;
      if (this.stopped) return;
      if (r.role !== 'leader') continue;
      const lagging = r.laggingInsync(now, this.config.replicaLagTimeMaxMs);
      if (lagging.length > 0) this.proposeIsr(r, r.state.isr.filter((x) => !lagging.includes(x)));
    }
  }
}
