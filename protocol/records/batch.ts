import { DecodeError } from '../codec/errors';
import {
  ATTR,
  BATCH,
  Compression,
  batchCrcValid,
  computeBatchCrc,
  readAttributes,
  readBaseSequence,
  readBaseTimestamp,
  readLastOffsetDelta,
  readMaxTimestamp,
  readPartitionLeaderEpoch,
  readProducerEpoch,
  readProducerId,
  readRecordCount,
} from './batchHeader';
import { compress, decompress, DEFAULT_MAX_DECOMPRESSED_SIZE, CompressionError, isKnownCompression } from './compression';
import { decodeRecords, encodeRecords } from './recordCodec';
import type { BatchHeaderFields, BatchView, DecodedBatch, RecordInput, TimestampType } from './types';

/** batchLength of a batch with no records: everything after the length field up to RECORDS. */
export const MIN_BATCH_LENGTH = BATCH.HEADER_SIZE - BATCH.LOG_OVERHEAD;

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

export interface BuildBatchOptions {
  baseOffset?: bigint;
  records: readonly RecordInput[];
  compression?: Compression;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  isControl?: boolean;
  timestampType?: TimestampType;
  partitionLeaderEpoch?: number;
  /** Base timestamp when the first record has no absolute timestamp; defaults to now. */
  baseTimestamp?: bigint;
  /** Overrides the computed max timestamp (the broker sets it for log-append time). */
  maxTimestamp?: bigint;
  /** Overrides lastOffsetDelta (compaction can leave an empty batch that still spans offsets). */
  lastOffsetDelta?: number;
}

/** Builds one RecordBatch v2 with a valid CRC-32C. */
export function buildRecordBatch(opts: BuildBatchOptions): Buffer {
  const codec = opts.compression ?? Compression.None;
  if (!isKnownCompression(codec)) throw new CompressionError(`unsupported compression codec ${codec}`, codec, 'unsupported');
  const encoded = encodeRecords(opts.records, opts.baseTimestamp ?? BigInt(Date.now()));
  const payload = compress(codec, encoded.body);

  let attributes: number = codec;
  if (opts.timestampType === 'log-append') attributes |= ATTR.TIMESTAMP_LOG_APPEND;
  if (opts.transactional) attributes |= ATTR.TRANSACTIONAL;
  if (opts.isControl) attributes |= ATTR.CONTROL;

  const size = BATCH.HEADER_SIZE + payload.length;
  const buf = Buffer.allocUnsafe(size);
  buf.writeBigInt64BE(opts.baseOffset ?? 0n, BATCH.BASE_OFFSET);
  buf.writeInt32BE(size - BATCH.LOG_OVERHEAD, BATCH.BATCH_LENGTH);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, BATCH.PARTITION_LEADER_EPOCH);
  buf.writeInt8(2, BATCH.MAGIC);
  buf.writeInt16BE(attributes, BATCH.ATTRIBUTES);
  buf.writeInt32BE(opts.lastOffsetDelta ?? Math.max(encoded.lastOffsetDelta, opts.records.length - 1), BATCH.LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(encoded.baseTimestamp, BATCH.BASE_TIMESTAMP);
  buf.writeBigInt64BE(opts.maxTimestamp ?? encoded.maxTimestamp, BATCH.MAX_TIMESTAMP);
  buf.writeBigInt64BE(opts.producerId ?? NO_PRODUCER_ID, BATCH.PRODUCER_ID);
  buf.writeInt16BE(opts.producerEpoch ?? NO_PRODUCER_EPOCH, BATCH.PRODUCER_EPOCH);
  buf.writeInt32BE(opts.baseSequence ?? NO_SEQUENCE, BATCH.BASE_SEQUENCE);
  buf.writeInt32BE(opts.records.length, BATCH.RECORD_COUNT);
  payload.copy(buf, BATCH.RECORDS);
  buf.writeUInt32BE(computeBatchCrc(buf, 0), BATCH.CRC);
  return buf;
}

/** Reads the header at `pos`; the caller has checked that HEADER_SIZE bytes are there. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeaderFields {
  const attributes = readAttributes(buf, pos);
  return {
    baseOffset: buf.readBigInt64BE(pos + BATCH.BASE_OFFSET),
    batchLength: buf.readInt32BE(pos + BATCH.BATCH_LENGTH),
    partitionLeaderEpoch: readPartitionLeaderEpoch(buf, pos),
    magic: buf.readInt8(pos + BATCH.MAGIC),
    crc: buf.readUInt32BE(pos + BATCH.CRC),
    attributes,
    lastOffsetDelta: readLastOffsetDelta(buf, pos),
    baseTimestamp: readBaseTimestamp(buf, pos),
    maxTimestamp: readMaxTimestamp(buf, pos),
    producerId: readProducerId(buf, pos),
    producerEpoch: readProducerEpoch(buf, pos),
    baseSequence: readBaseSequence(buf, pos),
    recordCount: readRecordCount(buf, pos),
    compression: (attributes & ATTR.COMPRESSION_MASK) as Compression,
    timestampType: attributes & ATTR.TIMESTAMP_LOG_APPEND ? 'log-append' : 'create',
    isTransactional: (attributes & ATTR.TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR.CONTROL) !== 0,
  };
}

export interface IterateOptions {
  /**
   * Fetch answers may end with a cut-off batch (the size limit fell inside it);
   * by default the walk stops there silently, as consumers do. With `strict`
   * a partial tail is a DecodeError.
   */
  strict?: boolean;
}

/**
 * Walks a buffer holding consecutive v2 batches, yielding each one's position,
 * size and header without decoding records or checking CRCs.
 */
export function* iterateBatches(buf: Buffer, opts: IterateOptions = {}): Generator<BatchView> {
  let pos = 0;
  while (pos < buf.length) {
    if (pos + BATCH.HEADER_SIZE > buf.length) {
      if (opts.strict) throw new DecodeError(`${buf.length - pos} trailing bytes are not a batch`, pos);
      return;
    }
    const batchLength = buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
    if (batchLength < MIN_BATCH_LENGTH) throw new DecodeError(`batch length ${batchLength} below the minimum`, pos);
    const magic = buf.readInt8(pos + BATCH.MAGIC);
    if (magic !== 2) throw new DecodeError(`batch magic ${magic}, only v2 is walked here`, pos + BATCH.MAGIC);
    const size = BATCH.LOG_OVERHEAD + batchLength;
    if (pos + size > buf.length) {
      if (opts.strict) throw new DecodeError(`batch of ${size} bytes overruns the buffer`, pos);
      return;
    }
    yield { position: pos, size, ...readBatchHeader(buf, pos) };
    pos += size;
  }
}

export interface DecodeBatchOptions {
  /** Verify the CRC-32C (default true). */
  verifyCrc?: boolean;
  maxDecompressedSize?: number;
}

/**
 * Fully decodes the single batch at the start of `buf` (decompressing as
 * needed). Any structural problem is a DecodeError; codec problems are a
 * CompressionError.
 */
export function decodeRecordBatch(buf: Buffer, opts: DecodeBatchOptions = {}): DecodedBatch {
  if (buf.length < BATCH.HEADER_SIZE) throw new DecodeError(`${buf.length} bytes is shorter than a batch header`, 0);
  const header = readBatchHeader(buf, 0);
  if (header.magic !== 2) throw new DecodeError(`batch magic ${header.magic} is not 2`, BATCH.MAGIC);
  if (header.batchLength < MIN_BATCH_LENGTH) throw new DecodeError(`batch length ${header.batchLength} below the minimum`, 0);
  const size = BATCH.LOG_OVERHEAD + header.batchLength;
  if (size > buf.length) throw new DecodeError(`batch of ${size} bytes but only ${buf.length} available`, 0);
  if (opts.verifyCrc !== false && !batchCrcValid(buf, 0)) {
    throw new DecodeError(`CRC mismatch: stored ${header.crc}, computed ${computeBatchCrc(buf, 0)}`, BATCH.CRC);
  }
  if (!isKnownCompression(header.compression)) {
    throw new CompressionError(`unsupported compression codec ${header.compression}`, header.compression, 'unsupported');
  }
  const payload = buf.subarray(BATCH.RECORDS, size);
  const body = decompress(header.compression, payload, opts.maxDecompressedSize ?? DEFAULT_MAX_DECOMPRESSED_SIZE);
  const records = decodeRecords(body, header.recordCount, {
    baseOffset: header.baseOffset,
    baseTimestamp: header.baseTimestamp,
    logAppendTime: header.timestampType === 'log-append' ? header.maxTimestamp : null,
  });
  return { ...header, records };
}

/** Decodes every complete batch in a buffer (a fetch answer or a segment slice). */
export function decodeRecordBatches(buf: Buffer, opts: DecodeBatchOptions = {}): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  for (const view of iterateBatches(buf)) {
    out.push(decodeRecordBatch(buf.subarray(view.position, view.position + view.size), opts));
  }
  return out;
}
