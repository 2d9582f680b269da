import { Reader } from '../../protocol/codec/reader';

/**
 * Records of `__transaction_state`, in Kafka's TransactionLogKey v0 /
 * TransactionLogValue v0 layouts so Kafka's tools can read them, plus one
 * Brook record (key version 0x4272, "Br") holding offsets staged by
 * TxnOffsetCommit, which Kafka keeps in `__consumer_offsets` instead.
 */
export const TXN_KEY_VERSION = 0;
export const BROOK_PENDING_OFFSETS_KEY_VERSION = 0x4272;

export const enum TxnStatus {
  Empty = 0,
  Ongoing = 1,
  PrepareCommit = 2,
  PrepareAbort = 3,
  CompleteCommit = 4,
  CompleteAbort = 5,
  Dead = 6,
  PrepareEpochFence = 7,
}

export const TXN_STATUS_NAMES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];

export interface TxnLogValue {
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  status: TxnStatus;
  partitions: Array<{ topic: string; partitions: number[] }>;
  lastUpdateMs: number;
  startMs: number;
}

export interface StagedOffset {
  groupId: string;
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string;
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function i16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}
function i32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
function i64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}

export function encodeTxnKey(transactionalId: string, version = TXN_KEY_VERSION): Buffer {
  return Buffer.concat([i16(version), str(transactionalId)]);
}

export function decodeTxnKey(buf: Buffer): { version: number; transactionalId: string } {
  const r = new Reader(buf);
  const version = r.int16();
  return { version, transactionalId: r.string() };
}

export function encodeTxnValue(v: TxnLogValue): Buffer {
  const parts: Buffer[] = [i16(0), i64(v.producerId), i16(v.producerEpoch), i32(v.timeoutMs), Buffer.from([v.status]), i32(v.partitions.length)];
  for (const t of v.partitions) {
    parts.push(str(t.topic), i32(t.partitions.length));
    for (const p of t.partitions) parts.push(i32(p));
  }
  parts.push(i64(BigInt(v.lastUpdateMs)), i64(BigInt(v.startMs)));
  return Buffer.concat(parts);
}

export function decodeTxnValue(buf: Buffer): TxnLogValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== 0) throw new Error(`transaction log value version ${version} is not supported`);
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const timeoutMs = r.int32();
  const status = r.int8() as TxnStatus;
  const n = r.int32();
  const partitions: TxnLogValue['partitions'] = [];
  for (let i = 0; i < n; i++) {
    const topic = r.string();
    const m = r.int32();
    const ps: number[] = [];
    for (let j = 0; j < m; j++) ps.push(r.int32());
    partitions.push({ topic, partitions: ps });
  }
  return { producerId, producerEpoch, timeoutMs, status, partitions, lastUpdateMs: Number(r.int64()), startMs: Number(r.int64()) };
}

/** Brook record: JSON of the staged offsets, versioned by its key. */
export function encodeStagedOffsets(offsets: readonly StagedOffset[]): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, offsets }), 'utf8');
}

export function decodeStagedOffsets(buf: Buffer): StagedOffset[] {
  const parsed = JSON.parse(buf.toString('utf8')) as { v: number; offsets: StagedOffset[] };
  if (parsed.v !== 1) throw new Error(`staged offsets version ${parsed.v} is not supported`);
  return parsed.offsets;
}
