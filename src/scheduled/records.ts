import type { RecordHeader, RecordInput } from '../../protocol/records';

/**
 * Records of the internal topic `__brook_scheduled` (cleanup.policy=delete, never aged out: the scheduler
 * moves the log start past what is resolved). Every record's key starts with a kind byte:
 *
 *   SCHEDULE  key [1][f64 due][f64 scheduledAt][i32 targetPartition][i32 keyHash][u16 n][topic utf8][i32 k][key]
 *             value, headers, timestamp: the producer's own. Its offset is the schedule's id.
 *   INTENT    key [2][i32 targetPartition][f64 targetLogEnd][u16 n][topic utf8]; value: f64 LE offsets.
 *             Written before a delivery round appends those schedules to that target partition.
 *   DELIVERED key [3][f64 intentOffset]; value: f64 LE offsets now in their target partition.
 *   CANCELLED key [4][u8 reason]; value: f64 LE offsets that will never be delivered.
 *   PRODUCED  key [5][i64 producerId][i16 epoch][i32 firstSeq][i32 lastSeq][i32 partition][u16 n][topic utf8];
 *             value: i32, how many records before it in its batch are that produce's (schedules, cancel).
 *             Written last in the batch of an idempotent producer's schedules: the sequences it took on that
 *             partition (see sequenceLedger.ts).
 *   SEQUENCED key [6][f64 producedOffset]: that partition's log now holds those sequences.
 *   TXN_HOLD  key [7][i64 producerId][i16 epoch]; value: i32 n. First in the batch of a transactional producer's
 *             schedules: the n SCHEDULE records after it wait for that producer's marker in this partition
 *             (`__brook_scheduled` takes part in the transaction; see txnHolds.ts).
 * PRODUCED ends with [u8 1] when the producer was transactional (its sequences are then never repaired: see
 * sequenceRepair.ts).
 *
 * Binary, fixed-position fields so that replaying millions of them costs no JSON parsing.
 */
export const Kind = { SCHEDULE: 1, INTENT: 2, DELIVERED: 3, CANCELLED: 4, PRODUCED: 5, SEQUENCED: 6, TXN_HOLD: 7 } as const;

/** ABORTED: held for a transaction that aborted (written after its marker, for readers of the journal like the CLI). */
export const CancelReason = { REQUESTED: 0, TOPIC_GONE: 1, ABORTED: 2 } as const;
export type CancelReasonValue = (typeof CancelReason)[keyof typeof CancelReason];

export interface ScheduleMeta {
  due: number;
  scheduledAt: number;
  topic: string;
  partition: number;
  keyHash: number;
  key: Buffer | null;
}

export type ScheduledLogRecord =
  | { kind: typeof Kind.SCHEDULE; meta: ScheduleMeta }
  | { kind: typeof Kind.INTENT; topic: string; partition: number; targetLogEnd: number; offsets: Float64Array }
  | { kind: typeof Kind.DELIVERED; intentOffset: number; offsets: Float64Array }
  | { kind: typeof Kind.CANCELLED; reason: CancelReasonValue; offsets: Float64Array }
  | { kind: typeof Kind.PRODUCED; tag: ProducerTag; before: number }
  | { kind: typeof Kind.SEQUENCED; producedOffset: number }
  | { kind: typeof Kind.TXN_HOLD; producerId: bigint; epoch: number; count: number };

export function encodeTxnHold(producerId: bigint, epoch: number, count: number): RecordInput {
  const k = Buffer.alloc(11);
  k.writeUInt8(Kind.TXN_HOLD, 0);
  k.writeBigInt64BE(producerId, 1);
  k.writeInt16BE(epoch, 9);
  const v = Buffer.alloc(4);
  v.writeInt32BE(count, 0);
  return { key: k, value: v };
}

/** Where an idempotent producer's scheduled batch was produced, and the sequences it carried there. */
export interface ProducerTag {
  topic: string;
  partition: number;
  producerId: bigint;
  epoch: number;
  firstSeq: number;
  lastSeq: number;
  transactional?: boolean;
}

export function encodeProduced(tag: ProducerTag, before: number): RecordInput {
  const t = Buffer.from(tag.topic);
  const k = Buffer.alloc(1 + 8 + 2 + 4 + 4 + 4 + 2 + t.length + (tag.transactional ? 1 : 0));
  let p = k.writeUInt8(Kind.PRODUCED, 0);
  p = k.writeBigInt64BE(tag.producerId, p);
  p = k.writeInt16BE(tag.epoch, p);
  p = k.writeInt32BE(tag.firstSeq, p);
  p = k.writeInt32BE(tag.lastSeq, p);
  p = k.writeInt32BE(tag.partition, p);
  p = k.writeUInt16BE(t.length, p);
  p += t.copy(k, p);
  if (tag.transactional) k.writeUInt8(1, p);
  const v = Buffer.alloc(4);
  v.writeInt32BE(before, 0);
  return { key: k, value: v };
}

export function encodeSequenced(producedOffset: number): RecordInput {
  const k = Buffer.alloc(9);
  k.writeUInt8(Kind.SEQUENCED, 0);
  k.writeDoubleBE(producedOffset, 1);
  return { key: k, value: null };
}

/** FNV-1a over topic and key: narrows a cancel by key to a few candidates, which are then compared exactly. */
export function keyHash(topic: string, key: Buffer | null): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < topic.length; i++) h = Math.imul(h ^ topic.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0xff, 0x01000193);
  if (key) for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
  return h | 0;
}

export function encodeSchedule(meta: ScheduleMeta, value: Buffer | null, headers: RecordHeader[], timestamp: bigint): RecordInput {
  const topic = Buffer.from(meta.topic);
  const keyLen = meta.key ? meta.key.length : -1;
  const k = Buffer.alloc(1 + 8 + 8 + 4 + 4 + 2 + topic.length + 4 + Math.max(0, keyLen));
  let p = k.writeUInt8(Kind.SCHEDULE, 0);
  p = k.writeDoubleBE(meta.due, p);
  p = k.writeDoubleBE(meta.scheduledAt, p);
  p = k.writeInt32BE(meta.partition, p);
  p = k.writeInt32BE(meta.keyHash, p);
  p = k.writeUInt16BE(topic.length, p);
  p += topic.copy(k, p);
  p = k.writeInt32BE(keyLen, p);
  if (meta.key) meta.key.copy(k, p);
  return { key: k, value, headers, timestamp };
}

export function encodeOffsets(offsets: ArrayLike<number>): Buffer {
  const b = Buffer.alloc(offsets.length * 8);
  for (let i = 0; i < offsets.length; i++) b.writeDoubleLE(offsets[i]!, i * 8);
  return b;
}

function decodeOffsets(value: Buffer | null): Float64Array {
  if (!value) return new Float64Array(0);
  const out = new Float64Array(value.length >>> 3);
  for (let i = 0; i < out.length; i++) out[i] = value.readDoubleLE(i * 8);
  return out;
}

export function encodeIntent(topic: string, partition: number, targetLogEnd: number, offsets: ArrayLike<number>): RecordInput {
  const t = Buffer.from(topic);
  const k = Buffer.alloc(1 + 4 + 8 + 2 + t.length);
  let p = k.writeUInt8(Kind.INTENT, 0);
  p = k.writeInt32BE(partition, p);
  p = k.writeDoubleBE(targetLogEnd, p);
  p = k.writeUInt16BE(t.length, p);
  t.copy(k, p);
  return { key: k, value: encodeOffsets(offsets) };
}

export function encodeDelivered(intentOffset: number, offsets: ArrayLike<number>): RecordInput {
  const k = Buffer.alloc(9);
  k.writeUInt8(Kind.DELIVERED, 0);
  k.writeDoubleBE(intentOffset, 1);
  return { key: k, value: encodeOffsets(offsets) };
}

export function encodeCancelled(reason: CancelReasonValue, offsets: ArrayLike<number>): RecordInput {
  return { key: Buffer.from([Kind.CANCELLED, reason]), value: encodeOffsets(offsets) };
}

/** The scheduling fields of a SCHEDULE key (null for another kind). */
export function decodeScheduleKey(k: Buffer): ScheduleMeta | null {
  if (k.length < 1 || k[0] !== Kind.SCHEDULE) return null;
  const due = k.readDoubleBE(1);
  const scheduledAt = k.readDoubleBE(9);
  const partition = k.readInt32BE(17);
  const hash = k.readInt32BE(21);
  const n = k.readUInt16BE(25);
  const topic = k.toString('utf8', 27, 27 + n);
  const keyLen = k.readInt32BE(27 + n);
  const key = keyLen < 0 ? null : Buffer.from(k.subarray(31 + n, 31 + n + keyLen));
  return { due, scheduledAt, topic, partition, keyHash: hash, key };
}

/** Null for a kind this version does not know (skipped at replay). */
export function decodeScheduledRecord(key: Buffer | null, value: Buffer | null): ScheduledLogRecord | null {
  if (!key || key.length === 0) return null;
  switch (key[0]) {
    case Kind.SCHEDULE: {
      const meta = decodeScheduleKey(key);
      return meta ? { kind: Kind.SCHEDULE, meta } : null;
    }
    case Kind.INTENT: {
      const partition = key.readInt32BE(1);
      const targetLogEnd = key.readDoubleBE(5);
      const n = key.readUInt16BE(13);
      return { kind: Kind.INTENT, partition, targetLogEnd, topic: key.toString('utf8', 15, 15 + n), offsets: decodeOffsets(value) };
    }
    case Kind.DELIVERED:
      return { kind: Kind.DELIVERED, intentOffset: key.readDoubleBE(1), offsets: decodeOffsets(value) };
    case Kind.CANCELLED:
      return { kind: Kind.CANCELLED, reason: key[1] as CancelReasonValue, offsets: decodeOffsets(value) };
    case Kind.TXN_HOLD:
      return { kind: Kind.TXN_HOLD, producerId: key.readBigInt64BE(1), epoch: key.readInt16BE(9), count: value && value.length >= 4 ? value.readInt32BE(0) : 0 };
    case Kind.SEQUENCED:
      return { kind: Kind.SEQUENCED, producedOffset: key.readDoubleBE(1) };
    case Kind.PRODUCED: {
      const n = key.readUInt16BE(23);
      const tag: ProducerTag = { producerId: key.readBigInt64BE(1), epoch: key.readInt16BE(9), firstSeq: key.readInt32BE(11), lastSeq: key.readInt32BE(15), partition: key.readInt32BE(19), topic: key.toString('utf8', 25, 25 + n) };
      if (key.length > 25 + n && key[25 + n] === 1) tag.transactional = true;
      return { kind: Kind.PRODUCED, tag, before: value && value.length >= 4 ? value.readInt32BE(0) : 0 };
    }
    default:
      return null;
  }
}
