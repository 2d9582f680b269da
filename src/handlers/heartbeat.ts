/**
 * Heartbeat: v0-4
 *
 * Behavior:
 * - Needs READ on the group (GROUP_AUTHORIZATION_FAILED); COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR when this
 *   broker cannot serve the group.
 * - Keeps a classic-protocol member alive; REBALANCE_IN_PROGRESS tells it to rejoin, UNKNOWN_MEMBER_ID /
 *   ILLEGAL_GENERATION / FENCED_INSTANCE_ID come from the coordinator.
 *
 * Version notes:
 * - v0-2: the same; v1+ answers throttle_time_ms. v3+: group_instance_id. v4: flexible.
 */
import { ErrorCode } from '../../protocol/errors';
import type { HeartbeatRequest } from '../../protocol/generated/messages/HeartbeatRequest';
import type { HeartbeatResponseInput } from '../../protocol/generated/messages/HeartbeatResponse';
import { groupCoordinator, groupCoordinatorError } from '../groups/services';
import type { Handler } from './types';
import { authorizedGroup } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleHeartbeat: Handler<HeartbeatRequest, HeartbeatResponseInput> = (ctx, req) => {
  const coord = groupCoordinator(ctx, req.groupId);
  if (!authorizedGroup(ctx, AclOperation.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
  if (!coord) return { throttleTimeMs: 0, errorCode: groupCoordinatorError(ctx, req.groupId) };
  const instance = ctx.apiVersion >= 3 ? req.groupInstanceId : null;
  return { throttleTimeMs: 0, errorCode: coord.heartbeat(req.groupId, req.memberId, instance, req.generationId) };
};
