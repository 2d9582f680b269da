import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors';
import { ASSIGNORS, type AssignorMember, type TopicAssignment } from './assignors';
import type { Clock } from './clock';
import { ConsumerGroup, ConsumerMember, restoreConsumerGroup, snapshotConsumerGroup } from './consumerGroup';
import { consumerGroupChanges } from './consumerGroupChanges';
import { groupSubscribedTopics, resolveTopics } from './consumerSubscription';
import type { GroupRecord } from './groupRecords';
import { groupWriteError } from './writeErrors';

export interface CatalogTopic {
  name: string;
  id: Buffer;
  partitions: number;
}

/** The topic metadata the server-side assignment needs. */
export interface TopicCatalog {
  byName(name: string): CatalogTopic | undefined;
  byId(id: Buffer): CatalogTopic | undefined;
  names(): string[];
  /**
   * Moves whenever a topic is created or deleted or gains partitions. Without
   * it every heartbeat resolves its group's subscriptions against the catalog again.
   */
  version?(): number;
}

export interface WireTopicPartitions {
  topicId: Buffer;
  partitions: number[];
}

export interface ConsumerHeartbeatParams {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  ownedPartitions: WireTopicPartitions[] | null;
  clientId: string;
  clientHost: string;
}

export interface ConsumerHeartbeatOutcome {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: WireTopicPartitions[] | null;
}

export interface ConsumerHooks {
  /** The consumer group with this id; null when a classic group with members holds the id. */
  groupFor(groupId: string): (ConsumerGroup & { legacy?: boolean }) | null | undefined;
  /** Records that must go with the creation of the group (the tombstone of an empty classic group of the id). */
  creationRecords(groupId: string): GroupRecord[];
  /** Appends the records and, once acknowledged, replays them (the only way the group changes); throws when the write failed. */
  write(groupId: string, records: GroupRecord[]): Promise<void>;
  /** A write that failed with nobody to answer (a timer's): logged and counted. */
  writeFailed(groupId: string, operation: string, err: unknown): void;
  log(msg: string, fields: Record<string, unknown>): void;
  /** The group's session timeout and heartbeat interval (its group configs, else the broker's). */
  timeouts(groupId: string): { sessionTimeoutMs: number; heartbeatIntervalMs: number };
}

/** A working copy of a group: a heartbeat changes the copy, and its records change the group once written. */
function copyOf(g: ConsumerGroup): ConsumerGroup {
  return restoreConsumerGroup(g.groupId, snapshotConsumerGroup(g));
}

const LEAVE_EPOCH = -1;
const STATIC_LEAVE_EPOCH = -2;

function cloneAssignment(a: TopicAssignment): TopicAssignment {
  return new Map([...a].map(([t, s]) => [t, new Set(s)]));
}

function minus(a: TopicAssignment, b: TopicAssignment): TopicAssignment {
  const out: TopicAssignment = new Map();
  for (const [t, s] of a) {
    const keep = [...s].filter((p) => !b.get(t)?.has(p));
    if (keep.length > 0) out.set(t, new Set(keep));
  }
  return out;
}

/**
 * The KIP-848 consumer group protocol: members heartbeat their subscription,
 * the coordinator computes a target assignment with a server-side assignor and
 * moves each member towards it, revoking before it hands a partition to
 * someone else. Epochs fence zombies.
 */
export class ConsumerCoordinator {
  constructor(
    private readonly clock: Clock,
    private readonly catalog: TopicCatalog,
    private readonly hooks: ConsumerHooks,
    private readonly defaultAssignor: string,
  ) {}

  /**
   * Catalog version and group epoch at each group's last target check. Topics,
   * members and subscriptions move one or the other, so a heartbeat that finds
   * both unchanged skips resolving every member's subscription (a regex against
   * every topic name): a steady group's heartbeats cost the same with 10 or
   * 10,000 topics.
   */
  private readonly targetChecked = new Map<string, { version: number; groupEpoch: number }>();

  /** Heartbeats and timers of one group run one at a time: each computes its records from the state the previous one left. */
  private readonly queues = new Map<string, Promise<unknown>>();

  /** Runs `fn` after every change of the group already queued, and before any queued later (a group's heartbeats change it one at a time). */
  serialized<T>(groupId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(groupId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.queues.set(groupId, tail);
    void tail.then(() => {
      if (this.queues.get(groupId) === tail) this.queues.delete(groupId);
    });
    return run;
  }

  /**
   * Changes `groupId` with `change` applied to a working copy: the records of
   * what changed are written and replayed, so a failed write changes nothing.
   * Throws the write's error.
   */
  private async commit(groupId: string, real: (ConsumerGroup & { legacy?: boolean }) | undefined, copy: ConsumerGroup): Promise<void> {
    // A group read from Brook's earlier snapshot record is written out whole in Kafka's records once.
    const records: GroupRecord[] = real?.legacy ? [{ type: 'legacy-consumer-group', group: groupId, value: null }] : [];
    if (!real) records.push(...this.hooks.creationRecords(groupId));
    records.push(...consumerGroupChanges(real?.legacy ? undefined : real, copy));
    if (records.length > 0) await this.hooks.write(groupId, records);
  }

  private outcome(errorCode: number, errorMessage: string | null, memberId: string | null = null, memberEpoch = 0): ConsumerHeartbeatOutcome {
    return { errorCode, errorMessage, memberId, memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  /**
   * Applies one heartbeat to a copy of the group; when it changed the group
   * (membership, subscription, epochs, assignments) the records of the change
   * are written and replayed before the member hears of it.
   */
  heartbeat(p: ConsumerHeartbeatParams): Promise<ConsumerHeartbeatOutcome> {
    if (!p.groupId) return Promise.resolve(this.outcome(ErrorCode.INVALID_REQUEST, 'GroupId can not be empty.'));
    return this.serialized(p.groupId, async () => {
      const real = this.hooks.groupFor(p.groupId);
      const copy = real ? copyOf(real) : real === undefined && p.memberEpoch === 0 ? new ConsumerGroup(p.groupId, this.defaultAssignor) : real;
      const out = this.apply(p, copy);
      // A group is created by its first member, not by a heartbeat that was refused.
      if (copy && (real || copy.members.size > 0)) {
        try {
          await this.commit(p.groupId, real ?? undefined, copy);
        } catch (err) {
          this.hooks.writeFailed(p.groupId, 'consumer-heartbeat', err);
          return this.outcome(groupWriteError(err), 'The group state could not be persisted.', p.memberId);
        }
      }
      // A leaving static member keeps the session of its last heartbeat: it holds its partitions until that runs out.
      this.syncTimers(p.groupId, out.errorCode === ErrorCode.NONE && p.memberEpoch >= 0 ? out.memberId : null);
      return out;
    });
  }

  private apply(p: ConsumerHeartbeatParams, group: ConsumerGroup | null | undefined): ConsumerHeartbeatOutcome {
    if (p.serverAssignor !== null && !ASSIGNORS.has(p.serverAssignor)) {
      return this.outcome(ErrorCode.UNSUPPORTED_ASSIGNOR, `Assignor ${p.serverAssignor} is not supported; use uniform or range.`);
    }
    if (p.subscribedTopicRegex !== null) {
      try {
        new RegExp(`^(?:${p.subscribedTopicRegex})$`);
      } catch {
        return this.outcome(ErrorCode.INVALID_REGULAR_EXPRESSION, `Invalid regular expression ${p.subscribedTopicRegex}.`);
      }
    }
    if (group === null) return this.outcome(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${p.groupId} is not a consumer group.`);
    if (!group) return this.outcome(ErrorCode.UNKNOWN_MEMBER_ID, null, p.memberId);

    if (p.memberEpoch === LEAVE_EPOCH || p.memberEpoch === STATIC_LEAVE_EPOCH) return this.leave(group, p);

    let member: ConsumerMember;
    let full = false;
    // Every change seen in one heartbeat (join, subscription, topic metadata) moves the group epoch once.
    let bump = false;
    if (p.memberEpoch === 0) {
      if (p.subscribedTopicNames === null && p.subscribedTopicRegex === null) {
        return this.outcome(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames or SubscribedTopicRegex must be set when joining.');
      }
      const joined = this.join(group, p);
      if ('errorCode' in joined) return joined;
      member = joined.member;
      bump = joined.isNew;
      full = true;
    } else {
      const existing = group.members.get(p.memberId);
      if (!existing) return this.outcome(ErrorCode.UNKNOWN_MEMBER_ID, null, p.memberId);
      if (p.memberEpoch !== existing.memberEpoch) {
        // A member that missed our last answer may repeat its previous epoch, as long as it owns nothing it should not.
        const lostResponse = p.memberEpoch === existing.previousMemberEpoch && p.ownedPartitions !== null &&
          this.ownedWithin(p.ownedPartitions, existing.assigned);
        if (!lostResponse) return this.outcome(ErrorCode.FENCED_MEMBER_EPOCH, 'The member epoch is fenced.', p.memberId);
        full = true;
      }
      member = existing;
    }

    if (this.updateSubscription(member, p)) bump = true;
    this.refreshTarget(group, bump);
    if (p.ownedPartitions !== null) this.acknowledgeRevocation(member, p.ownedPartitions);
    const changed = this.reconcile(group, member);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.hooks.timeouts(group.groupId).heartbeatIntervalMs,
      assignment: changed || full ? this.toWire(member.assigned) : null,
    };
  }

  private join(group: ConsumerGroup, p: ConsumerHeartbeatParams): { member: ConsumerMember; isNew: boolean } | ConsumerHeartbeatOutcome {
    const memberId = p.memberId || randomUUID();
    if (p.instanceId !== null) {
      const holderId = group.staticMembers.get(p.instanceId);
      const holder = holderId === undefined ? undefined : group.members.get(holderId);
      if (holder && holder.memberId !== memberId) {
        if (holder.memberEpoch !== STATIC_LEAVE_EPOCH) {
          return this.outcome(ErrorCode.UNRELEASED_INSTANCE_ID, `Instance id ${p.instanceId} is still in use.`, memberId);
        }
        // The restarted static member takes over its predecessor's partitions and target: no rebalance.
        const m = new ConsumerMember(memberId, p.clientId, p.clientHost);
        m.assigned = cloneAssignment(holder.assigned);
        m.memberEpoch = holder.previousMemberEpoch;
        m.subscribedTopicNames = holder.subscribedTopicNames;
        m.subscribedTopicRegex = holder.subscribedTopicRegex;
        m.serverAssignor = holder.serverAssignor;
        m.instanceId = holder.instanceId;
        const target = group.target.get(holder.memberId);
        this.dropMember(group, holder);
        group.members.set(memberId, m);
        group.staticMembers.set(p.instanceId, memberId);
        if (target) group.target.set(memberId, target);
        this.hooks.log('static member replaced', { group: group.groupId, instance: p.instanceId });
        return { member: m, isNew: false };
      }
    }
    const previous = group.members.get(memberId);
    if (previous) this.dropMember(group, previous);
    const m = new ConsumerMember(memberId, p.clientId, p.clientHost);
    group.members.set(memberId, m);
    if (p.instanceId !== null) group.staticMembers.set(p.instanceId, memberId);
    this.hooks.log('consumer member joined', { group: group.groupId, member: memberId });
    return { member: m, isNew: true };
  }

  private leave(group: ConsumerGroup, p: ConsumerHeartbeatParams): ConsumerHeartbeatOutcome {
    let member = group.members.get(p.memberId);
    if (!member && p.instanceId !== null) {
      const id = group.staticMembers.get(p.instanceId);
      member = id === undefined ? undefined : group.members.get(id);
    }
    if (!member) return this.outcome(ErrorCode.UNKNOWN_MEMBER_ID, null, p.memberId, p.memberEpoch);
    if (p.memberEpoch === STATIC_LEAVE_EPOCH && member.instanceId !== null) {
      // A static member going away temporarily keeps its partitions until its session expires.
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = STATIC_LEAVE_EPOCH;
    } else {
      this.removeMember(group, member, 'left');
    }
    return { ...this.outcome(ErrorCode.NONE, null, member.memberId, p.memberEpoch), heartbeatIntervalMs: this.hooks.timeouts(group.groupId).heartbeatIntervalMs };
  }

  /** Applies the heartbeat's member fields; true when the subscription changed. */
  private updateSubscription(m: ConsumerMember, p: ConsumerHeartbeatParams): boolean {
    let changed = false;
    if (p.subscribedTopicNames !== null) {
      const next = [...p.subscribedTopicNames].sort();
      if (next.join('\0') !== m.subscribedTopicNames.join('\0')) changed = true;
      m.subscribedTopicNames = next;
    }
    if (p.subscribedTopicRegex !== null) {
      // An empty regex is no regex. librdkafka sends "" in every full heartbeat, so comparing before this made
      // each one a subscription change: a new group epoch and a written target assignment per heartbeat.
      const regex = p.subscribedTopicRegex || null;
      if (regex !== m.subscribedTopicRegex) {
        m.subscribedTopicRegex = regex;
        changed = true;
      }
    }
    if (p.serverAssignor !== null && p.serverAssignor !== m.serverAssignor) {
      m.serverAssignor = p.serverAssignor;
      changed = true;
    }
    if (p.instanceId !== null) m.instanceId = p.instanceId;
    if (p.rackId !== null) m.rackId = p.rackId;
    if (p.rebalanceTimeoutMs > 0) m.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    m.clientId = p.clientId;
    m.clientHost = p.clientHost;
    return changed;
  }

  /** Every topic the group's members subscribe to now, by name or by regex (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC). */
  subscribedTopics(group: ConsumerGroup): Set<string> {
    return groupSubscribedTopics(group.members.values(), this.catalog);
  }

  /** Recomputes the target assignment when membership, subscriptions or topic metadata changed. */
  private refreshTarget(group: ConsumerGroup, bump: boolean): void {
    const version = this.catalog.version?.();
    const last = this.targetChecked.get(group.groupId);
    if (!bump && version !== undefined && last?.version === version && last.groupEpoch === group.groupEpoch && group.assignmentEpoch >= group.groupEpoch) return;
    this.computeTarget(group, bump);
    if (version !== undefined) this.targetChecked.set(group.groupId, { version, groupEpoch: group.groupEpoch });
  }

  private computeTarget(group: ConsumerGroup, bump: boolean): void {
    const members = [...group.members.values()];
    const resolved = new Map(members.map((m) => [m.memberId, resolveTopics(m, this.catalog)]));
    const counts = new Map<string, number>();
    for (const topics of resolved.values()) for (const t of topics) counts.set(t, this.catalog.byName(t)!.partitions);
    const fingerprint = [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([t, n]) => `${t}:${n}`).join(',');
    if (fingerprint !== group.metadataFingerprint) {
      group.metadataFingerprint = fingerprint;
      bump = true;
    }
    if (bump) group.groupEpoch++;
    if (group.assignmentEpoch >= group.groupEpoch) return;
    const preferred = members.find((m) => m.serverAssignor !== null)?.serverAssignor;
    group.assignorName = preferred ?? this.defaultAssignor;
    const assignor = ASSIGNORS.get(group.assignorName)!;
    const input: AssignorMember[] = members.map((m) => ({
      memberId: m.memberId,
      topics: resolved.get(m.memberId)!,
      current: group.target.get(m.memberId) ?? new Map(),
    }));
    group.target = assignor.assign(input, counts);
    group.assignmentEpoch = group.groupEpoch;
    this.hooks.log('target assignment computed', {
      group: group.groupId, epoch: group.assignmentEpoch, members: members.length, assignor: assignor.name,
    });
  }

  private acknowledgeRevocation(m: ConsumerMember, owned: WireTopicPartitions[]): void {
    if (m.revoking.size === 0) return;
    const ownedNames = this.fromWire(owned);
    for (const [t, s] of ownedNames) for (const p of s) if (m.revoking.get(t)?.has(p)) return;
    m.revoking = new Map();
  }

  /** Moves a member one step towards its target; true when its assignment or epoch changed. */
  private reconcile(group: ConsumerGroup, m: ConsumerMember): boolean {
    if (m.revoking.size > 0) return false;
    const target = group.target.get(m.memberId) ?? new Map<string, Set<number>>();
    const toRevoke = minus(m.assigned, target);
    if (toRevoke.size > 0) {
      m.assigned = minus(m.assigned, toRevoke);
      m.revoking = toRevoke;
      return true;
    }
    let changed = false;
    for (const [t, s] of target) {
      for (const p of s) {
        if (m.assigned.get(t)?.has(p) || group.isOwnedByOther(t, p, m.memberId)) continue;
        let held = m.assigned.get(t);
        if (!held) m.assigned.set(t, (held = new Set()));
        held.add(p);
        changed = true;
      }
    }
    if (m.memberEpoch !== group.assignmentEpoch) {
      m.previousMemberEpoch = m.memberEpoch;
      m.memberEpoch = group.assignmentEpoch;
      changed = true;
    }
    return changed;
  }

  private ownedWithin(owned: WireTopicPartitions[], assigned: TopicAssignment): boolean {
    for (const [t, s] of this.fromWire(owned)) for (const p of s) if (!assigned.get(t)?.has(p)) return false;
    return true;
  }

  private fromWire(tps: WireTopicPartitions[]): TopicAssignment {
    const out: TopicAssignment = new Map();
    for (const tp of tps) {
      const topic = this.catalog.byId(tp.topicId);
      if (!topic) continue;
      out.set(topic.name, new Set(tp.partitions));
    }
    return out;
  }

  toWire(a: TopicAssignment): WireTopicPartitions[] {
    const out: WireTopicPartitions[] = [];
    for (const [t, s] of a) {
      const topic = this.catalog.byName(t);
      if (topic && s.size > 0) out.push({ topicId: topic.id, partitions: [...s].sort((x, y) => x - y) });
    }
    return out;
  }

  /**
   * Runtime after a change was replayed: every member of the group has a
   * session timer (`heartbeating` gets a fresh one), and a revocation timer
   * exactly while it has partitions to give up.
   */
  private syncTimers(groupId: string, heartbeating: string | null): void {
    const group = this.hooks.groupFor(groupId);
    if (!group) return;
    for (const m of group.members.values()) {
      if (!m.sessionTimer || m.memberId === heartbeating) this.scheduleSession(group, m);
      if (m.revoking.size > 0 && !m.revocationTimer) {
        // A member that never confirms the revocation would block the others forever: fence it.
        m.revocationTimer = this.clock.schedule(m.rebalanceTimeoutMs, () => this.expire(group, m, 'revocation timed out', (x) => x.revoking.size > 0));
      } else if (m.revoking.size === 0 && m.revocationTimer) {
        m.revocationTimer.cancel();
        m.revocationTimer = null;
      }
    }
  }

  private scheduleSession(group: ConsumerGroup, m: ConsumerMember): void {
    m.sessionTimer?.cancel();
    m.sessionTimer = this.clock.schedule(this.hooks.timeouts(group.groupId).sessionTimeoutMs, () => this.expire(group, m, 'session expired', () => true));
  }

  /** A timer removes a member: through the group's records like a heartbeat; when the write fails the member stays and the timer runs again. */
  private expire(group: ConsumerGroup, m: ConsumerMember, reason: string, still: (m: ConsumerMember) => boolean): void {
    void this.serialized(group.groupId, async () => {
      const real = this.hooks.groupFor(group.groupId);
      if (!real || real.members.get(m.memberId) !== m || !still(m)) return;
      const copy = copyOf(real);
      this.removeMember(copy, copy.members.get(m.memberId)!, reason);
      try {
        await this.commit(group.groupId, real, copy);
      } catch (err) {
        this.hooks.writeFailed(group.groupId, 'consumer-member-expiry', err);
        if (reason === 'session expired') this.scheduleSession(real, m);
        else m.revocationTimer = this.clock.schedule(m.rebalanceTimeoutMs, () => this.expire(real, m, reason, still));
        return;
      }
      this.syncTimers(group.groupId, null);
    }).catch((err: unknown) => this.hooks.log('consumer member expiry failed', { group: group.groupId, member: m.memberId, err: String(err) }));
  }

  /** After a restart: members restored from the log get a fresh session to heartbeat in. */
  restoreTimers(group: ConsumerGroup): void {
    for (const m of group.members.values()) this.scheduleSession(group, m);
    this.syncTimers(group.groupId, null);
  }

  private dropMember(group: ConsumerGroup, m: ConsumerMember): void {
    m.sessionTimer?.cancel();
    m.revocationTimer?.cancel();
    group.members.delete(m.memberId);
    group.target.delete(m.memberId);
    if (m.instanceId !== null && group.staticMembers.get(m.instanceId) === m.memberId) group.staticMembers.delete(m.instanceId);
  }

  removeMember(group: ConsumerGroup, m: ConsumerMember, reason: string): void {
    this.dropMember(group, m);
    group.groupEpoch++;
    this.hooks.log('consumer member removed', { group: group.groupId, member: m.memberId, reason, groupEpoch: group.groupEpoch });
  }

  /** OffsetCommit from a member of a consumer group: the epoch must be its current one. */
  validateCommit(group: ConsumerGroup, memberId: string, memberEpoch: number): number {
    if (memberEpoch < 0 && memberId === '' && group.members.size === 0) return ErrorCode.NONE;
    const m = group.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== m.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }

  shutdownGroup(group: ConsumerGroup): void {
    for (const m of group.members.values()) {
      m.sessionTimer?.cancel();
      m.revocationTimer?.cancel();
    }
  }
}
