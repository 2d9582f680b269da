import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';

/**
 * Record formats of the internal `__consumer_offsets` topic, byte-compatible
 * with Kafka's: key versions 0/1 are offset commits, key version 2 is group
 * metadata. Values: OffsetCommitValue v3 and GroupMetadataValue v3 are written;
 * older offset values (v0..v3) are read so logs stay loadable.
 */
export const OFFSETS_TOPIC = '__consumer_offsets';

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

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return new Writer(64).int16(1).string(group).string(topic).int32(partition).toBuffer();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return new Writer(32).int16(2).string(group).toBuffer();
}

export function decodeOffsetsTopicKey(buf: Buffer): OffsetsTopicKey | null {
  const r = new Reader(buf);
  const version = r.int16();
  if (version === 0 || version === 1) {
    return { kind: 'offset', group: r.string(), topic: r.string(), partition: r.int32() };
  }
  if (version === 2) return { kind: 'group', group: r.string() };
  if (version === BROOK_CONSUMER_GROUP_KEY_VERSION) return { kind: 'consumer-group', group: r.string() };
  // KIP-848 records (3..8) are read by consumerGroupRecords.ts; other key versions (share, streams groups) are skipped.
  return null;
}

export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  return new Writer(64)
    .int16(3)
    .int64(BigInt(v.offset))
    .int32(v.leaderEpoch)
    .string(v.metadata)
    .int64(BigInt(v.commitTimestamp))
    .toBuffer();
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf);
  const version = r.int16();
  const offset = Number(r.int64());
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string();
  const commitTimestamp = Number(r.int64());
  const expireTimestamp = version === 1 ? Number(r.int64()) : -1;
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  const w = new Writer(256)
    .int16(3)
    .string(v.protocolType)
    .int32(v.generation)
    .nullableString(v.protocol)
    .nullableString(v.leader)
    .int64(BigInt(v.currentStateTimestamp))
    .arrayLength(v.members.length);
  for (const m of v.members) {
    w.string(m.memberId)
      .nullableString(m.groupInstanceId)
      .string(m.clientId)
      .string(m.clientHost)
      .int32(m.rebalanceTimeoutMs)
      .int32(m.sessionTimeoutMs)
      .bytes(m.subscription)
      .bytes(m.assignment);
  }
  return w.toBuffer();
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf);
  const version = r.int16();
  const protocolType = r.string();
  const generation = r.int32();
  const protocol = r.nullableString();
  const leader = r.nullableString();
  const currentStateTimestamp = version >= 2 ? Number(r.int64()) : -1;
  const n = r.arrayLength();
  const members: StoredMember[] = [];
  for (let i = 0; i < n; i++) {
    const memberId = r.string();
    const groupInstanceId = version >= 3 ? r.nullableString() : null;
    const clientId = r.string();
    const clientHost = r.string();
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
    const sessionTimeoutMs = r.int32();
    const subscription = Buffer.from(r.bytes());
    const assignment = Buffer.from(r.bytes());
    members.push({
      memberId, groupInstanceId, clientId, clientHost,
      rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs,
      sessionTimeoutMs, subscription, assignment,
    });
  }
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
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
