import { ErrorCode } from '../../protocol/errors';
import type { PartitionLog } from '../../storage';
import { backoffFor, canonicalGroupConfigs, resolveShareConfig } from './config';
import { freshGroupEntry, refreshBorrowedGroups, replayGroupRecords } from './groupLoad';
import {
  acquiredBy,
  archiveSpent,
  nextDeadlines,
  planAck,
  planReleaseMember,
  validAckBatches,
  normalize,
  type PartitionSnapshot,
  type ReleaseRules,
  type Run,
  type Settled,
  RecordState,
} from './partitionState';
import type { ShareStateRecord } from './records';
import { listShareGroups, waitForWork, type ListedShareGroup } from './coordinatorViews';
import type { AckRange, FetchedPartition, ShareCoordinatorDeps, ShareGroupEntry } from './coordinatorTypes';
import { revalidateSharePartition, sharePartitionKey, takeOverSharePartition } from './takeOver';
import { deadLetter, dedupeBatches, settle, voidAcquisitions, type Committed } from './coordinatorSteps';
import { membershipRecords, restoreMembers } from './membershipRecords';
import { SharePartition, planAcquire, readBatchesCovering } from './sharePartition';

export type { AckRange, FetchedPartition, ShareClusterView, ShareCoordinatorDeps, ShareGroupEntry, ShareTopics } from './coordinatorTypes';

const partKey = sharePartitionKey;

/**
 * The share-group coordinator and share-partition owner of a broker. State that survives a
 * crash (groups, their configs, share-partition snapshots) changes only in `replay`, which
 * runs for every record of `__brook_share_state` at start and for each write once the log
 * acknowledged it; a failed write is never replayed, so it changes nothing.
 */
export class ShareCoordinator {
  readonly groups = new Map<string, ShareGroupEntry>();
  readonly partitions = new Map<string, SharePartition>();
  private readonly now: () => number;
  private sweeper: NodeJS.Timeout | null = null;
  private readonly groupLoads = new Map<string, Promise<void>>();
  private stopped = false;
  /** Notified when a member leaves or times out, so its share sessions can be dropped. */
  onMemberGone: (group: string, memberId: string) => void = () => undefined;

  constructor(private readonly deps: ShareCoordinatorDeps) {
    this.now = deps.now ?? Date.now;
  }

  async start(): Promise<void> {
    // Cluster mode loads lazily, from where the state is now, when this broker takes a group or share-partition over.
    if (!this.deps.cluster) {
      for await (const r of this.deps.log.load()) this.replay(r, false);
      for (const sp of this.partitions.values()) this.schedule(sp);
      for (const g of this.groups.values()) restoreMembers(g.membership, g.persisted, this.deps.topics, this.now());
    }
    this.sweeper = setInterval(() => this.sweepMembers(), 1000);
    this.sweeper.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const sp of this.partitions.values()) {
      if (sp.lockTimer) clearTimeout(sp.lockTimer);
      if (sp.wakeTimer) clearTimeout(sp.wakeTimer);
      sp.wake();
    }
  }

  // ---- the only state change ----

  /** Applies one persisted record. At load (`live` false) acquisitions are void: their members' sessions died with the broker. */
  replay(r: ShareStateRecord, live: boolean): void {
    switch (r.kind) {
      case 'group': {
        if (r.deleted) {
          this.groups.delete(r.group);
          // Cluster mode: share-partitions are not in the group's log, so only a live deletion drops them.
          if (live || !this.deps.cluster) for (const [k, sp] of this.partitions) if (sp.group === r.group) this.dropPartition(k, sp);
        } else {
          const g = this.groupEntry(r.group);
          g.exists = true;
          if (r.epoch !== undefined) g.persisted.epoch = r.epoch;
        }
        return;
      }
      case 'member': {
        const members = this.groupEntry(r.group).persisted.members;
        if (r.member) members.set(r.memberId, JSON.stringify(r.member));
        else members.delete(r.memberId);
        return;
      }
      case 'config': {
        const g = this.groupEntry(r.group);
        // records written before Brook used Kafka's group config names carry the former ones
        g.configs = canonicalGroupConfigs(r.configs);
        g.config = resolveShareConfig(g.configs);
        return;
      }
      case 'partition': {
        const key = partKey(r.group, r.topicId, r.partition);
        if (!r.snapshot) {
          const sp = this.partitions.get(key);
          if (sp) this.dropPartition(key, sp);
          return;
        }
        let sp = this.partitions.get(key);
        if (!sp) {
          const topic = this.deps.topics.byId(Buffer.from(r.topicId, 'hex'));
          sp = new SharePartition(r.group, r.topicId, topic?.name ?? '', r.partition);
          this.partitions.set(key, sp);
        }
        const snap = live ? r.snapshot : voidAcquisitions(r.snapshot);
        sp.snapshot = snap;
        if (live) this.schedule(sp);
        return;
      }
    }
  }

  private async persist(records: ShareStateRecord[]): Promise<void> {
    await this.deps.log.append(records);
    for (const r of records) this.replay(r, true);
  }

  private groupEntry(id: string): ShareGroupEntry {
    let g = this.groups.get(id);
    if (!g) {
      g = freshGroupEntry(id);
      this.groups.set(id, g);
    }
    return g;
  }

  /** Internal: forgets a share-partition (its timers, its waiting fetches). */
  dropPartition(key: string, sp: SharePartition): void {
    if (sp.lockTimer) clearTimeout(sp.lockTimer);
    if (sp.wakeTimer) clearTimeout(sp.wakeTimer);
    this.partitions.delete(key);
    sp.wake();
  }

  // ---- groups ----

  group(id: string): ShareGroupEntry | undefined {
    const g = this.groups.get(id);
    return g && (g.exists || g.membership.members.size > 0) ? g : undefined;
  }

  /** ListGroups rows of the share groups, filtered like Kafka (case-insensitive states and types; empty = all). */
  listGroups(states: readonly string[], types: readonly string[]): ListedShareGroup[] {
    return listShareGroups([...this.groups.values()].filter((g) => this.coordinates(g.id)), states, types);
  }

  /** Whether this broker is the group's coordinator (always on a single broker); a data leader only borrows its configs. */
  coordinates(id: string): boolean {
    return !this.deps.cluster || this.deps.cluster.groupPlacement(id)?.leads === true;
  }

  /** Creates the share group (persisted) if it does not exist yet. */
  async ensureGroup(id: string): Promise<ShareGroupEntry> {
    const g = this.groups.get(id);
    if (g?.exists) return g;
    await this.persist([{ kind: 'group', group: id, deleted: false }]);
    return this.groupEntry(id);
  }

  /** Persists the membership changes of the last heartbeat (joins, leaves, epochs); nothing when there are none. */
  async syncMembership(id: string): Promise<void> {
    const g = this.groups.get(id);
    if (!g) return;
    const records = membershipRecords(id, g.membership, g.persisted);
    if (records.length > 0) await this.persist(records);
  }

  /**
   * Cluster mode: (re)loads a group's records when this broker sees it for the first time at the
   * current leader epoch of its `__consumer_offsets` partition: as its coordinator (members come
   * back with their epochs) or, for its configs, as the leader of one of its data partitions.
   */
  async loadGroup(id: string, force = false): Promise<void> {
    const cluster = this.deps.cluster;
    if (!cluster) return;
    const inFlight = this.groupLoads.get(id);
    if (inFlight) return inFlight;
    const at = cluster.groupPlacement(id);
    if (!at) return;
    const old = this.groups.get(id);
    // A takeover refreshes a data leader's view of the configs; the coordinator's own view is always current.
    if (old && old.loadedAt === at.epoch && (!force || at.leads)) return;
    const load = (async () => {
      const g = await replayGroupRecords(this, cluster, id, at);
      if (old && !at.leads) g.membership = old.membership;
      if (at.leads) restoreMembers(g.membership, g.persisted, this.deps.topics, this.now());
    })().finally(() => this.groupLoads.delete(id));
    this.groupLoads.set(id, load);
    return load;
  }

  async setConfigs(id: string, configs: Map<string, string>): Promise<void> {
    await this.persist([{ kind: 'config', group: id, configs: Object.fromEntries(configs) }]);
  }

  /**
   * DeleteGroups: only an empty group; its share-partition states go with it. Cluster mode: every
   * share-partition's state is deleted at the share coordinator (Kafka's group coordinator does the
   * same, DeleteShareGroupState), under a new state epoch, so the leaders' copies are fenced/dropped.
   */
  async deleteGroup(id: string): Promise<number> {
    const g = this.group(id);
    if (!g) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g.membership.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    const parts = new Map<string, { topicId: string; partition: number }>();
    for (const sp of this.partitions.values()) if (sp.group === id) parts.set(partKey(id, sp.topicId, sp.partition), sp);
    if (this.deps.cluster) {
      for (const t of this.deps.topics.all?.() ?? []) {
        if (t.name.startsWith('__')) continue;
        for (let p = 0; p < t.partitions; p++) parts.set(partKey(id, t.id.toString('hex'), p), { topicId: t.id.toString('hex'), partition: p });
      }
    }
    const records: ShareStateRecord[] = [...parts.values()].map((x) => ({ kind: 'partition', group: id, topicId: x.topicId, partition: x.partition, snapshot: null }));
    records.push({ kind: 'config', group: id, configs: {} }, { kind: 'group', group: id, deleted: true });
    await this.persist(records);
    return ErrorCode.NONE;
  }

  /** Removes a member (leave, session timeout) and releases what it holds. */
  async removeMember(groupId: string, memberId: string): Promise<void> {
    const g = this.groups.get(groupId);
    if (!g || !g.membership.members.delete(memberId)) return;
    g.membership.groupEpoch++;
    g.membership.reassign(this.deps.topics);
    this.onMemberGone(groupId, memberId);
    await this.syncMembership(groupId).catch((err: unknown) => this.deps.logger.warn({ group: groupId, err: String(err) }, 'member departure not persisted'));
    await this.releaseMember(groupId, memberId);
  }

  private sweepMembers(): void {
    if (this.deps.cluster) refreshBorrowedGroups(this, this.deps.cluster, this.deps.logger);
    const now = this.now();
    for (const g of this.groups.values()) {
      if (!this.coordinates(g.id)) continue;
      for (const m of g.membership.expired(now, g.config.sessionTimeoutMs)) {
        this.deps.logger.info({ group: g.id, member: m }, 'share group member session expired');
        void this.removeMember(g.id, m).catch((err: unknown) => this.deps.logger.error({ group: g.id, err: String(err) }, 'cannot release records of an expired member'));
      }
    }
  }

  // ---- share-partitions ----

  sharePartition(group: string, topicId: Buffer, partition: number): SharePartition | undefined {
    return this.partitions.get(partKey(group, topicId.toString('hex'), partition));
  }

  /** Cluster mode, at a share session's start: drops a copy an administrative reset made stale (see revalidateSharePartition). */
  async revalidate(groupId: string, topicId: Buffer, partition: number): Promise<void> {
    if (this.deps.cluster) await revalidateSharePartition(this, this.deps.cluster, groupId, topicId, partition);
  }

  /** Cluster mode: the share-partition as of this broker's leadership of the data partition (see takeOverSharePartition). */
  private takeOver(groupId: string, topic: { id: Buffer; name: string }, partition: number): Promise<number> {
    return this.deps.cluster ? takeOverSharePartition(this, this.deps.cluster, this.deps.logger, groupId, topic, partition) : Promise.resolve(ErrorCode.NONE);
  }

  private rules(g: ShareGroupEntry): ReleaseRules {
    return { deliveryCountLimit: g.config.deliveryCountLimit, backoff: (dc) => backoffFor(g.config, dc) };
  }

  /** The share-partition, initialized (persisted) at share.auto.offset.reset on first use. */
  private async open(g: ShareGroupEntry, topic: { id: Buffer; name: string }, partition: number, log: PartitionLog): Promise<SharePartition> {
    const key = partKey(g.id, topic.id.toString('hex'), partition);
    let sp = this.partitions.get(key);
    if (!sp) {
      sp = new SharePartition(g.id, topic.id.toString('hex'), topic.name, partition);
      this.partitions.set(key, sp);
    }
    const s = sp;
    if (!s.current) {
      await s.serialize(async () => {
        if (s.current) return;
        const start = g.config.autoOffsetReset === 'earliest' ? log.logStartOffset : log.highWatermark;
        await this.writeSnapshot(s, { startOffset: start, runs: [] });
      });
    }
    return s;
  }

  /**
   * Enqueues the write of a planned snapshot. The next plan on this share-partition builds on it
   * at once (pipelining: many members' fetches and acknowledgements share one append); the
   * caller answers only when the returned promise resolves, after the replay. If the append
   * fails, the plans made on top of it are refused unwritten and planning restarts from the
   * last replayed snapshot, so a failed write changes nothing.
   */
  private writeSnapshot(sp: SharePartition, snapshot: PartitionSnapshot): Promise<void> {
    const generation = sp.generation;
    sp.pending = snapshot;
    const record: ShareStateRecord = { kind: 'partition', group: sp.group, topicId: sp.topicId, partition: sp.partition, snapshot, leaderEpoch: sp.leaderEpoch, stateEpoch: sp.stateEpoch };
    return this.deps.log
      .append([record], {
        valid: () => sp.generation === generation,
        failed: () => {
          if (sp.generation !== generation) return;
          sp.generation++;
          sp.pending = null;
        },
      })
      .then(
        () => {
          this.replay(record, true);
          if (sp.pending === snapshot) sp.pending = null;
        },
        (err: unknown) => {
          // Reset by an admin (state epoch) or taken over by a newer leader: what this broker holds is stale; reload on next use.
          const code = (err as { errorCode?: number }).errorCode;
          if (code === ErrorCode.FENCED_STATE_EPOCH || code === ErrorCode.FENCED_LEADER_EPOCH) {
            const key = partKey(sp.group, sp.topicId, sp.partition);
            if (this.partitions.get(key) === sp) this.dropPartition(key, sp);
          }
          throw err;
        },
      );
  }

  /**
   * ShareFetch for one partition: acquires records for the member under a lock of the
   * group's duration. The acquisition is persisted (delivery counts survive a crash) before
   * the records are handed out.
   */
  async acquire(groupId: string, topic: { id: Buffer; name: string }, partition: number, member: string, maxRecords: number, maxBytes: number): Promise<FetchedPartition | { errorCode: number }> {
    const taken = await this.takeOver(groupId, topic, partition);
    if (taken !== ErrorCode.NONE) return { errorCode: taken };
    const g = this.groups.get(groupId);
    if (!g) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
    const found = await this.deps.partitionLog(topic.name, partition);
    if ('errorCode' in found) return found;
    const log = found.log;
    const filter = found.filter ?? null;
    const sp = await this.open(g, topic, partition, log);
    const step = await sp.serialize(async () => {
      const now = this.now();
      // A restart or takeover voids acquisitions but keeps their delivery counts: those at the limit are done, as a release there would have made them.
      const dead: Settled[] = [];
      const spent = archiveSpent(sp.current!.runs, g.config.deliveryCountLimit, dead);
      const archived = spent ? await this.commit(g, sp, sp.current!.startOffset, spent, dead, now) : null;
      if (archived && archived.errorCode !== 0) return archived;
      // the acquisition planned next is written after the archive or fails with it; a lone archive's failure is logged
      if (archived) void settle(archived, this.deps.logger);
      const plan = await planAcquire(sp.current!, log, member, maxRecords, maxBytes, now + g.config.lockDurationMs, now, g.config.readCommitted, filter);
      return plan ? { plan, written: this.writeSnapshot(sp, plan.snapshot) } : null;
    });
    if (!step) return { acquired: [], batches: [] };
    if ('errorCode' in step) return { errorCode: step.errorCode };
    try {
      await step.written;
    } catch (err) {
      this.deps.logger.warn({ group: groupId, topic: topic.name, partition, err: String(err) }, 'share acquisition not persisted; nothing handed out');
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    }
    const redelivered = step.plan.acquired.filter((a) => a.deliveryCount > 1);
    const old = redelivered.length > 0 ? await readBatchesCovering(log, redelivered, maxBytes, filter !== null) : [];
    return { acquired: step.plan.acquired, batches: dedupeBatches([...old, ...step.plan.newBatches]), more: step.plan.more };
  }

  /** Acknowledgements of one partition: all or nothing; INVALID_REQUEST for malformed, unordered or overlapping batches, INVALID_RECORD_STATE when a range is not held by the member. */
  async acknowledge(groupId: string, topicId: Buffer, partition: number, member: string, ranges: readonly AckRange[]): Promise<number> {
    if (!validAckBatches(ranges)) return ErrorCode.INVALID_REQUEST;
    const topic = this.deps.topics.byId(topicId);
    if (this.deps.cluster && topic) {
      const taken = await this.takeOver(groupId, topic, partition);
      if (taken !== ErrorCode.NONE) return taken;
    }
    const g = this.groups.get(groupId);
    const sp = this.sharePartition(groupId, topicId, partition);
    if (!g || !sp) return ErrorCode.INVALID_RECORD_STATE;
    const step = await sp.serialize(async (): Promise<Committed> => {
      const snap = sp.current;
      if (!snap) return { errorCode: ErrorCode.INVALID_RECORD_STATE, written: null };
      for (const r of ranges) {
        if (!acquiredBy(snap, r.firstOffset, r.lastOffset, member)) {
          this.deps.logger.info({ group: groupId, member, topic: sp.topicName, partition, first: r.firstOffset, last: r.lastOffset }, 'acknowledgement refused: records not acquired by this member');
          return { errorCode: ErrorCode.INVALID_RECORD_STATE, written: null };
        }
      }
      const now = this.now();
      const dead: Settled[] = [];
      let runs: Run[] = [...snap.runs];
      const rules = this.rules(g);
      for (const r of ranges) runs = planAck(runs, r.firstOffset, r.lastOffset, r.acknowledgeTypes, rules, now, dead);
      return this.commit(g, sp, snap.startOffset, runs, dead, now);
    });
    return settle(step, this.deps.logger);
  }

  /** Releases everything a member holds on every share-partition of the group (session closed, member gone). */
  async releaseMember(groupId: string, member: string, only?: ReadonlySet<string>): Promise<void> {
    const g = this.groups.get(groupId);
    if (!g) return;
    for (const sp of [...this.partitions.values()]) {
      if (sp.group !== groupId || (only && !only.has(`${sp.topicId}:${sp.partition}`))) continue;
      const step = await sp.serialize(async (): Promise<Committed> => {
        const snap = sp.current;
        if (!snap || !snap.runs.some((r) => r.state === RecordState.ACQUIRED && r.member === member)) return { errorCode: 0, written: null };
        const now = this.now();
        const dead: Settled[] = [];
        const runs = planReleaseMember([...snap.runs], member, now, this.rules(g), dead);
        return this.commit(g, sp, snap.startOffset, runs, dead, now);
      });
      await settle(step, this.deps.logger);
    }
  }

  private async expireLocks(sp: SharePartition): Promise<void> {
    const g = this.groups.get(sp.group);
    if (!g || this.stopped) return;
    let early = false;
    const step = await sp.serialize(async (): Promise<Committed> => {
      const snap = sp.current;
      const now = this.now();
      if (!snap || !snap.runs.some((r) => r.state === RecordState.ACQUIRED && r.lockUntil <= now)) {
        early = snap !== null && snap === sp.snapshot;
        return { errorCode: 0, written: null };
      }
      const dead: Settled[] = [];
      const runs = planReleaseMember([...snap.runs], null, now, this.rules(g), dead);
      return this.commit(g, sp, snap.startOffset, runs, dead, now);
    });
    await settle(step, this.deps.logger);
    // A timer may fire before the clock shows its deadline: libuv counts from the loop's cached time, which runs
    // behind when the turn that set it was long. Nothing else would look at this lock again until the holder's
    // session ended, so the timer is set again for what is left (a pending write re-arms it when it replays).
    if (early) this.schedule(sp);
  }

  /** Copies dead records to the DLQ, then enqueues the new snapshot. */
  private async commit(g: ShareGroupEntry, sp: SharePartition, startOffset: number, runs: Run[], dead: Settled[], now: number): Promise<Committed> {
    const errorCode = await deadLetter(this.deps, g, sp, dead, now);
    return errorCode !== 0 ? { errorCode, written: null } : { errorCode, written: this.writeSnapshot(sp, normalize(startOffset, runs)) };
  }

  /** Lock-expiry and back-off timers of a share-partition after a replay; waiting fetches are woken. */
  schedule(sp: SharePartition): void {
    if (this.stopped || !sp.snapshot) return;
    const now = this.now();
    const { lockUntil, availableAt } = nextDeadlines(sp.snapshot.runs, now);
    if (sp.lockTimer) clearTimeout(sp.lockTimer);
    sp.lockTimer = null;
    if (lockUntil !== Infinity) {
      sp.lockTimer = setTimeout(() => void this.expireLocks(sp).catch((err: unknown) => this.deps.logger.error({ err: String(err) }, 'cannot expire share locks')), Math.max(0, lockUntil - now));
      sp.lockTimer.unref();
    }
    if (sp.wakeTimer) clearTimeout(sp.wakeTimer);
    sp.wakeTimer = null;
    if (availableAt !== Infinity) {
      // through schedule(): a timer that fired early (see expireLocks) is set again instead of waking fetches for nothing
      sp.wakeTimer = setTimeout(() => this.schedule(sp), Math.max(0, availableAt - now));
      sp.wakeTimer.unref();
    }
    if (sp.snapshot.runs.some((r) => r.state === RecordState.AVAILABLE && r.availableAt <= now)) sp.wake();
  }

  /** Resolves when one of the partitions may have work (an append, a release, a back-off ending) or after `ms`. */
  waitForWork(group: string, parts: ReadonlyArray<{ topicId: Buffer; partition: number }>, ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return waitForWork(parts, ms, {
      sharePartition: (topicId, partition) => this.sharePartition(group, topicId, partition),
      topicName: (topicId) => this.deps.topics.byId(topicId)?.name,
      partitionLog: (name, partition) => this.deps.partitionLog(name, partition),
    });
  }

  /** AlterShareGroupOffsets: a new start offset, forgetting in-flight records (group must be empty). */
  async resetStartOffset(groupId: string, topic: { id: Buffer; name: string }, partition: number, startOffset: number): Promise<number> {
    const g = this.groups.get(groupId);
    if (!g) return ErrorCode.GROUP_ID_NOT_FOUND;
    const key = partKey(groupId, topic.id.toString('hex'), partition);
    let sp = this.partitions.get(key);
    if (!sp) {
      sp = new SharePartition(groupId, topic.id.toString('hex'), topic.name, partition);
      this.partitions.set(key, sp);
    }
    const s = sp;
    await s.serialize(() => this.writeSnapshot(s, { startOffset, runs: [] }));
    return ErrorCode.NONE;
  }

  async deleteStartOffset(groupId: string, topicId: Buffer, partition: number): Promise<void> {
    const sp = this.sharePartition(groupId, topicId, partition);
    if (!sp) return;
    await sp.serialize(() => this.persist([{ kind: 'partition', group: groupId, topicId: sp.topicId, partition, snapshot: null }]));
  }
}
