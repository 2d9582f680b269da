import type { CreateTopicOptions } from '../metadata/types';
import type { BrokerConfig } from '../config/brokerConfig';
import { internalMinInsync, internalReplicationFactor } from '../metadata/internalTopicReplicas';

/**
 * How `__brook_share_state` is created in a cluster: one compacted partition on the internal replication factor
 * (offsets.topic.replication.factor), min.insync.replicas 2 (Kafka's share.coordinator.state.topic.min.isr) but
 * below the replication factor, so one lost replica leaves it writable.
 */
export function shareStateTopicOptions(services: { config: Pick<BrokerConfig, 'raw'> }): CreateTopicOptions & { partitions: number; internal: true; configs: Record<string, string> } {
  const replicationFactor = internalReplicationFactor({ config: services.config, clustered: true });
  return { partitions: 1, internal: true, replicationFactor, configs: { 'cleanup.policy': 'compact', 'min.insync.replicas': String(internalMinInsync(replicationFactor)) } };
}
