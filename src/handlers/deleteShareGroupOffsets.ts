/**
 * DeleteShareGroupOffsets: v0
 *
 * Behavior:
 * - Forgets an empty share group's state on whole topics; the next use starts at share.auto.offset.reset.
 * - Needs DELETE on the group (GROUP_AUTHORIZATION_FAILED); no per-topic check. COORDINATOR_NOT_AVAILABLE /
 *   NOT_COORDINATOR when this broker cannot serve it.
 * - Not a share group: GROUP_ID_NOT_FOUND; members present: NON_EMPTY_GROUP; unknown topic:
 *   UNKNOWN_TOPIC_OR_PARTITION.
 *
 * - Cluster mode: the state is reset at the share coordinator under its next state epoch (Initialize /
 *   DeleteShareGroupState); the partitions' leaders reload it when their next write is fenced.
 *
 * Version notes:
 * - v0: the only version (KIP-932).
 */
import { ErrorCode } from '../../protocol/errors';
import type { DeleteShareGroupOffsetsRequest } from '../../protocol/generated/messages/DeleteShareGroupOffsetsRequest';
import type { DeleteShareGroupOffsetsResponseInput, DeleteShareGroupOffsetsResponseTopicInput } from '../../protocol/generated/messages/DeleteShareGroupOffsetsResponse';
import type { Handler } from './types';
import { emptyShareGroup } from './emptyShareGroup';
import { AclOperation } from '../security/acl/model';

export const handleDeleteShareGroupOffsets: Handler<DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponseInput> = async (ctx, req) => {
  const fail = (errorCode: number, errorMessage: string | null = null): DeleteShareGroupOffsetsResponseInput => ({ errorCode, errorMessage, responses: [] });
  const target = await emptyShareGroup(ctx, req.groupId, AclOperation.DELETE);
  if (!target.share) return fail(target.errorCode, target.errorMessage);
  const { share } = target;
  const responses: DeleteShareGroupOffsetsResponseTopicInput[] = [];
  for (const t of req.topics) {
    const topic = ctx.broker.metadata.topic(t.topicName);
    if (!topic) {
      responses.push({ topicName: t.topicName, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      continue;
    }
    let errorCode: number = ErrorCode.NONE;
    for (let p = 0; p < topic.partitions; p++) {
      if (share.cluster) {
        const code = await share.cluster.reset(req.groupId, topic.id.toString('hex'), p, -1);
        if (code !== ErrorCode.NONE) errorCode = code;
      } else await share.coordinator.deleteStartOffset(req.groupId, topic.id, p).catch(() => (errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
    responses.push({ topicName: t.topicName, topicId: topic.id, errorCode });
  }
  return { errorCode: 0, responses };
};
