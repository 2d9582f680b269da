import { ATTR, BATCH } from '../protocol/records/batchHeader';
import { decompress } from '../protocol/records/compression';
import { readInt64 } from './batch';

/**
 * Record-level view of a batch, used only off the hot path: compaction
 * (keys) and offsetForTimestamp (exact record). Fields refer into the
 * (decompressed) records payload; nothing is copied.
 */
export interface RecordView {
  offsetDelta: number;
  timestampDelta: number;
  /** Key bytes as a slice, or null for a null key. */
  key: Buffer | null;
  valueIsNull: boolean;
  value: Buffer | null;
  /** The record's full encoding (length prefix included) within `payload`. */
  start: number;
  end: number;
}

export interface DecodedBatch {
  baseOffset: number;
  baseTimestamp: number;
  maxTimestamp: number;
  attributes: number;
  /** Uncompressed records section. */
  payload: Buffer;
  records: RecordView[];
}

class VarintReader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
  ) {}

  /** Zig-zag varint into a JS number; exact for |value| < 2^53, which covers every timestamp delta. */
  varlong(): number {
    let result = 0;
    let mult = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new RangeError('varint runs past the batch');
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * mult;
      if ((byte & 0x80) === 0) {
        // zig-zag: even -> positive, odd -> negative
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
      mult *= 128;
    }
    throw new RangeError('varint too long');
  }

  skip(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new RangeError('field runs past the batch');
    this.pos += n;
  }
}

/** Decodes the record framing of a whole batch (`batch` starts at the batch header). */
export function decodeBatch(batch: Buffer, maxDecompressed?: number): DecodedBatch {
  const attributes = batch.readInt16BE(BATCH.ATTRIBUTES);
  const codec = attributes & ATTR.COMPRESSION_MASK;
  const raw = batch.subarray(BATCH.RECORDS);
  const payload = codec === 0 ? raw : decompress(codec, raw, maxDecompressed);
  const count = batch.readInt32BE(BATCH.RECORD_COUNT);
  const records: RecordView[] = [];
  const r = new VarintReader(payload, 0);
  for (let i = 0; i < count; i++) {
    const start = r.pos;
    const length = r.varlong();
    const bodyStart = r.pos;
    r.skip(1); // record attributes
    const timestampDelta = r.varlong();
    const offsetDelta = r.varlong();
    const keyLength = r.varlong();
    let key: Buffer | null = null;
    if (keyLength >= 0) {
      key = payload.subarray(r.pos, r.pos + keyLength);
      r.skip(keyLength);
    }
    const valueLength = r.varlong();
    const value = valueLength >= 0 ? payload.subarray(r.pos, r.pos + valueLength) : null;
    const end = bodyStart + length;
    if (end > payload.length || end < r.pos) throw new RangeError('record length runs past the batch');
    records.push({ offsetDelta, timestampDelta, key, valueIsNull: valueLength < 0, value, start, end });
    r.pos = end;
  }
  return {
    baseOffset: readInt64(batch, BATCH.BASE_OFFSET),
    baseTimestamp: readInt64(batch, BATCH.BASE_TIMESTAMP),
    maxTimestamp: readInt64(batch, BATCH.MAX_TIMESTAMP),
    attributes,
    payload,
    records,
  };
}

/** The timestamp consumers see for a record: LogAppendTime batches use the batch max timestamp. */
export function recordTimestamp(batch: DecodedBatch, rec: RecordView): number {
  if (batch.attributes & ATTR.TIMESTAMP_LOG_APPEND) return batch.maxTimestamp;
  return batch.baseTimestamp + rec.timestampDelta;
}
