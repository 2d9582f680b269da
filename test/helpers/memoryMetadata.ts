import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors';
import { assignReplicas, manualAssignmentProblem, startIndexFor } from '../../src/metadata/controller/assignment';
import { initialPartitionState, isrChangeProblem, reconcilePartition, withoutLostReplica, type ElectionPolicy } from '../../src/metadata/controller/election';
import { newTopicNameProblem } from '../../src/metadata/topicName';
import {
  MetadataError,
  type BrokerIdentity,
  type CreateTopicOptions,
  type MetadataEvent,
  type MetadataListener,
  type MetadataService,
  type PartitionState,
  type SessionListener,
  type SessionState,
  type TopicInfo,
} from '../../src/metadata/types';

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Cluster metadata shared in memory by several in-process brokers: what the
 * etcd backend keeps, with the controller's decisions made by the same pure
 * functions (replica assignment, election from the ISR, ISR change checks).
 * A broker is live from setSelf until its view closes, like a lease; every
 * change is announced to every live broker's listeners, and awaited, so a test
 * that changed something sees every broker's reaction started.
 */
export class MemoryClusterMetadata {
  readonly clusterId = randomBytes(16).toString('base64url');
  private readonly live = new Map<number, BrokerIdentity>();
  private readonly byName = new Map<string, TopicInfo>();
  private readonly states = new Map<string, PartitionState>();
  readonly views = new Set<MemoryMetadataView>();
  private chain: Promise<unknown> = Promise.resolve();
  /** First producer id no broker has reserved yet (etcd keeps the same counter). */
  private nextProducerId = 0n;

  constructor(
    readonly policy: ElectionPolicy = { uncleanLeaderElection: false, preferredLeaderElection: false },
    private readonly defaults = { partitions: 1, replicationFactor: 1 },
  ) {}

  view(self: BrokerIdentity): MemoryMetadataView {
    const v = new MemoryMetadataView(this, self);
    this.views.add(v);
    return v;
  }

  brokers(): BrokerIdentity[] {
    return [...this.live.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  topic(name: string): TopicInfo | undefined {
    return this.byName.get(name);
  }

  topicById(id: Buffer): TopicInfo | undefined {
    for (const t of this.byName.values()) if (t.id.equals(id)) return t;
    return undefined;
  }

  topics(): TopicInfo[] {
    return [...this.byName.values()];
  }

  partitionState(topic: string, partition: number): PartitionState | undefined {
    const s = this.states.get(keyOf(topic, partition));
    return s ? { ...s, replicas: [...s.replicas], isr: [...s.isr] } : undefined;
  }

  /** Changes run one at a time, like transactions on the etcd store. */
  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async emit(e: MetadataEvent): Promise<void> {
    await Promise.allSettled([...this.views].filter((v) => v.registered).map((v) => v.deliver(e)));
  }

  private liveIds(): Set<number> {
    return new Set(this.live.keys());
  }

  /** The controller's reaction to a membership change: elections and ISR cleanup for every partition. */
  private async reconcileAll(): Promise<void> {
    const live = this.liveIds();
    for (const [k, s] of this.states) {
      const next = reconcilePartition(s, live, this.policy);
      if (!next) continue;
      this.states.set(k, next);
      await this.emit({ type: 'partition-changed', state: { ...next } });
    }
  }

  register(identity: BrokerIdentity): Promise<void> {
    return this.serialize(async () => {
      this.live.set(identity.nodeId, identity);
      await this.emit({ type: 'brokers-changed' });
      await this.reconcileAll();
    });
  }

  /** The broker's lease expired (or it shut down). */
  unregister(nodeId: number): Promise<void> {
    return this.unregisterAll([nodeId]);
  }

  /** Several leases expire at once (one controller pass): a partition whose ISR members all died keeps them all. */
  unregisterAll(nodeIds: number[]): Promise<void> {
    return this.serialize(async () => {
      const gone = nodeIds.filter((id) => this.live.delete(id));
      if (gone.length === 0) return;
      await this.emit({ type: 'brokers-changed' });
      await this.reconcileAll();
    });
  }

  /** A broker that lost its copies of these partitions leaves their ISRs (before it registers). */
  leaveIsrOfLost(nodeId: number, partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> {
    return this.serialize(async () => {
      for (const { topic, partition } of partitions) {
        const current = this.states.get(keyOf(topic, partition));
        const next = current && withoutLostReplica(current, nodeId);
        if (!next) continue;
        this.states.set(keyOf(topic, partition), next);
        await this.emit({ type: 'partition-changed', state: { ...next } });
      }
    });
  }

  createTopic(name: string, opts: CreateTopicOptions = {}): Promise<TopicInfo> {
    return this.serialize(async () => {
      if (this.byName.has(name)) throw new MetadataError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} already exists`);
      const problem = newTopicNameProblem(name, this.byName.keys());
      if (problem) throw new MetadataError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
      const live = this.brokers();
      let assignment: number[][];
      if (opts.assignment) {
        const bad = manualAssignmentProblem(opts.assignment, this.liveIds());
        if (bad) throw new MetadataError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, bad);
        assignment = opts.assignment.map((r) => [...r]);
      } else {
        const partitions = opts.partitions ?? this.defaults.partitions;
        if (!Number.isInteger(partitions) || partitions < 1) throw new MetadataError(ErrorCode.INVALID_PARTITIONS, `partition count ${partitions} must be at least 1`);
        // internal topics (__consumer_offsets, __transaction_state) get up to 3 replicas, as the etcd backend does
        const rf = opts.replicationFactor ?? (opts.internal ? Math.min(3, live.length) : this.defaults.replicationFactor);
        assignment = assignReplicas(live, partitions, rf, startIndexFor(name, live.length));
      }
      const topic: TopicInfo = { name, id: randomBytes(16), partitions: assignment.length, configs: { ...(opts.configs ?? {}) }, internal: opts.internal ?? false };
      this.byName.set(name, topic);
      const ids = this.liveIds();
      assignment.forEach((replicas, p) => this.states.set(keyOf(name, p), initialPartitionState(name, p, replicas, ids)));
      await this.emit({ type: 'topic-created', topic });
      return topic;
    });
  }

  deleteTopic(name: string): Promise<TopicInfo> {
    return this.serialize(async () => {
      const topic = this.byName.get(name);
      if (!topic) throw new MetadataError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
      this.byName.delete(name);
      for (let p = 0; p < topic.partitions; p++) this.states.delete(keyOf(name, p));
      await this.emit({ type: 'topic-deleted', topic });
      return topic;
    });
  }

  addPartitions(name: string, totalCount: number): Promise<TopicInfo> {
    return this.serialize(async () => {
      const topic = this.byName.get(name);
      if (!topic) throw new MetadataError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
      const previous = topic.partitions;
      if (!Number.isInteger(totalCount) || totalCount <= previous) throw new MetadataError(ErrorCode.INVALID_PARTITIONS, `new count must be larger than ${previous}`);
      const rf = this.states.get(keyOf(name, 0))?.replicas.length ?? 1;
      const live = this.brokers();
      const assignment = assignReplicas(live, totalCount - previous, rf, startIndexFor(name, live.length), previous);
      const ids = this.liveIds();
      assignment.forEach((replicas, i) => this.states.set(keyOf(name, previous + i), initialPartitionState(name, previous + i, replicas, ids)));
      topic.partitions = totalCount;
      await this.emit({ type: 'partitions-added', topic, previous });
      return topic;
    });
  }

  alterTopicConfigs(name: string, changes: Record<string, string | null>): Promise<TopicInfo> {
    return this.serialize(async () => {
      const topic = this.byName.get(name);
      if (!topic) throw new MetadataError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
      const after = { ...topic.configs };
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) delete after[k];
        else after[k] = v;
      }
      topic.configs = after;
      await this.emit({ type: 'configs-altered', topic });
      return topic;
    });
  }

  reserveProducerIds(count: number): Promise<bigint> {
    const first = this.nextProducerId;
    this.nextProducerId += BigInt(count);
    return Promise.resolve(first);
  }

  alterPartitionIsr(topic: string, partition: number, expect: { leaderEpoch: number; partitionEpoch: number }, isr: number[]): Promise<PartitionState> {
    return this.serialize(async () => {
      const current = this.states.get(keyOf(topic, partition));
      if (!current) throw new MetadataError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown partition ${topic}-${partition}`);
      switch (isrChangeProblem(current, expect, isr, this.liveIds())) {
        case 'fenced':
          throw new MetadataError(ErrorCode.FENCED_LEADER_EPOCH, `leader epoch ${expect.leaderEpoch} is older than ${current.leaderEpoch}`);
        case 'version':
          throw new MetadataError(ErrorCode.INVALID_UPDATE_VERSION, `partition epoch ${expect.partitionEpoch} is not ${current.partitionEpoch}`);
        case 'ineligible':
          throw new MetadataError(ErrorCode.INELIGIBLE_REPLICA, `ISR ${isr.join(',')} names a broker that cannot join`);
        case 'invalid':
          throw new MetadataError(ErrorCode.INVALID_REQUEST, `ISR ${isr.join(',')} is not valid`);
        default:
          break;
      }
      const next: PartitionState = { ...current, isr: [...isr], partitionEpoch: current.partitionEpoch + 1 };
      this.states.set(keyOf(topic, partition), next);
      await this.emit({ type: 'partition-changed', state: { ...next } });
      return { ...next };
    });
  }
}

/** One broker's MetadataService over the shared store. */
export class MemoryMetadataView implements MetadataService {
  private readonly listeners = new Set<MetadataListener>();
  private identity: BrokerIdentity;
  registered = false;
  /** Events reach one broker in order, like one etcd watch. */
  private delivery: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: MemoryClusterMetadata,
    self: BrokerIdentity,
  ) {
    this.identity = self;
  }

  get clusterId(): string {
    return this.store.clusterId;
  }

  get controllerId(): number {
    return this.store.brokers()[0]?.nodeId ?? this.identity.nodeId;
  }

  self(): BrokerIdentity {
    return this.identity;
  }

  async setSelf(identity: BrokerIdentity): Promise<void> {
    this.identity = identity;
    this.registered = true;
    await this.store.register(identity);
  }

  brokers(): BrokerIdentity[] {
    return this.store.brokers();
  }
  topic(name: string): TopicInfo | undefined {
    return this.store.topic(name);
  }
  topicById(id: Buffer): TopicInfo | undefined {
    return this.store.topicById(id);
  }
  topics(): TopicInfo[] {
    return this.store.topics();
  }
  createTopic(name: string, opts?: CreateTopicOptions): Promise<TopicInfo> {
    return this.store.createTopic(name, opts);
  }
  async ensureTopic(name: string, opts?: CreateTopicOptions): Promise<TopicInfo> {
    const t = this.store.topic(name);
    if (t) return t;
    try {
      return await this.store.createTopic(name, opts);
    } catch (err) {
      const now = this.store.topic(name);
      if (err instanceof MetadataError && err.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && now) return now;
      throw err;
    }
  }
  deleteTopic(name: string): Promise<TopicInfo> {
    return this.store.deleteTopic(name);
  }
  addPartitions(name: string, totalCount: number): Promise<TopicInfo> {
    return this.store.addPartitions(name, totalCount);
  }
  alterTopicConfigs(name: string, changes: Record<string, string | null>): Promise<TopicInfo> {
    return this.store.alterTopicConfigs(name, changes);
  }
  partitionState(topic: string, partition: number): PartitionState | undefined {
    const frozen = this.frozen?.get(keyOf(topic, partition));
    return frozen ? { ...frozen } : this.store.partitionState(topic, partition);
  }
  alterPartitionIsr(topic: string, partition: number, expect: { leaderEpoch: number; partitionEpoch: number }, isr: number[]): Promise<PartitionState> {
    return this.store.alterPartitionIsr(topic, partition, expect, isr);
  }
  reserveProducerIds(count: number): Promise<bigint> {
    return this.store.reserveProducerIds(count);
  }
  leaveIsrOfLost(partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> {
    return this.store.leaveIsrOfLost(this.identity.nodeId, partitions);
  }
  onChange(listener: MetadataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private readonly sessionListeners = new Set<SessionListener>();
  onSessionChange(listener: SessionListener): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }
  /** Tests: report this broker's metadata session lost (it must stop leading) or regained, as the etcd backend does. */
  setSession(state: SessionState): void {
    for (const l of this.sessionListeners) l(state);
  }

  /** Events held back while this broker is cut off from the metadata store (a partitioned etcd watch). */
  private held: MetadataEvent[] | null = null;
  /** Partition states as this broker last heard them, while its events are held. */
  private frozen: Map<string, PartitionState> | null = null;

  /** Stops delivering events to this broker, as if its watch were cut; `resumeEvents` delivers them in order. */
  holdEvents(): void {
    this.held ??= [];
    this.frozen = new Map();
    for (const t of this.store.topics()) {
      for (let p = 0; p < t.partitions; p++) this.frozen.set(keyOf(t.name, p), this.store.partitionState(t.name, p)!);
    }
  }

  async resumeEvents(): Promise<void> {
    const held = this.held ?? [];
    this.held = null;
    this.frozen = null;
    for (const e of held) await this.deliver(e);
  }

  deliver(e: MetadataEvent): Promise<void> {
    if (this.held) {
      this.held.push(e);
      return Promise.resolve();
    }
    const run = this.delivery.then(async () => {
      await Promise.allSettled([...this.listeners].map(async (l) => l(e)));
    });
    this.delivery = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.store.views.delete(this);
    if (this.registered) {
      this.registered = false;
      await this.store.unregister(this.identity.nodeId);
    }
  }
}
