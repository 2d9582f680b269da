import { BATCH } from '../protocol/records/batchHeader';
import { SETTLED } from './settled';
import { queueDrain, type TickDrained } from './drainTick';
import { ErrorCode } from '../protocol/errors';
import { MAX_RELATIVE_OFFSET } from './config';
import { StorageError, storageFailure } from './errors';
import { fsyncDir, writeFileAtomic } from './fs';
import { batchBaseOffset, batchLastOffset, batchMaxTimestamp } from './batch';
import type { LogState } from './logState';
import { RECOVERY_POINT_FILE, persistIndexes } from './recovery';
import { Segment } from './segment';
import { indexSidecars } from './logTagIndex';
import type { AppendOptions, AppendResult, AppendSink } from './appendTypes';
import { appendRequest, assignOffsets, checkAppend, timeWaitedForRoll, type AppendRequest } from './appendBatches';

export type { AppendOptions, AppendResult, AppendSink } from './appendTypes';

interface InflightWrite {
  seg: Segment;
  start: number;
  group: AppendRequest[];
  /** Written through O_DSYNC: durable once it completed. */
  durable: boolean;
  settled: boolean;
  error: unknown;
  /** Resolves once the write settled and everything before it was published. */
  done: Promise<void>;
}

const noop = (): void => undefined;
/** `pending` when empty: never pushed to (enqueue replaces it), so an idle log or a drain makes no array. */
const NOTHING_PENDING: AppendRequest[] = Object.freeze([]) as unknown as AppendRequest[];

/** Writes in flight per partition: lets an O_DSYNC device work on several at once. */
const MAX_INFLIGHT_WRITES = 4;
/** A write group closes at this size when more appends are waiting, so they spread over parallel writes. */
const WRITE_GROUP_BYTES = 512 * 1024;

/**
 * The write side of one partition log. Appends are serialized through one
 * queue; whatever queued while a write was in flight is written with the next
 * single writev. In fsync mode that writev goes through an O_DSYNC
 * descriptor, so the appends sharing it are acknowledged together once it
 * returns (group commit); if fsync mode was switched on at runtime, a shared
 * fdatasync loop does the same (./groupCommit.ts). Reads only ever see whole
 * batches: a segment's size and the log end offset move only after a write
 * completed, in order.
 */
export class AppendPipeline implements TickDrained {
  /** Next offset to assign; runs ahead of the log end while a write is in flight. */
  private assignNext: number;
  private pending: AppendRequest[] = NOTHING_PENDING;
  private draining: Promise<void> | null = null;
  /** Writes issued and not yet published, oldest first. */
  private inflight: InflightWrite[] = [];
  /** Set while the writes after a failed one drain and the file is cut back. */
  private unwinding: Promise<void> | null = null;
  private unwound: () => void = noop;
  private unwindFailure: StorageError | null = null;
  /** Appends of the failed write and those after it, refused once the unwind truncated the file. */
  // made on first use: a broker holds a pipeline per open partition, and most never unwind or fsync per append
  private unwindRejected: AppendRequest[] | null = null;
  private syncWaiters: Array<{ seg: Segment; req: AppendRequest }> | null = null;
  private syncing: Promise<void> | null = null;
  private finalizeChain: Promise<void> = SETTLED;
  private unflushedMessages = 0;
  private lastFlushAt = Date.now();
  private flushing: Promise<void> | null = null;

  constructor(private readonly log: LogState) {
    this.assignNext = log.logEndOffset;
  }

  append(batches: Buffer, opts: AppendOptions): Promise<AppendResult> {
    let req: AppendRequest;
    try {
      req = this.admit(batches, opts, null);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      req.resolve = resolve;
      req.reject = reject;
      this.enqueue(req);
    });
  }

  /** append() answering through `sink` (see AppendSink): no promise made per append. */
  appendTo(batches: Buffer, opts: AppendOptions, sink: AppendSink): void {
    let req: AppendRequest;
    try {
      req = this.admit(batches, opts, sink);
    } catch (err) {
      return sink.failed(err);
    }
    this.enqueue(req);
  }

  /** The request for an append the log can take now; throws the StorageError refusing it otherwise. */
  private admit(batches: Buffer, opts: AppendOptions, sink: AppendSink | null): AppendRequest {
    const log = this.log;
    if (log.closed) throw storageFailure(`append to ${log.topic}-${log.partition}`, 'log is closed');
    if (log.failure) throw log.failure;
    if (log.truncating) throw new StorageError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${log.topic}-${log.partition} is being truncated`);
    const req = appendRequest(batches, opts, sink);
    checkAppend(req, log.config);
    return req;
  }

  private enqueue(req: AppendRequest): void {
    // one request a turn is the common case: an array of its size, not an empty one grown to 17
    if (this.pending.length === 0) this.pending = [req];
    else this.pending.push(req);
    // drained from a microtask: appends made in the same tick join the first write
    if (!this.draining) this.draining = queueDrain(this);
  }

  /** Resolves once rolled segments were made durable with their indexes (retention and truncation wait for it). */
  finalized(): Promise<void> {
    return this.finalizeChain;
  }

  /** Something is queued, in flight, being unwound or waiting for an fsync. */
  get busy(): boolean {
    return this.draining !== null || this.syncing !== null || this.inflight.length > 0 || this.unwinding !== null;
  }

  /** Waits until nothing is queued, in flight, being unwound or waiting for an fsync. */
  async quiesce(): Promise<void> {
    while (this.busy) {
      await this.draining;
      await this.settleWrites();
      await this.syncing;
    }
  }

  /** After the tail was rewritten (appends quiesced): offsets continue at the new log end. */
  realign(): void {
    this.assignNext = this.log.logEndOffset;
  }

  /**
   * Writes what is pending, from the tick's shared microtask (./drainTick.ts). Runs synchronously until it has to
   * wait (a write slot, an unwind, a segment roll), then continues once that is over: a produce touching thousands
   * of partitions costs no async frame per partition. `draining` stays set until nothing is pending.
   */
  drainQueued(): void {
    let wait: Promise<void> | null;
    try {
      wait = this.drainSome();
    } catch (err) {
      this.draining = null;
      throw err;
    }
    this.draining = wait === null ? null : wait.then(() => this.drainQueued());
  }

  /** Issues writes for pending appends; the promise to wait for before going on, or null when all were issued. */
  private drainSome(): Promise<void> | null {
    const log = this.log;
    if (this.pending.length === 0) return null;
    if (this.unwinding) return this.unwinding;
    if (this.inflight.length >= MAX_INFLIGHT_WRITES) return this.inflight[0]!.done;
    const reqs = this.pending;
    this.pending = NOTHING_PENDING;
    let group: AppendRequest[] | null = null;
    let groupBytes = 0;
    for (let i = 0; i < reqs.length; i++) {
      const req = reqs[i]!;
      if (this.unwinding) {
        // a write done at once (issueWrite, which empties the group) failed: the rest, with no offsets
        // yet, waits for the file to be cut back
        this.pending = reqs.slice(i).concat(this.pending);
        return this.unwinding;
      }
      if (log.failure) {
        req.reject(log.failure);
        continue;
      }
      if (this.needsRoll(req, groupBytes)) {
        if (group) this.issueWrite(group, groupBytes);
        // this request and the rest go on once the writes settled and a new segment is active
        this.pending = reqs.slice(i).concat(this.pending);
        return this.settleWrites().then(() => this.rollFor(req));
      }
      if (group && groupBytes + req.buf.length > WRITE_GROUP_BYTES) {
        this.issueWrite(group, groupBytes);
        group = null;
        groupBytes = 0;
        if (this.inflight.length >= MAX_INFLIGHT_WRITES || this.unwinding) {
          // the rest waits for a write slot; nothing of it has offsets yet
          this.pending = reqs.slice(i).concat(this.pending);
          return this.unwinding ?? this.inflight[0]!.done;
        }
      }
      if (req.keepOffsets && batchBaseOffset(req.buf, 0) < this.assignNext) {
        req.reject(new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, `replicated batch starts at ${batchBaseOffset(req.buf, 0)}, log ends at ${this.assignNext}`));
        continue;
      }
      this.assignNext = assignOffsets(req, this.assignNext, this.log);
      if (group) group.push(req);
      else group = [req];
      groupBytes += req.buf.length;
    }
    if (group) this.issueWrite(group, groupBytes);
    // appends that arrived meanwhile (a write published at once resolves, and its caller may append again)
    return this.pending.length > 0 ? SETTLED : null;
  }

  /** Rolls for `req`, the head of pending (all writes settled); a failed roll refuses it. */
  private async rollFor(req: AppendRequest): Promise<void> {
    const log = this.log;
    if (log.failure) return; // drainSome refuses it
    try {
      await this.roll(req.now);
    } catch (err) {
      const failure = storageFailure(`rolling a new segment of ${log.topic}-${log.partition}`, err);
      log.ctx.logger.error({ topic: log.topic, partition: log.partition, err: failure.message }, 'segment roll failed');
      const i = this.pending.indexOf(req);
      if (i >= 0) this.pending.splice(i, 1);
      req.reject(failure);
    }
  }

  private needsRoll(req: AppendRequest, groupBytes: number): boolean {
    const active = this.log.active;
    const config = this.log.config;
    const used = active.writtenEnd + groupBytes;
    if (used === 0) return false;
    if (used + req.buf.length > config.segmentBytes) return true;
    if (timeWaitedForRoll(req, active, config) >= config.segmentMs) return true;
    return this.assignNext + req.span - 1 - active.baseOffset > MAX_RELATIVE_OFFSET;
  }

  /**
   * Starts one positional writev for a group at the next reserved position.
   * Several may be in flight (the device works on them in parallel, which is
   * what makes O_DSYNC appends fast); they are published strictly in order.
   */
  private issueWrite(group: AppendRequest[], bytes: number): void {
    const seg = this.log.active;
    const start = seg.reserve(bytes);
    const bufs = group.length === 1 ? [group[0]!.buf] : group.map((r) => r.buf);
    // A small write to an open, non-O_DSYNC descriptor is done at once: the promise chain of write() costs more
    // than the copy into the page cache, for every partition of a produce. With nothing ahead of it, it is
    // published at once too, and nothing records it as in flight.
    let durable: boolean | null = null;
    let error: unknown = undefined;
    try {
      durable = seg.writeNow(bufs, start);
    } catch (err) {
      error = err;
    }
    if (durable !== null && this.inflight.length === 0) return this.publishAtOnce(seg, start, group, durable);
    const write: InflightWrite = { seg, start, group, durable: durable === true, settled: false, error, done: SETTLED };
    this.inflight.push(write);
    if (durable !== null || error !== undefined) return this.settled(write);
    write.done = seg
      .write(bufs, start)
      .then(
        (d) => {
          write.durable = d;
        },
        (err: unknown) => {
          write.error = err;
        },
      )
      .then(() => this.settled(write));
  }

  private publishAtOnce(seg: Segment, start: number, group: AppendRequest[], durable: boolean): void {
    try {
      this.publish(seg, start, group, durable);
    } catch (err) {
      this.log.ctx.logger.error({ topic: this.log.topic, partition: this.log.partition, err: String(err) }, 'publishing a write failed');
    }
  }

  /** A write finished (at once or through the thread pool): publish what is now in order. */
  private settled(write: InflightWrite): void {
    write.settled = true;
    try {
      this.publishWrites();
    } catch (err) {
      this.log.ctx.logger.error({ topic: this.log.topic, partition: this.log.partition, err: String(err) }, 'publishing a write failed');
    }
  }

  /** Publishes settled writes in order; the first failure fails every write after it and truncates them away. */
  private publishWrites(): void {
    const log = this.log;
    while (this.inflight.length > 0 && this.inflight[0]!.settled) {
      const write = this.inflight.shift()!;
      if (this.unwindFailure) {
        (this.unwindRejected ??= []).push(...write.group);
        continue;
      }
      if (write.error !== undefined) {
        const failure = storageFailure(`append to ${log.topic}-${log.partition} failed`, write.error);
        log.ctx.logger.error({ topic: log.topic, partition: log.partition, err: failure.message }, 'append failed');
        this.unwindFailure = failure;
        this.unwinding = new Promise<void>((resolve) => (this.unwound = resolve));
        (this.unwindRejected ??= []).push(...write.group);
        continue;
      }
      this.publish(write.seg, write.start, write.group, write.durable);
    }
    if (this.unwindFailure && this.inflight.length === 0) void this.finishUnwind();
  }

  /** After a failed write: cut the partial bytes (recovery would otherwise see a torn tail) and reuse its offsets. */
  private async finishUnwind(): Promise<void> {
    const log = this.log;
    const seg = log.active;
    try {
      // every write before the failed one was published: the published end is where the failed one started
      await seg.cutUnpublished();
    } catch (truncErr) {
      log.failure = storageFailure(`${log.topic}-${log.partition} is offline: cannot truncate after a failed write`, truncErr);
      log.ctx.logger.error({ topic: log.topic, partition: log.partition, err: log.failure.message }, 'partition offline');
    }
    seg.abandonReservations();
    this.assignNext = log.logEndOffset;
    // Callers hear of the failure only once the partial bytes are gone, so a
    // crash right after a refused append cannot bring its batch back.
    const failure = this.unwindFailure!;
    const rejected = this.unwindRejected ?? [];
    this.unwindRejected = null;
    this.unwindFailure = null;
    const done = this.unwound;
    this.unwinding = null;
    for (const req of rejected) req.reject(failure);
    done();
  }

  /** Waits until no write is in flight or being unwound (before a roll, close). */
  private async settleWrites(): Promise<void> {
    while (this.inflight.length > 0 || this.unwinding) {
      // the head's promise settles only when the head is published, so every turn makes progress
      // (a later write may have settled already and would spin this loop on microtasks)
      if (this.inflight.length > 0) await this.inflight[0]!.done;
      else await this.unwinding;
    }
  }

  private publish(seg: Segment, start: number, group: AppendRequest[], durable: boolean): void {
    const log = this.log;
    const producers = log.producers;
    let pos = start;
    let records = 0;
    let end = log.logEndOffset;
    const interval = log.config.indexIntervalBytes;
    for (const req of group) {
      const buf = req.buf;
      let p = 0;
      while (p < buf.length) {
        const size = BATCH.LOG_OVERHEAD + buf.readInt32BE(p + BATCH.BATCH_LENGTH);
        seg.publishBatch(pos, batchBaseOffset(buf, p), batchLastOffset(buf, p), batchMaxTimestamp(buf, p), size, interval);
        producers.published(seg, buf, p);
        if (log.config.keyIndex || log.config.tagIndex) indexSidecars(log.config, seg, buf, p, pos, size);
        pos += size;
        p += size;
      }
      records += req.records;
      end = req.lastOffset + 1;
    }
    log.logEndOffset = end;
    this.unflushedMessages += records;
    if (log.config.fsyncOnAppend && !durable) {
      const waiters = (this.syncWaiters ??= []);
      for (const req of group) waiters.push({ seg, req });
      if (!this.syncing) this.syncing = this.syncLoop();
      log.checkInvariants();
      return;
    }
    if (durable) {
      seg.markFlushed(seg.size);
      this.unflushedMessages = 0;
      this.lastFlushAt = Date.now();
    }
    log.localCommittedEnd = log.logEndOffset;
    if (log.highWatermarkFollowsLog) log.highWatermark = log.logEndOffset;
    log.checkInvariants();
    for (const req of group) req.resolve(this.resultOf(req));
    log.notify();
    if (this.unflushedMessages >= log.config.flushMessages) this.flush().catch(() => undefined);
  }

  private resultOf(req: AppendRequest): AppendResult {
    return {
      baseOffset: req.baseOffset,
      lastOffset: req.lastOffset,
      logAppendTime: this.log.config.messageTimestampType === 'LogAppendTime' ? req.now : -1,
      logStartOffset: this.log.logStartOffset,
    };
  }

  /**
   * Group commit: one fdatasync covers every write that completed before it
   * started; appends arriving meanwhile wait for the next round together.
   */
  private async syncLoop(): Promise<void> {
    const log = this.log;
    try {
      while (this.syncWaiters !== null && this.syncWaiters.length > 0) {
        const round = this.syncWaiters;
        this.syncWaiters = null;
        const segs = new Set<Segment>();
        for (const w of round) segs.add(w.seg);
        try {
          // no extra await per round on the fsync path once the directories are durable
          if (log.unsyncedDirs !== null) await log.syncNewDirs();
          for (const seg of segs) await seg.sync();
        } catch (err) {
          // after a failed fsync the page cache state is unknown (the kernel may have dropped dirty pages)
          log.failure = storageFailure(`fsync of ${log.topic}-${log.partition} failed; partition offline`, err);
          log.ctx.logger.error({ topic: log.topic, partition: log.partition, err: log.failure.message }, 'fsync failed');
          for (const w of round) w.req.reject(log.failure);
          continue;
        }
        const durableEnd = round[round.length - 1]!.req.lastOffset + 1;
        if (durableEnd > log.localCommittedEnd) log.localCommittedEnd = durableEnd;
        if (log.highWatermarkFollowsLog && durableEnd > log.highWatermark) log.highWatermark = durableEnd;
        log.checkInvariants();
        this.unflushedMessages = 0;
        this.lastFlushAt = Date.now();
        for (const w of round) w.req.resolve(this.resultOf(w.req));
        log.notify();
      }
    } finally {
      this.syncing = null;
    }
  }

  // ---------------------------------------------------------------- flush, roll

  /** fdatasync of everything written so far (flush.messages / flush.ms / explicit). */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = (async () => {
        try {
          await this.finalizeChain;
          const pendingMessages = this.unflushedMessages;
          if (this.log.unsyncedDirs !== null) await this.log.syncNewDirs();
          await this.log.active.sync();
          this.unflushedMessages = Math.max(0, this.unflushedMessages - pendingMessages);
          this.lastFlushAt = Date.now();
        } finally {
          this.flushing = null;
        }
      })();
    }
    return this.flushing;
  }

  /** flush.ms: called from the manager's scheduler. */
  async maybeTimedFlush(now: number): Promise<void> {
    if (this.unflushedMessages > 0 && now - this.lastFlushAt >= this.log.config.flushMs) await this.flush();
  }

  private async roll(now: number): Promise<void> {
    const log = this.log;
    const old = log.active;
    const seg = new Segment(log.dir, this.assignNext, log.ctx.sfs, log.ctx.pool, now);
    await seg.setDsync(log.config.fsyncOnAppend);
    await seg.create();
    if (log.config.fsyncOnAppend) {
      await log.syncNewDirs();
      await fsyncDir(log.ctx.sfs, log.dir);
    }
    log.segments.push(seg);
    log.active = seg;
    log.ctx.mayHaveBackgroundWork?.(log.topic, log.partition);
    log.producers.rolled(seg.baseOffset);
    this.finalizeChain = this.finalizeChain.then(() => this.finalizeSegment(old, seg.baseOffset));
  }

  /** Makes a rolled segment durable with its indexes, then moves the recovery point past it. */
  private async finalizeSegment(seg: Segment, nextBase: number): Promise<void> {
    if (seg.deleted) return;
    const log = this.log;
    try {
      await log.syncNewDirs();
      await seg.sync();
      await persistIndexes(log.ctx.sfs, seg);
      await writeFileAtomic(log.ctx.sfs, log.dir, RECOVERY_POINT_FILE, Buffer.from(String(nextBase)));
    } catch (err) {
      // recovery will scan this segment again; nothing acknowledged depends on this
      log.ctx.logger.warn({ topic: log.topic, partition: log.partition, segment: seg.name, err: String(err) }, 'finalizing rolled segment failed');
    }
  }
}
