/**
 * AlterShareGroupOffsets: v0
 *
 * Behavior:
 * - New start offsets for an empty share group; in-flight records of those partitions are forgotten.
 * - Needs READ on the group (GROUP_AUTHORIZATION_FAILED); no per-topic check. COORDINATOR_NOT_AVAILABLE /
 *   NOT_COORDINATOR when this broker cannot serve it.
 * - Not a share group: GROUP_ID_NOT_FOUND; members present: NON_EMPTY_GROUP; unknown partition:
 *   UNKNOWN_TOPIC_OR_PARTITION; negative offset: INVALID_REQUEST.
 *
 * - Cluster mode: the state is reset at the share coordinator under its next state epoch (Initialize /
 *   DeleteShareGroupState); the partitions' leaders reload it when their next write is fenced.
 *
 * Version notes:
 * - v0: the only version (KIP-932).
 */
import { ErrorCode } from '../../protocol/errors';
import type { AlterShareGroupOffsetsRequest } from '../../protocol/generated/messages/AlterShareGroupOffsetsRequest';
import type { AlterShareGroupOffsetsResponseInput, AlterShareGroupOffsetsResponseTopicInput } from '../../protocol/generated/messages/AlterShareGroupOffsetsResponse';
import type { Handler } from './types';
import { emptyShareGroup } from './emptyShareGroup';
import { AclOperation } from '../security/acl/model';

export const handleAlterShareGroupOffsets: Handler<AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponseInput> = async (ctx, req) => {
  const fail = (errorCode: number, errorMessage: string | null = null): AlterShareGroupOffsetsResponseInput => ({ errorCode, errorMessage, responses: [] });
  const target = await emptyShareGroup(ctx, req.groupId, AclOperation.READ);
  if (!target.share) return fail(target.errorCode, target.errorMessage);
  const { share } = target;
  const responses: AlterShareGroupOffsetsResponseTopicInput[] = [];
  for (const t of req.topics) {
    const topic = ctx.broker.metadata.topic(t.topicName);
    const partitions = [];
    for (const p of t.partitions) {
      let errorCode: number;
      if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else if (p.startOffset < 0n) errorCode = ErrorCode.INVALID_REQUEST;
      else if (share.cluster) errorCode = await share.cluster.reset(req.groupId, topic.id.toString('hex'), p.partitionIndex, Number(p.startOffset));
      else errorCode = await share.coordinator.resetStartOffset(req.groupId, topic, p.partitionIndex, Number(p.startOffset)).catch(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
      partitions.push({ partitionIndex: p.partitionIndex, errorCode });
    }
    responses.push({ topicName: t.topicName, topicId: topic?.id, partitions });
  }
  return { errorCode: 0, responses };
};
