/**
 * SyncGroup: v0-5
 *
 * Behavior:
 * - Needs READ on the group (GROUP_AUTHORIZATION_FAILED); COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR when this
 *   broker cannot serve the group.
 * - The leader's assignments are stored and every member of the generation gets its own; errors (UNKNOWN_MEMBER_ID,
 *   ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS…) come from the coordinator.
 *
 * Version notes:
 * - v0-2: the same; v1+ answers throttle_time_ms. v3+: group_instance_id. v4+: flexible.
 * - v5: protocol_type and protocol_name in request and answer, checked against the group's
 *   (INCONSISTENT_GROUP_PROTOCOL).
 */
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
