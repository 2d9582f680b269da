import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';
import { decodeConsumerGroupMetadataKey, encodeConsumerGroupMetadataKey } from '../../protocol/generated/coordinator/ConsumerGroupMetadataKey';
import { decodeConsumerGroupMetadataValue, encodeConsumerGroupMetadataValue } from '../../protocol/generated/coordinator/ConsumerGroupMetadataValue';
import { decodeConsumerGroupPartitionMetadataKey, encodeConsumerGroupPartitionMetadataKey } from '../../protocol/generated/coordinator/ConsumerGroupPartitionMetadataKey';
import { decodeConsumerGroupPartitionMetadataValue, encodeConsumerGroupPartitionMetadataValue } from '../../protocol/generated/coordinator/ConsumerGroupPartitionMetadataValue';
import { decodeConsumerGroupMemberMetadataKey, encodeConsumerGroupMemberMetadataKey } from '../../protocol/generated/coordinator/ConsumerGroupMemberMetadataKey';
import { decodeConsumerGroupMemberMetadataValue, encodeConsumerGroupMemberMetadataValue } from '../../protocol/generated/coordinator/ConsumerGroupMemberMetadataValue';
import { decodeConsumerGroupTargetAssignmentMetadataKey, encodeConsumerGroupTargetAssignmentMetadataKey } from '../../protocol/generated/coordinator/ConsumerGroupTargetAssignmentMetadataKey';
import { decodeConsumerGroupTargetAssignmentMetadataValue, encodeConsumerGroupTargetAssignmentMetadataValue } from '../../protocol/generated/coordinator/ConsumerGroupTargetAssignmentMetadataValue';
import { decodeConsumerGroupTargetAssignmentMemberKey, encodeConsumerGroupTargetAssignmentMemberKey } from '../../protocol/generated/coordinator/ConsumerGroupTargetAssignmentMemberKey';
import { decodeConsumerGroupTargetAssignmentMemberValue, encodeConsumerGroupTargetAssignmentMemberValue } from '../../protocol/generated/coordinator/ConsumerGroupTargetAssignmentMemberValue';
import { decodeConsumerGroupCurrentMemberAssignmentKey, encodeConsumerGroupCurrentMemberAssignmentKey } from '../../protocol/generated/coordinator/ConsumerGroupCurrentMemberAssignmentKey';
import { decodeConsumerGroupCurrentMemberAssignmentValue, encodeConsumerGroupCurrentMemberAssignmentValue } from '../../protocol/generated/coordinator/ConsumerGroupCurrentMemberAssignmentValue';
import type { TopicAssignment } from './assignors';
import type { GroupLogRecord } from './stateLog';

/** Topic ids and names both ways, for records that name topics by id (the KIP-848 ones). */
export interface TopicIds {
  idOf(topic: string): Buffer | undefined;
  nameOf(id: Buffer): string | undefined;
}

/**
 * KIP-848 consumer group records of `__consumer_offsets`, in Kafka's own
 * layouts (protocol/generated/coordinator): the key is the record type as an
 * int16 followed by the key struct, the value its version followed by the
 * value struct. Assignments carry topic ids, mapped to names here.
 */
const enum RecordType {
  GroupMetadata = 3,
  PartitionMetadata = 4,
  MemberMetadata = 5,
  TargetAssignmentMetadata = 6,
  TargetAssignmentMember = 7,
  CurrentMemberAssignment = 8,
}

/** Kafka's MemberState values, written for readers of the topic; Brook derives the state from the assignments. */
const MEMBER_STATE_STABLE = 1;
const MEMBER_STATE_UNREVOKED_PARTITIONS = 2;

export interface StoredMemberMetadata {
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
}

export interface StoredMemberAssignment {
  memberEpoch: number;
  previousMemberEpoch: number;
  assigned: TopicAssignment;
  revoking: TopicAssignment;
}

export type ConsumerGroupRecord =
  | { type: 'cg-metadata'; group: string; value: { epoch: number } | null }
  /** The subscribed topics' partition counts the target was computed for (Brook's metadata fingerprint). */
  | { type: 'cg-partition-metadata'; group: string; value: { topics: Array<{ name: string; partitions: number }> } | null }
  | { type: 'cg-member'; group: string; memberId: string; value: StoredMemberMetadata | null }
  | { type: 'cg-target-metadata'; group: string; value: { assignmentEpoch: number } | null }
  | { type: 'cg-target-member'; group: string; memberId: string; value: TopicAssignment | null }
  | { type: 'cg-current-assignment'; group: string; memberId: string; value: StoredMemberAssignment | null };

export function isConsumerGroupRecordKey(key: Buffer): boolean {
  const type = key.readInt16BE(0);
  return type >= RecordType.GroupMetadata && type <= RecordType.CurrentMemberAssignment;
}

function keyOf(type: RecordType, encode: (w: Writer) => void): Buffer {
  const w = new Writer(64).int16(type);
  encode(w);
  return w.toBuffer();
}

function valueOf(encode: (w: Writer) => void): Buffer {
  const w = new Writer(128).int16(0);
  encode(w);
  return w.toBuffer();
}

function toWire(a: TopicAssignment, topics: TopicIds): Array<{ topicId: Buffer; partitions: number[] }> {
  const out: Array<{ topicId: Buffer; partitions: number[] }> = [];
  for (const [name, ps] of a) {
    const id = topics.idOf(name);
    // A topic deleted meanwhile has nothing left to assign.
    if (id && ps.size > 0) out.push({ topicId: id, partitions: [...ps].sort((x, y) => x - y) });
  }
  return out;
}

function fromWire(tps: ReadonlyArray<{ topicId: Buffer; partitions: number[] }>, topics: TopicIds): TopicAssignment {
  const out: TopicAssignment = new Map();
  for (const tp of tps) {
    const name = topics.nameOf(tp.topicId);
    if (name !== undefined && tp.partitions.length > 0) out.set(name, new Set(tp.partitions));
  }
  return out;
}

export function encodeConsumerGroupRecord(r: ConsumerGroupRecord, topics: TopicIds): GroupLogRecord {
  const group = r.group;
  switch (r.type) {
    case 'cg-metadata':
      return {
        key: keyOf(RecordType.GroupMetadata, (w) => encodeConsumerGroupMetadataKey(w, 0, { groupId: group })),
        value: r.value && valueOf((w) => encodeConsumerGroupMetadataValue(w, 0, { epoch: r.value!.epoch })),
      };
    case 'cg-partition-metadata':
      return {
        key: keyOf(RecordType.PartitionMetadata, (w) => encodeConsumerGroupPartitionMetadataKey(w, 0, { groupId: group })),
        value: r.value && valueOf((w) => encodeConsumerGroupPartitionMetadataValue(w, 0, {
          topics: r.value!.topics.map((t) => ({ topicId: topics.idOf(t.name) ?? Buffer.alloc(16), topicName: t.name, numPartitions: t.partitions, partitionMetadata: [] })),
        })),
      };
    case 'cg-member':
      return {
        key: keyOf(RecordType.MemberMetadata, (w) => encodeConsumerGroupMemberMetadataKey(w, 0, { groupId: group, memberId: r.memberId })),
        value: r.value && valueOf((w) => encodeConsumerGroupMemberMetadataValue(w, 0, { ...r.value!, classicMemberMetadata: null })),
      };
    case 'cg-target-metadata':
      return {
        key: keyOf(RecordType.TargetAssignmentMetadata, (w) => encodeConsumerGroupTargetAssignmentMetadataKey(w, 0, { groupId: group })),
        value: r.value && valueOf((w) => encodeConsumerGroupTargetAssignmentMetadataValue(w, 0, { assignmentEpoch: r.value!.assignmentEpoch })),
      };
    case 'cg-target-member':
      return {
        key: keyOf(RecordType.TargetAssignmentMember, (w) => encodeConsumerGroupTargetAssignmentMemberKey(w, 0, { groupId: group, memberId: r.memberId })),
        value: r.value && valueOf((w) => encodeConsumerGroupTargetAssignmentMemberValue(w, 0, { topicPartitions: toWire(r.value!, topics) })),
      };
    case 'cg-current-assignment': {
      const v = r.value;
      return {
        key: keyOf(RecordType.CurrentMemberAssignment, (w) => encodeConsumerGroupCurrentMemberAssignmentKey(w, 0, { groupId: group, memberId: r.memberId })),
        value: v && valueOf((w) => encodeConsumerGroupCurrentMemberAssignmentValue(w, 0, {
          memberEpoch: v.memberEpoch,
          previousMemberEpoch: v.previousMemberEpoch,
          state: v.revoking.size > 0 ? MEMBER_STATE_UNREVOKED_PARTITIONS : MEMBER_STATE_STABLE,
          assignedPartitions: toWire(v.assigned, topics),
          partitionsPendingRevocation: toWire(v.revoking, topics),
        })),
      };
    }
  }
}

export function decodeConsumerGroupRecord(rec: GroupLogRecord, topics: TopicIds): ConsumerGroupRecord {
  const k = new Reader(rec.key);
  const type = k.int16() as RecordType;
  const value = <T>(decode: (r: Reader, version: number) => T): T | null => {
    if (!rec.value) return null;
    const r = new Reader(rec.value);
    return decode(r, r.int16());
  };
  switch (type) {
    case RecordType.GroupMetadata: {
      const v = value(decodeConsumerGroupMetadataValue);
      return { type: 'cg-metadata', group: decodeConsumerGroupMetadataKey(k, 0).groupId, value: v && { epoch: v.epoch } };
    }
    case RecordType.PartitionMetadata: {
      const v = value(decodeConsumerGroupPartitionMetadataValue);
      return {
        type: 'cg-partition-metadata',
        group: decodeConsumerGroupPartitionMetadataKey(k, 0).groupId,
        value: v && { topics: v.topics.map((t) => ({ name: t.topicName, partitions: t.numPartitions })) },
      };
    }
    case RecordType.MemberMetadata: {
      const key = decodeConsumerGroupMemberMetadataKey(k, 0);
      const v = value(decodeConsumerGroupMemberMetadataValue);
      return {
        type: 'cg-member', group: key.groupId, memberId: key.memberId,
        value: v && {
          instanceId: v.instanceId, rackId: v.rackId, clientId: v.clientId, clientHost: v.clientHost,
          subscribedTopicNames: v.subscribedTopicNames, subscribedTopicRegex: v.subscribedTopicRegex,
          rebalanceTimeoutMs: v.rebalanceTimeoutMs, serverAssignor: v.serverAssignor,
        },
      };
    }
    case RecordType.TargetAssignmentMetadata: {
      const v = value(decodeConsumerGroupTargetAssignmentMetadataValue);
      return { type: 'cg-target-metadata', group: decodeConsumerGroupTargetAssignmentMetadataKey(k, 0).groupId, value: v && { assignmentEpoch: v.assignmentEpoch } };
    }
    case RecordType.TargetAssignmentMember: {
      const key = decodeConsumerGroupTargetAssignmentMemberKey(k, 0);
      const v = value(decodeConsumerGroupTargetAssignmentMemberValue);
      return { type: 'cg-target-member', group: key.groupId, memberId: key.memberId, value: v && fromWire(v.topicPartitions, topics) };
    }
    case RecordType.CurrentMemberAssignment: {
      const key = decodeConsumerGroupCurrentMemberAssignmentKey(k, 0);
      const v = value(decodeConsumerGroupCurrentMemberAssignmentValue);
      return {
        type: 'cg-current-assignment', group: key.groupId, memberId: key.memberId,
        value: v && {
          memberEpoch: v.memberEpoch, previousMemberEpoch: v.previousMemberEpoch,
          assigned: fromWire(v.assignedPartitions, topics), revoking: fromWire(v.partitionsPendingRevocation, topics),
        },
      };
    }
    default:
      throw new Error(`record type ${type as number} is not a consumer group record`);
  }
}
