import {
  decodeConsumerGroupValue,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsTopicKey,
  encodeConsumerGroupKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type ConsumerGroupSnapshot,
  type GroupMetadataValue,
  type OffsetCommitValue,
} from './offsetsTopicRecords';
import { decodeConsumerGroupRecord, encodeConsumerGroupRecord, isConsumerGroupRecordKey, type ConsumerGroupRecord, type TopicIds } from './consumerGroupRecords';
import type { GroupLogRecord } from './stateLog';
import type { ClassicGroup } from './classicGroup';

/**
 * One record of `__consumer_offsets`, decoded: what the group coordinator's
 * writes return and its `replay` applies (null values are tombstones).
 */
export type GroupRecord =
  | { type: 'offset'; group: string; topic: string; partition: number; value: OffsetCommitValue | null }
  | { type: 'group-metadata'; group: string; value: GroupMetadataValue | null }
  | ConsumerGroupRecord
  /** Brook's earlier KIP-848 snapshot (JSON under key version 1000): read so old logs load, only tombstoned now. */
  | { type: 'legacy-consumer-group'; group: string; value: ConsumerGroupSnapshot | null };

export function offsetRecord(group: string, topic: string, partition: number, value: OffsetCommitValue | null): GroupRecord {
  return { type: 'offset', group, topic, partition, value };
}

export type { TopicIds } from './consumerGroupRecords';

export function encodeGroupRecord(r: GroupRecord, topics: TopicIds): GroupLogRecord {
  switch (r.type) {
    case 'offset':
      return { key: encodeOffsetCommitKey(r.group, r.topic, r.partition), value: r.value ? encodeOffsetCommitValue(r.value) : null };
    case 'group-metadata':
      return { key: encodeGroupMetadataKey(r.group), value: r.value ? encodeGroupMetadataValue(r.value) : null };
    case 'legacy-consumer-group':
      if (r.value) throw new Error('the legacy consumer group record is only read, never written');
      return { key: encodeConsumerGroupKey(r.group), value: null };
    default:
      return encodeConsumerGroupRecord(r, topics);
  }
}

/** Null for record types this coordinator does not keep (share and streams groups, later versions): skipped. */
export function decodeGroupRecord(rec: GroupLogRecord, topics: TopicIds): GroupRecord | null {
  if (isConsumerGroupRecordKey(rec.key)) return decodeConsumerGroupRecord(rec, topics);
  const key = decodeOffsetsTopicKey(rec.key);
  if (!key) return null;
  switch (key.kind) {
    case 'offset':
      return offsetRecord(key.group, key.topic, key.partition, rec.value ? decodeOffsetCommitValue(rec.value) : null);
    case 'group':
      return { type: 'group-metadata', group: key.group, value: rec.value ? decodeGroupMetadataValue(rec.value) : null };
    case 'consumer-group':
      return { type: 'legacy-consumer-group', group: key.group, value: rec.value ? decodeConsumerGroupValue(rec.value) : null };
  }
}

/** The persisted part of a classic group (Kafka's GroupMetadataValue). */
export function classicGroupValue(g: ClassicGroup): GroupMetadataValue {
  const protocol = g.protocolName ?? '';
  return {
    protocolType: g.protocolType ?? '',
    generation: g.generationId,
    protocol: g.protocolName,
    leader: g.leaderId,
    currentStateTimestamp: g.stateTimestamp,
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.sessionTimeoutMs,
      subscription: m.metadataFor(protocol),
      assignment: m.assignment,
    })),
  };
}
