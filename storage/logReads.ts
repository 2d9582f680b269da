import { BATCH } from '../protocol/records/batchHeader';
import { ErrorCode } from '../protocol/errors';
import { StorageError, offsetOutOfRange } from './errors';
import { batchBaseOffset, batchLastOffset, batchMaxTimestamp, plausibleBatchSize } from './batch';
import { scanBatches } from './batchScanner';
import type { LogState } from './logState';
import { decodeBatch, recordTimestamp } from './records';
import { NO_TIMESTAMP, type Segment } from './segment';
import { SegmentGoneError } from './segmentName';
import { collectAborted, type AbortedTxn } from './txnIndex';
import type { ReadLease } from './readBuffers';

export interface ReadResult {
  chunks: Buffer[];
  bytes: number;
  highWatermark: number;
  logStartOffset: number;
  logEndOffset: number;
}

export interface ReadOptions {
  /** Exclusive upper bound (high watermark or last stable offset). */
  maxOffset?: number;
  /** Return the first batch whole even when it exceeds maxBytes (KIP-74). */
  minOneBatch?: boolean;
  /**
   * Read into buffers borrowed from this lease instead of fresh ones. The
   * returned chunks are then only valid until the lease is released: for
   * callers that hand them to a socket and release after the write.
   */
  lease?: ReadLease;
}

/** Extra bytes read past maxBytes when locating the first batch after an index entry. */
const LOCATE_SLACK = 32 * 1024;

/**
 * Whole batches from the one holding `offset`, up to `maxBytes` and below
 * `opts.maxOffset`. Reads run concurrently with appends and only see what is
 * published.
 */
export async function readLog(log: LogState, offset: number, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await readOnce(log, offset, maxBytes, opts);
    } catch (err) {
      // retention or compaction swapped a segment under us: the range check on retry decides
      if (!(err instanceof SegmentGoneError) || attempt >= 3) throw err;
    }
  }
}

async function readOnce(log: LogState, offset: number, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
  const result: ReadResult = {
    chunks: [],
    bytes: 0,
    highWatermark: log.highWatermark,
    logStartOffset: log.logStartOffset,
    logEndOffset: log.logEndOffset,
  };
  if (offset < log.logStartOffset || offset > log.logEndOffset) {
    throw offsetOutOfRange(offset, log.logStartOffset, log.logEndOffset);
  }
  const limit = Math.min(opts.maxOffset ?? log.logEndOffset, log.logEndOffset);
  if (offset >= limit) return result;
  const segments = log.segments;
  for (let i = log.segmentIndexFor(offset, segments); i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.baseOffset >= limit) break;
    const chunk = await readSegment(log, seg, offset, maxBytes, limit, opts.minOneBatch ?? false, opts.lease);
    if (chunk === null) continue;
    if (chunk.length > 0) {
      result.chunks.push(chunk);
      result.bytes = chunk.length;
    }
    break;
  }
  return result;
}

/**
 * Whole batches of one segment from the one containing `offset`; null when
 * the segment holds no batch at or after `offset` (compacted gap, empty).
 */
async function readSegment(log: LogState, seg: Segment, offset: number, maxBytes: number, limit: number, minOne: boolean, lease: ReadLease | undefined): Promise<Buffer | null> {
  const segEnd = seg.size;
  let pos = seg.index.lookup(offset - seg.baseOffset);
  let data: Buffer | null = null;
  // locate the first batch whose last offset >= offset
  while (data === null) {
    if (pos >= segEnd) return null;
    const buf = await seg.read(pos, Math.min(segEnd - pos, Math.max(maxBytes, 0) + LOCATE_SLACK), lease);
    let p = 0;
    while (p + BATCH.HEADER_SIZE <= buf.length) {
      const size = plausibleBatchSize(buf, p, buf.length - p);
      if (size < 0) throw corruptAt(log, seg, pos + p);
      if (batchLastOffset(buf, p) >= offset) {
        data = buf.subarray(p);
        break;
      }
      p += size;
    }
    if (data === null && p === 0) throw corruptAt(log, seg, pos);
    pos += p;
  }
  // collect whole batches up to maxBytes and below limit
  let q = 0;
  let reread = false;
  for (;;) {
    if (q + BATCH.HEADER_SIZE > data.length) {
      if (q === 0 && !reread && pos + data.length < segEnd) {
        data = await seg.read(pos, Math.min(segEnd - pos, Math.max(maxBytes, LOCATE_SLACK)), lease);
        reread = true;
        continue;
      }
      break;
    }
    const size = plausibleBatchSize(data, q, data.length - q);
    if (size < 0) throw corruptAt(log, seg, pos + q);
    if (batchBaseOffset(data, q) >= limit) break;
    if (q + size > maxBytes && !(q === 0 && minOne)) break;
    if (q + size > data.length) {
      if (q === 0 && !reread) {
        data = await seg.read(pos, Math.min(segEnd - pos, Math.max(size, maxBytes)), lease);
        reread = true;
        continue;
      }
      break;
    }
    q += size;
  }
  return data.subarray(0, q);
}

function corruptAt(log: LogState, seg: Segment, position: number): StorageError {
  const err = new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `corrupt batch header in ${seg.logPath} at position ${position}`);
  log.ctx.logger.error({ topic: log.topic, partition: log.partition, segment: seg.name, position }, 'corrupt batch header on read');
  return err;
}

/** First record with timestamp >= ts (Kafka's ListOffsets by time), or null when every record is older. */
export async function offsetForTimestamp(log: LogState, ts: number): Promise<{ offset: number; timestamp: number } | null> {
  for (const seg of log.segments) {
    if (seg.maxTimestamp === NO_TIMESTAMP || seg.maxTimestamp < ts || seg.nextOffset <= log.logStartOffset) continue;
    let found: { offset: number; timestamp: number } | null = null;
    const from = seg.timeIndex.startPositionFor(ts);
    await scanBatches(seg, from, seg.size, false, (b) => {
      if (batchMaxTimestamp(b.buf, b.offsetInBuf) < ts || batchLastOffset(b.buf, b.offsetInBuf) < log.logStartOffset) return true;
      const batch = decodeBatch(b.buf.subarray(b.offsetInBuf, b.offsetInBuf + b.size));
      for (const rec of batch.records) {
        const offset = batch.baseOffset + rec.offsetDelta;
        const timestamp = recordTimestamp(batch, rec);
        if (offset >= log.logStartOffset && timestamp >= ts) {
          found = { offset, timestamp };
          return false;
        }
      }
      return true;
    });
    if (found) return found;
  }
  return null;
}

/** The newest record timestamp over all segments, with its offset; null when no record has one. */
export function maxTimestamp(log: LogState): { offset: number; timestamp: number } | null {
  let best: { offset: number; timestamp: number } | null = null;
  for (const s of log.segments) {
    if (s.maxTimestamp !== NO_TIMESTAMP && (best === null || s.maxTimestamp > best.timestamp)) {
      best = { offset: s.offsetOfMaxTimestamp, timestamp: s.maxTimestamp };
    }
  }
  return best;
}

/**
 * Aborted transactions with data in [from, to) for a read_committed fetch:
 * the transaction indexes of the segments from the one holding `from` on,
 * until an entry shows every transaction below `to` had closed.
 */
export async function abortedTxns(log: LogState, from: number, to: number): Promise<AbortedTxn[]> {
  const out: AbortedTxn[] = [];
  if (!log.hasAbortedTxns) return out;
  const segments = log.segments;
  for (let i = log.segmentIndexFor(from, segments); i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.txnIndex.count === 0) continue;
    if (collectAborted(await seg.txnIndex.read(log.ctx.sfs, seg.txnIndexPath), from, to, out)) break;
  }
  return out;
}
