import { BATCH, batchCrcValid } from '../protocol/records/batchHeader';

/** Smallest legal v2 batch: a header with zero records. */
export const MIN_BATCH_SIZE = BATCH.HEADER_SIZE;

/** Reads an int64 as a JS number without allocating a BigInt (exact up to 2^53). */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}

export function writeInt64(buf: Buffer, pos: number, value: number): void {
  const hi = Math.floor(value / 4294967296);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * 4294967296, pos + 4);
}

export function batchBaseOffset(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BATCH.BASE_OFFSET);
}

export function batchLastOffset(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BATCH.BASE_OFFSET) + buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA);
}

export function batchMaxTimestamp(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BATCH.MAX_TIMESTAMP);
}

/**
 * Size of the batch at `pos` if its header is plausible, else -1. Only the
 * header is checked; `available` bytes must hold the header for a verdict.
 */
export function plausibleBatchSize(buf: Buffer, pos: number, available: number): number {
  if (available < BATCH.HEADER_SIZE) return -1;
  const length = buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
  if (length < BATCH.HEADER_SIZE - BATCH.LOG_OVERHEAD) return -1;
  if (buf.readInt8(pos + BATCH.MAGIC) !== 2) return -1;
  if (buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA) < 0) return -1;
  return length + BATCH.LOG_OVERHEAD;
}

export type BatchCheck = { ok: true; size: number } | { ok: false; reason: string };

/** Full check used by recovery: header sanity, whole batch present, CRC-32C. */
export function checkBatch(buf: Buffer, pos: number, available: number): BatchCheck {
  if (available < BATCH.LOG_OVERHEAD) return { ok: false, reason: `torn header (${available} bytes)` };
  const size = plausibleBatchSize(buf, pos, available);
  if (available < BATCH.HEADER_SIZE) return { ok: false, reason: `torn header (${available} bytes)` };
  if (size < 0) return { ok: false, reason: 'invalid batch header' };
  if (size > available) return { ok: false, reason: `torn batch (${available} of ${size} bytes)` };
  if (!batchCrcValid(buf, pos)) return { ok: false, reason: 'CRC-32C mismatch' };
  return { ok: true, size };
}
