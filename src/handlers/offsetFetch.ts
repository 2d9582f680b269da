/**
 * OffsetFetch: v0-9
 *
 * Behavior:
 * - Needs DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED); COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR when this
 *   broker cannot serve it.
 * - Topics without DESCRIBE are left out of an all-topics answer and answered TOPIC_AUTHORIZATION_FAILED when named.
 * - With require_stable, a partition with a pending transactional commit answers UNSTABLE_OFFSET_COMMIT (KIP-447)
 *   instead of its old offset.
 *
 * Version notes:
 * - v0-1: no top-level error; a group error is put on every requested partition.
 * - v2+: top-level error_code and null topics for all. v3+: throttle_time_ms. v5+: committed_leader_epoch. v6+:
 *   flexible.
 * - v7+: require_stable. v8+: several groups per request, each with its own error.
 * - v9: member_id and member_epoch (KIP-848) are accepted but not checked.
 */
import { ErrorCode } from '../../protocol/errors';
import type { OffsetFetchRequest } from '../../protocol/generated/messages/OffsetFetchRequest';
import type { OffsetFetchResponseInput } from '../../protocol/generated/messages/OffsetFetchResponse';
import type { FetchedTopic, GroupCoordinator } from '../groups/coordinator';
import { groupCoordinator, groupCoordinatorError } from '../groups/services';
import type { Handler, RequestContext } from './types';
import { authorizedGroup } from '../security/acl/check';
import { authorizeFetchedOffsets } from '../security/acl/groupOffsets';
import { AclOperation } from '../security/acl/model';
import { partitionKey, unstablePartitions } from '../groups/unstableOffsets';

type TopicQuery = ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null;

function fetchOne(ctx: RequestContext, coord: GroupCoordinator | null, groupId: string, topics: TopicQuery, requireStable: boolean): { errorCode: number; topics: FetchedTopic[] } {
  if (!authorizedGroup(ctx, AclOperation.DESCRIBE, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  if (!coord || !coord.ownsGroup(groupId)) return { errorCode: groupCoordinatorError(ctx, groupId), topics: [] };
  const r = coord.fetchOffsets(groupId, topics === null ? null : topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })));
  if (requireStable && r.errorCode === ErrorCode.NONE) markUnstable(r.topics, unstablePartitions(ctx.broker, groupId));
  return { errorCode: r.errorCode, topics: authorizeFetchedOffsets(ctx, r.topics, topics === null) };
}

/** KIP-447: a partition with a transactional offset still pending answers UNSTABLE_OFFSET_COMMIT, not its old offset. */
function markUnstable(topics: FetchedTopic[], unstable: ReadonlySet<string>): void {
  if (unstable.size === 0) return;
  for (const t of topics) {
    for (const p of t.partitions) {
      if (!unstable.has(partitionKey(t.topic, p.partition))) continue;
      Object.assign(p, { offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
    }
  }
}

function wireTopics(topics: FetchedTopic[]) {
  return topics.map((t) => ({
    name: t.topic,
    partitions: t.partitions.map((p) => ({
      partitionIndex: p.partition,
      committedOffset: BigInt(p.offset),
      committedLeaderEpoch: p.leaderEpoch,
      metadata: p.metadata,
      errorCode: p.errorCode,
    })),
  }));
}

export const handleOffsetFetch: Handler<OffsetFetchRequest, OffsetFetchResponseInput> = (ctx, req) => {
  const coord = groupCoordinator(ctx);
  if (ctx.apiVersion >= 8) {
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((g) => {
        const r = fetchOne(ctx, coord, g.groupId, g.topics, req.requireStable);
        return { groupId: g.groupId, errorCode: r.errorCode, topics: wireTopics(r.topics) };
      }),
    };
  }
  const r = fetchOne(ctx, coord, req.groupId, req.topics, ctx.apiVersion >= 7 && req.requireStable);
  if (r.errorCode !== ErrorCode.NONE && ctx.apiVersion < 2) {
    // v0/v1 have no top-level error: the group's error goes on every requested partition.
    const topics = (req.topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => ({
        partitionIndex, committedOffset: -1n, metadata: '', errorCode: r.errorCode,
      })),
    }));
    return { throttleTimeMs: 0, topics };
  }
  return { throttleTimeMs: 0, errorCode: r.errorCode, topics: wireTopics(r.topics) };
};
