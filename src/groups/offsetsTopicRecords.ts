import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';
import { decodeGroupMetadataKey as genDecodeGroupMetadataKey, encodeGroupMetadataKey as genEncodeGroupMetadataKey } from '../../protocol/generated/coordinator/GroupMetadataKey';
import { decodeGroupMetadataValue as genDecodeGroupMetadataValue, encodeGroupMetadataValue as genEncodeGroupMetadataValue } from '../../protocol/generated/coordinator/GroupMetadataValue';
import { decodeLegacyOffsetCommitKey } from '../../protocol/generated/coordinator/LegacyOffsetCommitKey';
import { decodeOffsetCommitKey as genDecodeOffsetCommitKey, encodeOffsetCommitKey as genEncodeOffsetCommitKey } from '../../protocol/generated/coordinator/OffsetCommitKey';
import { decodeOffsetCommitValue as genDecodeOffsetCommitValue, encodeOffsetCommitValue as genEncodeOffsetCommitValue } from '../../protocol/generated/coordinator/OffsetCommitValue';

export { OFFSETS_TOPIC } from '../internalTopics/names';

/**
 * Record formats of the internal `__consumer_offsets` topic, Kafka's own
 * (codecs generated from its coordinator record specs into
 * protocol/generated/coordinator): key versions 0/1 are offset commits, key
 * version 2 is group metadata, 3..8 KIP-848 groups (consumerGroupRecords.ts).
 * Values: OffsetCommitValue v3 and GroupMetadataValue v3 are written; every
 * version the specs define is read so logs stay loadable.
 */

export interface OffsetCommitKey {
  kind: 'offset';
  group: string;
  topic: string;
  partition: number;
}

export interface GroupMetadataKey {
  kind: 'group';
  group: string;
}

export interface ConsumerGroupKey {
  kind: 'consumer-group';
  group: string;
}

export type OffsetsTopicKey = OffsetCommitKey | GroupMetadataKey | ConsumerGroupKey;

export interface OffsetCommitValue {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Only in value v1; -1 otherwise. */
  expireTimestamp: number;
}

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: StoredMember[];
}

function versioned(version: number, encode: (w: Writer) => void): Buffer {
  const w = new Writer(64).int16(version);
  encode(w);
  return w.toBuffer();
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return versioned(1, (w) => genEncodeOffsetCommitKey(w, 0, { group, topic, partition }));
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return versioned(2, (w) => genEncodeGroupMetadataKey(w, 0, { group }));
}

export function decodeOffsetsTopicKey(buf: Buffer): OffsetsTopicKey | null {
  const r = new Reader(buf);
  const version = r.int16();
  if (version === 0 || version === 1) {
    const k = version === 0 ? decodeLegacyOffsetCommitKey(r, 0) : genDecodeOffsetCommitKey(r, 0);
    return { kind: 'offset', group: k.group, topic: k.topic, partition: k.partition };
  }
  if (version === 2) return { kind: 'group', group: genDecodeGroupMetadataKey(r, 0).group };
  if (version === BROOK_CONSUMER_GROUP_KEY_VERSION) return { kind: 'consumer-group', group: r.string() };
  // KIP-848 records (3..8) are read by consumerGroupRecords.ts; other key versions (share, streams groups) are skipped.
  return null;
}

/** Value v3, as Kafka writes it without a topic id (an explicit expire time is v1 only, and kept in memory). */
export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  return versioned(3, (w) => genEncodeOffsetCommitValue(w, 3, { offset: BigInt(v.offset), leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: BigInt(v.commitTimestamp) }));
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf);
  const version = r.int16();
  const v = genDecodeOffsetCommitValue(r, version);
  return {
    offset: Number(v.offset),
    leaderEpoch: version >= 3 ? v.leaderEpoch : -1,
    metadata: v.metadata,
    commitTimestamp: Number(v.commitTimestamp),
    expireTimestamp: version === 1 ? Number(v.expireTimestamp) : -1,
  };
}

export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  return versioned(3, (w) => genEncodeGroupMetadataValue(w, 3, {
    protocolType: v.protocolType,
    generation: v.generation,
    protocol: v.protocol,
    leader: v.leader,
    currentStateTimestamp: BigInt(v.currentStateTimestamp),
    members: v.members.map((m) => ({
      memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs, sessionTimeout: m.sessionTimeoutMs, subscription: m.subscription, assignment: m.assignment,
    })),
  }));
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf);
  const version = r.int16();
  const v = genDecodeGroupMetadataValue(r, version);
  return {
    protocolType: v.protocolType,
    generation: v.generation,
    protocol: v.protocol,
    leader: v.leader,
    currentStateTimestamp: version >= 2 ? Number(v.currentStateTimestamp) : -1,
    members: v.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: version >= 3 ? m.groupInstanceId : null,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: version >= 1 && m.rebalanceTimeout >= 0 ? m.rebalanceTimeout : m.sessionTimeout,
      sessionTimeoutMs: m.sessionTimeout,
      subscription: Buffer.from(m.subscription),
      assignment: Buffer.from(m.assignment),
    })),
  };
}

/** Kafka's placement: the partition of `__consumer_offsets` owning a group (Java String.hashCode, made positive). */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(h, 31) + groupId.charCodeAt(i)) | 0;
  return (h & 0x7fffffff) % partitions;
}

/**
 * Brook's earlier form of a KIP-848 group: one record per group under its own
 * key version (far above Kafka's) with a JSON snapshot value. Groups are now
 * written as Kafka's own record types (consumerGroupRecords.ts); this one is
 * still read so logs written before load, and only ever tombstoned. The
 * encoder is kept for the tests that build such a log.
 */
export const BROOK_CONSUMER_GROUP_KEY_VERSION = 1000;
const CONSUMER_GROUP_VALUE_VERSION = 0;

export interface StoredConsumerMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  memberEpoch: number;
  previousMemberEpoch: number;
  rebalanceTimeoutMs: number;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  /** topic name -> partitions */
  assigned: Record<string, number[]>;
  revoking: Record<string, number[]>;
}

export interface ConsumerGroupSnapshot {
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  metadataFingerprint: string;
  members: StoredConsumerMember[];
  /** member id -> topic name -> partitions */
  target: Record<string, Record<string, number[]>>;
}

export function encodeConsumerGroupKey(group: string): Buffer {
  return new Writer(32).int16(BROOK_CONSUMER_GROUP_KEY_VERSION).string(group).toBuffer();
}

export function encodeConsumerGroupValue(v: ConsumerGroupSnapshot): Buffer {
  return new Writer(256).int16(CONSUMER_GROUP_VALUE_VERSION).bytes(Buffer.from(JSON.stringify(v))).toBuffer();
}

export function decodeConsumerGroupValue(buf: Buffer): ConsumerGroupSnapshot {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== CONSUMER_GROUP_VALUE_VERSION) throw new Error(`unknown consumer group value version ${version}`);
  return JSON.parse(r.bytes().toString('utf8')) as ConsumerGroupSnapshot;
}
