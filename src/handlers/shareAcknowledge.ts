/**
 * ShareAcknowledge: v1
 *
 * Behavior:
 * - KIP-932. Needs group and member ids (INVALID_REQUEST), READ on the group (GROUP_AUTHORIZATION_FAILED) and a
 *   current member (UNKNOWN_MEMBER_ID).
 * - Needs an open share session: epoch 0 is refused (acknowledgements cannot open one); -1 acknowledges and then
 *   closes the session, releasing what the member still holds.
 * - Each partition's acknowledgements apply all or nothing: a range the member does not hold gets
 *   INVALID_RECORD_STATE and changes nothing; batches out of ascending order or overlapping, or with bad types, get
 *   INVALID_REQUEST and change nothing. Answered once the new state is persisted.
 * - current_leader is always -1 and node_endpoints empty.
 * - Cluster mode: a partition is served by its leader only (NOT_LEADER_OR_FOLLOWER per partition elsewhere), which
 *   loads the share-partition from the share coordinator on first use at its leader epoch; the member is checked
 *   only on the broker that coordinates the group (other leaders cannot see the membership, nor do Kafka's).
 *
 * Version notes:
 * - v1 only (v0 was Kafka 4.0 early access); no RENEW acknowledgement (a v2 feature).
 */
import { ErrorCode } from '../../protocol/errors';
import type { ShareAcknowledgeRequest } from '../../protocol/generated/messages/ShareAcknowledgeRequest';
import type { ShareAcknowledgeResponseInput } from '../../protocol/generated/messages/ShareAcknowledgeResponse';
import { applyAcks, sessionFor } from '../share/requestFlow';
import { sessionPartitionKey } from '../share/sessions';
import { checkShareMember } from './shareMember';
import type { Handler } from './types';

export const handleShareAcknowledge: Handler<ShareAcknowledgeRequest, ShareAcknowledgeResponseInput> = async (ctx, req) => {
  const fail = (errorCode: number, errorMessage: string | null = null): ShareAcknowledgeResponseInput => {
    ctx.broker.logger.info({ api: 'ShareAcknowledge', group: req.groupId, member: req.memberId, errorCode, errorMessage, client: ctx.clientId }, 'share request refused');
    return { errorCode, errorMessage, responses: [] };
  };
  const checked = await checkShareMember(ctx, req.groupId, req.memberId);
  if (!checked.ok) return fail(checked.errorCode, checked.errorMessage);
  const { share, group, member } = checked;
  const step = sessionFor(share.sessions, group, member, req.shareSessionEpoch, false);
  if (step.errorCode !== ErrorCode.NONE) return fail(step.errorCode);
  const results = await applyAcks(share.coordinator, group, member, req.topics);
  if (req.shareSessionEpoch === -1) {
    const closed = share.sessions.close(group, member);
    if (closed) await share.coordinator.releaseMember(group, member, new Set(closed.partitions.keys()));
  }
  return {
    errorCode: 0,
    responses: req.topics.map((t) => ({
      topicId: t.topicId,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: results.get(sessionPartitionKey(t.topicId, p.partitionIndex)) ?? 0,
        currentLeader: { leaderId: -1, leaderEpoch: -1 },
      })),
    })),
    nodeEndpoints: [],
  };
};
