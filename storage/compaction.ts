import * as fs from 'node:fs';
import { ATTR, BATCH, fixBatchCrc } from '../protocol/records/batchHeader';
import { compress } from '../protocol/records/compression';
import type { LogConfig } from './config';
import { fsyncDir, O_RDWR_CREATE, writeFully, type StorageFs } from './fs';
import type { HandlePool } from './handlePool';
import { Segment } from './segment';
import { scanBatches } from './batchScanner';
import { batchBaseOffset, batchLastOffset, batchMaxTimestamp } from './batch';
import { decodeBatch, type DecodedBatch, type RecordView } from './records';
import { persistIndexes } from './recovery';
import type { AbortedTxn } from './txnIndex';

export interface CompactionContext {
  sfs: StorageFs;
  pool: HandlePool;
  config: LogConfig;
  now: number;
  /**
   * Where settled data ends (the last stable offset: the first offset of the oldest open transaction, or the high
   * watermark). Past it a record may still be aborted or truncated away, so it neither supersedes an older value of
   * its key nor is cleaned, and a segment reaching past it is left as it is.
   */
  cleanableEnd: number;
  /** Aborted transactions with data below `cleanableEnd` (the segments' transaction indexes). */
  aborted: readonly AbortedTxn[];
  /** Swaps the cleaned segment in for the old one in the log's segment list. */
  replace(oldSeg: Segment, newSeg: Segment): void;
}

export interface CompactionResult {
  segmentsRewritten: number;
  recordsRemoved: number;
  bytesBefore: number;
  bytesAfter: number;
  /** When the oldest kept tombstone becomes removable (Infinity if none). */
  nextTombstoneExpiry: number;
  /** Closed segments left uncleaned because they reach past `cleanableEnd`. */
  heldBack: number;
}

/**
 * Key-based cleaning of closed segments, one segment at a time: pass 1 maps
 * every key to its latest offset, pass 2 rewrites each segment keeping only
 * those records (plus tombstones younger than delete.retention.ms counted
 * from their segment's last write, keyless records and control batches). A batch keeps its base offset and lastOffsetDelta, so offsets
 * never move; only batches that lost records are re-encoded. The cleaned file
 * replaces the old one with an atomic rename, indexes are rewritten after.
 *
 * Only settled data counts (below `cleanableEnd`), and an aborted
 * transaction's records never count: a consumer never sees them as a key's
 * value, so letting one supersede a committed record deleted the only value
 * read_committed consumers had for that key. Pass 2 drops aborted records
 * outright, as Kafka's cleaner does; their abort markers (and the segments'
 * aborted-transaction entries) stay.
 */
export async function compactSegments(segments: Segment[], active: Segment, ctx: CompactionContext): Promise<CompactionResult> {
  const result: CompactionResult = { segmentsRewritten: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0, nextTombstoneExpiry: Infinity, heldBack: 0 };
  let cleanable = 0;
  while (cleanable < segments.length && segments[cleanable]!.nextOffset <= ctx.cleanableEnd) cleanable++;
  result.heldBack = segments.length - cleanable;
  if (cleanable === 0) return result;
  const aborted = abortedByProducer(ctx.aborted);
  const latest = new Map<string, number>();
  // later segments (the active one included) only contribute keys, up to what is settled
  for (const seg of [...segments, active]) {
    if (seg.baseOffset >= ctx.cleanableEnd) break;
    await scanBatches(seg, 0, seg.size, false, (b) => {
      const view = b.buf.subarray(b.offsetInBuf, b.offsetInBuf + b.size);
      if (batchBaseOffset(view, 0) >= ctx.cleanableEnd) return false;
      if (view.readInt16BE(BATCH.ATTRIBUTES) & ATTR.CONTROL || isAborted(view, aborted)) return;
      const batch = decodeBatch(view);
      for (const rec of batch.records) {
        if (rec.key) latest.set(rec.key.toString('latin1'), batch.baseOffset + rec.offsetDelta);
      }
    });
  }

  for (const seg of segments.slice(0, cleanable)) {
    const horizon = lastModified(seg) + ctx.config.deleteRetentionMs;
    const outputs: Buffer[] = [];
    let changed = false;
    let removed = 0;
    await scanBatches(seg, 0, seg.size, false, (b) => {
      const view = b.buf.subarray(b.offsetInBuf, b.offsetInBuf + b.size);
      if (view.readInt16BE(BATCH.ATTRIBUTES) & ATTR.CONTROL) {
        outputs.push(view);
        return;
      }
      if (isAborted(view, aborted)) {
        removed += view.readInt32BE(BATCH.RECORD_COUNT);
        changed = true;
        return;
      }
      const batch = decodeBatch(view);
      const kept: RecordView[] = [];
      for (const rec of batch.records) {
        if (rec.key !== null) {
          if (latest.get(rec.key.toString('latin1')) !== batch.baseOffset + rec.offsetDelta) continue;
          if (rec.valueIsNull) {
            if (ctx.now > horizon) continue;
            result.nextTombstoneExpiry = Math.min(result.nextTombstoneExpiry, horizon + 1);
          }
        }
        kept.push(rec);
      }
      removed += batch.records.length - kept.length;
      if (kept.length === batch.records.length) {
        outputs.push(view);
      } else {
        changed = true;
        if (kept.length > 0) outputs.push(rebuildBatch(view, batch, kept));
      }
    });
    if (!changed) continue;
    const before = seg.size;
    const cleaned = await writeCleanedSegment(seg, outputs, ctx);
    result.segmentsRewritten++;
    result.recordsRemoved += removed;
    result.bytesBefore += before;
    result.bytesAfter += cleaned.size;
  }
  return result;
}

/**
 * When the segment's data was last written, which starts the delete.retention.ms a tombstone in it is kept for
 * (older Kafka's horizon: the segment's last modification). A record's own timestamp cannot be that clock: the
 * producer sets it, so a tombstone with an old CreateTime vanished seconds after its write, before any consumer saw
 * the delete, and one from the future never did. The last append this run, else the file's mtime (a segment found
 * at start, or written by compaction, which keeps the mtime it replaces), so the horizon survives restarts and
 * cleaning passes, and a tombstone is always kept at least delete.retention.ms after it was written.
 */
function lastModified(seg: Segment): number {
  return seg.lastPublishAt > 0 ? seg.lastPublishAt : seg.createdAt;
}

function abortedByProducer(list: readonly AbortedTxn[]): Map<bigint, AbortedTxn[]> {
  const out = new Map<bigint, AbortedTxn[]>();
  for (const t of list) {
    const mine = out.get(t.producerId);
    if (mine) mine.push(t);
    else out.set(t.producerId, [t]);
  }
  return out;
}

/** A transactional batch inside one of its producer's aborted transactions (data runs up to the abort marker). */
function isAborted(view: Buffer, aborted: ReadonlyMap<bigint, readonly AbortedTxn[]>): boolean {
  if (aborted.size === 0 || (view.readInt16BE(BATCH.ATTRIBUTES) & ATTR.TRANSACTIONAL) === 0) return false;
  const mine = aborted.get(view.readBigInt64BE(BATCH.PRODUCER_ID));
  if (!mine) return false;
  const base = batchBaseOffset(view, 0);
  return mine.some((t) => t.firstOffset <= base && base < t.lastOffset);
}

/** Same header (offsets, timestamps, producer fields), fewer records; re-compressed with the batch's codec. */
function rebuildBatch(original: Buffer, batch: DecodedBatch, kept: RecordView[]): Buffer {
  const codec = batch.attributes & ATTR.COMPRESSION_MASK;
  const raw = Buffer.concat(kept.map((r) => batch.payload.subarray(r.start, r.end)));
  const body = codec === 0 ? raw : compress(codec, raw);
  const out = Buffer.allocUnsafe(BATCH.HEADER_SIZE + body.length);
  original.copy(out, 0, 0, BATCH.HEADER_SIZE);
  body.copy(out, BATCH.HEADER_SIZE);
  out.writeInt32BE(out.length - BATCH.LOG_OVERHEAD, BATCH.BATCH_LENGTH);
  out.writeInt32BE(kept.length, BATCH.RECORD_COUNT);
  fixBatchCrc(out, 0);
  return out;
}

async function writeCleanedSegment(seg: Segment, outputs: Buffer[], ctx: CompactionContext): Promise<Segment> {
  const { sfs } = ctx;
  const cleanedPath = `${seg.logPath}.cleaned`;
  const modified = lastModified(seg);
  const fd = await sfs.open(cleanedPath, O_RDWR_CREATE | fs.constants.O_TRUNC);
  try {
    if (outputs.length > 0) await writeFully(sfs, fd, outputs, 0);
    await sfs.fdatasync(fd);
  } finally {
    await sfs.close(fd);
  }
  // cleaning is not a write of new data: the tombstone horizon and retention's fallback keep the old time
  await sfs.setMtime(cleanedPath, modified);
  const next = new Segment(seg.dir, seg.baseOffset, sfs, ctx.pool, modified);
  let pos = 0;
  for (const b of outputs) {
    next.loadBatch(pos, batchBaseOffset(b, 0), batchLastOffset(b, 0), batchMaxTimestamp(b, 0), b.length, ctx.config.indexIntervalBytes);
    pos += b.length;
  }
  // offsets past the last kept record stay consumed: the next segment starts where the old one ended
  next.consumeOffsetsTo(seg.nextOffset);
  next.markFlushed(next.size);
  // markers are never cleaned away, so the segment's aborted-transaction entries stay as they are (an entry whose
  // data was dropped filters nothing)
  next.replaceTxnIndex(seg.txnIndex);
  // stale indexes must not survive next to the new log if we crash between the rename and the rewrite
  for (const p of [seg.indexPath, seg.timeIndexPath, seg.keyIndexPath, seg.tagIndexPath]) {
    await sfs.unlink(p).catch(() => undefined);
  }
  await sfs.rename(cleanedPath, seg.logPath);
  await fsyncDir(sfs, seg.dir);
  await persistIndexes(sfs, next);
  ctx.replace(seg, next);
  return next;
}
