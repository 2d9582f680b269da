import { ErrorCode } from '../../protocol/errors';
import type { LeaveGroupRequest } from '../../protocol/generated/messages/LeaveGroupRequest';
import type { LeaveGroupResponseInput } from '../../protocol/generated/messages/LeaveGroupResponse';
import { groupCoordinator, groupCoordinatorError } from '../groups/services';
import type { Handler } from './types';
import { authorizedGroup } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

/** v0..v2 leave one member by id; v3+ leave a batch, each by member id and/or group.instance.id. */
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
