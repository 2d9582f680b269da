/**
 * OffsetDelete: v0
 *
 * Behavior:
 * - Needs DELETE on the group (GROUP_AUTHORIZATION_FAILED) and READ on each topic (TOPIC_AUTHORIZATION_FAILED for
 *   its partitions).
 * - COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR when this broker cannot serve the group; offsets of subscribed
 *   topics in an active group are refused by the coordinator (GROUP_SUBSCRIBED_TO_TOPIC).
 *
 * Version notes:
 * - v0: the only version (KIP-496).
 */
import { ErrorCode } from '../../protocol/errors';
import type { OffsetDeleteRequest } from '../../protocol/generated/messages/OffsetDeleteRequest';
import type { OffsetDeleteResponseInput } from '../../protocol/generated/messages/OffsetDeleteResponse';
import { groupCoordinator, groupCoordinatorError } from '../groups/services';
import { byTopic } from './offsetCommit';
import type { Handler } from './types';
import { authorizedGroup, authorizedTopic } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleOffsetDelete: Handler<OffsetDeleteRequest, OffsetDeleteResponseInput> = async (ctx, req) => {
  const coord = groupCoordinator(ctx, req.groupId);
  if (!authorizedGroup(ctx, AclOperation.DELETE, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
  if (!coord) return { errorCode: groupCoordinatorError(ctx, req.groupId), throttleTimeMs: 0, topics: [] };
  const allowed = req.topics.filter((t) => authorizedTopic(ctx, AclOperation.READ, t.name));
  const denied = req.topics
    .filter((t) => !allowed.includes(t))
    .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })));
  const r = await coord.deleteOffsets(
    req.groupId,
    allowed.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
  );
  return { errorCode: r.errorCode, throttleTimeMs: 0, topics: byTopic([...r.results, ...denied]) };
};
