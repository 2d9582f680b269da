import type { TopicAssignment } from './assignors';
import type { ConsumerGroup, ConsumerMember } from './consumerGroup';
import type { GroupRecord } from './groupRecords';
import { parseMetadataFingerprint } from './groupStateMachine';

/**
 * The records that take a consumer group from `before` (undefined: it does
 * not exist yet) to `after`, as Kafka's coordinator writes them: one record
 * per member, target and group-level fact that changed, tombstones for
 * members that left. Replaying them on `before` gives `after`.
 */
export function consumerGroupChanges(before: ConsumerGroup | undefined, after: ConsumerGroup): GroupRecord[] {
  const group = after.groupId;
  const out: GroupRecord[] = [];
  if (before) {
    for (const [id] of before.members) {
      if (after.members.has(id)) continue;
      // Kafka's order for a member that left: its assignment, its target, then the member.
      out.push({ type: 'cg-current-assignment', group, memberId: id, value: null });
      if (before.target.has(id)) out.push({ type: 'cg-target-member', group, memberId: id, value: null });
      out.push({ type: 'cg-member', group, memberId: id, value: null });
    }
  }
  for (const [id, m] of after.members) {
    const was = before?.members.get(id);
    if (!was || !sameMetadata(was, m)) out.push({ type: 'cg-member', group, memberId: id, value: memberMetadata(m) });
  }
  if (!before || before.groupEpoch !== after.groupEpoch) out.push({ type: 'cg-metadata', group, value: { epoch: after.groupEpoch } });
  if (!before || before.metadataFingerprint !== after.metadataFingerprint) {
    out.push({ type: 'cg-partition-metadata', group, value: { topics: parseMetadataFingerprint(after.metadataFingerprint) } });
  }
  for (const [id, a] of after.target) {
    const was = before?.target.get(id);
    if (!was || !sameAssignment(was, a)) out.push({ type: 'cg-target-member', group, memberId: id, value: a });
  }
  if (before) {
    for (const id of before.target.keys()) {
      if (!after.target.has(id) && after.members.has(id)) out.push({ type: 'cg-target-member', group, memberId: id, value: null });
    }
  }
  if (!before || before.assignmentEpoch !== after.assignmentEpoch || before.assignorName !== after.assignorName) {
    out.push({ type: 'cg-target-metadata', group, value: { assignmentEpoch: after.assignmentEpoch } });
  }
  for (const [id, m] of after.members) {
    const was = before?.members.get(id);
    if (!was || !sameCurrentAssignment(was, m)) {
      out.push({ type: 'cg-current-assignment', group, memberId: id, value: { memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, assigned: m.assigned, revoking: m.revoking } });
    }
  }
  return out;
}

/** Every record of the group as tombstones, so neither a replay nor compaction brings it back. */
export function consumerGroupTombstones(g: ConsumerGroup): GroupRecord[] {
  const group = g.groupId;
  const out: GroupRecord[] = [];
  for (const id of g.members.keys()) {
    out.push({ type: 'cg-current-assignment', group, memberId: id, value: null });
    out.push({ type: 'cg-member', group, memberId: id, value: null });
  }
  for (const id of g.target.keys()) out.push({ type: 'cg-target-member', group, memberId: id, value: null });
  out.push(
    { type: 'cg-target-metadata', group, value: null },
    { type: 'cg-partition-metadata', group, value: null },
    { type: 'cg-metadata', group, value: null },
  );
  return out;
}

function memberMetadata(m: ConsumerMember) {
  return {
    instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost,
    subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: m.serverAssignor,
  };
}

function sameMetadata(a: ConsumerMember, b: ConsumerMember): boolean {
  return a.instanceId === b.instanceId && a.rackId === b.rackId && a.clientId === b.clientId && a.clientHost === b.clientHost &&
    a.subscribedTopicRegex === b.subscribedTopicRegex && a.rebalanceTimeoutMs === b.rebalanceTimeoutMs && a.serverAssignor === b.serverAssignor &&
    a.subscribedTopicNames.length === b.subscribedTopicNames.length && a.subscribedTopicNames.every((t, i) => t === b.subscribedTopicNames[i]);
}

function sameCurrentAssignment(a: ConsumerMember, b: ConsumerMember): boolean {
  return a.memberEpoch === b.memberEpoch && a.previousMemberEpoch === b.previousMemberEpoch && sameAssignment(a.assigned, b.assigned) && sameAssignment(a.revoking, b.revoking);
}

export function sameAssignment(a: TopicAssignment, b: TopicAssignment): boolean {
  const size = (x: TopicAssignment) => [...x.values()].filter((s) => s.size > 0).length;
  if (size(a) !== size(b)) return false;
  for (const [t, s] of a) {
    if (s.size === 0) continue;
    const o = b.get(t);
    if (!o || o.size !== s.size) return false;
    for (const p of s) if (!o.has(p)) return false;
  }
  return true;
}
