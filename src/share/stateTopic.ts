import type { CreateTopicOptions, MetadataService } from '../metadata/types';

/** Kafka's share.coordinator.state.topic.min.isr default. */
const STATE_TOPIC_MIN_ISR = 2;

/** How `__brook_share_state` is created in a cluster: one compacted partition on the internal replication factor. */
export function shareStateTopicOptions(services: { metadata: Pick<MetadataService, 'brokers'> }): CreateTopicOptions & { partitions: number; internal: true; configs: Record<string, string> } {
  const brokers = services.metadata.brokers().length;
  return { partitions: 1, internal: true, configs: { 'cleanup.policy': 'compact', 'min.insync.replicas': String(Math.max(1, Math.min(STATE_TOPIC_MIN_ISR, brokers - 1))) } };
}
