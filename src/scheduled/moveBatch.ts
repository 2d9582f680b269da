import { BATCH, computeBatchCrc, type RecordHeader } from '../../protocol/records';
import { Header } from './policy';
import type { ScheduleMeta } from './records';
import type { JournalRecord } from './replayScan';
import { SCHEDULED_PARTITION } from './scheduleLog';

/** One record moved into its target: the producer's key, value, headers and timestamp, plus headers added on delivery. */
export interface MovedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  extra: Array<{ key: Buffer; value: Buffer }>;
  timestamp: number;
}

/**
 * Zigzag of a varint or varlong field, in number arithmetic: exact for any safe integer. Timestamp deltas are
 * varlongs and a round may mix timestamps weeks apart (a producer's old timestamp next to a current one), past the
 * 32 bits that bitwise operators keep.
 */
function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function varintSize(v: number): number {
  let u = zigzag(v);
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 0x80);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, pos: number, v: number): number {
  let u = zigzag(v);
  while (u >= 0x80) {
    buf[pos++] = (u % 0x80) | 0x80;
    u = Math.floor(u / 0x80);
  }
  buf[pos++] = u;
  return pos;
}

function bytesSize(b: Buffer | null): number {
  return b === null ? 1 : varintSize(b.length) + b.length;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  return pos + b.copy(buf, pos);
}

/**
 * The v2 batch (uncompressed, no producer id) of a delivery round for one target partition. Written
 * directly with number arithmetic: the generic builder's bigint varints cost several times more, and a
 * round moves thousands of records while more fall due.
 */
export function buildMoveBatch(records: MovedRecord[]): Buffer {
  let base = Infinity;
  let max = -Infinity;
  for (const r of records) {
    if (r.timestamp < base) base = r.timestamp;
    if (r.timestamp > max) max = r.timestamp;
  }
  const headerKeys = records.map((r) => r.headers.map((h) => Buffer.from(h.key)));
  const sizes = new Array<number>(records.length);
  let total = 0;
  records.forEach((r, i) => {
    let body = 1 + varintSize(r.timestamp - base) + varintSize(i) + bytesSize(r.key) + bytesSize(r.value) + varintSize(r.headers.length + r.extra.length);
    r.headers.forEach((h, j) => (body += bytesSize(headerKeys[i]![j]!) + bytesSize(h.value)));
    for (const h of r.extra) body += bytesSize(h.key) + bytesSize(h.value);
    sizes[i] = body;
    total += varintSize(body) + body;
  });
  const buf = Buffer.allocUnsafe(BATCH.HEADER_SIZE + total);
  let pos: number = BATCH.RECORDS;
  records.forEach((r, i) => {
    pos = writeVarint(buf, pos, sizes[i]!);
    buf[pos++] = 0;
    pos = writeVarint(buf, pos, r.timestamp - base);
    pos = writeVarint(buf, pos, i);
    pos = writeBytes(buf, pos, r.key);
    pos = writeBytes(buf, pos, r.value);
    pos = writeVarint(buf, pos, r.headers.length + r.extra.length);
    r.headers.forEach((h, j) => {
      pos = writeBytes(buf, pos, headerKeys[i]![j]!);
      pos = writeBytes(buf, pos, h.value);
    });
    for (const h of r.extra) {
      pos = writeBytes(buf, pos, h.key);
      pos = writeBytes(buf, pos, h.value);
    }
  });
  if (pos !== buf.length) throw new Error(`move batch sizing bug: wrote ${pos} of ${buf.length}`);
  buf.writeBigInt64BE(0n, BATCH.BASE_OFFSET);
  buf.writeInt32BE(buf.length - BATCH.LOG_OVERHEAD, BATCH.BATCH_LENGTH);
  buf.writeInt32BE(-1, BATCH.PARTITION_LEADER_EPOCH);
  buf.writeInt8(2, BATCH.MAGIC);
  buf.writeInt16BE(0, BATCH.ATTRIBUTES);
  buf.writeInt32BE(records.length - 1, BATCH.LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(BigInt(base), BATCH.BASE_TIMESTAMP);
  buf.writeBigInt64BE(BigInt(max), BATCH.MAX_TIMESTAMP);
  buf.writeBigInt64BE(-1n, BATCH.PRODUCER_ID);
  buf.writeInt16BE(-1, BATCH.PRODUCER_EPOCH);
  buf.writeInt32BE(-1, BATCH.BASE_SEQUENCE);
  buf.writeInt32BE(records.length, BATCH.RECORD_COUNT);
  buf.writeUInt32BE(computeBatchCrc(buf, 0), BATCH.CRC);
  return buf;
}

/** The record as it lands in its target: the producer's key, value, headers and timestamp, plus where it came from. */
export function movedRecord(offset: number, rec: JournalRecord, meta: ScheduleMeta): MovedRecord {
  return {
    key: meta.key,
    value: rec.value,
    timestamp: rec.timestamp,
    // a record that went round before (a retry) carries the previous delivery's: only this one's stays
    headers: rec.headers.filter((h) => h.key !== Header.SCHEDULED_AT && h.key !== Header.SCHEDULED_OFFSET),
    extra: [
      { key: SCHEDULED_AT_KEY, value: Buffer.from(String(meta.scheduledAt)) },
      { key: SCHEDULED_OFFSET_KEY, value: Buffer.from(`${SCHEDULED_PARTITION}:${offset}`) },
    ],
  };
}

const SCHEDULED_AT_KEY = Buffer.from(Header.SCHEDULED_AT);
const SCHEDULED_OFFSET_KEY = Buffer.from(Header.SCHEDULED_OFFSET);
