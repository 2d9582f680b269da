import { ErrorCode } from '../../protocol/errors';
import { ClassicGroup, ClassicMember, EMPTY_BYTES, type JoinOutcome, type SyncOutcome } from './classicGroup';

/**
 * Answers to the JoinGroup and SyncGroup requests parked on a classic group:
 * the error and success outcomes, and failing or releasing every parked one
 * when members go, the group shuts down or an assignment is decided.
 */

/** Restarts a member's session timer (the coordinator owns the clock). */
export type SessionRestart = (group: ClassicGroup, member: ClassicMember) => void;

export function joinError(memberId: string, errorCode: number): JoinOutcome {
  return {
    errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [],
  };
}

export function syncError(errorCode: number): SyncOutcome {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

export function syncResultFor(group: ClassicGroup, member: ClassicMember): SyncOutcome {
  return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
}

/** Answers every parked SyncGroup: its assignment on NONE, else the error. */
export function propagateAssignment(group: ClassicGroup, errorCode: number, session: SessionRestart): void {
  for (const m of group.members.values()) {
    const waiter = m.syncWaiter;
    if (!waiter) continue;
    m.syncWaiter = null;
    waiter(errorCode === ErrorCode.NONE ? syncResultFor(group, m) : syncError(errorCode));
    session(group, m);
  }
}

export function resetAndPropagateAssignmentError(group: ClassicGroup, errorCode: number, session: SessionRestart): void {
  for (const m of group.members.values()) m.assignment = EMPTY_BYTES;
  propagateAssignment(group, errorCode, session);
}

/** Takes the member out of the group; its parked requests get UNKNOWN_MEMBER_ID. */
export function removeMember(group: ClassicGroup, member: ClassicMember): void {
  member.sessionTimer?.cancel();
  member.sessionTimer = null;
  member.joinWaiter?.(joinError(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  member.joinWaiter = null;
  member.syncWaiter?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  member.syncWaiter = null;
  group.members.delete(member.memberId);
  if (member.groupInstanceId !== null && group.staticMembers.get(member.groupInstanceId) === member.memberId) {
    group.staticMembers.delete(member.groupInstanceId);
  }
}

/** Fails every parked request with `errorCode` and stops the group's timers. */
export function failParkedRequests(group: ClassicGroup, errorCode: number): void {
  group.joinTimer?.cancel();
  group.joinTimer = null;
  for (const t of group.pendingMembers.values()) t.cancel();
  group.pendingMembers.clear();
  for (const m of group.members.values()) {
    m.sessionTimer?.cancel();
    m.sessionTimer = null;
    m.joinWaiter?.(joinError(m.memberId, errorCode));
    m.joinWaiter = null;
    m.syncWaiter?.(syncError(errorCode));
    m.syncWaiter = null;
  }
}
