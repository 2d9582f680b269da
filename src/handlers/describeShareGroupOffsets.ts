/**
 * DescribeShareGroupOffsets: v0
 *
 * Behavior:
 * - Each share-partition's start offset (SPSO); -1 for a partition the group has no state for. Null topics means
 *   every topic the group has state on.
 * - Needs DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED); no per-topic check. COORDINATOR_NOT_AVAILABLE /
 *   NOT_COORDINATOR when this broker cannot serve it; not a share group: GROUP_ID_NOT_FOUND; unknown topic:
 *   UNKNOWN_TOPIC_OR_PARTITION.
 * - leader_epoch is always 0.
 *
 * Version notes:
 * - v0: the only version (KIP-932).
 */
import { ErrorCode } from '../../protocol/errors';
import type { DescribeShareGroupOffsetsRequest } from '../../protocol/generated/messages/DescribeShareGroupOffsetsRequest';
import type { DescribeShareGroupOffsetsResponseInput, DescribeShareGroupOffsetsResponseTopicInput } from '../../protocol/generated/messages/DescribeShareGroupOffsetsResponse';
import { groupCoordinatorError } from '../groups/services';
import { shareServicesOf } from '../share/services';
import type { Handler } from './types';
import { authorizedGroup } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleDescribeShareGroupOffsets: Handler<DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponseInput> = (ctx, req) => {
  const share = shareServicesOf(ctx.broker);
  const groups = req.groups.map((rg) => {
    const fail = (errorCode: number, errorMessage: string | null = null) => ({ groupId: rg.groupId, topics: [], errorCode, errorMessage });
    if (!share) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!authorizedGroup(ctx, AclOperation.DESCRIBE, rg.groupId)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const placement = groupCoordinatorError(ctx, rg.groupId);
    if (placement !== ErrorCode.NONE) return fail(placement);
    const coordinator = share.coordinator;
    if (!coordinator.group(rg.groupId)) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `share group ${rg.groupId} not found`);
    const wanted =
      rg.topics ??
      [...new Set([...coordinator.partitions.values()].filter((sp) => sp.group === rg.groupId).map((sp) => sp.topicName))].map((topicName) => ({
        topicName,
        partitions: [...coordinator.partitions.values()].filter((sp) => sp.group === rg.groupId && sp.topicName === topicName).map((sp) => sp.partition),
      }));
    const topics: DescribeShareGroupOffsetsResponseTopicInput[] = wanted.map((t) => {
      const topic = ctx.broker.metadata.topic(t.topicName);
      return {
        topicName: t.topicName,
        topicId: topic?.id,
        partitions: t.partitions.map((p) => {
          if (!topic) return { partitionIndex: p, startOffset: -1n, leaderEpoch: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          const sp = coordinator.sharePartition(rg.groupId, topic.id, p);
          return { partitionIndex: p, startOffset: BigInt(sp?.snapshot?.startOffset ?? -1), leaderEpoch: 0, errorCode: 0 };
        }),
      };
    });
    return { groupId: rg.groupId, topics, errorCode: 0 };
  });
  return { groups };
};
