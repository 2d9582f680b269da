/**
 * DeleteGroups: v0-2
 *
 * Behavior:
 * - Needs DELETE on each group (GROUP_AUTHORIZATION_FAILED). Consumer and share groups alike.
 * - Errors from the coordinator: NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND; NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE
 *   when this broker cannot serve the group (also when a share group deletion fails).
 * - Cluster mode, share groups: the group's coordinator deletes the state of every share-partition at the share
 *   coordinator (DeleteShareGroupState, a new state epoch); the partitions' leaders drop their copies when a new
 *   share session opens or their next write is fenced, so a group re-created with the same id starts afresh.
 *
 * Version notes:
 * - v0-1: the same. v2: flexible.
 */
import { ErrorCode } from '../../protocol/errors';
import type { DeleteGroupsRequest } from '../../protocol/generated/messages/DeleteGroupsRequest';
import type { DeleteGroupsResponseInput } from '../../protocol/generated/messages/DeleteGroupsResponse';
import { groupCoordinator, groupCoordinatorError } from '../groups/services';
import type { Handler } from './types';
import { shareServicesOf } from '../share/services';
import { authorizedGroup } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleDeleteGroups: Handler<DeleteGroupsRequest, DeleteGroupsResponseInput> = async (ctx, req) => {
  const coord = groupCoordinator(ctx);
  const share = shareServicesOf(ctx.broker)?.coordinator;
  const results = [];
  for (const groupId of req.groupsNames) {
    // Cluster mode: only the group's coordinator deletes it (a data leader merely borrows its configs), from its loaded records.
    if (share?.coordinates(groupId)) await share.loadGroup(groupId).catch(() => undefined);
    const errorCode = !authorizedGroup(ctx, AclOperation.DELETE, groupId)
      ? ErrorCode.GROUP_AUTHORIZATION_FAILED
      : share?.coordinates(groupId) && share.group(groupId)
        ? await share.deleteGroup(groupId).catch(() => ErrorCode.COORDINATOR_NOT_AVAILABLE)
        : coord?.ownsGroup(groupId)
        ? await coord.deleteGroup(groupId)
        : groupCoordinatorError(ctx, groupId);
    results.push({ groupId, errorCode });
  }
  return { throttleTimeMs: 0, results };
};
