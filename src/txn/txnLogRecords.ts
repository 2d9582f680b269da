import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';
import { decodeTransactionLogKey, encodeTransactionLogKey } from '../../protocol/generated/coordinator/TransactionLogKey';
import { decodeTransactionLogValue, encodeTransactionLogValue } from '../../protocol/generated/coordinator/TransactionLogValue';

/**
 * Records of `__transaction_state`, in Kafka's TransactionLogKey v0 /
 * TransactionLogValue v0 layouts (codecs generated from its coordinator record
 * specs) so Kafka's tools can read them, plus one
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

function versioned(version: number, encode: (w: Writer) => void): Buffer {
  const w = new Writer(64).int16(version);
  encode(w);
  return w.toBuffer();
}

/** Key version 0 is Kafka's TransactionLogKey; the staged-offsets record has the same layout under Brook's key version. */
export function encodeTxnKey(transactionalId: string, version = TXN_KEY_VERSION): Buffer {
  return versioned(version, (w) => encodeTransactionLogKey(w, 0, { transactionalId }));
}

export function decodeTxnKey(buf: Buffer): { version: number; transactionalId: string } {
  const r = new Reader(buf);
  const version = r.int16();
  return { version, transactionalId: decodeTransactionLogKey(r, 0).transactionalId };
}

/** Value v0, as Kafka writes it for transactions of the original protocol (v1 adds KIP-890's fields). */
export function encodeTxnValue(v: TxnLogValue): Buffer {
  return versioned(0, (w) => encodeTransactionLogValue(w, 0, {
    producerId: v.producerId,
    producerEpoch: v.producerEpoch,
    transactionTimeoutMs: v.timeoutMs,
    transactionStatus: v.status,
    transactionPartitions: v.partitions.map((t) => ({ topic: t.topic, partitionIds: t.partitions })),
    transactionLastUpdateTimestampMs: BigInt(v.lastUpdateMs),
    transactionStartTimestampMs: BigInt(v.startMs),
  }));
}

export function decodeTxnValue(buf: Buffer): TxnLogValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version > 1) throw new Error(`transaction log value version ${version} is not supported`);
  const v = decodeTransactionLogValue(r, version);
  return {
    producerId: v.producerId,
    producerEpoch: v.producerEpoch,
    timeoutMs: v.transactionTimeoutMs,
    status: v.transactionStatus as TxnStatus,
    partitions: (v.transactionPartitions ?? []).map((t) => ({ topic: t.topic, partitions: t.partitionIds })),
    lastUpdateMs: Number(v.transactionLastUpdateTimestampMs),
    startMs: Number(v.transactionStartTimestampMs),
  };
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
