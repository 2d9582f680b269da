/**
 * ListGroups: v0-5
 *
 * Behavior:
 * - DESCRIBE on the cluster lists every group; otherwise only the groups the client may DESCRIBE (no error).
 * - Share groups are listed beside the consumer groups. COORDINATOR_NOT_AVAILABLE when the group coordinator is not
 *   running.
 *
 * Version notes:
 * - v0-2: the same; v1+ answers throttle_time_ms. v3+: flexible.
 * - v4+: states_filter and group_state (KIP-518). v5: types_filter and group_type (KIP-848; "share" selects share
 *   groups).
 */
import { ErrorCode } from '../../protocol/errors';
import type { ListGroupsRequest } from '../../protocol/generated/messages/ListGroupsRequest';
import type { ListGroupsResponseInput } from '../../protocol/generated/messages/ListGroupsResponse';
import { groupCoordinator } from '../groups/services';
import type { Handler } from './types';
import { shareServicesOf } from '../share/services';
import { authorizedCluster, authorizedGroup } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleListGroups: Handler<ListGroupsRequest, ListGroupsResponseInput> = (ctx, req) => {
  const coord = groupCoordinator(ctx);
  if (!coord) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
  const states = ctx.apiVersion >= 4 ? req.statesFilter : [];
  const types = ctx.apiVersion >= 5 ? req.typesFilter : [];
  // Share groups (src/share) are listed beside the consumer groups; "share" in the type filter selects them.
  const all = [...coord.listGroups(states, types), ...(shareServicesOf(ctx.broker)?.coordinator.listGroups(states, types) ?? [])];
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    // DESCRIBE on the cluster lists every group; otherwise only the groups one may DESCRIBE.
    groups: (authorizedCluster(ctx, AclOperation.DESCRIBE) ? all : all.filter((g) => authorizedGroup(ctx, AclOperation.DESCRIBE, g.groupId))).map((g) => ({
      groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.type,
    })),
  };
};
