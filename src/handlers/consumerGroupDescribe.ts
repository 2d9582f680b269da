/**
 * ConsumerGroupDescribe: v0-1
 *
 * Behavior:
 * - Needs DESCRIBE on each group (GROUP_AUTHORIZATION_FAILED); COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR when this
 *   broker cannot serve it.
 * - KIP-848 groups with epochs, assignor, and each member's current and target assignment; authorized operations
 *   when asked for.
 *
 * Version notes:
 * - v0: as above.
 * - v1: member_type (KIP-1099); always the consumer protocol, as Brook's consumer groups have no classic members.
 */
import { ErrorCode } from '../../protocol/errors';
import type { ConsumerGroupDescribeRequest } from '../../protocol/generated/messages/ConsumerGroupDescribeRequest';
import type { ConsumerGroupDescribeResponseInput } from '../../protocol/generated/messages/ConsumerGroupDescribeResponse';
import { groupCoordinator, groupCoordinatorError } from '../groups/services';
import type { Handler } from './types';
import { authorizedGroup, authorizedOperations, GROUP_OPERATIONS } from '../security/acl/check';
import { AclOperation, ResourceType } from '../security/acl/model';

/** Kafka's "operations not requested" marker. */
const NO_AUTHORIZED_OPERATIONS = -2147483648;
/** ConsumerGroupDescribe v1 MemberType: -1 unknown, 0 classic, 1 consumer protocol. */
const CONSUMER_MEMBER = 1;

export const handleConsumerGroupDescribe: Handler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponseInput> = (ctx, req) => {
  const coord = groupCoordinator(ctx);
  return {
    throttleTimeMs: 0,
    groups: req.groupIds.map((groupId) => {
      if (!authorizedGroup(ctx, AclOperation.DESCRIBE, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId, groupState: '', members: [] };
      if (!coord || !coord.ownsGroup(groupId)) return { errorCode: groupCoordinatorError(ctx, groupId), errorMessage: null, groupId, groupState: '', members: [] };
      const d = coord.describeConsumerGroup(groupId);
      return {
        errorCode: d.errorCode,
        errorMessage: d.errorMessage,
        groupId,
        groupState: d.state,
        groupEpoch: d.groupEpoch,
        assignmentEpoch: d.assignmentEpoch,
        assignorName: d.assignorName,
        members: d.members.map((m) => ({
          memberId: m.memberId,
          instanceId: m.instanceId,
          rackId: m.rackId,
          memberEpoch: m.memberEpoch,
          clientId: m.clientId,
          clientHost: m.clientHost,
          subscribedTopicNames: m.subscribedTopicNames,
          subscribedTopicRegex: m.subscribedTopicRegex,
          assignment: { topicPartitions: m.assignment },
          targetAssignment: { topicPartitions: m.targetAssignment },
          // v1 (KIP-1099): Brook's consumer groups have only members on the consumer protocol.
          memberType: CONSUMER_MEMBER,
        })),
        authorizedOperations: req.includeAuthorizedOperations ? authorizedOperations(ctx, ResourceType.GROUP, groupId, GROUP_OPERATIONS) : NO_AUTHORIZED_OPERATIONS,
      };
    }),
  };
};
