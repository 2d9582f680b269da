import { ErrorCode } from '../../protocol/errors';
import type { SyncGroupRequest } from '../../protocol/generated/messages/SyncGroupRequest';
import type { SyncGroupResponseInput } from '../../protocol/generated/messages/SyncGroupResponse';
import { groupCoordinator, groupCoordinatorError, ownBytes } from '../groups/services';
import type { Handler } from './types';
import { authorizedGroup } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleSyncGroup: Handler<SyncGroupRequest, SyncGroupResponseInput> = async (ctx, req) => {
  const v = ctx.apiVersion;
  const coord = groupCoordinator(ctx, req.groupId);
  if (!authorizedGroup(ctx, AclOperation.READ, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, assignment: Buffer.alloc(0) };
  if (!coord) return { errorCode: groupCoordinatorError(ctx, req.groupId), assignment: Buffer.alloc(0) };
  const r = await coord.sync({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: v >= 3 ? req.groupInstanceId : null,
    protocolType: v >= 5 ? req.protocolType : null,
    protocolName: v >= 5 ? req.protocolName : null,
    assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: ownBytes(a.assignment) })),
  });
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    protocolType: r.protocolType,
    protocolName: r.protocolName,
    assignment: r.assignment,
  };
};
