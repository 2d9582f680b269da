/**
 * OffsetCommit: v0-9
 *
 * Behavior:
 * - Needs READ on the group (GROUP_AUTHORIZATION_FAILED on every partition) and on each topic
 *   (TOPIC_AUTHORIZATION_FAILED).
 * - Offsets of topics or partitions that do not exist are refused with UNKNOWN_TOPIC_OR_PARTITION rather than
 *   stored.
 * - COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR on every partition when this broker cannot serve the group;
 *   generation and member checks are the coordinator's.
 * - A group id a share group holds is GROUP_ID_NOT_FOUND on every partition, simple commits (generation -1) too.
 *
 * Version notes:
 * - v0: no generation or member id (a simple, group-less commit). v1+: generation id and member id.
 * - v2-4: retention_time_ms is passed on; v5+ drops it (broker config only). v3+: throttle_time_ms.
 * - v6+: committed_leader_epoch. v7+: group_instance_id. v8+: flexible.
 * - v9: member epoch in place of the generation for KIP-848 consumer groups; a commit with an epoch to a group that
 *   does not exist is GROUP_ID_NOT_FOUND (ILLEGAL_GENERATION before v9), as in Kafka.
 */
import { ErrorCode } from '../../protocol/errors';
import type { OffsetCommitRequest } from '../../protocol/generated/messages/OffsetCommitRequest';
import type { OffsetCommitResponseInput } from '../../protocol/generated/messages/OffsetCommitResponse';
import type { OffsetToCommit, PartitionResult } from '../groups/coordinator';
import { groupCoordinator, groupCoordinatorError } from '../groups/services';
import { heldByShareGroup } from './shareMember';
import type { Handler } from './types';
import { authorizedGroup, authorizedTopic } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

/** Groups per-partition results back into the request's topic order. */
export function byTopic(results: readonly PartitionResult[]): Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> {
  const out = new Map<string, Array<{ partitionIndex: number; errorCode: number }>>();
  for (const r of results) {
    let parts = out.get(r.topic);
    if (!parts) out.set(r.topic, (parts = []));
    parts.push({ partitionIndex: r.partition, errorCode: r.errorCode });
  }
  return [...out].map(([name, partitions]) => ({ name, partitions }));
}

export const handleOffsetCommit: Handler<OffsetCommitRequest, OffsetCommitResponseInput> = async (ctx, req) => {
  const v = ctx.apiVersion;
  const offsets: OffsetToCommit[] = [];
  // Like Kafka, offsets of partitions that do not exist are refused rather than stored.
  const unknown: PartitionResult[] = [];
  // Committing needs READ on the group and on each topic.
  const groupOk = authorizedGroup(ctx, AclOperation.READ, req.groupId);
  for (const t of req.topics) {
    const denied = !groupOk ? ErrorCode.GROUP_AUTHORIZATION_FAILED : !authorizedTopic(ctx, AclOperation.READ, t.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : 0;
    const topic = ctx.broker.metadata.topic(t.name);
    for (const p of t.partitions) {
      if (denied !== 0) {
        unknown.push({ topic: t.name, partition: p.partitionIndex, errorCode: denied });
        continue;
      }
      if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions) {
        unknown.push({ topic: t.name, partition: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
        continue;
      }
      offsets.push({
        topic: t.name,
        partition: p.partitionIndex,
        offset: Number(p.committedOffset),
        leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
        metadata: p.committedMetadata,
      });
    }
  }
  // Nothing left to commit (all refused, or none asked): answered without the coordinator, as Kafka does, so a
  // refused commit cannot create the group.
  if (offsets.length === 0) return { throttleTimeMs: 0, topics: byTopic(unknown) };
  const coord = groupCoordinator(ctx, req.groupId);
  if (!coord) {
    return {
      throttleTimeMs: 0,
      topics: byTopic([
        ...offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: groupCoordinatorError(ctx, req.groupId) })),
        ...unknown,
      ]),
    };
  }
  if (await heldByShareGroup(ctx, req.groupId, coord)) {
    return { throttleTimeMs: 0, topics: byTopic([...offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.GROUP_ID_NOT_FOUND })), ...unknown]) };
  }
  const results = await coord.commitOffsets({
    groupId: req.groupId,
    generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
    memberId: v >= 1 ? req.memberId : '',
    groupInstanceId: v >= 7 ? req.groupInstanceId : null,
    retentionTimeMs: v >= 2 && v <= 4 ? Number(req.retentionTimeMs) : -1,
    groupIdNotFound: v >= 9,
    offsets,
  });
  return { throttleTimeMs: 0, topics: byTopic([...results, ...unknown]) };
};
