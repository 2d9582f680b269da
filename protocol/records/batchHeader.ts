import { crc32c } from '@node-rs/crc32';

/**
 * Byte layout of a RecordBatch (magic v2) header, as shared by the protocol
 * layer (validation, building) and storage (offset assignment, recovery).
 * All offsets are relative to the start of the batch.
 */
export const BATCH = {
  BASE_OFFSET: 0, // int64
  BATCH_LENGTH: 8, // int32: bytes after this field
  PARTITION_LEADER_EPOCH: 12, // int32
  MAGIC: 16, // int8
  CRC: 17, // uint32, CRC-32C of ATTRIBUTES..end
  ATTRIBUTES: 21, // int16
  LAST_OFFSET_DELTA: 23, // int32
  BASE_TIMESTAMP: 27, // int64
  MAX_TIMESTAMP: 35, // int64
  PRODUCER_ID: 43, // int64
  PRODUCER_EPOCH: 51, // int16
  BASE_SEQUENCE: 53, // int32
  RECORD_COUNT: 57, // int32
  RECORDS: 61,
  /** Bytes before BATCH_LENGTH's counted region starts (baseOffset + batchLength). */
  LOG_OVERHEAD: 12,
  HEADER_SIZE: 61,
} as const;

export const ATTR = {
  COMPRESSION_MASK: 0x07,
  TIMESTAMP_LOG_APPEND: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
  DELETE_HORIZON: 0x40,
} as const;

export const enum Compression {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

/** Total size of the batch starting at `pos` (header included), from its length field. */
export function batchSize(buf: Buffer, pos = 0): number {
  return BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
}

export function computeBatchCrc(buf: Buffer, pos = 0): number {
  const end = pos + batchSize(buf, pos);
  return crc32c(buf.subarray(pos + BATCH.ATTRIBUTES, end)) >>> 0;
}

export function batchCrcValid(buf: Buffer, pos = 0): boolean {
  return buf.readUInt32BE(pos + BATCH.CRC) === computeBatchCrc(buf, pos);
}

/** Rewrites the stored CRC after header fields covered by it were changed. */
export function fixBatchCrc(buf: Buffer, pos = 0): void {
  buf.writeUInt32BE(computeBatchCrc(buf, pos), pos + BATCH.CRC);
}

export function readBaseOffset(buf: Buffer, pos = 0): bigint {
  return buf.readBigInt64BE(pos + BATCH.BASE_OFFSET);
}

/** baseOffset is outside the CRC, so assigning offsets needs no CRC work. */
export function writeBaseOffset(buf: Buffer, offset: bigint, pos = 0): void {
  buf.writeBigInt64BE(offset, pos + BATCH.BASE_OFFSET);
}

export function readLastOffsetDelta(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA);
}

export function readAttributes(buf: Buffer, pos = 0): number {
  return buf.readInt16BE(pos + BATCH.ATTRIBUTES);
}

export function readMaxTimestamp(buf: Buffer, pos = 0): bigint {
  return buf.readBigInt64BE(pos + BATCH.MAX_TIMESTAMP);
}

export function readBaseTimestamp(buf: Buffer, pos = 0): bigint {
  return buf.readBigInt64BE(pos + BATCH.BASE_TIMESTAMP);
}

export function readRecordCount(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + BATCH.RECORD_COUNT);
}

export function readProducerId(buf: Buffer, pos = 0): bigint {
  return buf.readBigInt64BE(pos + BATCH.PRODUCER_ID);
}

export function readProducerEpoch(buf: Buffer, pos = 0): number {
  return buf.readInt16BE(pos + BATCH.PRODUCER_EPOCH);
}

export function readBaseSequence(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + BATCH.BASE_SEQUENCE);
}

export function readPartitionLeaderEpoch(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + BATCH.PARTITION_LEADER_EPOCH);
}

/** partitionLeaderEpoch is outside the CRC too. */
export function writePartitionLeaderEpoch(buf: Buffer, epoch: number, pos = 0): void {
  buf.writeInt32BE(epoch, pos + BATCH.PARTITION_LEADER_EPOCH);
}

export function readMagic(buf: Buffer, pos = 0): number {
  return buf.readInt8(pos + BATCH.MAGIC);
}
