import type { ShareStateRecord, StoredShareMember } from './records';
import type { ShareMembership, TopicLookup } from './membership';

/** What a group's membership last persisted: the group epoch and each member's stored form (JSON). */
export interface PersistedMembership {
  epoch: number | null;
  members: Map<string, string>;
}

function stored(m: { memberEpoch: number; rackId: string | null; clientId: string; clientHost: string; subscribedTopicNames: string[] }): StoredShareMember {
  return { epoch: m.memberEpoch, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, topics: m.subscribedTopicNames };
}

/**
 * The records that bring the persisted membership up to the live one: members that joined or
 * changed (epoch, subscription), tombstones for those that left, the group epoch when it moved.
 * Heartbeats that change nothing produce none.
 */
export function membershipRecords(group: string, live: ShareMembership, persisted: PersistedMembership): ShareStateRecord[] {
  const out: ShareStateRecord[] = [];
  for (const m of live.members.values()) {
    const s = stored(m);
    if (persisted.members.get(m.memberId) !== JSON.stringify(s)) out.push({ kind: 'member', group, memberId: m.memberId, member: s });
  }
  for (const id of persisted.members.keys()) if (!live.members.has(id)) out.push({ kind: 'member', group, memberId: id, member: null });
  if (out.length > 0 || persisted.epoch !== live.groupEpoch) out.push({ kind: 'group', group, deleted: false, epoch: live.groupEpoch });
  return out;
}

/**
 * After a load: the persisted members become live again (their sessions restart now, so a
 * member that is really gone times out), with the assignment the simple assignor gives them
 * and the epochs they had, so their next heartbeat is accepted as it would have been.
 */
export function restoreMembers(live: ShareMembership, persisted: PersistedMembership, topics: TopicLookup, now: number): void {
  if (persisted.members.size === 0) return;
  for (const [memberId, json] of persisted.members) {
    const s = JSON.parse(json) as StoredShareMember;
    live.members.set(memberId, {
      memberId,
      memberEpoch: s.epoch,
      rackId: s.rackId,
      clientId: s.clientId,
      clientHost: s.clientHost,
      subscribedTopicNames: s.topics,
      assignment: [],
      lastHeartbeatMs: now,
      sentEpoch: s.epoch,
    });
  }
  live.reassign(topics);
  const epoch = persisted.epoch ?? live.groupEpoch;
  live.groupEpoch = epoch;
  live.assignmentEpoch = epoch;
  for (const m of live.members.values()) {
    m.memberEpoch = epoch;
    m.sentEpoch = epoch;
  }
}
