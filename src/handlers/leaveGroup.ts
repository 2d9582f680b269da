/**
 * LeaveGroup: v0-5
 *
 * Behavior:
 * - Needs READ on the group (GROUP_AUTHORIZATION_FAILED); COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR when this
 *   broker cannot serve the group.
 * - Removes members from a classic group and triggers a rebalance; per-member errors (UNKNOWN_MEMBER_ID,
 *   FENCED_INSTANCE_ID) come from the coordinator.
 *
 * Version notes:
 * - v0-2: one member by id; its error is the top-level error. v1+ answers throttle_time_ms.
 * - v3+: a batch of members, each by member id and/or group.instance.id, each with its own error. v4+: flexible.
 * - v5: reason (not used by Brook).
 */
import { ErrorCode } from '../../protocol/errors';
import type { LeaveGroupRequest } from '../../protocol/generated/messages/LeaveGroupRequest';
import type { LeaveGroupResponseInput } from '../../protocol/generated/messages/LeaveGroupResponse';
import { groupCoordinator, groupCoordinatorError } from '../groups/services';
import type { Handler } from './types';
import { authorizedGroup } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleLeaveGroup: Handler<LeaveGroupRequest, LeaveGroupResponseInput> = (ctx, req) => {
  const coord = groupCoordinator(ctx, req.groupId);
  if (!authorizedGroup(ctx, AclOperation.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
  if (!coord) return { throttleTimeMs: 0, errorCode: groupCoordinatorError(ctx, req.groupId), members: [] };
  if (ctx.apiVersion < 3) {
    const r = coord.leave(req.groupId, [{ memberId: req.memberId, groupInstanceId: null }]);
    return { throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : r.members[0].errorCode };
  }
  const r = coord.leave(req.groupId, req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })));
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: m.errorCode })),
  };
};
