import { ErrorCode } from '../../protocol/errors';
import { groupConfigFromProperties } from '../groups/config';
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../groups/offsetsTopicRecords';
import type { BrokerServices } from '../handlers/types';
import { TXN_STATE_TOPIC, txnStateTopicOptions } from '../txn/txnStateLog';
import { SHARE_STATE_TOPIC } from '../share/records';
import { shareStateTopicOptions } from '../share/stateTopic';
import { INTERNAL_RF_SETTING, ensureInternalTopic, internalReplicationFactor } from './internalTopicReplicas';
import { MetadataError, type BrokerIdentity, type MetadataService } from './types';

/** Where a group's state lives in `__consumer_offsets`, and which of those partitions this broker leads. */
export class OffsetsPlacement {
  constructor(
    private readonly metadata: MetadataService,
    private readonly configuredPartitions: number,
  ) {}

  /** The topic's real count once it exists (another broker may have created it with its own setting). */
  partitionCount(): number {
    return this.metadata.topic(OFFSETS_TOPIC)?.partitions ?? this.configuredPartitions;
  }

  partitionOf(groupId: string): number {
    return offsetsPartitionFor(groupId, this.partitionCount());
  }

  ledPartitions(): Set<number> {
    const led = new Set<number>();
    const topic = this.metadata.topic(OFFSETS_TOPIC);
    const self = this.metadata.self().nodeId;
    for (let p = 0; topic && p < topic.partitions; p++) if (this.metadata.partitionState(OFFSETS_TOPIC, p)?.leader === self) led.add(p);
    return led;
  }
}

export type CoordinatorLookup = { errorCode: 0; node: BrokerIdentity } | { errorCode: number; node: null };

const KEY_GROUP = 0;
const KEY_SHARE = 2;

/**
 * Cluster mode FindCoordinator: the coordinator of a group is the leader of
 * its `__consumer_offsets` partition; of a transactional id, the leader of
 * `__transaction_state` (one partition: one transaction coordinator per
 * cluster); of a share-partition key, the leader of `__brook_share_state`. The internal topic is created on first use, as Kafka does,
 * once as many brokers are alive as its replication factor; until then COORDINATOR_NOT_AVAILABLE, which clients retry.
 */
export async function clusterCoordinator(services: BrokerServices, keyType: number, key: string): Promise<CoordinatorLookup> {
  const { metadata } = services;
  let topicName: string;
  let partitionOf: (partitions: number) => number;
  let create: { partitions: number; internal: true; configs: Record<string, string>; replicationFactor?: number };
  let setting = INTERNAL_RF_SETTING;
  if (keyType === KEY_GROUP) {
    topicName = OFFSETS_TOPIC;
    const partitions = groupConfigFromProperties(services.config.raw ?? {}).offsetsTopicPartitions ?? 50;
    create = { partitions, internal: true, replicationFactor: internalReplicationFactor(services), configs: { 'cleanup.policy': 'compact' } };
    partitionOf = (n) => offsetsPartitionFor(key, n);
  } else if (keyType === KEY_SHARE) {
    // KIP-932's share coordinator ("group:topicId:partition" keys): one state partition, so one for the cluster.
    topicName = SHARE_STATE_TOPIC;
    create = shareStateTopicOptions(services);
    partitionOf = () => 0;
  } else {
    topicName = TXN_STATE_TOPIC;
    create = txnStateTopicOptions(services);
    if (services.config.raw['transaction.state.log.replication.factor'] !== undefined) setting = 'transaction.state.log.replication.factor';
    partitionOf = () => 0;
  }
  let topic = metadata.topic(topicName);
  if (!topic) {
    try {
      topic = await ensureInternalTopic(metadata, topicName, create, setting);
    } catch (err) {
      if (!(err instanceof MetadataError)) throw err;
      services.logger.warn({ topic: topicName, err: err.message }, 'cannot create internal topic');
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, node: null };
    }
  }
  const state = metadata.partitionState(topicName, partitionOf(topic.partitions));
  const node = state ? metadata.brokers().find((b) => b.nodeId === state.leader) : undefined;
  return node ? { errorCode: 0, node } : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, node: null };
}
