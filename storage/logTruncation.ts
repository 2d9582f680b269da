import { batchLastOffset } from './batch';
import { scanBatches } from './batchScanner';
import { fsyncDir, writeFileAtomic } from './fs';
import type { LogState } from './logState';
import { LOG_START_FILE, RECOVERY_POINT_FILE, removeSegmentFiles } from './recovery';
import { storageFailure } from './errors';
import { Segment } from './segment';

/**
 * Cuts the segment holding `offset` before the batch holding it and drops the
 * later segments (a follower diverged from its leader). Appends must be
 * quiesced. The segment that keeps the tail becomes the active one.
 */
export async function cutTail(log: LogState, offset: number): Promise<void> {
  log.changing();
  let keep = log.segmentIndexFor(offset);
  let seg = log.segments[keep]!;
  let cut = 0;
  let newEnd = seg.baseOffset;
  await scanBatches(seg, 0, seg.size, false, (b) => {
    if (batchLastOffset(b.buf, b.offsetInBuf) >= offset) return false;
    cut = b.position + b.size;
    newEnd = batchLastOffset(b.buf, b.offsetInBuf) + 1;
    return true;
  });
  if (cut === 0 && keep > 0) {
    // nothing of this segment survives: the previous one becomes the active one
    keep--;
    seg = log.segments[keep]!;
    cut = seg.size;
    newEnd = seg.nextOffset;
  }
  const doomed = log.segments.slice(keep + 1);
  // readers stop at the new end before any byte goes, so a concurrent read never meets a cut batch
  log.logEndOffset = newEnd;
  if (log.highWatermark > newEnd) log.highWatermark = newEnd;
  log.segments = log.segments.slice(0, keep + 1);
  for (const d of doomed) {
    d.markDeleted();
    await removeSegmentFiles(log.ctx.sfs, d);
  }
  await seg.setDsync(log.config.fsyncOnAppend);
  await seg.truncateTo(cut, log.config.indexIntervalBytes);
  log.active = seg;
  log.logEndOffset = seg.nextOffset;
  log.countAbortedTxns();
  log.producers.truncated(log.logEndOffset);
}

/** Kafka's truncateFullyAndStartAt: every segment goes, an empty one starts at `offset`. */
export async function startOverAt(log: LogState, offset: number): Promise<void> {
  log.changing();
  const doomed = log.segments;
  const seg = new Segment(log.dir, offset, log.ctx.sfs, log.ctx.pool);
  // the empty log is what readers see from here on; its file is created once the old ones are gone
  log.segments = [seg];
  log.active = seg;
  log.logStartOffset = offset;
  log.logEndOffset = offset;
  if (log.highWatermark !== offset) log.highWatermark = offset;
  for (const d of doomed) {
    d.markDeleted();
    await removeSegmentFiles(log.ctx.sfs, d);
  }
  await seg.setDsync(log.config.fsyncOnAppend);
  await seg.create();
  await fsyncDir(log.ctx.sfs, log.dir);
  log.countAbortedTxns();
  log.producers.truncated(log.logEndOffset);
  await writeFileAtomic(log.ctx.sfs, log.dir, LOG_START_FILE, Buffer.from(String(offset)));
}

/** What a tail rewrite touches of its log besides the segments. */
export interface TailRewriteParts {
  state: LogState;
  pipeline: { quiesce(): Promise<void>; realign(): void };
  retention: { tailRewritten(): void };
  epochs: { truncateFromEnd(offset: number): Promise<void> };
}

/**
 * Runs `change` (a cut of the tail) with appends refused and drained, then
 * realigns the append state, the offsets, the leader epochs and the recovery
 * point with the segments. A failed cut takes the partition offline. Returns
 * the new log end offset. Call under the log's structural lock.
 */
export async function rewriteTail(p: TailRewriteParts, change: () => Promise<boolean>, requested: number): Promise<number> {
  const { state } = p;
  state.truncating = true;
  try {
    await p.pipeline.quiesce();
    if (state.failure) throw state.failure;
    let changed: boolean;
    try {
      changed = await change();
    } catch (err) {
      state.failure = storageFailure(`${state.topic}-${state.partition} is offline: truncation failed`, err);
      throw state.failure;
    }
    if (!changed) return state.logEndOffset;
    p.pipeline.realign();
    p.retention.tailRewritten();
    if (state.logStartOffset > state.logEndOffset) state.logStartOffset = state.logEndOffset;
    if (state.highWatermark > state.logEndOffset || state.highWatermark < state.logStartOffset) state.highWatermark = state.logEndOffset;
    if (state.localCommittedEnd > state.logEndOffset || state.localCommittedEnd < state.logStartOffset) state.localCommittedEnd = state.logEndOffset;
    state.checkInvariants();
    await p.epochs.truncateFromEnd(state.logEndOffset);
    await writeFileAtomic(state.ctx.sfs, state.dir, RECOVERY_POINT_FILE, Buffer.from(String(state.active.baseOffset)));
    state.ctx.logger.warn({ topic: state.topic, partition: state.partition, requested, logStartOffset: state.logStartOffset, logEndOffset: state.logEndOffset }, 'truncated log');
    return state.logEndOffset;
  } finally {
    state.truncating = false;
  }
}
