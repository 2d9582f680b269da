import type { Compression } from './batchHeader';

export type TimestampType = 'create' | 'log-append';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** One record as decoded from a v2 batch; key, value and header values are slices of the batch. */
export interface KafkaRecord {
  /** Absolute offset: baseOffset + offsetDelta. */
  offset: bigint;
  /** Absolute timestamp (ms): baseTimestamp + timestampDelta, or the batch maxTimestamp for log-append time. */
  timestamp: bigint;
  offsetDelta: number;
  timestampDelta: bigint;
  attributes: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export type BytesInput = Buffer | string | null | undefined;

/** A record to put into a batch being built. */
export interface RecordInput {
  key?: BytesInput;
  value?: BytesInput;
  headers?: ReadonlyArray<{ key: string; value: BytesInput }>;
  /** Absolute timestamp in ms; the batch base timestamp is the first record's. */
  timestamp?: bigint | number;
  /** Delta from the batch base timestamp; used when `timestamp` is absent. */
  timestampDelta?: bigint | number;
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
}

/** Header fields of a v2 batch, as read without touching its records. */
export interface BatchHeaderFields {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  compression: Compression;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
}

export interface DecodedBatch extends BatchHeaderFields {
  records: KafkaRecord[];
}

/** A batch located inside a larger buffer (a produce payload, a log segment, a fetch answer). */
export interface BatchView extends BatchHeaderFields {
  /** Start of the batch in the buffer that was walked. */
  position: number;
  /** Total bytes: LOG_OVERHEAD + batchLength. */
  size: number;
}

/** What the Produce path needs to know about each accepted batch. */
export interface BatchInfo {
  position: number;
  size: number;
  recordCount: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  compression: Compression;
  timestampType: TimestampType;
}
