import { ErrorCode } from '../../protocol/errors';
import { ClassicCoordinator, type JoinParams, type MemberRef, type SyncParams } from './classicCoordinator';
import { ClassicGroup, ClassicMember, type ClassicGroupState, type JoinOutcome, type SyncOutcome } from './classicGroup';
import { systemClock, type Clock, type TimerHandle } from './clock';
import { DEFAULT_GROUP_CONFIG, type GroupConfig } from './config';
import { subscribedTopics } from './consumerSubscription';
import { DEFAULT_ASSIGNOR, type TopicAssignment } from './assignors';
import {
  ConsumerCoordinator,
  type ConsumerHeartbeatOutcome,
  type ConsumerHeartbeatParams,
  type TopicCatalog,
  type WireTopicPartitions,
} from './consumerCoordinator';
import { ConsumerGroup, restoreConsumerGroup, snapshotConsumerGroup } from './consumerGroup';
import { OffsetStore, type CommittedOffset, type TopicPartitionKey } from './offsetStore';
import {
  decodeConsumerGroupValue,
  encodeConsumerGroupKey,
  encodeConsumerGroupValue,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsTopicKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type ConsumerGroupSnapshot,
} from './offsetsTopicRecords';
import type { GroupLogRecord, GroupStateLog } from './stateLog';
import { groupWriteError } from './writeErrors';
import { TxnOffsetOrder } from './txnOffsetOrder';
import type { PendingTxnRecords } from './replayOffsetsLog';

export interface GroupLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface CoordinatorOptions {
  config?: Partial<GroupConfig>;
  clock?: Clock;
  log?: GroupStateLog;
  logger?: GroupLogger;
  /** Topic metadata for server-side assignment (KIP-848 groups). */
  topics?: TopicCatalog;
  /**
   * Cluster mode: the `__consumer_offsets` partition a group lives in. With it
   * the coordinator serves only the groups of partitions it has loaded.
   */
  partitionOf?: (groupId: string) => number;
}

const NO_CATALOG: TopicCatalog = { byName: () => undefined, byId: () => undefined, names: () => [] };

export interface ConsumerGroupMemberView {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  assignment: Array<WireTopicPartitions & { topicName: string }>;
  targetAssignment: Array<WireTopicPartitions & { topicName: string }>;
}

export interface ConsumerGroupView {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  state: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: ConsumerGroupMemberView[];
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

export interface CommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2..v4 retention_time_ms; -1 = broker default. */
  retentionTimeMs: number;
  offsets: readonly OffsetToCommit[];
}

export interface PartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
}

export interface FetchedOffset {
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface FetchedTopic {
  topic: string;
  partitions: FetchedOffset[];
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
  type: 'classic' | 'consumer';
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  metadata: Buffer;
  assignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  state: string;
  protocolType: string;
  protocolData: string;
  members: DescribedMember[];
}

const NO_TOPICS: readonly string[] = [];

/**
 * The group coordinator of this broker: owns every group, their committed
 * offsets, and the log they are persisted to. One instance per broker; every
 * group maps to it (single-node cluster).
 */
export class GroupCoordinator {
  readonly config: GroupConfig;
  readonly clock: Clock;
  readonly offsets = new OffsetStore();
  /** Which staged transactional offsets a later plain commit replaced. */
  readonly txnOffsetOrder = new TxnOffsetOrder();
  readonly classic: ClassicCoordinator;
  readonly consumer: ConsumerCoordinator;
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly consumerGroups = new Map<string, ConsumerGroup>();
  private readonly catalog: TopicCatalog;
  private readonly stateLog: GroupStateLog | null;
  private readonly logger: GroupLogger | null;
  private expiryTimer: TimerHandle | null = null;
  private loaded = false;
  /** Loaded `__consumer_offsets` partitions; null = every group is ours (single broker). */
  private owned: Set<number> | null = null;
  private readonly partitionOf: ((groupId: string) => number) | null;

  constructor(opts: CoordinatorOptions = {}) {
    this.config = { ...DEFAULT_GROUP_CONFIG, ...opts.config };
    this.clock = opts.clock ?? systemClock;
    this.stateLog = opts.log ?? null;
    this.logger = opts.logger ?? null;
    this.catalog = opts.topics ?? NO_CATALOG;
    this.partitionOf = opts.partitionOf ?? null;
    this.consumer = new ConsumerCoordinator(this.clock, this.config, this.catalog, {
      groupFor: (id, create) => this.consumerGroup(id, create),
      persist: (g) => this.appendLog(g.groupId, [{ key: encodeConsumerGroupKey(g.groupId), value: encodeConsumerGroupValue(snapshotConsumerGroup(g)) }]),
      rollback: (id, before) => this.rollbackConsumerGroup(id, before),
      log: (msg, fields) => this.logger?.info(fields, msg),
    }, DEFAULT_ASSIGNOR);
    this.classic = new ClassicCoordinator(this.clock, this.config, {
      persistGroup: (g) => this.persistGroup(g),
      groupFor: (id, create) => this.classicGroup(id, create),
      log: (msg, fields) => this.logger?.info(fields, msg),
    });
  }

  /**
   * Replays the persisted log (offsets, group metadata), then starts the
   * offset-expiry timer. In cluster mode only the given partitions are loaded.
   */
  async start(partitions?: ReadonlySet<number>): Promise<void> {
    if (partitions) this.owned = new Set(partitions);
    if (this.stateLog) {
      for await (const rec of this.stateLog.load(partitions)) this.replay(rec);
    }
    this.resumeGroups(() => true);
    this.loaded = true;
    this.scheduleExpiry();
    this.logger?.info({ groups: this.groups.size }, 'group coordinator loaded');
  }

  /** Session and rebalance timers of groups just replayed. */
  private resumeGroups(which: (groupId: string) => boolean): void {
    const now = this.clock.now();
    for (const g of this.groups.values()) {
      if (!which(g.groupId)) continue;
      for (const m of g.members.values()) this.classic.scheduleSession(g, m);
      // Logs written without a state timestamp start the retention clock at load.
      if (g.stateTimestamp < 0) g.stateTimestamp = now;
    }
    for (const g of this.consumerGroups.values()) if (which(g.groupId)) this.consumer.restoreTimers(g);
  }

  /** Whether this coordinator serves the group (always in single-broker mode). */
  ownsGroup(groupId: string): boolean {
    return this.owned === null || this.partitionOf === null || this.owned.has(this.partitionOf(groupId));
  }

  /** Whether the groups of `__consumer_offsets`-`partition` are loaded here (always on a single broker once started). */
  servesPartition(partition: number): boolean {
    return this.loaded && (this.owned === null || this.owned.has(partition));
  }

  /** Cluster mode: this broker became leader of `partition`; its groups are served from now on. */
  async loadPartition(partition: number): Promise<void> {
    if (!this.owned || this.owned.has(partition) || !this.stateLog || !this.partitionOf) return;
    const inPartition = (groupId: string) => this.partitionOf!(groupId) === partition;
    this.dropGroups(inPartition, ErrorCode.NOT_COORDINATOR);
    for await (const rec of this.stateLog.load(new Set([partition]))) this.replay(rec);
    this.resumeGroups(inPartition);
    this.owned.add(partition);
    this.logger?.info({ partition }, 'group partition loaded');
  }

  /** Cluster mode: leadership of `partition` moved away; its groups answer NOT_COORDINATOR here. */
  unloadPartition(partition: number): void {
    if (!this.owned || !this.partitionOf || !this.owned.delete(partition)) return;
    this.dropGroups((groupId) => this.partitionOf!(groupId) === partition, ErrorCode.NOT_COORDINATOR);
    this.logger?.info({ partition }, 'group partition unloaded');
  }

  private dropGroups(which: (groupId: string) => boolean, errorCode: number): void {
    for (const [id, g] of this.groups) {
      if (!which(id)) continue;
      this.classic.shutdownGroup(g, errorCode);
      this.groups.delete(id);
    }
    for (const [id, g] of this.consumerGroups) {
      if (!which(id)) continue;
      this.consumer.shutdownGroup(g);
      this.consumerGroups.delete(id);
    }
    for (const id of [...this.offsets.groupIds()]) if (which(id)) this.offsets.deleteGroup(id);
  }

  /** True once start() replayed the log; before that requests get COORDINATOR_LOAD_IN_PROGRESS. */
  get isLoaded(): boolean {
    return this.loaded;
  }

  stop(): void {
    this.expiryTimer?.cancel();
    this.expiryTimer = null;
    for (const g of this.groups.values()) this.classic.shutdownGroup(g, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    for (const g of this.consumerGroups.values()) this.consumer.shutdownGroup(g);
  }

  private scheduleExpiry(): void {
    this.expiryTimer = this.clock.schedule(this.config.offsetsRetentionCheckIntervalMs, () => {
      void this.expireOffsets().finally(() => {
        if (this.expiryTimer) this.scheduleExpiry();
      });
    });
  }

  private replay(rec: GroupLogRecord): void {
    const key = decodeOffsetsTopicKey(rec.key);
    if (!key) return;
    if (key.kind === 'consumer-group') {
      if (rec.value === null) this.consumerGroups.delete(key.group);
      else {
        this.consumerGroups.set(key.group, restoreConsumerGroup(key.group, decodeConsumerGroupValue(rec.value)));
        this.groups.delete(key.group);
      }
      return;
    }
    if (key.kind === 'offset') {
      if (rec.value === null) this.offsets.delete(key.group, key.topic, key.partition);
      else this.offsets.put(key.group, key.topic, key.partition, decodeOffsetCommitValue(rec.value));
      return;
    }
    if (rec.value === null) {
      this.groups.delete(key.group);
      return;
    }
    this.consumerGroups.delete(key.group);
    const v = decodeGroupMetadataValue(rec.value);
    const g = new ClassicGroup(key.group, v.currentStateTimestamp);
    g.generationId = v.generation;
    g.protocolType = v.protocolType || null;
    g.protocolName = v.protocol;
    g.leaderId = v.leader;
    for (const sm of v.members) {
      const m = new ClassicMember(
        sm.memberId, sm.groupInstanceId, sm.clientId, sm.clientHost, sm.rebalanceTimeoutMs, sm.sessionTimeoutMs,
        v.protocolType, [{ name: v.protocol ?? '', metadata: sm.subscription }],
      );
      m.assignment = sm.assignment;
      g.members.set(m.memberId, m);
      if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
    }
    g.state = g.members.size > 0 ? 'Stable' : 'Empty';
    this.groups.set(key.group, g);
  }

  /** A group id names one group: classic or consumer. An empty group may switch protocol; a live one may not. */
  private classicGroup(groupId: string, create: boolean): ClassicGroup | null | undefined {
    const other = this.consumerGroups.get(groupId);
    if (other) {
      if (other.members.size > 0) return null;
      if (!create) return undefined;
      this.consumerGroups.delete(groupId);
      // The id now names a classic group: a restart must not bring the consumer group back.
      void this.appendLog(groupId, [{ key: encodeConsumerGroupKey(groupId), value: null }]).catch(() => undefined);
    }
    let g = this.groups.get(groupId);
    if (!g && create) {
      g = new ClassicGroup(groupId, this.clock.now());
      this.groups.set(groupId, g);
    }
    return g;
  }

  private consumerGroup(groupId: string, create: boolean): ConsumerGroup | null | undefined {
    const other = this.groups.get(groupId);
    if (other) {
      if (other.members.size > 0 || other.pendingMembers.size > 0) return null;
      if (!create) return undefined;
      this.classic.shutdownGroup(other, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      this.groups.delete(groupId);
      void this.appendLog(groupId, [{ key: encodeGroupMetadataKey(groupId), value: null }]).catch(() => undefined);
    }
    let g = this.consumerGroups.get(groupId);
    if (!g && create) {
      g = new ConsumerGroup(groupId, DEFAULT_ASSIGNOR);
      this.consumerGroups.set(groupId, g);
    }
    return g;
  }

  private rollbackConsumerGroup(groupId: string, before: ConsumerGroupSnapshot | null): void {
    const current = this.consumerGroups.get(groupId);
    if (current) this.consumer.shutdownGroup(current);
    if (before === null) {
      this.consumerGroups.delete(groupId);
      return;
    }
    const g = restoreConsumerGroup(groupId, before);
    this.consumerGroups.set(groupId, g);
    this.consumer.restoreTimers(g);
  }

  consumerHeartbeat(p: ConsumerHeartbeatParams): Promise<ConsumerHeartbeatOutcome> {
    return this.consumer.heartbeat(p);
  }

  describeConsumerGroup(groupId: string): ConsumerGroupView {
    const g = this.consumerGroups.get(groupId);
    if (!g) {
      const isClassic = this.groups.has(groupId);
      return {
        errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
        errorMessage: isClassic ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`,
        groupId, state: 'Dead', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [],
      };
    }
    const named = (a: TopicAssignment) => this.consumer.toWire(a).map((tp) => ({ ...tp, topicName: this.catalog.byId(tp.topicId)?.name ?? '' }));
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      state: g.state,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      assignorName: g.assignorName,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: named(m.assigned),
        targetAssignment: named(g.target.get(m.memberId) ?? new Map()),
      })),
    };
  }

  private async appendLog(groupId: string, records: GroupLogRecord[]): Promise<void> {
    if (this.stateLog && records.length > 0) await this.stateLog.append(groupId, records);
  }

  private persistGroup(g: ClassicGroup): Promise<void> {
    const protocol = g.protocolName ?? '';
    const value = encodeGroupMetadataValue({
      protocolType: g.protocolType ?? '',
      generation: g.generationId,
      protocol: g.protocolName,
      leader: g.leaderId,
      currentStateTimestamp: g.stateTimestamp,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.metadataFor(protocol),
        assignment: m.assignment,
      })),
    });
    return this.appendLog(g.groupId, [{ key: encodeGroupMetadataKey(g.groupId), value }]);
  }

  // ---- classic membership (delegated) ----

  join(p: JoinParams): Promise<JoinOutcome> {
    return this.classic.join(p);
  }

  sync(p: SyncParams): Promise<SyncOutcome> {
    return this.classic.sync(p);
  }

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    return this.classic.heartbeat(groupId, memberId, groupInstanceId, generationId);
  }

  leave(groupId: string, members: readonly MemberRef[]): ReturnType<ClassicCoordinator['leave']> {
    return this.classic.leave(groupId, members);
  }

  // ---- offsets ----

  async commitOffsets(p: CommitParams): Promise<PartitionResult[]> {
    const all = (code: number): PartitionResult[] =>
      p.offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: code }));
    if (!p.groupId) return all(ErrorCode.INVALID_GROUP_ID);
    const cg = this.consumerGroups.get(p.groupId);
    if (cg) {
      const cc = this.consumer.validateCommit(cg, p.memberId, p.generationId);
      if (cc !== ErrorCode.NONE) return all(cc);
      return this.writeOffsets(p);
    }
    let group = this.groups.get(p.groupId);
    if (!group) {
      if (p.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      // Consumers with manual assignment commit to a group that never joined: it exists only for its offsets.
      group = this.classicGroup(p.groupId, true)!;
    }
    const code = this.classic.validateCommit(group, p.memberId, p.groupInstanceId, p.generationId);
    if (code !== ErrorCode.NONE) return all(code);
    return this.writeOffsets(p);
  }

  /** TxnOffsetCommit v3+ (KIP-447): a zombie member of an older generation must not stage offsets. -1 = not checked (older clients). */
  validateTransactionalCommit(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (generationId < 0) return ErrorCode.NONE;
    const cg = this.consumerGroups.get(groupId);
    if (cg) return this.consumer.validateCommit(cg, memberId, generationId);
    const group = this.groups.get(groupId);
    if (!group) return ErrorCode.ILLEGAL_GENERATION;
    return this.classic.validateCommit(group, memberId, groupInstanceId, generationId);
  }

  /**
   * Offsets of a committed transaction (TxnOffsetCommit): checked when they
   * were staged, written now as they are, except those a plain commit made
   * after the staging replaced (Kafka's ordering rule; needs `producerId`).
   */
  async commitTransactionalOffsets(groupId: string, offsets: readonly OffsetToCommit[], producerId?: bigint): Promise<PartitionResult[]> {
    let apply = offsets;
    if (producerId !== undefined) {
      const fresh = this.txnOffsetOrder.resolve(groupId, producerId, offsets);
      apply = offsets.filter((_o, i) => fresh[i]);
    }
    if (!this.groups.get(groupId) && !this.consumerGroups.get(groupId)) this.classicGroup(groupId, true);
    const results = await this.writeOffsets({ groupId, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: apply }, false);
    const skipped = offsets.filter((o) => !apply.includes(o)).map((o) => ({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.NONE }));
    return [...results, ...skipped];
  }

  /** TxnOffsetCommit staged these offsets of `producerId` (single broker: in the transaction coordinator). */
  noteStagedOffsets(groupId: string, producerId: bigint, keys: readonly TopicPartitionKey[]): void {
    this.txnOffsetOrder.noteStaged(groupId, producerId, keys);
  }

  /** Transactional offset records a replay found with no marker yet, per producer. */
  notePendingRecords(pending: PendingTxnRecords): void {
    for (const [producerId, records] of pending) {
      for (const r of records) {
        const key = decodeOffsetsTopicKey(r.key);
        if (key?.kind === 'offset') this.txnOffsetOrder.noteStaged(key.group, producerId, [key]);
      }
    }
  }

  /** The transaction of `producerId` aborted: its staged offsets of `groupId` are forgotten. */
  forgetStagedOffsets(groupId: string, producerId: bigint, keys: readonly TopicPartitionKey[]): void {
    this.txnOffsetOrder.resolve(groupId, producerId, keys);
  }

  /**
   * Cluster mode TxnOffsetCommit: writes the offsets to the group's partition
   * as the producer's transactional batch (replicated before this resolves);
   * the group sees them only once the transaction's commit marker lands.
   * NONE, OFFSET_METADATA_TOO_LARGE, `fencedCode` for an older producer epoch
   * than the partition has seen, or the write's error code.
   */
  async stageTransactionalOffsets(groupId: string, producerId: bigint, producerEpoch: number, offsets: readonly OffsetToCommit[], fencedCode: number): Promise<number> {
    const now = this.clock.now();
    if (!this.stateLog?.appendTransactional) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (offsets.some((o) => Buffer.byteLength(o.metadata ?? '') > this.config.offsetMetadataMaxBytes)) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
    const records = offsets.map((o) => ({
      key: encodeOffsetCommitKey(groupId, o.topic, o.partition),
      value: encodeOffsetCommitValue({ offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata ?? '', commitTimestamp: now, expireTimestamp: -1 }),
    }));
    if (records.length === 0) return ErrorCode.NONE;
    try {
      if (!(await this.stateLog.appendTransactional(groupId, producerId, producerEpoch, records, now))) return fencedCode;
      this.txnOffsetOrder.noteStaged(groupId, producerId, offsets);
      return ErrorCode.NONE;
    } catch (err) {
      this.logger?.warn({ group: groupId, err: String(err) }, 'transactional offsets not persisted');
      return groupWriteError(err);
    }
  }

  /**
   * After an abort marker: writes the group's committed offsets of these
   * partitions again (a tombstone where there is none), so the newest record
   * of each key in the compacted topic is a committed one and compaction never
   * keeps only the aborted transactional record.
   */
  async rewriteCommittedOffsets(groupId: string, keys: readonly TopicPartitionKey[], producerId?: bigint): Promise<void> {
    if (producerId !== undefined) this.txnOffsetOrder.resolve(groupId, producerId, keys);
    const records = keys.map(({ topic, partition }) => {
      const c = this.offsets.get(groupId, topic, partition);
      return { key: encodeOffsetCommitKey(groupId, topic, partition), value: c ? encodeOffsetCommitValue(c) : null };
    });
    // The abort itself is durable in the marker already: a failed rewrite costs only this compaction guard.
    await this.appendLog(groupId, records).catch((err: unknown) => this.logger?.warn({ group: groupId, err: String(err) }, 'offsets not rewritten after an abort'));
  }

  private async writeOffsets(p: CommitParams, plain = true): Promise<PartitionResult[]> {
    const now = this.clock.now();
    const results: PartitionResult[] = [];
    const accepted: Array<{ o: OffsetToCommit; value: CommittedOffset }> = [];
    const records: GroupLogRecord[] = [];
    for (const o of p.offsets) {
      const metadata = o.metadata ?? '';
      if (Buffer.byteLength(metadata) > this.config.offsetMetadataMaxBytes) {
        results.push({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE });
        continue;
      }
      const value: CommittedOffset = {
        offset: o.offset, leaderEpoch: o.leaderEpoch, metadata, commitTimestamp: now,
        expireTimestamp: p.retentionTimeMs >= 0 ? now + p.retentionTimeMs : -1,
      };
      accepted.push({ o, value });
      records.push({ key: encodeOffsetCommitKey(p.groupId, o.topic, o.partition), value: encodeOffsetCommitValue(value) });
      results.push({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.NONE });
    }
    try {
      await this.appendLog(p.groupId, records);
    } catch (err) {
      this.logger?.warn({ group: p.groupId, err: String(err) }, 'offset commit not persisted');
      const code = groupWriteError(err);
      return results.map((r) => (r.errorCode === ErrorCode.NONE ? { ...r, errorCode: code } : r));
    }
    for (const { o, value } of accepted) this.offsets.put(p.groupId, o.topic, o.partition, value);
    if (plain) this.txnOffsetOrder.notePlainCommit(p.groupId, accepted.map((a) => a.o));
    return results;
  }

  /** OffsetFetch for one group; `topics` null means every committed offset of the group. */
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }> | null): {
    errorCode: number;
    topics: FetchedTopic[];
  } {
    if (!groupId) return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const missing = (partition: number): FetchedOffset => ({
      partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE,
    });
    const found = (partition: number, c: CommittedOffset): FetchedOffset => ({
      partition, offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: c.metadata, errorCode: ErrorCode.NONE,
    });
    if (topics === null) {
      const out: FetchedTopic[] = [];
      for (const [topic, parts] of this.offsets.topicsOf(groupId)) {
        out.push({ topic, partitions: [...parts].map(([p, c]) => found(p, c)) });
      }
      return { errorCode: ErrorCode.NONE, topics: out };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map(({ topic, partitions }) => ({
        topic,
        partitions: partitions.map((p) => {
          const c = this.offsets.get(groupId, topic, p);
          return c ? found(p, c) : missing(p);
        }),
      })),
    };
  }

  async deleteOffsets(groupId: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): Promise<{
    errorCode: number;
    results: PartitionResult[];
  }> {
    const group = this.groups.get(groupId);
    const cg = this.consumerGroups.get(groupId);
    if (!group && !cg && !this.offsets.hasOffsets(groupId)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, results: [] };
    let subscribed: readonly string[] = NO_TOPICS;
    if (cg) subscribed = [...cg.members.values()].flatMap((m) => m.subscribedTopicNames);
    if (group && !group.is('Empty') && !group.is('Dead')) {
      if (group.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, results: [] };
      const set = new Set<string>();
      for (const m of group.members.values()) for (const t of subscribedTopics(m.metadataFor(group.protocolName ?? ''))) set.add(t);
      subscribed = [...set];
    }
    const results: PartitionResult[] = [];
    const records: GroupLogRecord[] = [];
    const toDelete: TopicPartitionKey[] = [];
    for (const { topic, partitions } of topics) {
      for (const partition of partitions) {
        if (subscribed.includes(topic)) {
          results.push({ topic, partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC });
          continue;
        }
        results.push({ topic, partition, errorCode: ErrorCode.NONE });
        if (this.offsets.get(groupId, topic, partition)) {
          toDelete.push({ topic, partition });
          records.push({ key: encodeOffsetCommitKey(groupId, topic, partition), value: null });
        }
      }
    }
    try {
      await this.appendLog(groupId, records);
    } catch (err) {
      this.logger?.warn({ group: groupId, err: String(err) }, 'offset deletion not persisted');
      return { errorCode: groupWriteError(err), results: [] };
    }
    for (const k of toDelete) this.offsets.delete(groupId, k.topic, k.partition);
    return { errorCode: ErrorCode.NONE, results };
  }

  // ---- admin views ----

  listGroups(stateFilter: readonly string[], typeFilter: readonly string[]): GroupListing[] {
    const states = new Set(stateFilter.map((s) => s.toLowerCase()));
    const types = new Set(typeFilter.map((s) => s.toLowerCase()));
    const out: GroupListing[] = [];
    for (const g of this.groups.values()) {
      if (g.is('Dead')) continue;
      const listing: GroupListing = { groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, type: 'classic' };
      if (states.size > 0 && !states.has(listing.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has(listing.type)) continue;
      out.push(listing);
    }
    for (const g of this.consumerGroups.values()) {
      const listing: GroupListing = { groupId: g.groupId, protocolType: 'consumer', state: g.state, type: 'consumer' };
      if (states.size > 0 && !states.has(listing.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has(listing.type)) continue;
      out.push(listing);
    }
    return out;
  }

  describeGroup(groupId: string): DescribedGroup {
    const g = this.groups.get(groupId);
    const cg = this.consumerGroups.get(groupId);
    if (cg) {
      // The classic view of a consumer group: who is in it, without classic metadata.
      return {
        errorCode: ErrorCode.NONE, groupId, state: cg.state, protocolType: 'consumer', protocolData: cg.assignorName,
        members: [...cg.members.values()].map((m) => ({
          memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost,
          metadata: Buffer.alloc(0), assignment: Buffer.alloc(0),
        })),
      };
    }
    if (!g) {
      return { errorCode: ErrorCode.NONE, groupId, state: 'Dead', protocolType: '', protocolData: '', members: [] };
    }
    const stable = g.is('Stable');
    const protocol = g.protocolName ?? '';
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      state: g.state,
      protocolType: g.protocolType ?? '',
      protocolData: protocol,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadataFor(protocol) : Buffer.alloc(0),
        assignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }

  groupState(groupId: string): ClassicGroupState | undefined {
    return this.groups.get(groupId)?.state;
  }

  consumerGroupState(groupId: string): string | undefined {
    return this.consumerGroups.get(groupId)?.state;
  }

  async deleteGroup(groupId: string): Promise<number> {
    const g = this.groups.get(groupId);
    const cg = this.consumerGroups.get(groupId);
    if (!g && !cg && !this.offsets.hasOffsets(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g && !g.is('Empty') && !g.is('Dead')) return ErrorCode.NON_EMPTY_GROUP;
    if (cg && cg.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    try {
      await this.removeGroupAndOffsets(groupId);
    } catch (err) {
      this.logger?.warn({ group: groupId, err: String(err) }, 'group deletion not persisted');
      return groupWriteError(err);
    }
    if (cg && this.consumerGroups.get(groupId) === cg) {
      cg.dead = true;
      this.consumerGroups.delete(groupId);
    }
    return ErrorCode.NONE;
  }

  private async removeGroupAndOffsets(groupId: string): Promise<void> {
    const records: GroupLogRecord[] = [];
    for (const [topic, parts] of this.offsets.topicsOf(groupId)) {
      for (const partition of parts.keys()) records.push({ key: encodeOffsetCommitKey(groupId, topic, partition), value: null });
    }
    records.push({ key: encodeGroupMetadataKey(groupId), value: null });
    records.push({ key: encodeConsumerGroupKey(groupId), value: null });
    await this.appendLog(groupId, records);
    this.offsets.deleteGroup(groupId);
    const g = this.groups.get(groupId);
    if (g) {
      this.classic.shutdownGroup(g, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      g.transition('Dead', this.clock.now());
      this.groups.delete(groupId);
    }
  }

  /**
   * offsets.retention.minutes: offsets of a group that has been empty for the
   * retention period are removed (tombstoned); then the empty group itself goes.
   * Offsets of groups that never used membership age from their commit time.
   */
  async expireOffsets(): Promise<number> {
    const now = this.clock.now();
    let removed = 0;
    for (const groupId of [...this.offsets.groupIds()]) {
      const g = this.groups.get(groupId);
      if (g && !g.is('Empty')) continue;
      if ((this.consumerGroups.get(groupId)?.members.size ?? 0) > 0) continue;
      const emptySince = g && g.protocolType !== null ? g.stateTimestamp : 0;
      const expired = this.offsets.expired(groupId, now, this.config.offsetsRetentionMs, emptySince);
      if (expired.length === 0) continue;
      const records = expired.map((k) => ({ key: encodeOffsetCommitKey(groupId, k.topic, k.partition), value: null }));
      try {
        await this.appendLog(groupId, records);
      } catch (err) {
        // not applied; the next check tries again
        this.logger?.warn({ group: groupId, err: String(err) }, 'offset expiry not persisted');
        continue;
      }
      for (const k of expired) this.offsets.delete(groupId, k.topic, k.partition);
      removed += expired.length;
      this.logger?.info({ group: groupId, partitions: expired.length }, 'expired committed offsets');
      if (g && g.is('Empty') && !this.offsets.hasOffsets(groupId)) await this.removeGroupAndOffsets(groupId).catch((err: unknown) => this.logger?.warn({ group: groupId, err: String(err) }, 'group removal not persisted'));
    }
    return removed;
  }
}
