import crc32 from 'buffer-crc32';
import { xxh32 } from '@node-rs/xxhash';
import { DecodeError } from '../codec/errors';
import { Reader } from '../codec/reader';
import { ATTR, Compression } from './batchHeader';
import { buildRecordBatch, decodeRecordBatch, iterateBatches } from './batch';
import { compress, decompress, CompressionError, DEFAULT_MAX_DECOMPRESSED_SIZE } from './compression';
import type { KafkaRecord, TimestampType } from './types';

/**
 * Pre-0.11 message sets (magic 0 and 1), read from old producers and written
 * for old consumers. Layout of each entry:
 *   offset int64, size int32, crc uint32 (CRC-32 of magic..end), magic int8,
 *   attributes int8, [timestamp int64 for magic 1], key bytes, value bytes.
 * A compressed "wrapper" message carries a whole inner message set as value.
 */

export type LegacyMagic = 0 | 1;

export interface LegacyRecord {
  /** Absolute offset (as the sender stated it). */
  offset: bigint;
  magic: LegacyMagic;
  /** -1 for magic 0, which has no timestamps. */
  timestamp: bigint;
  timestampType: TimestampType;
  key: Buffer | null;
  value: Buffer | null;
  /** Codec of the wrapper this record came in, None if it was not wrapped. */
  compression: Compression;
}

export const NO_TIMESTAMP = -1n;

const LOG_OVERHEAD = 12; // offset + size
const CRC_SIZE = 4;
const V0_MIN_MESSAGE_SIZE = 4 + 1 + 1 + 4 + 4;
const V1_MIN_MESSAGE_SIZE = V0_MIN_MESSAGE_SIZE + 8;
const LEGACY_LOG_APPEND_TIME = 0x08;

export interface LegacyDecodeOptions {
  verifyCrc?: boolean;
  maxDecompressedSize?: number;
}

interface RawMessage {
  offset: bigint;
  magic: LegacyMagic;
  attributes: number;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

function readMessages(buf: Buffer, verifyCrc: boolean): RawMessage[] {
  const out: RawMessage[] = [];
  const r = new Reader(buf);
  while (r.remaining > 0) {
    const entryAt = r.offset;
    if (r.remaining < LOG_OVERHEAD) throw new DecodeError(`${r.remaining} trailing bytes are not a message`, entryAt);
    const offset = r.int64();
    const size = r.int32();
    if (size < V0_MIN_MESSAGE_SIZE) throw new DecodeError(`message size ${size} below the minimum`, entryAt + 8);
    if (size > r.remaining) throw new DecodeError(`message of ${size} bytes but ${r.remaining} left`, entryAt + 8);
    const msgStart = r.offset;
    const m = new Reader(buf, msgStart, msgStart + size);
    const crc = m.uint32();
    if (verifyCrc && crc32.unsigned(buf.subarray(msgStart + CRC_SIZE, msgStart + size)) !== crc) {
      throw new DecodeError('message CRC-32 mismatch', msgStart);
    }
    const magic = m.int8();
    if (magic !== 0 && magic !== 1) throw new DecodeError(`message magic ${magic} is not 0 or 1`, msgStart + 4);
    if (magic === 1 && size < V1_MIN_MESSAGE_SIZE) throw new DecodeError(`v1 message size ${size} below the minimum`, entryAt + 8);
    const attributes = m.int8();
    const timestamp = magic === 1 ? m.int64() : NO_TIMESTAMP;
    const key = m.nullableBytes();
    const value = m.nullableBytes();
    if (m.remaining !== 0) throw new DecodeError(`${m.remaining} unused bytes inside a message`, m.offset);
    out.push({ offset, magic, attributes, timestamp, key, value });
    r.offset = msgStart + size;
  }
  return out;
}

/** Decodes a magic 0/1 message set, unwrapping compressed wrappers. */
const LZ4_FRAME_MAGIC = 0x184d2204;

/**
 * Kafka clients before 0.10 computed an LZ4 frame's header checksum over the
 * frame's magic number too (KAFKA-3160), and Kafka's broker skips that check
 * for magic 0 messages. The LZ4 library checks it, so a magic 0 frame gets the
 * checksum the frame format defines (xxh32 of the descriptor, second byte)
 * before it is read. A frame too short to hold a descriptor is left as it is
 * for the decompressor to refuse.
 */
function withFrameHeaderChecksum(frame: Buffer): Buffer {
  if (frame.length < 7 || frame.readUInt32LE(0) !== LZ4_FRAME_MAGIC) return frame;
  const flags = frame[4];
  const checksumAt = 6 + (flags & 0x08 ? 8 : 0) + (flags & 0x01 ? 4 : 0);
  if (checksumAt >= frame.length) return frame;
  const checksum = (xxh32(frame.subarray(4, checksumAt), 0) >>> 8) & 0xff;
  if (frame[checksumAt] === checksum) return frame;
  const fixed = Buffer.from(frame);
  fixed[checksumAt] = checksum;
  return fixed;
}

export function decodeLegacyMessageSet(buf: Buffer, opts: LegacyDecodeOptions = {}): LegacyRecord[] {
  const verifyCrc = opts.verifyCrc !== false;
  const maxSize = opts.maxDecompressedSize ?? DEFAULT_MAX_DECOMPRESSED_SIZE;
  const out: LegacyRecord[] = [];
  for (const msg of readMessages(buf, verifyCrc)) {
    const codec = msg.attributes & ATTR.COMPRESSION_MASK;
    const timestampType: TimestampType = msg.magic === 1 && msg.attributes & LEGACY_LOG_APPEND_TIME ? 'log-append' : 'create';
    if (codec === Compression.None) {
      out.push({ offset: msg.offset, magic: msg.magic, timestamp: msg.timestamp, timestampType, key: msg.key, value: msg.value, compression: Compression.None });
      continue;
    }
    if (codec > Compression.Lz4) {
      throw new CompressionError(`codec ${codec} is not valid in a magic ${msg.magic} message`, codec, 'unsupported');
    }
    if (msg.value === null) throw new DecodeError('compressed wrapper message without a value', 0);
    const payload = msg.magic === 0 && codec === Compression.Lz4 ? withFrameHeaderChecksum(msg.value) : msg.value;
    const inner = readMessages(decompress(codec, payload, maxSize), verifyCrc);
    if (inner.length === 0) throw new DecodeError('compressed wrapper message with no inner messages', 0);
    // Magic 1 inner offsets are relative; the wrapper carries the absolute offset of the last one.
    const lastRelative = inner[inner.length - 1].offset;
    for (const m of inner) {
      if ((m.attributes & ATTR.COMPRESSION_MASK) !== Compression.None) {
        throw new DecodeError('nested compressed message', 0);
      }
      out.push({
        offset: msg.magic === 1 ? msg.offset - lastRelative + m.offset : m.offset,
        magic: m.magic,
        timestamp: timestampType === 'log-append' ? msg.timestamp : m.timestamp,
        timestampType,
        key: m.key,
        value: m.value,
        compression: codec,
      });
    }
  }
  return out;
}

export interface ConvertToV2Options extends LegacyDecodeOptions {
  /** Codec for the new batch; defaults to the codec the sender used. */
  compression?: Compression;
  /** Defaults to 0: a producer's offsets are placeholders the broker replaces. */
  baseOffset?: bigint;
}

/**
 * Turns an old producer's message set into one v2 batch with offset deltas
 * 0..n-1, so the log only ever holds v2. Magic 0 records get no timestamp (-1).
 */
export function convertLegacyToV2(buf: Buffer, opts: ConvertToV2Options = {}): Buffer {
  const records = decodeLegacyMessageSet(buf, opts);
  if (records.length === 0) throw new DecodeError('empty message set', 0);
  return buildRecordBatch({
    baseOffset: opts.baseOffset ?? 0n,
    compression: opts.compression ?? records[0].compression,
    timestampType: records[0].timestampType,
    records: records.map((r, i) => ({ key: r.key, value: r.value, timestamp: r.timestamp, offsetDelta: i })),
  });
}

function encodeMessage(offset: bigint, magic: LegacyMagic, attributes: number, timestamp: bigint, key: Buffer | null, value: Buffer | null): Buffer {
  const size =
    CRC_SIZE + 2 + (magic === 1 ? 8 : 0) + 4 + (key?.length ?? 0) + 4 + (value?.length ?? 0);
  const buf = Buffer.allocUnsafe(LOG_OVERHEAD + size);
  let p = 0;
  buf.writeBigInt64BE(offset, p);
  buf.writeInt32BE(size, (p += 8));
  p += 4 + CRC_SIZE; // CRC filled in last
  buf.writeInt8(magic, p++);
  buf.writeInt8(attributes, p++);
  if (magic === 1) {
    buf.writeBigInt64BE(timestamp, p);
    p += 8;
  }
  for (const field of [key, value]) {
    if (field === null) {
      buf.writeInt32BE(-1, p);
      p += 4;
    } else {
      buf.writeInt32BE(field.length, p);
      field.copy(buf, (p += 4));
      p += field.length;
    }
  }
  buf.writeUInt32BE(crc32.unsigned(buf.subarray(LOG_OVERHEAD + CRC_SIZE)), LOG_OVERHEAD);
  return buf;
}

/** Codecs an old consumer of this magic can read back; the rest are sent uncompressed. */
function legacyCodecFor(codec: Compression, magic: LegacyMagic): Compression {
  if (codec === Compression.Zstd) return Compression.None;
  // Magic 0 LZ4 used a non-standard frame header checksum; plain records are safer.
  if (codec === Compression.Lz4 && magic === 0) return Compression.None;
  return codec;
}

/**
 * Rewrites v2 batches as a magic 0/1 message set for Fetch v0-v3 answers.
 * Control batches are dropped and headers cannot be represented. A partial
 * batch at the end of the input is ignored, like a consumer would.
 */
export function convertV2ToLegacy(batches: Buffer, magic: LegacyMagic, opts: LegacyDecodeOptions = {}): Buffer {
  const parts: Buffer[] = [];
  for (const view of iterateBatches(batches)) {
    if (view.isControl) continue;
    const batch = decodeRecordBatch(batches.subarray(view.position, view.position + view.size), {
      verifyCrc: opts.verifyCrc,
      maxDecompressedSize: opts.maxDecompressedSize,
    });
    if (batch.records.length === 0) continue;
    const logAppend = batch.timestampType === 'log-append' && magic === 1 ? LEGACY_LOG_APPEND_TIME : 0;
    const codec = legacyCodecFor(batch.compression, magic);
    const ts = (r: KafkaRecord): bigint => (magic === 1 ? r.timestamp : NO_TIMESTAMP);
    if (codec === Compression.None) {
      for (const r of batch.records) parts.push(encodeMessage(r.offset, magic, logAppend, ts(r), r.key, r.value));
      continue;
    }
    const inner = Buffer.concat(
      batch.records.map((r) =>
        encodeMessage(magic === 1 ? BigInt(r.offsetDelta) : r.offset, magic, 0, ts(r), r.key, r.value),
      ),
    );
    const last = batch.records[batch.records.length - 1];
    parts.push(encodeMessage(last.offset, magic, codec | logAppend, magic === 1 ? batch.maxTimestamp : NO_TIMESTAMP, null, compress(codec, inner)));
  }
  return Buffer.concat(parts);
}
