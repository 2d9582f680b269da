import * as path from 'node:path';
import { mergeConfig, NEVER, type LogConfig } from './config';
import { summaryMayNeedCleaning, summaryOf, type LogSummary } from './logSummary';
import { storageFailure } from './errors';
import { fsyncDir, writeFileAtomic } from './fs';
import type { StorageLogger } from './logger';
import { AppendPipeline, type AppendOptions, type AppendResult } from './appendPipeline';
import { LogState, type PartitionLogContext } from './logState';
import { abortedTxns, maxTimestamp, offsetForTimestamp, readLog, type ReadOptions, type ReadResult } from './logReads';
import { LogRetention } from './logRetention';
import { cutTail, startOverAt } from './logTruncation';
import { ProducerStateManager } from './producerStateManager';
import { RECOVERY_POINT_FILE, persistIndexes, readNumberFile, recoverPartition } from './recovery';
import type { Segment } from './segment';
import type { AbortedTxn } from './txnIndex';
import { LeaderEpochCache } from './leaderEpochCache';
import { LogKeyIndex, type KeyIndexStats } from './logKeyIndex';
import { LogTagIndex } from './logTagIndex';

export type { AppendOptions, AppendResult } from './appendPipeline';
export type { ReadOptions, ReadResult } from './logReads';
export type { PartitionLogContext } from './logState';
export type { LogSummary } from './logSummary';
export type { LogTagIndex, TagIndexStats } from './logTagIndex';

/** The high watermark last known to be replicated, so a restarted replica never serves what the ISR may not have. */
export const HIGH_WATERMARK_FILE = 'high-watermark';

/** Shared by every log until its first structural change: a big broker has many logs that never get one. */
const NOTHING_PENDING: Promise<unknown> = Promise.resolve();

/**
 * One partition's log: a list of segments, the last one active, and the
 * offsets that bound it. The work is split as Kafka splits it: appends go
 * through ./appendPipeline.ts, reads through ./logReads.ts, retention and
 * compaction through ./logRetention.ts, tail truncation through
 * ./logTruncation.ts, and the producer state the log derives lives in its
 * own ProducerStateManager. This class ties them together and orders the
 * structural changes (retention, compaction, truncation) one at a time.
 */
export class PartitionLog {
  /** The high watermark saved by replication before the last shutdown, null when none was saved. */
  checkpointedHighWatermark: number | null = null;
  private readonly state: LogState;
  private pipeline!: AppendPipeline;
  private retention!: LogRetention;
  private epochCache: LeaderEpochCache | null = null;
  private producers: ProducerStateManager | null = null;
  private structural: Promise<unknown> = NOTHING_PENDING;
  /** Made on the first key lookup, and on the first view read (tags). */
  private keys: LogKeyIndex | null = null;
  private tagIdx: LogTagIndex | null = null;
  /** What the last clean shutdown recorded, while the files are not opened yet; null once open (or when unknown: recovering). */
  private summary: LogSummary | null;
  private loaded = false;
  private opening: Promise<void> | null = null;
  /** How the files are opened on first use: trusted as closed cleanly, or recovered (scanned from the recovery point). */
  private readonly cleanAtOpen: boolean;
  /** Found at start (durable, its producer state can be carried forward) rather than created now. */
  private atStart = true;

  private constructor(
    readonly topic: string,
    readonly partition: number,
    readonly dir: string,
    config: LogConfig,
    private readonly ctx: PartitionLogContext,
    summary: LogSummary | null,
    cleanAtOpen: boolean,
  ) {
    this.state = new LogState(topic, partition, dir, config, ctx);
    this.summary = summary;
    this.cleanAtOpen = cleanAtOpen;
    if (summary) this.state.logStartOffset = summary.logStartOffset;
    if (summary) this.state.logEndOffset = this.state.highWatermark = this.state.localCommittedEnd = summary.logEndOffset;
  }

  /**
   * Opens (recovering if needed) or creates the log in `dir`. `atStart`: the
   * directory was found at start (it exists and is durable; the producer
   * state found now can be carried forward without reading the log).
   */
  static async load(topic: string, partition: number, dir: string, config: LogConfig, ctx: PartitionLogContext, cleanShutdown: boolean, atStart = false): Promise<PartitionLog> {
    const log = new PartitionLog(topic, partition, dir, config, ctx, null, cleanShutdown);
    log.atStart = atStart;
    if (!atStart) {
      await ctx.sfs.mkdir(dir);
      // a new partition directory must survive power loss before anything in it is acknowledged
      await fsyncDir(ctx.sfs, path.dirname(dir));
    }
    await log.open();
    return log;
  }

  /**
   * A log found at start, its files opened on first use. With `summary` (from the last clean shutdown) its offsets
   * are known at once and opening trusts the files; without, it is recovering (offsets 0 until open() recovered it).
   */
  static unopened(topic: string, partition: number, dir: string, config: LogConfig, ctx: PartitionLogContext, summary: LogSummary | null): PartitionLog {
    return new PartitionLog(topic, partition, dir, config, ctx, summary, summary !== null);
  }

  /** True once the segments are open (always, for a log created or loaded with load()). */
  get isOpen(): boolean {
    return this.loaded;
  }

  /** Found after a crash, not recovered yet: offsets unknown, requests are refused as retriable. */
  get recovering(): boolean {
    return !this.loaded && this.summary === null;
  }

  /** Opens the segments (recovering them if the log was not closed cleanly); idempotent, concurrent calls share one open. */
  open(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    if (!this.opening) {
      const p = this.load0();
      this.opening = p;
      // a failed open is retried on next use
      p.catch(() => {
        if (this.opening === p) this.opening = null;
      });
    }
    return this.opening;
  }

  private async load0(): Promise<void> {
    const { topic, partition, dir, ctx } = this;
    const state = this.state;
    const config = state.config;
    const recovered = await recoverPartition(dir, config, ctx, this.cleanAtOpen, { topic, partition });
    state.segments = recovered.segments;
    state.active = recovered.segments[recovered.segments.length - 1]!;
    state.logStartOffset = recovered.logStartOffset;
    state.countAbortedTxns();
    state.logEndOffset = state.highWatermark = state.localCommittedEnd = state.active.nextOffset;
    state.checkInvariants();
    this.pipeline = new AppendPipeline(state);
    this.retention = new LogRetention(state);
    this.epochCache = await LeaderEpochCache.load(ctx.sfs, dir);
    const hw = await readNumberFile(ctx.sfs, path.join(dir, HIGH_WATERMARK_FILE));
    this.checkpointedHighWatermark = hw === undefined ? null : Math.min(hw, state.logEndOffset);
    await state.active.setDsync(config.fsyncOnAppend);
    const extent = { logStartOffset: state.logStartOffset, logEndOffset: state.logEndOffset };
    // a log found at start (or a new empty one) carries the producer state it has on disk forward
    const carry = this.atStart || extent.logStartOffset === extent.logEndOffset;
    if (this.producers) this.producers.opened(extent, carry);
    else this.producers = new ProducerStateManager(this, ctx.producerState, extent, carry);
    state.producers = this.producers;
    this.summary = null;
    this.loaded = true;
    ctx.opened?.(this);
    // a new log or a clean one opened on use says nothing; a recovered one says what recovery did
    if (recovered.actions.length > 0 || (this.atStart && !this.cleanAtOpen)) {
      const { logStartOffset, logEndOffset } = state;
      ctx.logger.info({ topic, partition, segments: state.segments.length, logStartOffset, logEndOffset, recovery: recovered.actions }, 'partition log loaded');
    }
  }

  /** Leader epochs and their start offsets (KIP-101); empty until replication assigns one. Open the log first. */
  get epochs(): LeaderEpochCache {
    if (!this.epochCache) throw new Error(`${this.topic}-${this.partition}: leader epochs read before the log was opened`);
    return this.epochCache;
  }

  /** Idempotent/transactional producer state of this partition, loaded on first use (opening the log first). */
  get producerState(): ProducerStateManager {
    const { logStartOffset, logEndOffset } = this.state;
    return (this.producers ??= new ProducerStateManager(this, this.ctx.producerState, { logStartOffset, logEndOffset }, true));
  }

  /** What a clean shutdown records of this log so the next start needs not open it. Null while it is recovering. */
  describe(): LogSummary | null {
    return this.summary ?? (this.loaded ? summaryOf(this.state) : null);
  }

  /** Whether retention or compaction may have work in an unopened log (from its summary): the scheduler opens only those. */
  mayNeedCleaning(now: number): boolean {
    return this.summary !== null && summaryMayNeedCleaning(this.summary, this.state.config, now);
  }

  get logStartOffset(): number {
    return this.state.logStartOffset;
  }
  get logEndOffset(): number {
    return this.state.logEndOffset;
  }
  get highWatermark(): number {
    return this.state.highWatermark;
  }
  /** End of what is written (durable, in fsync mode): where the high watermark would be without replication. */
  get localCommittedEnd(): number {
    return this.state.localCommittedEnd;
  }
  /**
   * True (the default) while this log alone decides what is committed: the
   * high watermark follows the written (in fsync mode, durable) end. Replication
   * clears it and moves the high watermark itself through setHighWatermark.
   */
  get highWatermarkFollowsLog(): boolean {
    return this.state.highWatermarkFollowsLog;
  }
  set highWatermarkFollowsLog(v: boolean) {
    this.state.highWatermarkFollowsLog = v;
  }
  /**
   * Set by replication while this broker leads: stamped into appends that name
   * no epoch themselves (the coordinators' internal writes), so followers learn
   * every epoch from the batches they copy.
   */
  get leaderEpochForAppends(): number | undefined {
    return this.state.leaderEpochForAppends;
  }
  set leaderEpochForAppends(v: number | undefined) {
    this.state.leaderEpochForAppends = v;
  }

  get logger(): StorageLogger {
    return this.ctx.logger;
  }
  get isClosed(): boolean {
    return this.state.closed;
  }

  get segmentCount(): number {
    return this.summary ? this.summary.segments : this.state.segments.length;
  }

  /** Base offsets of the segments, oldest first (for tests and admin tools). */
  segmentBaseOffsets(): number[] {
    return this.state.segments.map((s) => s.baseOffset);
  }

  /** The segments, oldest first; the last is the active one. */
  segmentList(): readonly Segment[] {
    return this.state.segments;
  }

  /** The segment holding `offset` (the first one below every segment's base: the oldest). */
  segmentFor(offset: number): Segment {
    return this.state.segments[this.state.segmentIndexFor(offset)]!;
  }

  currentConfig(): Readonly<LogConfig> {
    return this.state.config;
  }

  updateConfig(c: Partial<LogConfig>): void {
    const cur = this.state.config;
    // unchanged configs keep sharing one object (every log found at start begins with the manager's defaults)
    if ((Object.keys(c) as Array<keyof LogConfig>).every((k) => c[k] === undefined || c[k] === cur[k])) return;
    this.state.config = mergeConfig(cur, c);
  }

  sizeInBytes(): number {
    if (this.summary) return this.summary.sizeInBytes;
    let total = 0;
    for (const s of this.state.segments) total += s.size;
    return total;
  }

  onAppend(listener: () => void): () => void {
    return this.state.onAppend(listener);
  }

  async maxTimestamp(): Promise<{ offset: number; timestamp: number } | null> {
    await this.open();
    return maxTimestamp(this.state);
  }

  // ---------------------------------------------------------------- append, read

  append(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    if (!this.loaded) return this.open().then(() => this.pipeline.append(batches, opts));
    return this.pipeline.append(batches, opts);
  }

  /** fdatasync of everything written so far (flush.messages / flush.ms / explicit). */
  flush(): Promise<void> {
    if (!this.loaded) return Promise.resolve();
    return this.pipeline.flush();
  }

  /** Scheduler work possible (retention/compaction touch closed segments only): 10,000 idle logs cost no promise each. */
  get hasBackgroundWork(): boolean {
    const s = this.state;
    return this.loaded && !s.closed && (s.segments.length > 1 || s.config.flushMs < NEVER);
  }

  /** flush.ms: called from the manager's scheduler. */
  maybeTimedFlush(now: number): Promise<void> {
    if (!this.loaded) return Promise.resolve();
    return this.pipeline.maybeTimedFlush(now);
  }

  read(offset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    if (!this.loaded) return this.open().then(() => readLog(this.state, offset, maxBytes, opts));
    return readLog(this.state, offset, maxBytes, opts);
  }

  /** First record with timestamp >= ts (Kafka's ListOffsets by time), or null when every record is older. */
  async offsetForTimestamp(ts: number): Promise<{ offset: number; timestamp: number } | null> {
    await this.open();
    return offsetForTimestamp(this.state, ts);
  }

  /**
   * Offsets below the high watermark whose record key is `key` (ascending, at most `limit`), from the per-segment
   * key index; null when the log has `keyIndex` off (the caller decides whether to scan instead).
   */
  findKey(key: Buffer, limit = 100): Promise<number[]> | null {
    if (!this.state.config.keyIndex) return null;
    return this.open().then(() => (this.keys ??= new LogKeyIndex(this.state)).find(key, limit));
  }

  /** Counters of key lookups (index probes, batches read to verify). */
  get keyIndexStats(): Readonly<KeyIndexStats> {
    return (this.keys ??= new LogKeyIndex(this.state)).stats;
  }
  /** Tag lookups for filtered views of this log (kept by appends while `tagIndex` is on). Open the log first. */
  get tagIndex(): LogTagIndex {
    return (this.tagIdx ??= new LogTagIndex(this.state));
  }

  // ---------------------------------------------------------------- aborted-transaction index

  /** Records an abort marker of `seg` in its transaction index. */
  addAbortedTxn(seg: Segment, t: AbortedTxn): void {
    this.state.addAbortedTxn(seg, t);
  }

  /** Writes (or, untrusted, removes) a closed segment's transaction index file. */
  persistTxnIndex(seg: Segment): Promise<void> {
    return this.state.persistTxnIndex(seg);
  }

  /** False when no segment holds an abort marker: read_committed fetches need no index lookup at all. */
  get hasAbortedTxns(): boolean {
    // unknown before the segments are open: say yes, abortedTxns() opens them
    return !this.loaded || this.state.hasAbortedTxns;
  }

  /** Aborted transactions with data in [from, to) for a read_committed fetch. */
  async abortedTxns(from: number, to: number): Promise<AbortedTxn[]> {
    await this.open();
    return abortedTxns(this.state, from, to);
  }

  // ---------------------------------------------------------------- retention, deletion, compaction

  /**
   * Retention, DeleteRecords, compaction and truncation run one at a time, and only after rolled segments were
   * finalized, so none of them races the background index write of a segment it deletes or replaces.
   */
  private withStructuralLock<T>(fn: () => Promise<T>): Promise<T> {
    const locked = async (): Promise<T> => {
      await this.open();
      await this.pipeline.finalized();
      return fn();
    };
    const run = this.structural.then(locked, locked);
    this.structural = run.catch(() => undefined);
    return run;
  }

  /** DeleteRecords: moves the log start offset (persisted) and drops segments wholly below it. */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.withStructuralLock(() => this.retention.deleteRecordsBefore(offset));
  }

  /** retention.ms / retention.bytes: deletes whole closed segments from the old end. Returns how many. */
  runRetention(now = Date.now()): Promise<number> {
    return this.withStructuralLock(() => this.retention.runRetention(now));
  }

  /** cleanup.policy=compact over the closed segments. */
  compact(now = Date.now(), force = false): Promise<{ segmentsRewritten: number; recordsRemoved: number }> {
    return this.withStructuralLock(() => this.retention.compact(now, force));
  }

  // ---------------------------------------------------------------- replication

  /**
   * Replication moves the high watermark (leader: min log end over the ISR;
   * follower: the leader's, capped by what it has). Never past the local log
   * end; listeners (parked fetches) wake when it moves.
   */
  setHighWatermark(offset: number): void {
    const state = this.state;
    const hw = Math.max(state.logStartOffset, Math.min(offset, state.logEndOffset));
    if (hw === state.highWatermark) return;
    state.highWatermark = hw;
    state.notify();
  }

  /** Saves the high watermark so a restart never serves what may not be replicated. */
  async checkpointHighWatermark(): Promise<void> {
    const hw = this.state.highWatermark;
    if (this.checkpointedHighWatermark === hw) return;
    await writeFileAtomic(this.ctx.sfs, this.dir, HIGH_WATERMARK_FILE, Buffer.from(String(hw)));
    this.checkpointedHighWatermark = hw;
  }

  /**
   * Drops every batch whose last offset is at or past `offset` (a follower diverged from its leader), fixing indexes,
   * the leader epoch cache and the high watermark. Appends are refused meanwhile. Below the first segment the log
   * starts over empty at `offset`. Returns the new log end offset.
   */
  truncateTo(offset: number): Promise<number> {
    return this.rewriteTail(async () => {
      if (offset >= this.state.logEndOffset) return false;
      if (offset <= this.state.segments[0]!.baseOffset) await startOverAt(this.state, offset);
      else await cutTail(this.state, offset);
      return true;
    }, offset);
  }

  /** Kafka's truncateFullyAndStartAt: a follower whose whole log lies below the leader's log start starts over. */
  async restartAt(offset: number): Promise<void> {
    await this.rewriteTail(async () => {
      await startOverAt(this.state, offset);
      return true;
    }, offset);
  }

  /** Runs a tail rewrite with appends stopped and drained, then realigns the append state with the segments. */
  private rewriteTail(change: () => Promise<boolean>, requested: number): Promise<number> {
    const state = this.state;
    return this.withStructuralLock(async () => {
      state.truncating = true;
      try {
        await this.pipeline.quiesce();
        if (state.failure) throw state.failure;
        let changed: boolean;
        try {
          changed = await change();
        } catch (err) {
          state.failure = storageFailure(`${this.topic}-${this.partition} is offline: truncation failed`, err);
          throw state.failure;
        }
        if (!changed) return state.logEndOffset;
        this.pipeline.realign();
        this.retention.tailRewritten();
        if (state.logStartOffset > state.logEndOffset) state.logStartOffset = state.logEndOffset;
        if (state.highWatermark > state.logEndOffset || state.highWatermark < state.logStartOffset) state.highWatermark = state.logEndOffset;
        if (state.localCommittedEnd > state.logEndOffset || state.localCommittedEnd < state.logStartOffset) state.localCommittedEnd = state.logEndOffset;
        state.checkInvariants();
        await this.epochs.truncateFromEnd(state.logEndOffset);
        await writeFileAtomic(this.ctx.sfs, this.dir, RECOVERY_POINT_FILE, Buffer.from(String(state.active.baseOffset)));
        this.ctx.logger.warn({ topic: this.topic, partition: this.partition, requested, logStartOffset: state.logStartOffset, logEndOffset: state.logEndOffset }, 'truncated log');
        return state.logEndOffset;
      } finally {
        state.truncating = false;
      }
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Waits for queued appends and fsyncs, flushes, persists the active segment's indexes, closes files.
   * `syncLater`: no fsync here, the caller syncs the file system once for all logs (LogManager.close).
   */
  async close(syncLater = false): Promise<void> {
    const state = this.state;
    if (state.closed) return;
    state.closed = true;
    // an open in flight finishes first (and releases its files itself, seeing the log closed)
    if (this.opening) await this.opening.catch(() => undefined);
    if (!this.loaded) return;
    await this.pipeline.quiesce();
    await this.structural;
    await this.pipeline.finalized();
    try {
      if (!state.failure) {
        if (!syncLater) await state.active.sync();
        await persistIndexes(this.ctx.sfs, state.active, false, !syncLater);
      }
      if (!state.highWatermarkFollowsLog) await this.checkpointHighWatermark();
    } finally {
      for (const seg of state.segments) seg.markDeleted();
    }
  }

  /** Closes and removes every file of this partition (topic deletion). */
  async destroy(): Promise<void> {
    await this.close().catch((err: unknown) => this.ctx.logger.warn({ topic: this.topic, partition: this.partition, err: String(err) }, 'close before delete failed'));
    const trash = `${this.dir}.${Date.now()}-delete`;
    await this.ctx.sfs.rename(this.dir, trash);
    await this.ctx.sfs.rmrf(trash);
  }

  static dirName(topic: string, partition: number): string {
    return `${topic}-${partition}`;
  }

  static pathFor(dataDir: string, topic: string, partition: number): string {
    return path.join(dataDir, PartitionLog.dirName(topic, partition));
  }
}
