import type { BrokerConfig } from '../config/brokerConfig';

const DEFAULT_MAX_PARTITIONS_PER_TOPIC = 10_000;

/**
 * Largest partition count CreateTopics / CreatePartitions accept
 * (`brook.max.partitions.per.topic`). Each partition is a directory with open
 * files, so one request with a count near 2^31 would otherwise exhaust the disk
 * and the process; Kafka relies on operators for this, a single broker cannot.
 */
export function maxPartitionsPerTopic(config: BrokerConfig): number {
  const raw = config.raw['brook.max.partitions.per.topic'];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_PARTITIONS_PER_TOPIC;
}
