/**
 * ShareGroupHeartbeat: v1
 *
 * Behavior:
 * - KIP-932 share groups. Needs READ on the group (GROUP_AUTHORIZATION_FAILED); an empty group id is
 *   INVALID_GROUP_ID, an empty member id INVALID_REQUEST.
 * - COORDINATOR_NOT_AVAILABLE when share groups are not running (or the join cannot be persisted), NOT_COORDINATOR
 *   for a group owned elsewhere.
 * - Epoch 0 joins (creating the group, persisted; subscribed topic names required); a classic or consumer group of
 *   that name keeps it (GROUP_ID_NOT_FOUND).
 * - Epoch -1 leaves and releases what the member holds; any other epoch must not be ahead of the member's
 *   (FENCED_MEMBER_EPOCH), and an unknown member is UNKNOWN_MEMBER_ID.
 * - The assignment is sent whenever the member's epoch moved since the last answer; share groups need no revocation
 *   step. Topics created or grown since the last heartbeat are picked up.
 *
 * Version notes:
 * - v1: the member id is the client's own. v0 (Kafka 4.0 early access) is not served.
 */
import { ErrorCode } from '../../protocol/errors';
import type { ShareGroupHeartbeatRequest } from '../../protocol/generated/messages/ShareGroupHeartbeatRequest';
import type { ShareGroupHeartbeatResponseInput } from '../../protocol/generated/messages/ShareGroupHeartbeatResponse';
import { clientHost, groupCoordinator, groupCoordinatorError } from '../groups/services';
import { shareServicesOf } from '../share/services';
import type { Handler } from './types';
import { authorizedGroup } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleShareGroupHeartbeat: Handler<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponseInput> = async (ctx, req) => {
  const fail = (errorCode: number, errorMessage: string | null = null): ShareGroupHeartbeatResponseInput => {
    ctx.broker.logger.info({ api: 'ShareGroupHeartbeat', group: req.groupId, member: req.memberId, errorCode, errorMessage, client: ctx.clientId }, 'share request refused');
    return { errorCode, errorMessage, memberEpoch: 0, assignment: null };
  };
  const share = shareServicesOf(ctx.broker);
  if (!share) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (!req.groupId) return fail(ErrorCode.INVALID_GROUP_ID, 'GroupId can not be empty');
  if (!authorizedGroup(ctx, AclOperation.READ, req.groupId)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  const placement = groupCoordinatorError(ctx, req.groupId);
  if (placement !== ErrorCode.NONE) return fail(placement);
  if (!req.memberId) return fail(ErrorCode.INVALID_REQUEST, 'MemberId can not be empty');
  const { coordinator } = share;
  await coordinator.loadGroup(req.groupId);
  const topics = { byName: (n: string) => ctx.broker.metadata.topic(n) };

  if (req.memberEpoch === -1) {
    await coordinator.removeMember(req.groupId, req.memberId);
    return { memberId: req.memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
  }
  let g = coordinator.group(req.groupId);
  let member = g?.membership.members.get(req.memberId);
  if (req.memberEpoch === 0) {
    if (!req.subscribedTopicNames || req.subscribedTopicNames.length === 0) return fail(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames must be set when joining');
    // One group id, one group type: a classic or consumer group of that name keeps it (Kafka answers the same).
    if (groupCoordinator(ctx)?.hasGroup(req.groupId)) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `group ${req.groupId} is not a share group`);
    try {
      g = await coordinator.ensureGroup(req.groupId);
    } catch (err) {
      ctx.broker.logger.error({ group: req.groupId, err: String(err) }, 'cannot persist share group');
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    member = {
      memberId: req.memberId,
      memberEpoch: 0,
      rackId: req.rackId,
      clientId: ctx.clientId ?? '',
      clientHost: clientHost(ctx),
      subscribedTopicNames: [...req.subscribedTopicNames],
      assignment: [],
      lastHeartbeatMs: ctx.now,
      sentEpoch: -1,
    };
    g.membership.members.set(req.memberId, member);
    g.membership.groupEpoch++;
  } else {
    if (!g || !member) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `member ${req.memberId} is not in share group ${req.groupId}`);
    if (req.memberEpoch > member.memberEpoch) return fail(ErrorCode.FENCED_MEMBER_EPOCH, `member epoch ${req.memberEpoch} is ahead of ${member.memberEpoch}`);
    member.lastHeartbeatMs = ctx.now;
    if (req.subscribedTopicNames && req.subscribedTopicNames.join(',') !== member.subscribedTopicNames.join(',')) {
      member.subscribedTopicNames = [...req.subscribedTopicNames];
      g.membership.groupEpoch++;
    }
  }
  // Topics created (or grown) since the last heartbeat are picked up here.
  g.membership.reassign(topics);
  try {
    await coordinator.syncMembership(req.groupId);
  } catch (err) {
    ctx.broker.logger.warn({ group: req.groupId, err: String(err) }, 'share group membership not persisted');
    if (req.memberEpoch === 0) {
      await coordinator.removeMember(req.groupId, req.memberId).catch(() => undefined);
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  }
  const send = member.sentEpoch !== member.memberEpoch;
  member.sentEpoch = member.memberEpoch;
  return {
    memberId: member.memberId,
    memberEpoch: member.memberEpoch,
    heartbeatIntervalMs: g.config.heartbeatIntervalMs,
    assignment: send ? { topicPartitions: member.assignment.map((a) => ({ topicId: a.topicId, partitions: a.partitions })) } : null,
  };
};
