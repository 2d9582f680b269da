/**
 * Metadata: v0-13
 *
 * Behavior:
 * - Lists the brokers reachable on the request's listener; a leader without that listener shows as no leader with
 *   LISTENER_NOT_FOUND.
 * - Topics need DESCRIBE: in an "all topics" request the others stay hidden, named ones answer
 *   TOPIC_AUTHORIZATION_FAILED.
 * - Unknown topics are auto-created when allowed and the client may CREATE them; a topic that would be auto-created
 *   but may not be is TOPIC_AUTHORIZATION_FAILED.
 * - Partitions without a leader are still listed, with LEADER_NOT_AVAILABLE.
 * - A filtered view's partitions show its source partitions' leader, epoch, replicas and ISR (src/views).
 *
 * Version notes:
 * - v0: an empty topic list means all topics (null does from v1). v1: controller_id, is_internal, rack. v2:
 *   cluster_id. v3: throttle_time_ms.
 * - v0-3: auto-creation follows the broker setting alone; v4+ the request's allow_auto_topic_creation flag.
 * - v5: offline_replicas. v7: leader_epoch. v9+: flexible.
 * - v8+: authorized operations when asked for (cluster ones v8-10 only, and only for those with DESCRIBE on the
 *   cluster).
 * - v10+: topic ids; a topic may be asked for by id alone (UNKNOWN_TOPIC_ID when not found). v13: top-level
 *   error_code (always 0 here).
 */
import { ErrorCode } from '../../protocol/errors';
import type { MetadataRequest } from '../../protocol/generated/messages/MetadataRequest';
import type { MetadataResponseInput } from '../../protocol/generated/messages/MetadataResponse';
import { resolveTopic } from '../metadata/partitionLogs';
import { NO_LEADER, type TopicInfo } from '../metadata/types';
import type { Handler, RequestContext } from './types';
import { authorizedCluster, authorizedOperations, authorizedToCreateTopic, authorizedTopic, CLUSTER_OPERATIONS, TOPIC_OPERATIONS } from '../security/acl/check';
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType } from '../security/acl/model';
import { brokersOnListener } from './advertisedEndpoint';
import { servingTopicName } from '../views/viewTopics';

/** Kafka's "authorized operations were not requested". */
const OPERATIONS_NOT_REQUESTED = -2147483648;
/** Without authorization every operation is allowed: bit N set for Kafka AclOperation code N. */
const opsMask = (codes: number[]) => codes.reduce((m, c) => m | (1 << c), 0);
// READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS
const ALL_TOPIC_OPERATIONS = opsMask([3, 4, 5, 6, 7, 8, 10, 11]);
// CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE
const ALL_CLUSTER_OPERATIONS = opsMask([5, 7, 8, 9, 10, 11, 12]);
const NO_TOPIC_ID = Buffer.alloc(16);

type TopicResponse = NonNullable<MetadataResponseInput['topics']>[number];

function describeTopic(topic: TopicInfo, nodeId: number, withOperations: boolean, ctx: RequestContext): TopicResponse {
  const { metadata } = ctx.broker;
  const live = new Set(metadata.brokers().map((b) => b.nodeId));
  const onListener = new Set(brokersOnListener(ctx).map((b) => b.nodeId));
  const partitions = [];
  // a filtered view is served by its source partition's leader, so clients are sent there, with its epoch
  const served = servingTopicName(topic);
  for (let p = 0; p < topic.partitions; p++) {
    const s = metadata.partitionState(served, p);
    // a live leader without the request's listener cannot be reached from it: Kafka's LISTENER_NOT_FOUND, no leader
    const unreachable = s !== undefined && s.leader !== NO_LEADER && live.has(s.leader) && !onListener.has(s.leader);
    const leaderId = s ? (unreachable ? NO_LEADER : s.leader) : nodeId;
    const replicaNodes = s ? s.replicas : [nodeId];
    partitions.push({
      // An offline partition is still listed, so clients keep asking until a leader is elected.
      errorCode: unreachable ? ErrorCode.LISTENER_NOT_FOUND : leaderId === NO_LEADER ? ErrorCode.LEADER_NOT_AVAILABLE : 0,
      partitionIndex: p,
      leaderId,
      leaderEpoch: s ? s.leaderEpoch : 0,
      replicaNodes,
      isrNodes: s ? s.isr : [nodeId],
      offlineReplicas: s ? replicaNodes.filter((r) => !live.has(r)) : [],
    });
  }
  return {
    errorCode: 0,
    name: topic.name,
    topicId: topic.id,
    isInternal: topic.internal,
    partitions,
    topicAuthorizedOperations: withOperations ? authorizedOperations(ctx, ResourceType.TOPIC, topic.name, TOPIC_OPERATIONS) : OPERATIONS_NOT_REQUESTED,
  };
}

function topicError(errorCode: number, name: string | null, topicId: Buffer = NO_TOPIC_ID): TopicResponse {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED };
}

async function requestedTopic(
  ctx: RequestContext,
  t: { topicId: Buffer; name: string | null },
  allowAutoCreate: boolean,
  withOperations: boolean,
): Promise<TopicResponse> {
  const nodeId = ctx.broker.config.nodeId;
  if (t.name === null) {
    // v10+: a topic may be asked for by id alone.
    const byId = ctx.broker.metadata.topicById(t.topicId);
    if (byId && !authorizedTopic(ctx, AclOperation.DESCRIBE, byId.name)) return topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, t.topicId);
    return byId ? describeTopic(byId, nodeId, withOperations, ctx) : topicError(ErrorCode.UNKNOWN_TOPIC_ID, null, t.topicId);
  }
  if (!authorizedTopic(ctx, AclOperation.DESCRIBE, t.name)) return topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, t.name);
  const mayCreate = authorizedToCreateTopic(ctx, t.name);
  const found = await resolveTopic(ctx.broker, t.name, allowAutoCreate && mayCreate);
  // Kafka: a topic that would have been auto-created but may not be is an authorization failure.
  if (!found.topic && !mayCreate && allowAutoCreate && ctx.broker.config.autoCreateTopicsEnable && found.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
    return topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, t.name);
  }
  return found.topic ? describeTopic(found.topic, nodeId, withOperations, ctx) : topicError(found.errorCode, t.name);
}

export const handleMetadata: Handler<MetadataRequest, MetadataResponseInput> = async (ctx, req) => {
  const { metadata, config } = ctx.broker;
  // v0 has no null: an empty list means "all topics" there; later versions use null for that.
  const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
  // Before v4 there is no flag and the broker setting alone decides.
  const allowAutoCreate = ctx.apiVersion < 4 || req.allowAutoTopicCreation;
  // v8+: the operation bit fields are only filled in when asked for.
  const topicOps = ctx.apiVersion >= 8 && req.includeTopicAuthorizedOperations;
  const clusterOps = ctx.apiVersion >= 8 && ctx.apiVersion <= 10 && req.includeClusterAuthorizedOperations;
  const topics = all
    ? metadata
        .topics()
        .filter((t) => authorizedTopic(ctx, AclOperation.DESCRIBE, t.name)) // topics one may not describe stay hidden
        .map((t) => describeTopic(t, config.nodeId, topicOps, ctx))
    : await Promise.all(req.topics!.map((t) => requestedTopic(ctx, t, allowAutoCreate, topicOps)));
  return {
    throttleTimeMs: 0,
    brokers: brokersOnListener(ctx),
    clusterId: metadata.clusterId,
    controllerId: metadata.controllerId,
    topics,
    // As in Kafka, the cluster's operations are only listed to those who may DESCRIBE it.
    clusterAuthorizedOperations: !clusterOps
      ? OPERATIONS_NOT_REQUESTED
      : authorizedCluster(ctx, AclOperation.DESCRIBE)
        ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME, CLUSTER_OPERATIONS)
        : 0,
  };
};
