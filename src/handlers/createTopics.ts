/**
 * CreateTopics: v0-7
 *
 * Behavior:
 * - Each topic is checked and created on its own; the response keeps the request's order, and a name given twice
 *   gets one INVALID_REQUEST entry.
 * - Needs CREATE on the cluster or the topic (TOPIC_AUTHORIZATION_FAILED). Bad or colliding names ('.' vs '_'):
 *   INVALID_TOPIC_EXCEPTION; existing: TOPIC_ALREADY_EXISTS.
 * - Assignments and counts together: INVALID_REQUEST; gaps or unknown brokers in assignments:
 *   INVALID_REPLICA_ASSIGNMENT; bad counts: INVALID_PARTITIONS / INVALID_REPLICATION_FACTOR (more than the live
 *   brokers included).
 * - Brook-only limit brook.max.partitions.per.topic (INVALID_PARTITIONS). Bad or null config values: INVALID_CONFIG.
 * - The new topic's configs are returned only to those with DESCRIBE_CONFIGS on it (else topic_config_error_code).
 *   No controller mutation quota, so never THROTTLING_QUOTA_EXCEEDED.
 *
 * Version notes:
 * - v1+: validate_only (checks everything, creates nothing). v1 adds error_message, v2 throttle_time_ms.
 * - v4+: num_partitions / replication_factor may be -1 for the broker defaults.
 * - v5+: flexible; the answer carries the topic's configs, partition count and replication factor.
 * - v6: as v5. v7: the new topic's id in the answer.
 */
import { brokerLayersOf } from '../admin/dynamicBrokerConfigs';
import { ErrorCode } from '../../protocol/errors';
import type { CreatableTopic, CreateTopicsRequest } from '../../protocol/generated/messages/CreateTopicsRequest';
import type { CreateTopicsResponseInput } from '../../protocol/generated/messages/CreateTopicsResponse';
import { maxPartitionsPerTopic } from '../admin/limits';
import { assignmentProblemIn, duplicates } from '../admin/replicaAssignment';
import { describeTopicConfigs, topicConfigProblem } from '../admin/topicConfigs';
import { collidingTopicName, topicNameProblem } from '../metadata/topicName';
import { isReservedInternalTopic } from '../internalTopics/names';
import { VIEW_FILTER, VIEW_OF, viewConfigProblem } from '../views/viewTopics';
import { MetadataError, type TopicInfo } from '../metadata/types';
import type { Handler, RequestContext } from './types';
import { authorizedToCreateTopic, authorizedTopic } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

type TopicResult = NonNullable<CreateTopicsResponseInput['topics']>[number];

const NO_ID = Buffer.alloc(16);

function failed(name: string, errorCode: number, errorMessage: string | null): TopicResult {
  return { name, topicId: NO_ID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: [] };
}

function* topicNames(ctx: RequestContext): Generator<string> {
  for (const t of ctx.broker.metadata.topics()) yield t.name;
}

type Plan = { partitions: number; configs: Record<string, string>; replicationFactor: number; assignment?: number[][] } | { errorCode: number; message: string };

/** Checks one topic of the request the way Kafka's controller does, without changing anything. */
function plan(ctx: RequestContext, t: CreatableTopic): Plan {
  const liveIds = liveBrokerIds(ctx);
  if (!authorizedToCreateTopic(ctx, t.name)) return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, message: 'creating a topic needs CREATE on the cluster or the topic' };
  const nameProblem = topicNameProblem(t.name);
  if (nameProblem) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, message: nameProblem };
  if (ctx.broker.metadata.topic(t.name)) return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, message: `topic ${t.name} already exists` };
  if (isReservedInternalTopic(t.name)) return { errorCode: ErrorCode.INVALID_REQUEST, message: `creation of internal topic ${t.name} is prohibited: the broker creates it when first needed` };
  // checked again by the metadata service's createTopic (as for auto-creation); here so validate_only sees it too
  const clash = collidingTopicName(t.name, topicNames(ctx));
  if (clash) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, message: `topic ${t.name} collides with existing topic ${clash}` };

  let partitions: number;
  let replicationFactor: number;
  let assignment: number[][] | undefined;
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      return { errorCode: ErrorCode.INVALID_REQUEST, message: 'give either replica assignments or num_partitions/replication_factor, not both' };
    }
    const indexes = t.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
    if (indexes.some((p, i) => p !== i)) {
      return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'assigned partitions must be numbered 0..n-1 without gaps' };
    }
    for (const a of t.assignments) {
      const problem = assignmentProblemIn(a.brokerIds, liveIds);
      if (problem) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `partition ${a.partitionIndex}: ${problem}` };
    }
    partitions = t.assignments.length;
    assignment = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => [...a.brokerIds]);
    replicationFactor = assignment[0].length;
  } else {
    partitions = t.numPartitions === -1 ? ctx.broker.config.numPartitions : t.numPartitions;
    if (partitions <= 0) return { errorCode: ErrorCode.INVALID_PARTITIONS, message: `number of partitions must be at least 1, got ${partitions}` };
    const rf = t.replicationFactor === -1 ? ctx.broker.config.defaultReplicationFactor : t.replicationFactor;
    replicationFactor = rf;
    const brokers = liveIds.length;
    if (rf <= 0) return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, message: `replication factor must be at least 1, got ${rf}` };
    if (rf > brokers) {
      return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, message: `replication factor ${rf} is larger than the ${brokers} available broker(s)` };
    }
  }

  const limit = maxPartitionsPerTopic(ctx.broker.config);
  if (partitions > limit) return { errorCode: ErrorCode.INVALID_PARTITIONS, message: `${partitions} partitions exceed brook.max.partitions.per.topic=${limit}` };

  // Kafka's controller answers INVALID_CONFIG naming every config given without a value
  const nulls = t.configs.filter((c) => c.value === null).map((c) => c.name);
  if (nulls.length > 0) return { errorCode: ErrorCode.INVALID_CONFIG, message: `Null value not supported for topic configs: ${nulls.join(',')}` };
  const configs: Record<string, string> = {};
  for (const c of t.configs) {
    if (c.value === null) continue;
    const problem = topicConfigProblem(c.name, c.value);
    if (problem) return { errorCode: ErrorCode.INVALID_CONFIG, message: problem };
    configs[c.name] = c.value;
  }
  if (configs[VIEW_OF] !== undefined || configs[VIEW_FILTER] !== undefined) return planView(ctx, t.name, configs, replicationFactor);
  return { partitions, configs, replicationFactor, assignment };
}

/** A filtered view (src/views) gets its source's partitions on its source's replicas, whatever the request asked. */
function planView(ctx: RequestContext, name: string, configs: Record<string, string>, replicationFactor: number): Plan {
  const problem = viewConfigProblem(ctx.broker.metadata, name, configs, null);
  if (problem) return { errorCode: ErrorCode.INVALID_CONFIG, message: problem };
  const source = ctx.broker.metadata.topic(configs[VIEW_OF]!)!;
  const assignment: number[][] = [];
  for (let p = 0; p < source.partitions; p++) {
    const replicas = ctx.broker.metadata.partitionState(source.name, p)?.replicas;
    if (!replicas || replicas.length === 0) return { partitions: source.partitions, configs, replicationFactor };
    assignment.push([...replicas]);
  }
  return { partitions: source.partitions, configs, replicationFactor: assignment[0]?.length ?? replicationFactor, assignment };
}

/** The brokers replicas may be placed on; this broker counts even before its registration lands. */
function liveBrokerIds(ctx: RequestContext): number[] {
  const ids = ctx.broker.metadata.brokers().map((b) => b.nodeId);
  const self = ctx.broker.metadata.self().nodeId;
  return ids.includes(self) ? ids : [...ids, self];
}

function succeeded(ctx: RequestContext, topic: TopicInfo, id: Buffer, replicationFactor: number): TopicResult {
  const configs = describeTopicConfigs(topic, ctx.broker.config, null, brokerLayersOf(ctx.broker)).map((c) => ({
    name: c.name,
    value: c.value,
    readOnly: c.readOnly,
    configSource: c.source,
    isSensitive: c.isSensitive,
  }));
  // Kafka shows the new topic's configs only to those who may DESCRIBE_CONFIGS it.
  if (!authorizedTopic(ctx, AclOperation.DESCRIBE_CONFIGS, topic.name)) {
    return { name: topic.name, topicId: id, errorCode: 0, errorMessage: null, topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, numPartitions: topic.partitions, replicationFactor, configs: [] };
  }
  return { name: topic.name, topicId: id, errorCode: 0, errorMessage: null, topicConfigErrorCode: 0, numPartitions: topic.partitions, replicationFactor, configs };
}

async function createOne(ctx: RequestContext, t: CreatableTopic, validateOnly: boolean): Promise<TopicResult> {
  const p = plan(ctx, t);
  if ('errorCode' in p) return failed(t.name, p.errorCode, p.message);
  if (validateOnly) {
    const preview: TopicInfo = { name: t.name, id: NO_ID, partitions: p.partitions, configs: p.configs, internal: false };
    return succeeded(ctx, preview, NO_ID, p.replicationFactor);
  }
  try {
    const topic = await ctx.broker.metadata.createTopic(t.name, { partitions: p.partitions, configs: p.configs, replicationFactor: p.replicationFactor, assignment: p.assignment });
    return succeeded(ctx, topic, topic.id, ctx.broker.metadata.partitionState(topic.name, 0)?.replicas.length ?? p.replicationFactor);
  } catch (err) {
    if (err instanceof MetadataError) return failed(t.name, err.errorCode, err.message);
    ctx.broker.logger.error({ topic: t.name, err: (err as Error).message }, 'topic creation failed');
    return failed(t.name, ErrorCode.UNKNOWN_SERVER_ERROR, (err as Error).message);
  }
}

export const handleCreateTopics: Handler<CreateTopicsRequest, CreateTopicsResponseInput> = async (ctx, req) => {
  const dup = duplicates(req.topics.map((t) => t.name));
  const topics: TopicResult[] = [];
  const answered = new Set<string>();
  for (const t of req.topics) {
    // Results are keyed by name, so a repeated topic gets one (error) entry.
    if (answered.has(t.name)) continue;
    answered.add(t.name);
    if (dup.has(t.name)) topics.push(failed(t.name, ErrorCode.INVALID_REQUEST, `topic ${t.name} appears more than once in the request`));
    else topics.push(await createOne(ctx, t, req.validateOnly));
  }
  return { throttleTimeMs: 0, topics };
};
