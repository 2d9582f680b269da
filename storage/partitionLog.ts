import * as path from 'node:path';
import { ATTR, BATCH, fixBatchCrc } from '../protocol/records/batchHeader';
import { ErrorCode } from '../protocol/errors';
import { MAX_RELATIVE_OFFSET, compacts, deletes, mergeConfig, type LogConfig } from './config';
import { StorageError, offsetOutOfRange, storageFailure, corrupt } from './errors';
import { fsyncDir, writeFileAtomic, writeFully, type StorageFs } from './fs';
import type { HandlePool } from './handlePool';
import type { StorageLogger } from './logger';
import { NO_TIMESTAMP, Segment, SegmentGoneError } from './segment';
import { batchBaseOffset, batchLastOffset, batchMaxTimestamp, plausibleBatchSize, writeInt64 } from './batch';
import { scanBatches } from './batchScanner';
import { decodeBatch, recordTimestamp } from './records';
import { LOG_START_FILE, RECOVERY_POINT_FILE, persistIndexes, readNumberFile, recoverPartition, removeSegmentFiles } from './recovery';
import { compactSegments } from './compaction';
import { collectAborted, SegmentTxnIndex, type AbortedTxn } from './txnIndex';
import { LeaderEpochCache } from './leaderEpochCache';

/** The high watermark last known to be replicated, so a restarted replica never serves what the ISR may not have. */
export const HIGH_WATERMARK_FILE = 'high-watermark';

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** -1 unless the log uses LogAppendTime. */
  logAppendTime: number;
  logStartOffset: number;
}

export interface ReadResult {
  chunks: Buffer[];
  bytes: number;
  highWatermark: number;
  logStartOffset: number;
  logEndOffset: number;
}

export interface AppendOptions {
  now?: number;
  /** Stamped into partitionLeaderEpoch of every batch when given. */
  leaderEpoch?: number;
  /**
   * Replication: the batches carry the leader's offsets and epochs and are
   * written as they are; the first must start at the log end.
   */
  keepOffsets?: boolean;
}

export interface ReadOptions {
  /** Exclusive upper bound (high watermark or last stable offset). */
  maxOffset?: number;
  /** Return the first batch whole even when it exceeds maxBytes (KIP-74). */
  minOneBatch?: boolean;
}

/**
 * Follows the log as it is written, for state derived from it (producer state,
 * aborted-transaction index). Called synchronously; must not throw.
 */
export interface LogObserver {
  /** One batch just became part of the log, in offset order. */
  published(seg: Segment, buf: Buffer, pos: number): void;
  /** A new segment starts at `baseOffset`; every batch before it was published. */
  rolled(baseOffset: number): void;
  /** The tail was cut (a diverged follower): state derived past the new log end is wrong. */
  truncated(logEndOffset: number): void;
}

export interface PartitionLogContext {
  sfs: StorageFs;
  pool: HandlePool;
  logger: StorageLogger;
}

interface AppendRequest {
  buf: Buffer;
  now: number;
  leaderEpoch: number | undefined;
  keepOffsets: boolean;
  /** Offsets the request spans (sum of lastOffsetDelta + 1). */
  span: number;
  records: number;
  baseOffset: number;
  lastOffset: number;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface InflightWrite {
  seg: Segment;
  start: number;
  group: AppendRequest[];
  settled: boolean;
  error: unknown;
  /** Resolves once the write settled and everything before it was published. */
  done: Promise<void>;
}

/** Writes in flight per partition: lets an O_DSYNC device work on several at once. */
const MAX_INFLIGHT_WRITES = 4;
/** A write group closes at this size when more appends are waiting, so they spread over parallel writes. */
const WRITE_GROUP_BYTES = 512 * 1024;

interface SyncWaiter {
  seg: Segment;
  req: AppendRequest;
}

/** Extra bytes read past maxBytes when locating the first batch after an index entry. */
const LOCATE_SLACK = 32 * 1024;

/**
 * One partition's log: a list of segments, the last one active. Appends are
 * serialized through one queue; whatever queued while a write was in flight
 * is written with the next single writev. In fsync mode that writev goes
 * through an O_DSYNC descriptor, so the appends sharing it are acknowledged
 * together once it returns (group commit); if fsync mode was switched on at
 * runtime, a shared fdatasync loop does the same. Reads run concurrently and only
 * ever see whole batches: a segment's `size` and the log end offset move only
 * after a write completed.
 */
export class PartitionLog {
  logStartOffset = 0;
  logEndOffset = 0;
  highWatermark = 0;
  /**
   * True (the default) while this log alone decides what is committed: the
   * high watermark follows the written (in fsync mode, durable) end. Replication
   * clears it and moves the high watermark itself through setHighWatermark.
   */
  highWatermarkFollowsLog = true;
  /** End of what is written (durable, in fsync mode): where the high watermark would be without replication. */
  localCommittedEnd = 0;
  /** The high watermark saved by replication before the last shutdown, null when none was saved. */
  checkpointedHighWatermark: number | null = null;
  /**
   * Set by replication while this broker leads: stamped into appends that name
   * no epoch themselves (the coordinators' internal writes), so followers learn
   * every epoch from the batches they copy.
   */
  leaderEpochForAppends: number | undefined = undefined;
  /** Leader epochs and their start offsets (KIP-101); empty until replication assigns one. */
  epochs!: LeaderEpochCache;
  private truncating = false;
  private config: LogConfig;
  private segments: Segment[] = [];
  private active!: Segment;
  /** Next offset to assign; runs ahead of logEndOffset while a write is in flight. */
  private assignNext = 0;
  private pending: AppendRequest[] = [];
  private draining: Promise<void> | null = null;
  /** Writes issued and not yet published, oldest first. */
  private inflight: InflightWrite[] = [];
  /** Bytes of the active segment handed to writes, published or not. */
  private reserved = 0;
  /** Set while the writes after a failed one drain and the file is cut back. */
  private unwinding: Promise<void> | null = null;
  private unwound: () => void = () => undefined;
  private unwindFailure: StorageError | null = null;
  /** Appends of the failed write and those after it, refused once the unwind truncated the file. */
  private unwindRejected: AppendRequest[] = [];
  private unwindFrom = 0;
  private syncWaiters: SyncWaiter[] = [];
  private syncing: Promise<void> | null = null;
  private finalizeChain: Promise<void> = Promise.resolve();
  private structural: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<() => void>();
  private unflushedMessages = 0;
  private lastFlushAt = Date.now();
  private flushing: Promise<void> | null = null;
  /** Set when the partition can no longer be written safely (fsync or truncate failed). */
  private failure: StorageError | null = null;
  private closed = false;
  private compactedUpTo = -1;
  private nextTombstoneExpiry = Infinity;
  /** Sum of the segments' aborted-transaction entries: a read_committed fetch of a log with none costs nothing. */
  private abortedTxnCount = 0;
  observer: LogObserver | null = null;
  /** Gives each log loaded or created from now on its first observer (the producer-state store installs it). */
  static defaultObserver: ((log: PartitionLog) => LogObserver | null) | null = null;

  private constructor(
    readonly topic: string,
    readonly partition: number,
    readonly dir: string,
    config: LogConfig,
    private readonly ctx: PartitionLogContext,
  ) {
    this.config = config;
  }

  /** Opens (recovering if needed) or creates the log in `dir`. */
  static async load(
    topic: string,
    partition: number,
    dir: string,
    config: LogConfig,
    ctx: PartitionLogContext,
    cleanShutdown: boolean,
  ): Promise<PartitionLog> {
    const log = new PartitionLog(topic, partition, dir, config, ctx);
    await ctx.sfs.mkdir(dir);
    // a new partition directory must survive power loss before anything in it is acknowledged
    await fsyncDir(ctx.sfs, path.dirname(dir));
    const recovered = await recoverPartition(dir, config, ctx, cleanShutdown, { topic, partition });
    log.segments = recovered.segments;
    log.active = recovered.segments[recovered.segments.length - 1]!;
    log.logStartOffset = recovered.logStartOffset;
    log.countAbortedTxns();
    log.logEndOffset = log.active.nextOffset;
    log.assignNext = log.logEndOffset;
    log.reserved = log.active.size;
    log.highWatermark = log.logEndOffset;
    log.localCommittedEnd = log.logEndOffset;
    log.epochs = await LeaderEpochCache.load(ctx.sfs, dir);
    const hw = await readNumberFile(ctx.sfs, path.join(dir, HIGH_WATERMARK_FILE));
    log.checkpointedHighWatermark = hw === undefined ? null : Math.min(hw, log.logEndOffset);
    if (config.fsyncOnAppend) await log.active.reopenPinned(true);
    log.observer = PartitionLog.defaultObserver?.(log) ?? null;
    ctx.logger.info(
      { topic, partition, segments: log.segments.length, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, recovery: recovered.actions },
      'partition log loaded',
    );
    return log;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first (for tests and admin tools). */
  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  currentConfig(): Readonly<LogConfig> {
    return this.config;
  }

  updateConfig(c: Partial<LogConfig>): void {
    this.config = mergeConfig(this.config, c);
  }

  sizeInBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  maxTimestamp(): { offset: number; timestamp: number } | null {
    let best: { offset: number; timestamp: number } | null = null;
    for (const s of this.segments) {
      if (s.maxTimestamp !== NO_TIMESTAMP && (best === null || s.maxTimestamp > best.timestamp)) {
        best = { offset: s.offsetOfMaxTimestamp, timestamp: s.maxTimestamp };
      }
    }
    return best;
  }

  // ---------------------------------------------------------------- append

  append(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) return Promise.reject(storageFailure(`append to ${this.topic}-${this.partition}`, 'log is closed'));
    if (this.failure) return Promise.reject(this.failure);
    if (this.truncating) return Promise.reject(new StorageError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.topic}-${this.partition} is being truncated`));
    let span = 0;
    let records = 0;
    try {
      ({ span, records } = this.validate(batches));
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({
        buf: batches,
        now: opts.now ?? Date.now(),
        leaderEpoch: opts.leaderEpoch,
        keepOffsets: opts.keepOffsets === true,
        span,
        records,
        baseOffset: -1,
        lastOffset: -1,
        resolve,
        reject,
      });
      // started from a microtask: appends made in the same tick join the first write, and drain()'s own
      // `finally` can never run before this assignment
      if (!this.draining) this.draining = Promise.resolve().then(() => this.drain());
    });
  }

  private validate(buf: Buffer): { span: number; records: number } {
    if (buf.length === 0) throw corrupt('empty record set');
    let pos = 0;
    let span = 0;
    let records = 0;
    while (pos < buf.length) {
      const available = buf.length - pos;
      const size = plausibleBatchSize(buf, pos, available);
      if (size < 0) throw corrupt(`invalid record batch header at byte ${pos}`);
      if (size > available) throw corrupt(`record batch at byte ${pos} claims ${size} bytes, ${available} present`);
      if (size > this.config.maxMessageBytes) {
        throw new StorageError(ErrorCode.MESSAGE_TOO_LARGE, `record batch of ${size} bytes exceeds max.message.bytes ${this.config.maxMessageBytes}`);
      }
      if (size > this.config.segmentBytes) {
        throw new StorageError(ErrorCode.RECORD_LIST_TOO_LARGE, `record batch of ${size} bytes exceeds segment.bytes ${this.config.segmentBytes}`);
      }
      span += buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA) + 1;
      records += buf.readInt32BE(pos + BATCH.RECORD_COUNT);
      pos += size;
    }
    return { span, records };
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        if (this.unwinding) {
          await this.unwinding;
          continue;
        }
        if (this.inflight.length >= MAX_INFLIGHT_WRITES) {
          await this.inflight[0]!.done;
          continue;
        }
        const reqs = this.pending;
        this.pending = [];
        let group: AppendRequest[] = [];
        let groupBytes = 0;
        for (let i = 0; i < reqs.length; i++) {
          const req = reqs[i]!;
          if (this.failure) {
            req.reject(this.failure);
            continue;
          }
          if (this.needsRoll(req, groupBytes)) {
            if (group.length > 0) this.issueWrite(group, groupBytes);
            group = [];
            groupBytes = 0;
            await this.settleWrites();
            if (this.failure) {
              req.reject(this.failure);
              continue;
            }
            try {
              await this.roll(req.now);
            } catch (err) {
              const failure = storageFailure(`rolling a new segment of ${this.topic}-${this.partition}`, err);
              this.ctx.logger.error({ topic: this.topic, partition: this.partition, err: failure.message }, 'segment roll failed');
              req.reject(failure);
              continue;
            }
          } else if (groupBytes > 0 && groupBytes + req.buf.length > WRITE_GROUP_BYTES) {
            this.issueWrite(group, groupBytes);
            group = [];
            groupBytes = 0;
            if (this.inflight.length >= MAX_INFLIGHT_WRITES) {
              // the rest waits for a write slot; nothing of it has offsets yet
              this.pending = reqs.slice(i).concat(this.pending);
              break;
            }
          }
          if (req.keepOffsets && req.buf.length > 0 && batchBaseOffset(req.buf, 0) < this.assignNext) {
            req.reject(new StorageError(ErrorCode.OFFSET_OUT_OF_RANGE, `replicated batch starts at ${batchBaseOffset(req.buf, 0)}, log ends at ${this.assignNext}`));
            continue;
          }
          this.assignOffsets(req);
          group.push(req);
          groupBytes += req.buf.length;
        }
        if (group.length > 0) this.issueWrite(group, groupBytes);
      }
    } finally {
      this.draining = null;
    }
  }

  private needsRoll(req: AppendRequest, groupBytes: number): boolean {
    const used = this.reserved + groupBytes;
    if (used === 0) return false;
    if (used + req.buf.length > this.config.segmentBytes) return true;
    if (req.now - this.active.createdAt >= this.config.segmentMs) return true;
    return this.assignNext + req.span - 1 - this.active.baseOffset > MAX_RELATIVE_OFFSET;
  }

  /** Rewrites baseOffset (outside the CRC) and, for LogAppendTime, the timestamp type and max timestamp (CRC fixed). */
  private assignOffsets(req: AppendRequest): void {
    const buf = req.buf;
    if (req.keepOffsets) {
      req.baseOffset = this.assignNext;
      let pos = 0;
      while (pos < buf.length) {
        this.assignNext = batchLastOffset(buf, pos) + 1;
        pos += BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
      }
      req.lastOffset = this.assignNext - 1;
      return;
    }
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime';
    req.baseOffset = this.assignNext;
    let pos = 0;
    while (pos < buf.length) {
      const size = BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
      writeInt64(buf, pos + BATCH.BASE_OFFSET, this.assignNext);
      const epoch = req.leaderEpoch ?? this.leaderEpochForAppends;
      if (epoch !== undefined) buf.writeInt32BE(epoch, pos + BATCH.PARTITION_LEADER_EPOCH);
      if (logAppendTime) {
        const attrs = buf.readInt16BE(pos + BATCH.ATTRIBUTES);
        buf.writeInt16BE(attrs | ATTR.TIMESTAMP_LOG_APPEND, pos + BATCH.ATTRIBUTES);
        writeInt64(buf, pos + BATCH.MAX_TIMESTAMP, req.now);
        fixBatchCrc(buf, pos);
      }
      this.assignNext += buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA) + 1;
      pos += size;
    }
    req.lastOffset = this.assignNext - 1;
  }

  /**
   * Starts one positional writev for a group at the next reserved position.
   * Several may be in flight (the device works on them in parallel, which is
   * what makes O_DSYNC appends fast); they are published strictly in order.
   */
  private issueWrite(group: AppendRequest[], bytes: number): void {
    const seg = this.active;
    const write: InflightWrite = { seg, start: this.reserved, group, settled: false, error: undefined, done: Promise.resolve() };
    this.reserved += bytes;
    this.inflight.push(write);
    const bufs = group.map((r) => r.buf);
    write.done = seg
      .acquire()
      .then(async (fd) => {
        try {
          await writeFully(this.ctx.sfs, fd, bufs, write.start);
        } finally {
          seg.release();
        }
      })
      .then(
        () => undefined,
        (err: unknown) => {
          write.error = err;
        },
      )
      .then(() => {
        write.settled = true;
        try {
          this.publishWrites();
        } catch (err) {
          this.ctx.logger.error({ topic: this.topic, partition: this.partition, err: String(err) }, 'publishing a write failed');
        }
      });
  }

  /** Publishes settled writes in order; the first failure fails every write after it and truncates them away. */
  private publishWrites(): void {
    while (this.inflight.length > 0 && this.inflight[0]!.settled) {
      const write = this.inflight.shift()!;
      if (this.unwindFailure) {
        this.unwindRejected.push(...write.group);
        continue;
      }
      if (write.error !== undefined) {
        const failure = storageFailure(`append to ${this.topic}-${this.partition} failed`, write.error);
        this.ctx.logger.error({ topic: this.topic, partition: this.partition, err: failure.message }, 'append failed');
        this.unwindFailure = failure;
        this.unwindFrom = write.start;
        this.unwinding = new Promise<void>((resolve) => (this.unwound = resolve));
        this.unwindRejected.push(...write.group);
        continue;
      }
      this.publish(write);
    }
    if (this.unwindFailure && this.inflight.length === 0) void this.finishUnwind();
  }

  /** After a failed write: cut the partial bytes (recovery would otherwise see a torn tail) and reuse its offsets. */
  private async finishUnwind(): Promise<void> {
    const seg = this.active;
    try {
      const fd = await seg.acquire();
      try {
        await this.ctx.sfs.ftruncate(fd, this.unwindFrom);
      } finally {
        seg.release();
      }
    } catch (truncErr) {
      this.failure = storageFailure(`${this.topic}-${this.partition} is offline: cannot truncate after a failed write`, truncErr);
      this.ctx.logger.error({ topic: this.topic, partition: this.partition, err: this.failure.message }, 'partition offline');
    }
    this.reserved = seg.size;
    this.assignNext = this.logEndOffset;
    // Callers hear of the failure only once the partial bytes are gone, so a
    // crash right after a refused append cannot bring its batch back.
    const failure = this.unwindFailure!;
    const rejected = this.unwindRejected;
    this.unwindRejected = [];
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

  private publish(write: InflightWrite): void {
    const seg = write.seg;
    let pos = write.start;
    let records = 0;
    let end = this.logEndOffset;
    const interval = this.config.indexIntervalBytes;
    for (const req of write.group) {
      const buf = req.buf;
      let p = 0;
      while (p < buf.length) {
        const size = BATCH.LOG_OVERHEAD + buf.readInt32BE(p + BATCH.BATCH_LENGTH);
        seg.trackBatch(pos, batchBaseOffset(buf, p), batchLastOffset(buf, p), batchMaxTimestamp(buf, p), size, interval);
        if (this.observer) this.observer.published(seg, buf, p);
        // a marker nobody indexed: the producer-state load rebuilds this segment's entries from the log
        else if (buf.readInt16BE(p + BATCH.ATTRIBUTES) & ATTR.CONTROL) seg.txnIndex.trusted = false;
        pos += size;
        p += size;
      }
      records += req.records;
      end = req.lastOffset + 1;
    }
    this.logEndOffset = end;
    this.unflushedMessages += records;
    if (this.config.fsyncOnAppend && !seg.dsync) {
      for (const req of write.group) this.syncWaiters.push({ seg, req });
      if (!this.syncing) this.syncing = this.syncLoop();
      return;
    }
    if (seg.dsync) {
      this.unflushedMessages = 0;
      this.lastFlushAt = Date.now();
    }
    this.localCommittedEnd = this.logEndOffset;
    if (this.highWatermarkFollowsLog) this.highWatermark = this.logEndOffset;
    for (const req of write.group) req.resolve(this.resultOf(req));
    this.notify();
    if (this.unflushedMessages >= this.config.flushMessages) this.flush().catch(() => undefined);
  }

  private resultOf(req: AppendRequest): AppendResult {
    return {
      baseOffset: req.baseOffset,
      lastOffset: req.lastOffset,
      logAppendTime: this.config.messageTimestampType === 'LogAppendTime' ? req.now : -1,
      logStartOffset: this.logStartOffset,
    };
  }

  /**
   * Group commit: one fdatasync covers every write that completed before it
   * started; appends arriving meanwhile wait for the next round together.
   */
  private async syncLoop(): Promise<void> {
    try {
      while (this.syncWaiters.length > 0) {
        const round = this.syncWaiters;
        this.syncWaiters = [];
        const segs = new Set<Segment>();
        for (const w of round) segs.add(w.seg);
        try {
          for (const seg of segs) {
            const fd = await seg.acquire();
            try {
              await this.ctx.sfs.fdatasync(fd);
            } finally {
              seg.release();
            }
          }
        } catch (err) {
          // after a failed fsync the page cache state is unknown (the kernel may have dropped dirty pages)
          this.failure = storageFailure(`fsync of ${this.topic}-${this.partition} failed; partition offline`, err);
          this.ctx.logger.error({ topic: this.topic, partition: this.partition, err: this.failure.message }, 'fsync failed');
          for (const w of round) w.req.reject(this.failure);
          continue;
        }
        const durableEnd = round[round.length - 1]!.req.lastOffset + 1;
        if (durableEnd > this.localCommittedEnd) this.localCommittedEnd = durableEnd;
        if (this.highWatermarkFollowsLog && durableEnd > this.highWatermark) this.highWatermark = durableEnd;
        this.unflushedMessages = 0;
        this.lastFlushAt = Date.now();
        for (const w of round) w.req.resolve(this.resultOf(w.req));
        this.notify();
      }
    } finally {
      this.syncing = null;
    }
  }

  // ---------------------------------------------------------------- replication

  /**
   * Replication moves the high watermark (leader: min log end over the ISR;
   * follower: the leader's, capped by what it has). Never past the local log
   * end; listeners (parked fetches) wake when it moves.
   */
  setHighWatermark(offset: number): void {
    const hw = Math.max(this.logStartOffset, Math.min(offset, this.logEndOffset));
    if (hw === this.highWatermark) return;
    this.highWatermark = hw;
    this.notify();
  }

  /** Saves the high watermark so a restart never serves what may not be replicated. */
  async checkpointHighWatermark(): Promise<void> {
    const hw = this.highWatermark;
    if (this.checkpointedHighWatermark === hw) return;
    await writeFileAtomic(this.ctx.sfs, this.dir, HIGH_WATERMARK_FILE, Buffer.from(String(hw)));
    this.checkpointedHighWatermark = hw;
  }

  /**
   * Drops every batch whose last offset is at or past `offset` (a follower
   * diverged from its leader), fixing indexes, the leader epoch cache and the
   * high watermark. Appends are refused meanwhile. Below the first segment the
   * log starts over empty at `offset`. Returns the new log end offset.
   */
  truncateTo(offset: number): Promise<number> {
    return this.rewriteTail(async () => {
      if (offset >= this.logEndOffset) return false;
      if (offset <= this.segments[0]!.baseOffset) await this.startOverAt(offset);
      else await this.cutTail(offset);
      return true;
    }, offset);
  }

  /**
   * Kafka's truncateFullyAndStartAt: a follower whose whole log lies below the
   * leader's log start drops everything and continues at `offset`.
   */
  async restartAt(offset: number): Promise<void> {
    await this.rewriteTail(async () => {
      await this.startOverAt(offset);
      return true;
    }, offset);
  }

  /** Runs a tail rewrite with appends stopped and drained, then realigns the append state with the segments. */
  private rewriteTail(change: () => Promise<boolean>, requested: number): Promise<number> {
    return this.withStructuralLock(async () => {
      this.truncating = true;
      try {
        while (this.draining || this.syncing || this.inflight.length > 0 || this.unwinding) {
          await this.draining;
          await this.settleWrites();
          await this.syncing;
        }
        if (this.failure) throw this.failure;
        let changed: boolean;
        try {
          changed = await change();
        } catch (err) {
          this.failure = storageFailure(`${this.topic}-${this.partition} is offline: truncation failed`, err);
          throw this.failure;
        }
        if (!changed) return this.logEndOffset;
        this.assignNext = this.logEndOffset;
        this.reserved = this.active.size;
        this.compactedUpTo = -1;
        if (this.logStartOffset > this.logEndOffset) this.logStartOffset = this.logEndOffset;
        if (this.highWatermark > this.logEndOffset || this.highWatermark < this.logStartOffset) this.highWatermark = this.logEndOffset;
        if (this.localCommittedEnd > this.logEndOffset || this.localCommittedEnd < this.logStartOffset) this.localCommittedEnd = this.logEndOffset;
        await this.epochs.truncateFromEnd(this.logEndOffset);
        await writeFileAtomic(this.ctx.sfs, this.dir, RECOVERY_POINT_FILE, Buffer.from(String(this.active.baseOffset)));
        this.ctx.logger.warn({ topic: this.topic, partition: this.partition, requested, logStartOffset: this.logStartOffset, logEndOffset: this.logEndOffset }, 'truncated log');
        return this.logEndOffset;
      } finally {
        this.truncating = false;
      }
    });
  }

  /** Cuts the segment holding `offset` before the batch holding it and drops the later segments. */
  private async cutTail(offset: number): Promise<void> {
    let keep = this.segmentIndexFor(offset, this.segments);
    let seg = this.segments[keep]!;
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
      seg = this.segments[keep]!;
      cut = seg.size;
      newEnd = seg.nextOffset;
    }
    const doomed = this.segments.slice(keep + 1);
    // readers stop at the new end before any byte goes, so a concurrent read never meets a cut batch
    this.logEndOffset = newEnd;
    if (this.highWatermark > newEnd) this.highWatermark = newEnd;
    this.segments = this.segments.slice(0, keep + 1);
    for (const d of doomed) {
      d.markDeleted();
      await removeSegmentFiles(this.ctx.sfs, d);
    }
    const fd = this.config.fsyncOnAppend ? (await seg.reopenPinned(true), await seg.acquire()) : await seg.openPinned().then(() => seg.acquire());
    try {
      await this.ctx.sfs.ftruncate(fd, cut);
      await this.ctx.sfs.fsync(fd);
    } finally {
      seg.release();
    }
    seg.resetIndexes();
    seg.txnIndex = new SegmentTxnIndex(false);
    await scanBatches(seg, 0, cut, false, (b) => {
      seg.trackBatch(b.position, batchBaseOffset(b.buf, b.offsetInBuf), batchLastOffset(b.buf, b.offsetInBuf), batchMaxTimestamp(b.buf, b.offsetInBuf), b.size, this.config.indexIntervalBytes);
    });
    seg.pinned = true;
    this.active = seg;
    this.logEndOffset = seg.nextOffset;
    this.countAbortedTxns();
    this.observer?.truncated(this.logEndOffset);
  }

  /** Kafka's truncateFullyAndStartAt: every segment goes, an empty one starts at `offset`. */
  private async startOverAt(offset: number): Promise<void> {
    const doomed = this.segments;
    const seg = new Segment(this.dir, offset, this.ctx.sfs, this.ctx.pool);
    // the empty log is what readers see from here on; its file is created once the old ones are gone
    this.segments = [seg];
    this.active = seg;
    this.logStartOffset = offset;
    this.logEndOffset = offset;
    if (this.highWatermark !== offset) this.highWatermark = offset;
    for (const d of doomed) {
      d.markDeleted();
      await removeSegmentFiles(this.ctx.sfs, d);
    }
    await seg.reopenPinned(this.config.fsyncOnAppend);
    await fsyncDir(this.ctx.sfs, this.dir);
    this.countAbortedTxns();
    this.observer?.truncated(this.logEndOffset);
    await writeFileAtomic(this.ctx.sfs, this.dir, LOG_START_FILE, Buffer.from(String(offset)));
  }

  private notify(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (err) {
        this.ctx.logger.error({ topic: this.topic, partition: this.partition, err: String(err) }, 'append listener threw');
      }
    }
  }

  private async roll(now: number): Promise<void> {
    const old = this.active;
    const seg = new Segment(this.dir, this.assignNext, this.ctx.sfs, this.ctx.pool, now);
    await seg.reopenPinned(this.config.fsyncOnAppend);
    if (this.config.fsyncOnAppend) await fsyncDir(this.ctx.sfs, this.dir);
    this.segments.push(seg);
    this.active = seg;
    this.reserved = 0;
    old.unpin();
    this.observer?.rolled(seg.baseOffset);
    this.finalizeChain = this.finalizeChain.then(() => this.finalizeSegment(old, seg.baseOffset));
  }

  /** Makes a rolled segment durable with its indexes, then moves the recovery point past it. */
  private async finalizeSegment(seg: Segment, nextBase: number): Promise<void> {
    if (seg.deleted) return;
    try {
      const fd = await seg.acquire();
      try {
        await this.ctx.sfs.fdatasync(fd);
      } finally {
        seg.release();
      }
      await persistIndexes(this.ctx.sfs, seg);
      await writeFileAtomic(this.ctx.sfs, this.dir, RECOVERY_POINT_FILE, Buffer.from(String(nextBase)));
    } catch (err) {
      // recovery will scan this segment again; nothing acknowledged depends on this
      this.ctx.logger.warn({ topic: this.topic, partition: this.partition, segment: seg.name, err: String(err) }, 'finalizing rolled segment failed');
    }
  }

  /** fdatasync of everything written so far (flush.messages / flush.ms / explicit). */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = (async () => {
        try {
          await this.finalizeChain;
          const seg = this.active;
          const pendingMessages = this.unflushedMessages;
          const fd = await seg.acquire();
          try {
            await this.ctx.sfs.fdatasync(fd);
          } finally {
            seg.release();
          }
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
    if (this.unflushedMessages > 0 && now - this.lastFlushAt >= this.config.flushMs) await this.flush();
  }

  // ---------------------------------------------------------------- read

  async read(offset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.readOnce(offset, maxBytes, opts);
      } catch (err) {
        // retention or compaction swapped a segment under us: the range check on retry decides
        if (!(err instanceof SegmentGoneError) || attempt >= 3) throw err;
      }
    }
  }

  private async readOnce(offset: number, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    const result: ReadResult = {
      chunks: [],
      bytes: 0,
      highWatermark: this.highWatermark,
      logStartOffset: this.logStartOffset,
      logEndOffset: this.logEndOffset,
    };
    if (offset < this.logStartOffset || offset > this.logEndOffset) {
      throw offsetOutOfRange(offset, this.logStartOffset, this.logEndOffset);
    }
    const limit = Math.min(opts.maxOffset ?? this.logEndOffset, this.logEndOffset);
    if (offset >= limit) return result;
    const segments = this.segments;
    for (let i = this.segmentIndexFor(offset, segments); i < segments.length; i++) {
      const seg = segments[i]!;
      if (seg.baseOffset >= limit) break;
      const chunk = await this.readSegment(seg, offset, maxBytes, limit, opts.minOneBatch ?? false);
      if (chunk === null) continue;
      if (chunk.length > 0) {
        result.chunks.push(chunk);
        result.bytes = chunk.length;
      }
      break;
    }
    return result;
  }

  private segmentIndexFor(offset: number, segments: Segment[]): number {
    let lo = 0;
    let hi = segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /**
   * Whole batches of one segment from the one containing `offset`; null when
   * the segment holds no batch at or after `offset` (compacted gap, empty).
   */
  private async readSegment(seg: Segment, offset: number, maxBytes: number, limit: number, minOne: boolean): Promise<Buffer | null> {
    const segEnd = seg.size;
    let pos = seg.index.lookup(offset - seg.baseOffset);
    let data: Buffer | null = null;
    // locate the first batch whose last offset >= offset
    while (data === null) {
      if (pos >= segEnd) return null;
      const buf = await seg.read(pos, Math.min(segEnd - pos, Math.max(maxBytes, 0) + LOCATE_SLACK));
      let p = 0;
      while (p + BATCH.HEADER_SIZE <= buf.length) {
        const size = plausibleBatchSize(buf, p, buf.length - p);
        if (size < 0) throw this.corruptAt(seg, pos + p);
        if (batchLastOffset(buf, p) >= offset) {
          data = buf.subarray(p);
          break;
        }
        p += size;
      }
      if (data === null) {
        if (p === 0) throw this.corruptAt(seg, pos);
        pos += p;
      } else {
        pos += p;
      }
    }
    // collect whole batches up to maxBytes and below limit
    let q = 0;
    let reread = false;
    for (;;) {
      if (q + BATCH.HEADER_SIZE > data.length) {
        if (q === 0 && !reread && pos + data.length < segEnd) {
          data = await seg.read(pos, Math.min(segEnd - pos, Math.max(maxBytes, LOCATE_SLACK)));
          reread = true;
          continue;
        }
        break;
      }
      const size = plausibleBatchSize(data, q, data.length - q);
      if (size < 0) throw this.corruptAt(seg, pos + q);
      if (batchBaseOffset(data, q) >= limit) break;
      if (q + size > maxBytes && !(q === 0 && minOne)) break;
      if (q + size > data.length) {
        if (q === 0 && !reread) {
          data = await seg.read(pos, Math.min(segEnd - pos, Math.max(size, maxBytes)));
          reread = true;
          continue;
        }
        break;
      }
      q += size;
    }
    return data.subarray(0, q);
  }

  private corruptAt(seg: Segment, position: number): StorageError {
    const err = new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `corrupt batch header in ${seg.logPath} at position ${position}`);
    this.ctx.logger.error({ topic: this.topic, partition: this.partition, segment: seg.name, position }, 'corrupt batch header on read');
    return err;
  }

  /** First record with timestamp >= ts (Kafka's ListOffsets by time), or null when every record is older. */
  async offsetForTimestamp(ts: number): Promise<{ offset: number; timestamp: number } | null> {
    for (const seg of this.segments) {
      if (seg.maxTimestamp === NO_TIMESTAMP || seg.maxTimestamp < ts || seg.nextOffset <= this.logStartOffset) continue;
      let found: { offset: number; timestamp: number } | null = null;
      const from = seg.timeIndex.startPositionFor(ts);
      await scanBatches(seg, from, seg.size, false, (b) => {
        if (batchMaxTimestamp(b.buf, b.offsetInBuf) < ts || batchLastOffset(b.buf, b.offsetInBuf) < this.logStartOffset) return true;
        const batch = decodeBatch(b.buf.subarray(b.offsetInBuf, b.offsetInBuf + b.size));
        for (const rec of batch.records) {
          const offset = batch.baseOffset + rec.offsetDelta;
          const timestamp = recordTimestamp(batch, rec);
          if (offset >= this.logStartOffset && timestamp >= ts) {
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

  // ---------------------------------------------------------------- aborted-transaction index

  get logger(): StorageLogger {
    return this.ctx.logger;
  }

  /** The segment holding `offset` (the first one below every segment's base: the oldest). */
  segmentFor(offset: number): Segment {
    return this.segments[this.segmentIndexFor(offset, this.segments)]!;
  }

  /** The segments, oldest first; the last is the active one. */
  segmentList(): readonly Segment[] {
    return this.segments;
  }

  /** Records an abort marker of `seg` in its transaction index. */
  addAbortedTxn(seg: Segment, t: AbortedTxn): void {
    seg.txnIndex.add(t);
    this.abortedTxnCount++;
  }

  /** Writes (or, untrusted, removes) a closed segment's transaction index file. */
  persistTxnIndex(seg: Segment): Promise<void> {
    return seg.txnIndex.persist(this.ctx.sfs, seg.dir, path.basename(seg.txnIndexPath), seg !== this.active);
  }

  /** False when no segment holds an abort marker: read_committed fetches need no index lookup at all. */
  get hasAbortedTxns(): boolean {
    return this.abortedTxnCount > 0;
  }

  private countAbortedTxns(): void {
    let n = 0;
    for (const s of this.segments) n += s.txnIndex.count;
    this.abortedTxnCount = n;
  }

  /**
   * Aborted transactions with data in [from, to) for a read_committed fetch:
   * the transaction indexes of the segments from the one holding `from` on,
   * until an entry shows every transaction below `to` had closed.
   */
  async abortedTxns(from: number, to: number): Promise<AbortedTxn[]> {
    const out: AbortedTxn[] = [];
    if (this.abortedTxnCount === 0) return out;
    const segments = this.segments;
    for (let i = this.segmentIndexFor(from, segments); i < segments.length; i++) {
      const seg = segments[i]!;
      if (seg.txnIndex.count === 0) continue;
      if (collectAborted(await seg.txnIndex.read(this.ctx.sfs, seg.txnIndexPath), from, to, out)) break;
    }
    return out;
  }

  // ---------------------------------------------------------------- retention, deletion, compaction

  /**
   * Retention, DeleteRecords and compaction run one at a time, and only after
   * rolled segments were finalized, so none of them races the background
   * index write of a segment it deletes or replaces.
   */
  private withStructuralLock<T>(fn: () => Promise<T>): Promise<T> {
    const locked = async (): Promise<T> => {
      await this.finalizeChain;
      return fn();
    };
    const run = this.structural.then(locked, locked);
    this.structural = run.catch(() => undefined);
    return run;
  }

  /** DeleteRecords: moves the log start offset (persisted) and drops segments wholly below it. */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.withStructuralLock(async () => {
      if (offset < 0 || offset > this.highWatermark) throw offsetOutOfRange(offset, this.logStartOffset, this.highWatermark);
      if (offset > this.logStartOffset) {
        this.logStartOffset = offset;
        await writeFileAtomic(this.ctx.sfs, this.dir, LOG_START_FILE, Buffer.from(String(offset)));
        let n = 0;
        while (n < this.segments.length - 1 && this.segments[n]!.nextOffset <= offset) n++;
        await this.deleteOldestSegments(n, 'log start offset moved');
      }
      return this.logStartOffset;
    });
  }

  /** retention.ms / retention.bytes: deletes whole closed segments from the old end. Returns how many. */
  runRetention(now = Date.now()): Promise<number> {
    return this.withStructuralLock(async () => {
      if (this.closed || !deletes(this.config)) return 0;
      const { retentionMs, retentionBytes } = this.config;
      let remaining = this.sizeInBytes();
      let n = 0;
      for (; n < this.segments.length - 1; n++) {
        const seg = this.segments[n]!;
        const newest = seg.maxTimestamp === NO_TIMESTAMP ? seg.createdAt : seg.maxTimestamp;
        const expired = retentionMs >= 0 && now - newest > retentionMs;
        const oversize = retentionBytes >= 0 && remaining - seg.size >= retentionBytes;
        const belowStart = seg.nextOffset <= this.logStartOffset;
        if (!expired && !oversize && !belowStart) break;
        remaining -= seg.size;
      }
      await this.deleteOldestSegments(n, 'retention');
      return n;
    });
  }

  private async deleteOldestSegments(n: number, reason: string): Promise<void> {
    if (n <= 0) return;
    const doomed = this.segments.slice(0, n);
    this.segments = this.segments.slice(n);
    this.countAbortedTxns();
    if (this.segments[0]!.baseOffset > this.logStartOffset) this.logStartOffset = this.segments[0]!.baseOffset;
    for (const seg of doomed) {
      seg.markDeleted();
      try {
        await removeSegmentFiles(this.ctx.sfs, seg);
      } catch (err) {
        this.ctx.logger.warn({ topic: this.topic, partition: this.partition, segment: seg.name, err: String(err) }, 'removing segment files failed');
      }
    }
    this.ctx.logger.info(
      { topic: this.topic, partition: this.partition, deleted: doomed.map((s) => s.name), logStartOffset: this.logStartOffset },
      `deleted ${doomed.length} segment(s): ${reason}`,
    );
  }

  /**
   * cleanup.policy=compact: keeps the last record per key in closed segments,
   * dropping tombstones older than delete.retention.ms. Runs when new
   * segments were closed since the last pass or a kept tombstone expired.
   */
  compact(now = Date.now(), force = false): Promise<{ segmentsRewritten: number; recordsRemoved: number }> {
    return this.withStructuralLock(async () => {
      const none = { segmentsRewritten: 0, recordsRemoved: 0 };
      if (this.closed || !compacts(this.config) || this.segments.length < 2) return none;
      const closedEnd = this.active.baseOffset;
      if (!force && closedEnd <= this.compactedUpTo && now < this.nextTombstoneExpiry) return none;
      const result = await compactSegments(this.segments.slice(0, -1), this.active, {
        sfs: this.ctx.sfs,
        pool: this.ctx.pool,
        config: this.config,
        now,
        replace: (oldSeg, newSeg) => {
          const i = this.segments.indexOf(oldSeg);
          if (i >= 0) this.segments[i] = newSeg;
          oldSeg.markDeleted();
        },
      });
      this.compactedUpTo = closedEnd;
      this.nextTombstoneExpiry = result.nextTombstoneExpiry;
      if (result.segmentsRewritten > 0) {
        this.ctx.logger.info({ topic: this.topic, partition: this.partition, ...result }, 'compacted');
      }
      return { segmentsRewritten: result.segmentsRewritten, recordsRemoved: result.recordsRemoved };
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Waits for queued appends and fsyncs, flushes, persists the active segment's indexes, closes files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.draining || this.syncing || this.inflight.length > 0 || this.unwinding) {
      await this.draining;
      await this.settleWrites();
      await this.syncing;
    }
    await this.structural;
    await this.finalizeChain;
    try {
      if (!this.failure) {
        const fd = await this.active.acquire();
        try {
          await this.ctx.sfs.fdatasync(fd);
        } finally {
          this.active.release();
        }
        await persistIndexes(this.ctx.sfs, this.active, false);
      }
      if (!this.highWatermarkFollowsLog) await this.checkpointHighWatermark();
    } finally {
      for (const seg of this.segments) seg.markDeleted();
    }
  }

  /** Closes and removes every file of this partition (topic deletion). */
  async destroy(): Promise<void> {
    try {
      await this.close();
    } catch (err) {
      this.ctx.logger.warn({ topic: this.topic, partition: this.partition, err: String(err) }, 'close before delete failed');
    }
    const trash = `${this.dir}.${Date.now()}-delete`;
    await this.ctx.sfs.rename(this.dir, trash);
    await this.ctx.sfs.rmrf(trash);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Base name of a partition directory. */
  static dirName(topic: string, partition: number): string {
    return `${topic}-${partition}`;
  }

  static pathFor(dataDir: string, topic: string, partition: number): string {
    return path.join(dataDir, PartitionLog.dirName(topic, partition));
  }
}
