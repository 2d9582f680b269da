/**
 * ShareGroupDescribe: v1
 *
 * Behavior:
 * - Needs DESCRIBE on each group (GROUP_AUTHORIZATION_FAILED); COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR when this
 *   broker cannot serve it.
 * - Members with their subscriptions and assignments, the group and assignment epochs; the assignor is always
 *   "simple".
 * - A group that is not a share group here: GROUP_ID_NOT_FOUND (state Dead).
 * - include_authorized_operations: the caller's operations on the group (as DescribeGroups), else INT32_MIN.
 *
 * Version notes:
 * - v1: as above. v0 (Kafka 4.0 early access) is not served.
 */
import { ErrorCode } from '../../protocol/errors';
import type { ShareGroupDescribeRequest } from '../../protocol/generated/messages/ShareGroupDescribeRequest';
import type { DescribedGroupInput, ShareGroupDescribeResponseInput } from '../../protocol/generated/messages/ShareGroupDescribeResponse';
import { groupCoordinatorError } from '../groups/services';
import { shareServicesOf } from '../share/services';
import type { Handler } from './types';
import { authorizedGroup, authorizedOperations, GROUP_OPERATIONS } from '../security/acl/check';
import { AclOperation, ResourceType } from '../security/acl/model';

/** Kafka's "not requested" value of authorized_operations. */
const NO_AUTHORIZED_OPERATIONS = -2147483648;

export const handleShareGroupDescribe: Handler<ShareGroupDescribeRequest, ShareGroupDescribeResponseInput> = async (ctx, req) => {
  const share = shareServicesOf(ctx.broker);
  const placed = req.groupIds.filter((id) => share && groupCoordinatorError(ctx, id) === ErrorCode.NONE);
  for (const id of placed) await share!.coordinator.loadGroup(id);
  const groups = req.groupIds.map((groupId): DescribedGroupInput => {
    const fail = (errorCode: number, errorMessage: string | null = null): DescribedGroupInput => ({ groupId, errorCode, errorMessage, groupState: 'Dead', members: [] });
    if (!share) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!authorizedGroup(ctx, AclOperation.DESCRIBE, groupId)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const placement = groupCoordinatorError(ctx, groupId);
    if (placement !== ErrorCode.NONE) return fail(placement);
    const g = share.coordinator.group(groupId);
    if (!g) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `share group ${groupId} not found`);
    return {
      groupId,
      errorCode: 0,
      groupState: g.membership.state,
      groupEpoch: g.membership.groupEpoch,
      assignmentEpoch: g.membership.assignmentEpoch,
      assignorName: 'simple',
      authorizedOperations: req.includeAuthorizedOperations ? authorizedOperations(ctx, ResourceType.GROUP, groupId, GROUP_OPERATIONS) : NO_AUTHORIZED_OPERATIONS,
      members: [...g.membership.members.values()].map((m) => ({
        memberId: m.memberId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        assignment: { topicPartitions: m.assignment.map((a) => ({ topicId: a.topicId, topicName: a.topicName, partitions: a.partitions })) },
      })),
    };
  });
  return { groups };
};
