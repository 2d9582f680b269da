/**
 * DescribeGroups: v0-6
 *
 * Behavior:
 * - Needs DESCRIBE on each group (GROUP_AUTHORIZATION_FAILED); COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR when this
 *   broker cannot serve it.
 * - State, protocol and members with their metadata and assignments.
 *
 * Version notes:
 * - v0-2: the same; v1+ answers throttle_time_ms. v3+: authorized operations when asked for.
 * - v4+: group_instance_id per member. v5+: flexible.
 * - v6: an unknown group is GROUP_ID_NOT_FOUND (KIP-1043); older versions describe it as Dead with no members.
 */
import { ErrorCode } from '../../protocol/errors';
import type { DescribeGroupsRequest } from '../../protocol/generated/messages/DescribeGroupsRequest';
import type { DescribeGroupsResponseInput } from '../../protocol/generated/messages/DescribeGroupsResponse';
import { groupCoordinator, groupCoordinatorError } from '../groups/services';
import type { Handler } from './types';
import { authorizedGroup, authorizedOperations, GROUP_OPERATIONS } from '../security/acl/check';
import { AclOperation, ResourceType } from '../security/acl/model';

/** Kafka's "operations not requested" marker. */
const NO_AUTHORIZED_OPERATIONS = -2147483648;

export const handleDescribeGroups: Handler<DescribeGroupsRequest, DescribeGroupsResponseInput> = (ctx, req) => {
  const coord = groupCoordinator(ctx);
  return {
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => {
      if (!authorizedGroup(ctx, AclOperation.DESCRIBE, groupId)) {
        return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
      }
      if (!coord || !coord.ownsGroup(groupId)) {
        return { errorCode: groupCoordinatorError(ctx, groupId), groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
      }
      const d = coord.describeGroup(groupId);
      // v6 (KIP-1043) says plainly that the group does not exist; older versions describe it as Dead.
      if (ctx.apiVersion >= 6 && d.errorCode === ErrorCode.NONE && d.state === 'Dead' && d.members.length === 0) {
        return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
      }
      return {
        errorCode: d.errorCode,
        groupId,
        groupState: d.state,
        protocolType: d.protocolType,
        protocolData: d.protocolData,
        members: d.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
        authorizedOperations: req.includeAuthorizedOperations ? authorizedOperations(ctx, ResourceType.GROUP, groupId, GROUP_OPERATIONS) : NO_AUTHORIZED_OPERATIONS,
      };
    }),
  };
};
