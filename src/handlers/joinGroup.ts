/**
 * JoinGroup: v0-9
 *
 * Behavior:
 * - Needs READ on the group (GROUP_AUTHORIZATION_FAILED); COORDINATOR_NOT_AVAILABLE while offsets load,
 *   NOT_COORDINATOR for a group owned elsewhere.
 * - Classic-protocol join handled by the group coordinator: rebalance, leader election, static members by
 *   group.instance.id.
 * - A group id a share group holds is GROUP_ID_NOT_FOUND (Kafka: not a classic group).
 *
 * Version notes:
 * - v0: no rebalance timeout; the session timeout is used for both, as in Kafka. v1+: rebalance_timeout_ms.
 * - v2+: throttle_time_ms. v4+: a first join without a member id gets MEMBER_ID_REQUIRED and must rejoin with the id
 *   given.
 * - v5+: group_instance_id (static membership). v6+: flexible.
 * - v7+: protocol_type in the answer, protocol_name nullable (empty string before). v8: reason (not used by Brook).
 * - v9: skip_assignment tells a static leader not to reassign; older leaders recompute and SyncGroup keeps the
 *   current assignment.
 */
import { ErrorCode } from '../../protocol/errors';
import type { JoinGroupRequest } from '../../protocol/generated/messages/JoinGroupRequest';
import type { JoinGroupResponseInput } from '../../protocol/generated/messages/JoinGroupResponse';
import { clientHost, groupCoordinator, groupCoordinatorError, ownBytes } from '../groups/services';
import { heldByShareGroup } from './shareMember';
import type { Handler } from './types';
import { authorizedGroup } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleJoinGroup: Handler<JoinGroupRequest, JoinGroupResponseInput> = async (ctx, req) => {
  const v = ctx.apiVersion;
  const coord = groupCoordinator(ctx, req.groupId);
  if (!authorizedGroup(ctx, AclOperation.READ, req.groupId)) {
    return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolName: v >= 7 ? null : '', leader: '', memberId: req.memberId, members: [] };
  }
  if (!coord) {
    return { errorCode: groupCoordinatorError(ctx, req.groupId), generationId: -1, protocolName: v >= 7 ? null : '', leader: '', memberId: req.memberId, members: [] };
  }
  if (await heldByShareGroup(ctx, req.groupId, coord)) {
    return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, generationId: -1, protocolName: v >= 7 ? null : '', leader: '', memberId: req.memberId, members: [] };
  }
  const r = await coord.join({
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: v >= 5 ? req.groupInstanceId : null,
    sessionTimeoutMs: req.sessionTimeoutMs,
    // v0 has no rebalance timeout: Kafka uses the session timeout for both.
    rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols.map((p) => ({ name: p.name, metadata: ownBytes(p.metadata) })),
    clientId: ctx.clientId ?? '',
    clientHost: clientHost(ctx),
    requireKnownMemberId: v >= 4,
  });
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    // Before v7 the protocol name is not nullable on the wire.
    protocolName: v >= 7 ? r.protocolName : (r.protocolName ?? ''),
    leader: r.leader,
    // Only v9+ can tell a static leader to skip assigning; older leaders recompute and SyncGroup keeps the current one.
    skipAssignment: v >= 9 && r.skipAssignment,
    memberId: r.memberId,
    members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
  };
};
