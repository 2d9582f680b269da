import { OFFSETS_TOPIC } from '../internalTopics/names';
import { ErrorCode } from '../../protocol/errors';
import { ClassicCoordinator, type JoinParams, type MemberRef, type SyncParams } from './classicCoordinator';
import { ClassicGroup, type ClassicGroupState, type JoinOutcome, type SyncOutcome } from './classicGroup';
import { systemClock, type Clock, type TimerHandle } from './clock';
import { DEFAULT_GROUP_CONFIG, consumerTimeouts, type GroupConfig } from './config';
import { subscribedTopics } from './consumerSubscription';
import { DEFAULT_ASSIGNOR } from './assignors';
import {
  ConsumerCoordinator,
  type ConsumerHeartbeatOutcome,
  type ConsumerHeartbeatParams,
  type TopicCatalog,
} from './consumerCoordinator';
import type { ConsumerGroup } from './consumerGroup';
import { OffsetStore, type CommittedOffset } from './offsetStore';
import type { GroupStateLog } from './stateLog';
import { classicGroupValue, decodeGroupRecord, encodeGroupRecord, offsetRecord, type GroupRecord, type TopicIds } from './groupRecords';
import { GroupStateMachine } from './groupStateMachine';
import { describeConsumerGroup, describeGroup, fetchOffsets, listGroups, type GroupViews } from './groupViews';
import { consumerGroupTombstones } from './consumerGroupChanges';
import { CoordinatorWriteError } from '../internalTopics/writeErrors';
import { WriteFailures } from '../internalTopics/writeFailures';
import { groupWriteError } from './writeErrors';
import { TxnOffsetOrder } from './txnOffsetOrder';
import { TransactionalOffsets } from './txnOffsets';
import { OffsetCleanup } from './offsetCleanup';

export type { GroupLogger, CoordinatorOptions, ConsumerGroupMemberView, ConsumerGroupView, OffsetToCommit, CommitParams, PartitionResult, FetchedOffset, FetchedTopic, GroupListing, DescribedMember, DescribedGroup } from './coordinatorTypes';
import type { GroupLogger, CoordinatorOptions, ConsumerGroupView, OffsetToCommit, CommitParams, PartitionResult, FetchedTopic, GroupListing, DescribedGroup } from './coordinatorTypes';

const NO_CATALOG: TopicCatalog = { byName: () => undefined, byId: () => undefined, names: () => [] };

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
  /** TxnOffsetCommit's offsets: staged, then written at the commit marker or forgotten at the abort. */
  readonly txnOffsets: TransactionalOffsets;
  readonly classic: ClassicCoordinator;
  readonly consumer: ConsumerCoordinator;
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly consumerGroups = new Map<string, ConsumerGroup & { legacy?: boolean }>();
  /** The only code that changes groups and offsets (at load and after each acknowledged write). */
  private readonly state: GroupStateMachine;
  private readonly topicIds: TopicIds;
  private readonly views: GroupViews;
  /** Failed `__consumer_offsets` writes per operation (each also answered with an error or logged). */
  readonly writeFailures = new WriteFailures();
  private readonly catalog: TopicCatalog;
  private readonly stateLog: GroupStateLog | null;
  private readonly logger: GroupLogger | null;
  private expiryTimer: TimerHandle | null = null;
  private loaded = false;
  /** Loaded `__consumer_offsets` partitions; null = every group is ours (single broker). */
  private owned: Set<number> | null = null;
  private readonly partitionOf: ((groupId: string) => number) | null;
  private readonly cleanup: OffsetCleanup;
  /** Whether the broker's topics were given, so that a topic missing from them is known to be gone. */
  private readonly knowsTopics: boolean;

  constructor(opts: CoordinatorOptions = {}) {
    this.config = { ...DEFAULT_GROUP_CONFIG, ...opts.config };
    this.clock = opts.clock ?? systemClock;
    this.stateLog = opts.log ?? null;
    this.logger = opts.logger ?? null;
    this.catalog = opts.topics ?? NO_CATALOG;
    this.knowsTopics = opts.topics !== undefined;
    this.partitionOf = opts.partitionOf ?? null;
    this.views = { classic: this.groups, consumer: this.consumerGroups, catalog: this.catalog, toWire: (a) => this.consumer.toWire(a) };
    this.topicIds = { idOf: (name) => this.catalog.byName(name)?.id, nameOf: (id) => this.catalog.byId(id)?.name };
    this.consumer = new ConsumerCoordinator(this.clock, this.catalog, {
      groupFor: (id) => this.consumerGroup(id),
      creationRecords: (id) => (this.groups.has(id) ? [{ type: 'group-metadata', group: id, value: null }] : []),
      write: (id, records) => this.write(id, records),
      writeFailed: (id, operation, err) => this.writeFailed(id, operation, err),
      log: (msg, fields) => this.logger?.info(fields, msg),
      timeouts: (id) => consumerTimeouts(this.config, opts.groupConfigs?.(id)),
    }, DEFAULT_ASSIGNOR);
    this.state = new GroupStateMachine(this.groups, this.consumerGroups, this.offsets, {
      classicRemoved: (g) => this.classic.shutdownGroup(g, ErrorCode.COORDINATOR_NOT_AVAILABLE),
      consumerRemoved: (g) => this.consumer.shutdownGroup(g),
      consumerMemberRemoved: (m) => {
        m.sessionTimer?.cancel();
        m.revocationTimer?.cancel();
      },
      defaultAssignor: DEFAULT_ASSIGNOR,
    }, () => this.clock.now());
    this.classic = new ClassicCoordinator(this.clock, this.config, {
      writeGroup: (g, value) => this.write(g.groupId, [{ type: 'group-metadata', group: g.groupId, value }]),
      groupValue: (g) => classicGroupValue(g),
      writeFailed: (id, operation, err) => this.writeFailed(id, operation, err),
      groupFor: (id, create) => this.classicGroup(id, create),
      log: (msg, fields) => this.logger?.info(fields, msg),
    });
    this.cleanup = new OffsetCleanup({
      offsets: this.offsets, clock: this.clock, config: this.config, logger: this.logger,
      classicGroup: (id) => this.groups.get(id),
      consumerMemberCount: (id) => this.consumerGroups.get(id)?.members.size ?? 0,
      emptyGroupIds: () => [
        ...[...this.groups.values()].filter((g) => g.is('Empty')).map((g) => g.groupId),
        ...[...this.consumerGroups.values()].filter((g) => g.members.size === 0).map((g) => g.groupId),
      ],
      removeIfEmpty: (id) => this.removeIfEmpty(id),
      ownsGroup: (id) => this.ownsGroup(id),
      topicExists: (topic) => this.catalog.byName(topic) !== undefined,
      write: (id, records) => this.write(id, records),
      writeFailed: (id, operation, err) => this.writeFailed(id, operation, err),
    });
    this.txnOffsets = new TransactionalOffsets({
      clock: this.clock, config: this.config, offsets: this.offsets, topicIds: this.topicIds, stateLog: this.stateLog, order: this.txnOffsetOrder,
      ensureGroup: (id) => {
        if (!this.groups.get(id) && !this.consumerGroups.get(id)) this.classicGroup(id, true);
      },
      writeOffsets: (p, plain) => this.writeOffsets(p, plain),
      writeFailed: (id, operation, err) => this.writeFailed(id, operation, err),
      writeLogged: (id, operation, records) => this.writeLogged(id, operation, records),
    });
  }

  /**
   * Replays the persisted log (offsets, group metadata), then starts the
   * offset-expiry timer. In cluster mode only the given partitions are loaded.
   */
  async start(partitions?: ReadonlySet<number>): Promise<void> {
    if (partitions) this.owned = new Set(partitions);
    if (this.stateLog) {
      for await (const rec of this.stateLog.load(partitions)) this.replayLogged(rec);
    }
    this.resumeGroups(() => true);
    this.loaded = true;
    this.scheduleExpiry();
    this.logger?.info({ groups: this.groups.size }, 'group coordinator loaded');
    const vanished = this.forgetVanishedTopics(() => true);
    // Cluster mode: not awaited, as the tombstones' acks=all write may wait for the replicas this start precedes.
    if (this.owned === null) await vanished;
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
    for await (const rec of this.stateLog.load(new Set([partition]))) this.replayLogged(rec);
    this.resumeGroups(inPartition);
    this.owned.add(partition);
    this.logger?.info({ partition }, 'group partition loaded');
    void this.forgetVanishedTopics(inPartition);
  }

  private forgetVanishedTopics(loaded: (groupId: string) => boolean): Promise<number> {
    return this.knowsTopics ? this.cleanup.forgetVanishedTopics((id) => loaded(id) && this.ownsGroup(id)) : Promise.resolve(0);
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
      void this.expireOffsets().catch((err: unknown) => this.logger?.warn({ err: String(err) }, 'offset expiry failed')).finally(() => {
        if (this.expiryTimer) this.scheduleExpiry();
      });
    });
  }

  /**
   * A record that does not decode (written before internal topics were closed to clients, or damaged) is skipped
   * with a log line: one bad record must not keep every group of the partition, or the broker, from loading.
   */
  private replayLogged(rec: { key: Buffer; value: Buffer | null }): void {
    let r: GroupRecord | null;
    try {
      r = decodeGroupRecord(rec, this.topicIds);
    } catch (err) {
      this.logger?.warn({ topic: OFFSETS_TOPIC, keyBytes: rec.key.length, err: String(err) }, 'skipped a record that is not a group coordinator record');
      return;
    }
    if (r) this.state.replay(r, true);
  }

  /**
   * The only way groups and offsets change at run time: the records go to
   * `__consumer_offsets` (acks=all in cluster mode) and are replayed once
   * acknowledged. A failed write throws and replays nothing.
   */
  private async write(groupId: string, records: readonly GroupRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.stateLog) await this.stateLog.append(groupId, records.map((r) => encodeGroupRecord(r, this.topicIds)));
    // Cluster mode: the partition moved away (its groups were dropped) while the write was in flight.
    if (!this.ownsGroup(groupId)) throw new CoordinatorWriteError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `group ${groupId} moved while writing`);
    for (const r of records) this.state.replay(r);
  }

  private writeFailed(groupId: string, operation: string, err: unknown): void {
    this.writeFailures.note(operation);
    this.logger?.warn({ group: groupId, operation, err: String(err) }, 'group coordinator write failed');
  }

  /** Writes whose failure nobody waits for (a protocol switch, the rewrite after an abort): logged and counted, never swallowed. */
  private writeLogged(groupId: string, operation: string, records: readonly GroupRecord[]): Promise<void> {
    return this.write(groupId, records).catch((err: unknown) => this.writeFailed(groupId, operation, err));
  }

  /** A group id names one group: classic or consumer. An empty group may switch protocol; a live one may not. */
  private classicGroup(groupId: string, create: boolean): ClassicGroup | null | undefined {
    const other = this.consumerGroups.get(groupId);
    if (other) {
      if (other.members.size > 0) return null;
      if (!create) return undefined;
      // The id now names a classic group: the empty consumer group goes when its tombstones are replayed, so a
      // restart does not bring it back. The join goes on at once (classic membership is runtime state until its
      // first rebalance is written); a failed write leaves the empty consumer group, and the next join retries.
      void this.writeLogged(groupId, 'switch-to-classic', [{ type: 'legacy-consumer-group', group: groupId, value: null }, ...consumerGroupTombstones(other)]);
    }
    let g = this.groups.get(groupId);
    if (!g && create) {
      g = new ClassicGroup(groupId, this.clock.now());
      this.groups.set(groupId, g);
    }
    return g;
  }

  /** The consumer group of the id; null when a classic group with members (or joining ones) holds it. */
  private consumerGroup(groupId: string): (ConsumerGroup & { legacy?: boolean }) | null | undefined {
    const other = this.groups.get(groupId);
    if (other && (other.members.size > 0 || other.pendingMembers.size > 0)) return null;
    return this.consumerGroups.get(groupId);
  }

  consumerHeartbeat(p: ConsumerHeartbeatParams): Promise<ConsumerHeartbeatOutcome> {
    return this.consumer.heartbeat(p);
  }

  describeConsumerGroup(groupId: string): ConsumerGroupView {
    return describeConsumerGroup(this.views, groupId);
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
      if (p.generationId >= 0) return all(p.groupIdNotFound ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
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

  private async writeOffsets(p: CommitParams, plain = true): Promise<PartitionResult[]> {
    const now = this.clock.now();
    const results: PartitionResult[] = [];
    const accepted: OffsetToCommit[] = [];
    const records: GroupRecord[] = [];
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
      accepted.push(o);
      records.push(offsetRecord(p.groupId, o.topic, o.partition, value));
      results.push({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.NONE });
    }
    try {
      await this.write(p.groupId, records);
    } catch (err) {
      this.writeFailed(p.groupId, plain ? 'offset-commit' : 'txn-offset-commit', err);
      const code = groupWriteError(err);
      return results.map((r) => (r.errorCode === ErrorCode.NONE ? { ...r, errorCode: code } : r));
    }
    if (plain) this.txnOffsetOrder.notePlainCommit(p.groupId, accepted);
    return results;
  }

  /** OffsetFetch for one group; `topics` null means every committed offset of the group. */
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }> | null): { errorCode: number; topics: FetchedTopic[] } {
    return fetchOffsets(this.offsets, groupId, topics);
  }

  async deleteOffsets(groupId: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): Promise<{
    errorCode: number;
    results: PartitionResult[];
  }> {
    const group = this.groups.get(groupId);
    const cg = this.consumerGroups.get(groupId);
    if (!group && !cg && !this.offsets.hasOffsets(groupId)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, results: [] };
    let subscribed: readonly string[] = NO_TOPICS;
    if (cg) subscribed = [...this.consumer.subscribedTopics(cg)];
    if (group && !group.is('Empty') && !group.is('Dead')) {
      if (group.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, results: [] };
      const set = new Set<string>();
      for (const m of group.members.values()) for (const t of subscribedTopics(m.metadataFor(group.protocolName ?? ''))) set.add(t);
      subscribed = [...set];
    }
    const results: PartitionResult[] = [];
    const records: GroupRecord[] = [];
    for (const { topic, partitions } of topics) {
      for (const partition of partitions) {
        if (subscribed.includes(topic)) {
          results.push({ topic, partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC });
          continue;
        }
        results.push({ topic, partition, errorCode: ErrorCode.NONE });
        if (this.offsets.get(groupId, topic, partition)) records.push(offsetRecord(groupId, topic, partition, null));
      }
    }
    try {
      await this.write(groupId, records);
    } catch (err) {
      this.writeFailed(groupId, 'offset-delete', err);
      return { errorCode: groupWriteError(err), results: [] };
    }
    return { errorCode: ErrorCode.NONE, results };
  }

  // ---- admin views ----

  listGroups(stateFilter: readonly string[], typeFilter: readonly string[]): GroupListing[] {
    return listGroups(this.views, stateFilter, typeFilter);
  }

  describeGroup(groupId: string): DescribedGroup {
    return describeGroup(this.views, groupId);
  }

  /** A live classic or consumer group of this id (what ListGroups would list), found without listing them all. */
  hasGroup(groupId: string): boolean {
    const g = this.groups.get(groupId);
    return (g !== undefined && !g.is('Dead')) || this.consumerGroups.has(groupId);
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
      this.writeFailed(groupId, 'group-delete', err);
      return groupWriteError(err);
    }
    // Replay dropped it; whoever still holds the object sees it dead.
    if (cg) cg.dead = true;
    return ErrorCode.NONE;
  }

  /** An empty group without offsets goes (in a consumer group's turn, so that no heartbeat is adding a member meanwhile). */
  private removeIfEmpty(groupId: string): Promise<boolean> {
    const check = async () => {
      const g = this.groups.get(groupId);
      const cg = this.consumerGroups.get(groupId);
      if (this.offsets.hasOffsets(groupId) || (!g && !cg) || (g && !g.is('Empty')) || (cg && cg.members.size > 0)) return false;
      await this.removeGroupAndOffsets(groupId);
      return true;
    };
    return this.consumerGroups.has(groupId) ? this.consumer.serialized(groupId, check) : check();
  }

  private async removeGroupAndOffsets(groupId: string): Promise<void> {
    const records: GroupRecord[] = [];
    for (const [topic, parts] of this.offsets.topicsOf(groupId)) {
      for (const partition of parts.keys()) records.push(offsetRecord(groupId, topic, partition, null));
    }
    records.push({ type: 'group-metadata', group: groupId, value: null });
    records.push({ type: 'legacy-consumer-group', group: groupId, value: null });
    const cg = this.consumerGroups.get(groupId);
    if (cg) records.push(...consumerGroupTombstones(cg));
    await this.write(groupId, records);
  }

  /** A deleted topic's committed offsets go with it (Kafka's onPartitionsDeleted): a topic re-created under its name starts at auto.offset.reset. */
  forgetTopic(topic: string): Promise<number> {
    return this.cleanup.forgetTopic(topic);
  }

  /** offsets.retention.minutes (src/groups/offsetCleanup.ts). */
  expireOffsets(): Promise<number> {
    return this.cleanup.expire();
  }
}
