import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors';
import { ASSIGNORS, type AssignorMember, type TopicAssignment } from './assignors';
import type { Clock } from './clock';
import type { GroupConfig } from './config';
import { ConsumerGroup, ConsumerMember, snapshotConsumerGroup } from './consumerGroup';
import type { ConsumerGroupSnapshot } from './offsetsTopicRecords';
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
  /** The consumer group with this id (created when `create`); null when a classic group holds the id. */
  groupFor(groupId: string, create: boolean): ConsumerGroup | null | undefined;
  /** Persists the group's state; the promise settles once durable. */
  persist(group: ConsumerGroup): Promise<void>;
  /** A heartbeat's write failed: puts the group back as it was before it (null: it did not exist). */
  rollback?(groupId: string, before: ConsumerGroupSnapshot | null): void;
  log(msg: string, fields: Record<string, unknown>): void;
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
    private readonly config: GroupConfig,
    private readonly catalog: TopicCatalog,
    private readonly hooks: ConsumerHooks,
    private readonly defaultAssignor: string,
  ) {}

  private outcome(errorCode: number, errorMessage: string | null, memberId: string | null = null, memberEpoch = 0): ConsumerHeartbeatOutcome {
    return { errorCode, errorMessage, memberId, memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  /**
   * Applies one heartbeat; when it changed the group (membership, subscription,
   * epochs, assignments) the new state is persisted before the member hears of it.
   */
  async heartbeat(p: ConsumerHeartbeatParams): Promise<ConsumerHeartbeatOutcome> {
    const existing = p.groupId ? this.hooks.groupFor(p.groupId, false) : undefined;
    const beforeSnapshot = existing ? snapshotConsumerGroup(existing) : null;
    const before = beforeSnapshot ? JSON.stringify(beforeSnapshot) : null;
    const out = this.apply(p);
    const group = p.groupId ? this.hooks.groupFor(p.groupId, false) : undefined;
    if (group && JSON.stringify(snapshotConsumerGroup(group)) !== before) {
      try {
        await this.hooks.persist(group);
      } catch (err) {
        // Kafka's coordinator reverts what a failed write would have changed; the member retries.
        this.hooks.rollback?.(p.groupId, beforeSnapshot);
        return this.outcome(groupWriteError(err), 'The group state could not be persisted.', p.memberId);
      }
    }
    return out;
  }

  private apply(p: ConsumerHeartbeatParams): ConsumerHeartbeatOutcome {
    if (!p.groupId) return this.outcome(ErrorCode.INVALID_REQUEST, 'GroupId can not be empty.');
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
    const group = this.hooks.groupFor(p.groupId, p.memberEpoch === 0);
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
    this.scheduleSession(group, member);
    this.refreshTarget(group, bump);
    if (p.ownedPartitions !== null) this.acknowledgeRevocation(member, p.ownedPartitions);
    const changed = this.reconcile(group, member);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.config.consumerHeartbeatIntervalMs,
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
    return { ...this.outcome(ErrorCode.NONE, null, member.memberId, p.memberEpoch), heartbeatIntervalMs: this.config.consumerHeartbeatIntervalMs };
  }

  /** Applies the heartbeat's member fields; true when the subscription changed. */
  private updateSubscription(m: ConsumerMember, p: ConsumerHeartbeatParams): boolean {
    let changed = false;
    if (p.subscribedTopicNames !== null) {
      const next = [...p.subscribedTopicNames].sort();
      if (next.join('\0') !== m.subscribedTopicNames.join('\0')) changed = true;
      m.subscribedTopicNames = next;
    }
    if (p.subscribedTopicRegex !== null && p.subscribedTopicRegex !== m.subscribedTopicRegex) {
      m.subscribedTopicRegex = p.subscribedTopicRegex || null;
      changed = true;
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

  /** Topics a member's subscription resolves to right now (names and regex), existing ones only. */
  private resolveTopics(m: ConsumerMember): Set<string> {
    const out = new Set<string>();
    for (const t of m.subscribedTopicNames) if (this.catalog.byName(t)) out.add(t);
    if (m.subscribedTopicRegex) {
      let re: RegExp | null = null;
      try {
        re = new RegExp(`^(?:${m.subscribedTopicRegex})$`);
      } catch {
        re = null;
      }
      // Internal topics are never matched by patterns, as in Kafka.
      if (re) for (const t of this.catalog.names()) if (!t.startsWith('__') && re.test(t)) out.add(t);
    }
    return out;
  }

  /** Recomputes the target assignment when membership, subscriptions or topic metadata changed. */
  private refreshTarget(group: ConsumerGroup, bump: boolean): void {
    const members = [...group.members.values()];
    const resolved = new Map(members.map((m) => [m.memberId, this.resolveTopics(m)]));
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
    m.revocationTimer?.cancel();
    m.revocationTimer = null;
  }

  /** Moves a member one step towards its target; true when its assignment or epoch changed. */
  private reconcile(group: ConsumerGroup, m: ConsumerMember): boolean {
    if (m.revoking.size > 0) return false;
    const target = group.target.get(m.memberId) ?? new Map<string, Set<number>>();
    const toRevoke = minus(m.assigned, target);
    if (toRevoke.size > 0) {
      m.assigned = minus(m.assigned, toRevoke);
      m.revoking = toRevoke;
      // A member that never confirms the revocation would block the others forever: fence it.
      m.revocationTimer = this.clock.schedule(m.rebalanceTimeoutMs, () => {
        if (group.members.get(m.memberId) === m && m.revoking.size > 0) {
          this.removeMember(group, m, 'revocation timed out');
          void this.hooks.persist(group).catch(() => undefined);
        }
      });
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

  private scheduleSession(group: ConsumerGroup, m: ConsumerMember): void {
    m.sessionTimer?.cancel();
    m.sessionTimer = this.clock.schedule(this.config.consumerSessionTimeoutMs, () => {
      if (group.members.get(m.memberId) !== m) return;
      this.removeMember(group, m, 'session expired');
      void this.hooks.persist(group).catch(() => undefined);
    });
  }

  /** After a restart: members restored from the log get a fresh session to heartbeat in. */
  restoreTimers(group: ConsumerGroup): void {
    for (const m of group.members.values()) this.scheduleSession(group, m);
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
