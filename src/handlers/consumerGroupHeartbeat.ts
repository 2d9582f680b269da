/**
 * ConsumerGroupHeartbeat: v0-1
 *
 * Behavior:
 * - KIP-848 consumer protocol: join, heartbeat and leave in one call; the coordinator assigns and reconciles
 *   partitions.
 * - Needs READ on the group (GROUP_AUTHORIZATION_FAILED) and, as in Kafka 4.0, DESCRIBE on every subscribed topic
 *   name (TOPIC_AUTHORIZATION_FAILED naming them).
 * - COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR when this broker cannot serve the group; GROUP_ID_NOT_FOUND when a
 *   share group holds the group id.
 * - The session timeout and the heartbeat interval answered are the group's configs `consumer.session.timeout.ms` /
 *   `consumer.heartbeat.interval.ms` (GROUP resource) when set, else the broker's group.consumer.* ones.
 *
 * Version notes:
 * - v0: the coordinator picks the member id on join.
 * - v1: the client brings its own member id (KIP-1082; empty is INVALID_REQUEST) and may subscribe by regex
 *   (subscribed_topic_regex).
 */
import { ErrorCode } from '../../protocol/errors';
import type { ConsumerGroupHeartbeatRequest } from '../../protocol/generated/messages/ConsumerGroupHeartbeatRequest';
import type { ConsumerGroupHeartbeatResponseInput } from '../../protocol/generated/messages/ConsumerGroupHeartbeatResponse';
import { clientHost, groupCoordinator, groupCoordinatorError } from '../groups/services';
import { heldByShareGroup } from './shareMember';
import { shareServicesOf } from '../share/services';
import type { Handler } from './types';
import { authorizedGroup, authorizedTopic } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleConsumerGroupHeartbeat: Handler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponseInput> = async (ctx, req) => {
  const coord = groupCoordinator(ctx, req.groupId);
  if (!authorizedGroup(ctx, AclOperation.READ, req.groupId)) {
    return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
  }
  if (!coord) {
    return { errorCode: groupCoordinatorError(ctx, req.groupId), errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
  }
  // Kafka 4.0: every subscribed topic name must be DESCRIBE-able, or the heartbeat fails and names them.
  const hidden = req.subscribedTopicNames?.filter((t) => !authorizedTopic(ctx, AclOperation.DESCRIBE, t)) ?? [];
  if (hidden.length > 0) {
    return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `The following topics are unauthorized: ${hidden.join(', ')}`, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
  }
  if (ctx.apiVersion >= 1 && req.memberId === '') {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'MemberId can not be empty.', memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
  }
  if (await heldByShareGroup(ctx, req.groupId, coord)) {
    return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${req.groupId} is not a consumer group.`, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
  }
  // Cluster mode: the group's configs (session timeout, heartbeat interval) as of this coordinator's epoch
  if (ctx.broker.clustered) await shareServicesOf(ctx.broker)?.coordinator.loadGroup(req.groupId).catch(() => undefined);
  const r = await coord.consumerHeartbeat({
    groupId: req.groupId,
    memberId: req.memberId,
    memberEpoch: req.memberEpoch,
    instanceId: req.instanceId,
    rackId: req.rackId,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    subscribedTopicNames: req.subscribedTopicNames,
    subscribedTopicRegex: ctx.apiVersion >= 1 ? req.subscribedTopicRegex : null,
    serverAssignor: req.serverAssignor,
    ownedPartitions: req.topicPartitions?.map((tp) => ({ topicId: Buffer.from(tp.topicId), partitions: tp.partitions })) ?? null,
    clientId: ctx.clientId ?? '',
    clientHost: clientHost(ctx),
  });
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    memberId: r.memberId,
    memberEpoch: r.memberEpoch,
    heartbeatIntervalMs: r.heartbeatIntervalMs,
    assignment: r.assignment === null ? null : { topicPartitions: r.assignment },
  };
};
