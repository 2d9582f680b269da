import { ErrorCode } from '../../protocol/errors';
import type { BrokerConfig } from '../config/brokerConfig';
import { clusterConfig } from './etcd/clusterConfig';
import { MetadataError, type CreateTopicOptions, type MetadataService, type TopicInfo } from './types';

/** The setting Brook's own internal topics take their replication factor from (Kafka's, for `__consumer_offsets`). */
export const INTERNAL_RF_SETTING = 'offsets.topic.replication.factor';

/** Replicas of an internal topic without a setting of its own: offsets.topic.replication.factor in a cluster, 1 on a single broker. */
export function internalReplicationFactor(services: { config: Pick<BrokerConfig, 'raw'>; clustered?: boolean }): number {
  return services.clustered ? clusterConfig(services.config).internalReplicationFactor : 1;
}

/** Kafka's share.coordinator.state.topic.min.isr default, bounded so that the loss of one replica leaves the topic writable. */
export function internalMinInsync(replicationFactor: number): number {
  return Math.max(1, Math.min(2, replicationFactor - 1));
}

/**
 * Creates an internal topic with exactly the replication factor asked, once as many brokers are alive, as Kafka
 * does (KIP-115: "internal topic creation will fail until the cluster size meets this replication factor
 * requirement"). A factor is chosen once and nothing adds replicas later, so a topic created while a broker is
 * down (or not up yet) would keep fewer replicas for good, and with min.insync.replicas one more loss would stop
 * it. Until then this throws a MetadataError (INVALID_REPLICATION_FACTOR) that the caller answers with its
 * retriable error (FindCoordinator: COORDINATOR_NOT_AVAILABLE), and the client comes back.
 */
export async function ensureInternalTopic(
  metadata: Pick<MetadataService, 'topic' | 'ensureTopic'> & { brokers(): readonly unknown[] },
  name: string,
  opts: CreateTopicOptions,
  setting: string = INTERNAL_RF_SETTING,
): Promise<TopicInfo> {
  const existing = metadata.topic(name);
  if (existing) return existing;
  const rf = opts.replicationFactor ?? 1;
  const alive = metadata.brokers().length;
  if (alive < rf) {
    throw new MetadataError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `number of alive brokers ${alive} does not meet the required replication factor ${rf} for ${name} (configured via ${setting}); it is created once that many brokers are up`,
    );
  }
  return metadata.ensureTopic(name, opts);
}
