import { ErrorCode } from '../../protocol/errors';
import type { ListGroupsRequest } from '../../protocol/generated/messages/ListGroupsRequest';
import type { ListGroupsResponseInput } from '../../protocol/generated/messages/ListGroupsResponse';
import { groupCoordinator } from '../groups/services';
import type { Handler } from './types';

export const handleListGroups: Handler<ListGroupsRequest, ListGroupsResponseInput> = (ctx, req) => {
  const coord = groupCoordinator(ctx);
  if (!coord) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
  const states = ctx.apiVersion >= 4 ? req.statesFilter : [];
  const types = ctx.apiVersion >= 5 ? req.typesFilter : [];
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    groups: coord.listGroups(states, types).map((g) => ({
      groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.type,
    })),
  };
};
