import { compacts, deletes } from './config';
import { offsetOutOfRange } from './errors';
import { writeFileAtomic } from './fs';
import type { LogState } from './logState';
import { LOG_START_FILE, removeSegmentFiles } from './recovery';
import { compactSegments } from './compaction';
import { abortedTxns } from './logReads';
import { NO_TIMESTAMP } from './segment';

/**
 * What removes data from the old end of one partition log: DeleteRecords,
 * retention.ms / retention.bytes and cleanup.policy=compact. The caller
 * (PartitionLog) runs these one at a time, after rolled segments were
 * finalized, so none races the index write of a segment it deletes or replaces.
 */
export class LogRetention {
  private compactedUpTo = -1;
  private nextTombstoneExpiry = Infinity;
  /** The last stable offset that held closed segments back from the last pass (-1: none was held back). */
  private heldBackAt = -1;

  constructor(private readonly log: LogState) {}

  /** DeleteRecords: moves the log start offset (persisted) and drops segments wholly below it. */
  async deleteRecordsBefore(offset: number): Promise<number> {
    const log = this.log;
    if (offset < 0 || offset > log.highWatermark) throw offsetOutOfRange(offset, log.logStartOffset, log.highWatermark);
    if (offset > log.logStartOffset) {
      log.changing();
      log.logStartOffset = offset;
      await writeFileAtomic(log.ctx.sfs, log.dir, LOG_START_FILE, Buffer.from(String(offset)));
      let n = 0;
      while (n < log.segments.length - 1 && log.segments[n]!.nextOffset <= offset) n++;
      await this.deleteOldestSegments(n, 'log start offset moved');
    }
    return log.logStartOffset;
  }

  /** retention.ms / retention.bytes: deletes whole closed segments from the old end. Returns how many. */
  async runRetention(now: number): Promise<number> {
    const log = this.log;
    if (log.closed || !deletes(log.config)) return 0;
    const { retentionMs, retentionBytes } = log.config;
    let remaining = 0;
    for (const s of log.segments) remaining += s.size;
    let n = 0;
    for (; n < log.segments.length - 1; n++) {
      const seg = log.segments[n]!;
      const newest = seg.maxTimestamp === NO_TIMESTAMP ? seg.createdAt : seg.maxTimestamp;
      const expired = retentionMs >= 0 && now - newest > retentionMs;
      const oversize = retentionBytes >= 0 && remaining - seg.size >= retentionBytes;
      const belowStart = seg.nextOffset <= log.logStartOffset;
      if (!expired && !oversize && !belowStart) break;
      remaining -= seg.size;
    }
    await this.deleteOldestSegments(n, 'retention');
    return n;
  }

  private async deleteOldestSegments(n: number, reason: string): Promise<void> {
    if (n <= 0) return;
    const log = this.log;
    log.changing();
    const doomed = log.segments.slice(0, n);
    log.segments = log.segments.slice(n);
    log.countAbortedTxns();
    if (log.segments[0]!.baseOffset > log.logStartOffset) log.logStartOffset = log.segments[0]!.baseOffset;
    log.checkInvariants();
    for (const seg of doomed) {
      seg.markDeleted();
      try {
        await removeSegmentFiles(log.ctx.sfs, seg);
      } catch (err) {
        log.ctx.logger.warn({ topic: log.topic, partition: log.partition, segment: seg.name, err: String(err) }, 'removing segment files failed');
      }
    }
    log.ctx.logger.info(
      { topic: log.topic, partition: log.partition, deleted: doomed.map((s) => s.name), logStartOffset: log.logStartOffset },
      `deleted ${doomed.length} segment(s): ${reason}`,
    );
  }

  /**
   * cleanup.policy=compact: keeps the last record per key in closed segments,
   * dropping tombstones older than delete.retention.ms. Runs when new
   * segments were closed since the last pass, a kept tombstone expired, or the
   * last stable offset moved past segments an open transaction held back.
   */
  async compact(now: number, force: boolean): Promise<{ segmentsRewritten: number; recordsRemoved: number }> {
    const log = this.log;
    const none = { segmentsRewritten: 0, recordsRemoved: 0 };
    if (log.closed || !compacts(log.config) || log.segments.length < 2) return none;
    const closedEnd = log.active.baseOffset;
    if (!force && closedEnd <= this.compactedUpTo && now < this.nextTombstoneExpiry && !this.stableOffsetMoved()) return none;
    // the producer state gives the last stable offset; loading it also rebuilds transaction indexes a crash left untrusted
    const cleanableEnd = (await log.producers.table()).lastStableOffset(log.highWatermark);
    const from = log.segments[0]!.baseOffset;
    const aborted = cleanableEnd > from ? await abortedTxns(log, from, cleanableEnd) : [];
    if (log.closed) return none;
    log.changing();
    const result = await compactSegments(log.segments.slice(0, -1), log.active, {
      sfs: log.ctx.sfs,
      pool: log.ctx.pool,
      config: log.config,
      now,
      cleanableEnd,
      aborted,
      replace: (oldSeg, newSeg) => {
        const i = log.segments.indexOf(oldSeg);
        if (i >= 0) log.segments[i] = newSeg;
        oldSeg.markDeleted();
      },
    });
    this.compactedUpTo = closedEnd;
    this.nextTombstoneExpiry = result.nextTombstoneExpiry;
    this.heldBackAt = result.heldBack > 0 ? cleanableEnd : -1;
    if (result.segmentsRewritten > 0) {
      log.ctx.logger.info({ topic: log.topic, partition: log.partition, ...result }, 'compacted');
    }
    return { segmentsRewritten: result.segmentsRewritten, recordsRemoved: result.recordsRemoved };
  }

  /** Whether the last stable offset moved since it held segments back (read from the loaded table: no load per pass). */
  private stableOffsetMoved(): boolean {
    if (this.heldBackAt < 0) return false;
    const table = this.log.producers.loaded;
    return table !== undefined && table.lastStableOffset(this.log.highWatermark) > this.heldBackAt;
  }

  /** The tail was rewritten: the next compaction pass looks at every closed segment again. */
  tailRewritten(): void {
    this.compactedUpTo = -1;
  }
}
