import { ErrorCode } from '../../protocol/errors';
import type { PartitionLog } from '../../storage';
import { StorageError } from '../../storage/errors';
import { logConfigFromTopicConfigs } from '../config/logConfigMapping';
import { withTagIndex } from '../views/sourceIndexing';
import type { BrokerCore } from '../brokerCore';
import { hostsReplica } from './followMetadata';
import { isReservedInternalTopic } from '../internalTopics/names';
import { topicNameProblem } from './topicName';
import { MetadataError, type TopicInfo } from './types';

export type PartitionLookup = { log: PartitionLog; topic: TopicInfo; errorCode: 0 } | { log: null; topic: TopicInfo | null; errorCode: number };

/** The partition's log when it is open and recovered: the lookup without a promise, for Produce's hot path. */
export function openPartitionLog(services: BrokerCore, topic: TopicInfo, partition: number): PartitionLog | null {
  if (!Number.isInteger(partition) || partition < 0 || partition >= topic.partitions) return null;
  const existing = services.logs.get(topic.name, partition);
  return existing && !existing.recovering ? existing : null;
}

/**
 * The storage log of a partition the metadata knows. Logs are opened lazily:
 * a topic created by any path (Metadata, Produce, CreateTopics) gets its files
 * on first use, with its topic configs applied.
 */
export async function partitionLog(services: BrokerCore, topic: TopicInfo, partition: number, opts: { waitForRecovery?: boolean } = {}): Promise<PartitionLookup> {
  const open = openPartitionLog(services, topic, partition);
  if (open) return { log: open, topic, errorCode: 0 };
  if (!Number.isInteger(partition) || partition < 0 || partition >= topic.partitions) {
    return { log: null, topic, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  }
  const existing = services.logs.get(topic.name, partition);
  if (existing?.recovering) return recoveringLog(services, existing, topic, opts.waitForRecovery === true);
  // In a cluster only the partition's replicas keep a log; others send the client to the leader.
  if (!hostsReplica(services.metadata, topic.name, partition)) return { log: null, topic, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  try {
    const log = await services.logs.create(topic.name, partition, withTagIndex(services.metadata, topic, logConfigFromTopicConfigs(topic.configs)));
    return { log, topic, errorCode: 0 };
  } catch (err) {
    services.logger.error({ topic: topic.name, partition, err: (err as Error).message }, 'cannot open partition log');
    return { log: null, topic, errorCode: err instanceof StorageError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR };
  }
}

/**
 * A log still being recovered after a crash: clients get NOT_LEADER_OR_FOLLOWER,
 * which Kafka returns for a partition not online on this broker and which
 * kafkajs and librdkafka retry after a metadata refresh; its recovery starts
 * now instead of waiting for its turn in the background. Internal users wait.
 */
async function recoveringLog(services: BrokerCore, log: PartitionLog, topic: TopicInfo, wait: boolean): Promise<PartitionLookup> {
  const opening = log.open();
  if (!wait) {
    opening.catch(() => undefined);
    return { log: null, topic, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  }
  try {
    await opening;
    return { log, topic, errorCode: 0 };
  } catch (err) {
    services.logger.error({ topic: topic.name, partition: log.partition, err: (err as Error).message }, 'cannot open partition log');
    return { log: null, topic, errorCode: err instanceof StorageError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR };
  }
}

/** A topic for a produce or metadata request, auto-created when the broker and the request allow it. */
export async function resolveTopic(
  services: BrokerCore,
  name: string,
  allowAutoCreate: boolean,
): Promise<{ topic: TopicInfo; errorCode: 0 } | { topic: null; errorCode: number }> {
  const found = services.metadata.topic(name);
  if (found) return { topic: found, errorCode: 0 };
  if (topicNameProblem(name) !== null) return { topic: null, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION };
  // an internal topic not made yet is made by its coordinator when first needed, never as an ordinary topic here
  if (!allowAutoCreate || !services.config.autoCreateTopicsEnable || isReservedInternalTopic(name)) {
    return { topic: null, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  }
  try {
    const topic = await services.metadata.ensureTopic(name, { partitions: services.config.numPartitions });
    return { topic, errorCode: 0 };
  } catch (err) {
    if (err instanceof MetadataError) return { topic: null, errorCode: err.errorCode };
    services.logger.error({ topic: name, err: (err as Error).message }, 'topic auto-creation failed');
    return { topic: null, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
  }
}
