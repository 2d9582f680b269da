import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors';
import type { Clock } from './clock';
import { groupWriteError } from './writeErrors';
import type { GroupMetadataValue } from './offsetsTopicRecords';
import type { GroupConfig } from './config';
import {
  ClassicGroup,
  ClassicMember,
  EMPTY_BYTES,
  type JoinOutcome,
  type JoinParams,
  type MemberRef,
  type SyncOutcome,
  type SyncParams,
} from './classicGroup';
import { failParkedRequests, joinError, propagateAssignment, removeMember, resetAndPropagateAssignmentError, syncError, syncResultFor } from './classicWaiters';

export type { JoinParams, MemberRef, SyncParams } from './classicGroup';

export interface ClassicHooks {
  /**
   * Writes the group's metadata record (generation, members, assignments) and,
   * once acknowledged, replays it onto the group; throws when the write failed.
   */
  writeGroup(group: ClassicGroup, value: GroupMetadataValue): Promise<void>;
  /** The group's metadata record as the group stands. */
  groupValue(group: ClassicGroup): GroupMetadataValue;
  /** A write that failed with nobody to answer: logged and counted. */
  writeFailed(groupId: string, operation: string, err: unknown): void;
  /** Looks up or creates the classic group; null when the id belongs to a group of another type. */
  groupFor(groupId: string, create: boolean): ClassicGroup | null | undefined;
  log(msg: string, fields: Record<string, unknown>): void;
}

const UNKNOWN_MEMBER_ID = '';

/**
 * The classic group membership protocol: Kafka's state machine Empty ->
 * PreparingRebalance -> CompletingRebalance -> Stable, with generations,
 * leader election, protocol selection, session/rebalance timeouts and static
 * membership. Assignment itself stays with the client leader.
 */
export class ClassicCoordinator {
  constructor(
    private readonly clock: Clock,
    private readonly config: GroupConfig,
    private readonly hooks: ClassicHooks,
  ) {}

  private readonly session = (group: ClassicGroup, member: ClassicMember): void => this.scheduleSession(group, member);

  join(p: JoinParams): Promise<JoinOutcome> {
    if (!p.groupId) return Promise.resolve(joinError(p.memberId, ErrorCode.INVALID_GROUP_ID));
    if (p.sessionTimeoutMs < this.config.minSessionTimeoutMs || p.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(p.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isUnknown = p.memberId === UNKNOWN_MEMBER_ID;
    const group = this.hooks.groupFor(p.groupId, isUnknown);
    if (group === null) return Promise.resolve(joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    if (!group) return Promise.resolve(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.is('Dead')) return Promise.resolve(joinError(p.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, p.protocols)) {
      return Promise.resolve(joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    return new Promise((resolve) => {
      if (isUnknown) this.joinUnknownMember(group, p, resolve);
      else this.joinKnownMember(group, p, resolve);
    });
  }

  private newMemberId(clientId: string): string {
    return `${clientId}-${randomUUID()}`;
  }

  private joinUnknownMember(group: ClassicGroup, p: JoinParams, reply: (r: JoinOutcome) => void): void {
    const memberId = this.newMemberId(p.clientId);
    if (p.groupInstanceId !== null) {
      const existing = group.staticMembers.get(p.groupInstanceId);
      if (existing !== undefined && group.members.has(existing)) {
        this.replaceStaticMember(group, existing, memberId, p, reply);
        return;
      }
    } else if (p.requireKnownMemberId) {
      if (this.groupFull(group)) return reply(joinError(UNKNOWN_MEMBER_ID, ErrorCode.GROUP_MAX_SIZE_REACHED));
      // The member must come back with this id; if it never does, the id lapses after its session timeout.
      const timer = this.clock.schedule(p.sessionTimeoutMs, () => this.expirePending(group, memberId));
      group.pendingMembers.set(memberId, timer);
      reply(joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED));
      return;
    }
    if (this.groupFull(group)) return reply(joinError(UNKNOWN_MEMBER_ID, ErrorCode.GROUP_MAX_SIZE_REACHED));
    this.addMemberAndRebalance(group, memberId, p, reply);
  }

  private groupFull(group: ClassicGroup): boolean {
    return group.members.size + group.pendingMembers.size >= this.config.maxGroupSize;
  }

  private joinKnownMember(group: ClassicGroup, p: JoinParams, reply: (r: JoinOutcome) => void): void {
    const pending = group.pendingMembers.get(p.memberId);
    if (pending) {
      pending.cancel();
      group.pendingMembers.delete(p.memberId);
      this.addMemberAndRebalance(group, p.memberId, p, reply);
      return;
    }
    if (group.isFencedInstance(p.memberId, p.groupInstanceId)) return reply(joinError(p.memberId, ErrorCode.FENCED_INSTANCE_ID));
    const member = group.members.get(p.memberId);
    if (!member || group.is('Empty')) return reply(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));

    switch (group.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(group, member, p, reply);
        return;
      case 'CompletingRebalance':
        if (member.sameProtocols(p.protocols)) {
          // A lost JoinGroup response is re-sent rather than starting another rebalance.
          reply(this.joinResultFor(group, member));
        } else {
          this.updateMemberAndRebalance(group, member, p, reply);
        }
        return;
      case 'Stable':
        if (member.memberId === group.leaderId || !member.sameProtocols(p.protocols)) {
          this.updateMemberAndRebalance(group, member, p, reply);
        } else {
          reply(this.joinResultFor(group, member));
        }
        return;
      default:
        reply(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private joinResultFor(group: ClassicGroup, member: ClassicMember, skipAssignment = false): JoinOutcome {
    const isLeader = member.memberId === group.leaderId;
    const protocol = group.protocolName ?? '';
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment,
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.metadataFor(protocol),
          }))
        : [],
    };
  }

  private addMemberAndRebalance(group: ClassicGroup, memberId: string, p: JoinParams, reply: (r: JoinOutcome) => void): void {
    const member = new ClassicMember(
      memberId, p.groupInstanceId, p.clientId, p.clientHost, p.rebalanceTimeoutMs, p.sessionTimeoutMs, p.protocolType, p.protocols,
    );
    member.joinWaiter = reply;
    if (group.members.size === 0) group.protocolType = p.protocolType;
    group.members.set(memberId, member);
    if (p.groupInstanceId !== null) group.staticMembers.set(p.groupInstanceId, memberId);
    if (group.initialDelay) group.initialDelay.newMemberJoined = true;
    // A new member that vanishes before the join completes is dropped after its session timeout.
    this.scheduleSession(group, member);
    if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group);
    else this.prepareRebalance(group, `member ${memberId} joined`);
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: ClassicMember, p: JoinParams, reply: (r: JoinOutcome) => void): void {
    member.protocols = p.protocols;
    member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    member.sessionTimeoutMs = p.sessionTimeoutMs;
    member.clientId = p.clientId;
    member.clientHost = p.clientHost;
    if (member.joinWaiter) member.joinWaiter(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    member.joinWaiter = reply;
    this.scheduleSession(group, member);
    if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group);
    else this.prepareRebalance(group, `member ${member.memberId} rejoined`);
  }

  /** A restarted static member takes over its old identity: fences the old id and keeps the assignment. */
  private replaceStaticMember(
    group: ClassicGroup, oldMemberId: string, newMemberId: string, p: JoinParams, reply: (r: JoinOutcome) => void,
  ): void {
    const member = group.members.get(oldMemberId)!;
    member.joinWaiter?.(joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    member.joinWaiter = null;
    member.syncWaiter?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    member.syncWaiter = null;
    const wasLeader = group.leaderId === oldMemberId;
    const protocolsChanged = !member.sameProtocols(p.protocols);

    if (group.is('Stable') && !protocolsChanged) {
      // The new member id (and the member's new timeouts and client) count once written, as Kafka's GroupMetadataValue:
      // a restart must not resurrect the fenced id, and a failed write leaves the old id the group's.
      const value = this.hooks.groupValue(group);
      value.leader = wasLeader ? newMemberId : value.leader;
      value.members = value.members.map((m) => (m.memberId !== oldMemberId ? m : {
        ...m, memberId: newMemberId, sessionTimeoutMs: p.sessionTimeoutMs, rebalanceTimeoutMs: p.rebalanceTimeoutMs, clientId: p.clientId, clientHost: p.clientHost,
      }));
      const generation = group.generationId;
      this.hooks.writeGroup(group, value).then(
        () => {
          this.scheduleSession(group, member);
          this.hooks.log('static member rejoined without rebalance', { group: group.groupId, instance: p.groupInstanceId });
          reply(member.memberId === newMemberId && group.generationId === generation ? this.joinResultFor(group, member, wasLeader) : joinError(newMemberId, ErrorCode.REBALANCE_IN_PROGRESS));
        },
        (err: unknown) => {
          this.hooks.writeFailed(group.groupId, 'static-member-rejoin', err);
          reply(joinError(newMemberId, groupWriteError(err)));
        },
      );
      return;
    }
    // A rebalance follows: the new id is runtime state until the rebalance's assignment is written.
    member.sessionTimer?.cancel();
    group.members.delete(oldMemberId);
    member.memberId = newMemberId;
    group.members.set(newMemberId, member);
    group.staticMembers.set(p.groupInstanceId!, newMemberId);
    if (wasLeader) group.leaderId = newMemberId;
    this.updateMemberAndRebalance(group, member, p, reply);
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is('CompletingRebalance')) resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS, this.session);
    group.joinTimer?.cancel();
    const wasEmpty = group.is('Empty');
    group.transition('PreparingRebalance', this.clock.now());
    this.hooks.log('preparing rebalance', { group: group.groupId, generation: group.generationId, reason });
    const rebalanceTimeout = group.maxRebalanceTimeoutMs();
    if (wasEmpty && this.config.initialRebalanceDelayMs > 0) {
      // Give the other members of a starting group a moment to arrive, so they share one rebalance.
      const delay = Math.min(this.config.initialRebalanceDelayMs, rebalanceTimeout);
      group.initialDelay = { remainingMs: Math.max(0, rebalanceTimeout - delay), newMemberJoined: false };
      group.joinTimer = this.clock.schedule(delay, () => this.onInitialDelayExpired(group));
    } else {
      group.initialDelay = null;
      group.joinTimer = this.clock.schedule(rebalanceTimeout, () => this.completeJoin(group));
      this.maybeCompleteJoin(group);
    }
  }

  private onInitialDelayExpired(group: ClassicGroup): void {
    const d = group.initialDelay;
    if (d && d.newMemberJoined && d.remainingMs > 0) {
      const delay = Math.min(this.config.initialRebalanceDelayMs, d.remainingMs);
      group.initialDelay = { remainingMs: d.remainingMs - delay, newMemberJoined: false };
      group.joinTimer = this.clock.schedule(delay, () => this.onInitialDelayExpired(group));
      return;
    }
    group.initialDelay = null;
    this.completeJoin(group);
  }

  private maybeCompleteJoin(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && !group.initialDelay && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  private completeJoin(group: ClassicGroup): void {
    if (!group.is('PreparingRebalance')) return;
    group.joinTimer?.cancel();
    group.joinTimer = null;
    group.initialDelay = null;
    // Dynamic members that did not rejoin in time are out; static ones keep their seat.
    for (const m of [...group.members.values()]) {
      if (!m.joinWaiter && m.groupInstanceId === null) removeMember(group, m);
    }
    for (const [id, timer] of group.pendingMembers) {
      timer.cancel();
      group.pendingMembers.delete(id);
    }
    const joined = [...group.members.values()].filter((m) => m.joinWaiter);
    if (group.members.size > 0 && joined.length === 0) {
      // Only absent static members remain: wait another rebalance timeout for them.
      group.joinTimer = this.clock.schedule(group.maxRebalanceTimeoutMs(), () => this.completeJoin(group));
      return;
    }
    group.generationId++;
    const now = this.clock.now();
    if (group.members.size === 0) {
      group.protocolName = null;
      group.leaderId = null;
      group.transition('Empty', now);
      this.hooks.log('group is empty', { group: group.groupId, generation: group.generationId });
      void this.hooks.writeGroup(group, this.hooks.groupValue(group)).catch((err: unknown) => this.hooks.writeFailed(group.groupId, 'classic-group-empty', err));
      return;
    }
    group.protocolName = group.selectProtocol();
    if (!group.leaderId || !group.members.get(group.leaderId)?.joinWaiter) group.leaderId = joined[0].memberId;
    group.transition('CompletingRebalance', now);
    this.hooks.log('rebalance joined', {
      group: group.groupId, generation: group.generationId, members: group.members.size, protocol: group.protocolName,
    });
    for (const m of group.members.values()) {
      const waiter = m.joinWaiter;
      m.joinWaiter = null;
      this.scheduleSession(group, m);
      waiter?.(this.joinResultFor(group, m));
    }
  }

  sync(p: SyncParams): Promise<SyncOutcome> {
    const group = this.hooks.groupFor(p.groupId, false);
    if (group === null) return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.is('Dead')) return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (group.isFencedInstance(p.memberId, p.groupInstanceId)) return Promise.resolve(syncError(ErrorCode.FENCED_INSTANCE_ID));
    const member = group.members.get(p.memberId);
    if (!member) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (p.generationId !== group.generationId) return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
    if ((p.protocolType !== null && p.protocolType !== group.protocolType) ||
        (p.protocolName !== null && p.protocolName !== group.protocolName)) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    switch (group.state) {
      case 'Empty':
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable':
        this.scheduleSession(group, member);
        return Promise.resolve(syncResultFor(group, member));
      case 'CompletingRebalance':
        return new Promise((resolve) => {
          member.syncWaiter = resolve;
          this.scheduleSession(group, member);
          if (member.memberId === group.leaderId) this.applyLeaderAssignment(group, p.assignments);
        });
      default:
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private applyLeaderAssignment(group: ClassicGroup, assignments: SyncParams['assignments']): void {
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    // The assignments are the group's once written (replay sets them); a failed write leaves them unset.
    const value = this.hooks.groupValue(group);
    value.members = value.members.map((m) => ({ ...m, assignment: byMember.get(m.memberId) ?? EMPTY_BYTES }));
    const generation = group.generationId;
    this.hooks.writeGroup(group, value).then(
      () => {
        // A rebalance may have started while the write was in flight; then the members were already told.
        if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
        group.transition('Stable', this.clock.now());
        this.hooks.log('group stable', { group: group.groupId, generation, members: group.members.size });
        propagateAssignment(group, ErrorCode.NONE, this.session);
      },
      (err: unknown) => {
        this.hooks.writeFailed(group.groupId, 'classic-sync-assignment', err);
        if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
        resetAndPropagateAssignmentError(group, groupWriteError(err), this.session);
        this.prepareRebalance(group, 'failed to persist the assignment');
      },
    );
  }

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const group = this.hooks.groupFor(groupId, false);
    if (group === null) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isFencedInstance(memberId, groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    const member = group.members.get(memberId);
    if (!member || group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.scheduleSession(group, member);
    return group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** Validates a classic member for OffsetCommit; NONE when the commit may proceed. */
  validateCommit(group: ClassicGroup, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isFencedInstance(memberId, groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.scheduleSession(group, member);
    return ErrorCode.NONE;
  }

  /** LeaveGroup: one error code per member (v3+ batches), or a group-level code. */
  leave(groupId: string, members: readonly MemberRef[]): { errorCode: number; members: Array<MemberRef & { errorCode: number }> } {
    const group = this.hooks.groupFor(groupId, false);
    if (group === null) return { errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, members: [] };
    if (!group) return { errorCode: ErrorCode.NONE, members: members.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results: Array<MemberRef & { errorCode: number }> = [];
    let left = 0;
    for (const ref of members) {
      let memberId = ref.memberId;
      if (ref.groupInstanceId !== null) {
        const holder = group.staticMembers.get(ref.groupInstanceId);
        if (holder === undefined) { results.push({ ...ref, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }); continue; }
        if (memberId !== UNKNOWN_MEMBER_ID && memberId !== holder) { results.push({ ...ref, errorCode: ErrorCode.FENCED_INSTANCE_ID }); continue; }
        memberId = holder;
      }
      const pending = group.pendingMembers.get(memberId);
      if (pending) {
        pending.cancel();
        group.pendingMembers.delete(memberId);
        results.push({ ...ref, errorCode: ErrorCode.NONE });
        left++;
        continue;
      }
      const member = group.members.get(memberId);
      if (!member) { results.push({ ...ref, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }); continue; }
      this.hooks.log('member left', { group: groupId, member: memberId });
      removeMember(group, member);
      results.push({ ...ref, errorCode: ErrorCode.NONE });
      left++;
    }
    if (left > 0) this.afterMembershipChange(group, 'members left');
    return { errorCode: ErrorCode.NONE, members: results };
  }

  private afterMembershipChange(group: ClassicGroup, reason: string): void {
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.prepareRebalance(group, reason);
        break;
      case 'PreparingRebalance':
        this.maybeCompleteJoin(group);
        break;
      default:
        break;
    }
  }

  scheduleSession(group: ClassicGroup, member: ClassicMember): void {
    member.sessionTimer?.cancel();
    member.sessionTimer = this.clock.schedule(member.sessionTimeoutMs, () => this.onSessionExpired(group, member));
  }

  private onSessionExpired(group: ClassicGroup, member: ClassicMember): void {
    if (group.members.get(member.memberId) !== member) return;
    // A member parked in JoinGroup or SyncGroup is alive: it is waiting on us, not silent.
    if (member.joinWaiter || member.syncWaiter) {
      this.scheduleSession(group, member);
      return;
    }
    this.hooks.log('member session expired', { group: group.groupId, member: member.memberId });
    removeMember(group, member);
    this.afterMembershipChange(group, `member ${member.memberId} session expired`);
  }

  private expirePending(group: ClassicGroup, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.maybeCompleteJoin(group);
  }

  /** DeleteGroups and shutdown: fails every parked request and stops timers. */
  shutdownGroup(group: ClassicGroup, errorCode: number): void {
    failParkedRequests(group, errorCode);
  }
}
