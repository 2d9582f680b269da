import * as path from 'node:path';
import { mergeConfig, NEVER, type LogConfig } from './config';
import type { LogSummary } from './logSummary';
import type { StorageLogger } from './logger';
import { AppendPipeline, type AppendOptions, type AppendResult, type AppendSink } from './appendPipeline';
import type { PartitionLogContext } from './logState';
import { abortedTxns, maxTimestamp, offsetForTimestamp, readLog, type ReadOptions, type ReadResult } from './logReads';
import { LogRetention } from './logRetention';
import { cutTail, rewriteTail, startOverAt } from './logTruncation';
import { ProducerStateManager } from './producerStateManager';
import { readNumberFile, recoverPartition } from './recovery';
import type { Segment } from './segment';
import type { AbortedTxn } from './txnIndex';
import { LEADER_EPOCH_FILE, LeaderEpochCache } from './leaderEpochCache';
import { PartitionLogBase } from './partitionLogBase';
import { LEGACY_HIGH_WATERMARK_FILE } from './highWatermarkCheckpoint';
import { LogKeyIndex, type KeyIndexStats, type KeyRange } from './logKeyIndex';
import { LogTagIndex } from './logTagIndex';

export type { AppendOptions, AppendResult, AppendSink } from './appendPipeline';
export type { ReadOptions, ReadResult } from './logReads';
export type { PartitionLogContext } from './logState';
export type { LogSummary } from './logSummary';
export type { LogTagIndex, TagIndexStats } from './logTagIndex';


/**
 * One partition's log: a list of segments, the last one active, and the
 * offsets that bound it. The work is split as Kafka splits it: appends go
 * through ./appendPipeline.ts, reads through ./logReads.ts, retention and
 * compaction through ./logRetention.ts, tail truncation through
 * ./logTruncation.ts, and the producer state the log derives lives in its
 * own ProducerStateManager. This class ties them together and orders the
 * structural changes (retention, compaction, truncation) one at a time.
 */
export class PartitionLog extends PartitionLogBase {
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
      // a new partition directory must survive power loss before anything in it is: made durable then
      const parent = path.dirname(dir);
      log.state.unsyncedDirs = [{ dir: parent, mark: ctx.dirSyncs?.created(parent) ?? null }];
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

  /** Opens the segments (recovering them if the log was not closed cleanly); idempotent, concurrent calls share one open. */
  open(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    if (!this.opening) {
      const p = this.load0();
      this.opening = p;
      // a failed open is retried on next use; a finished one is not kept (`loaded` answers from then on, and a
      // broker holds one log per partition)
      const done = (): void => {
        if (this.opening === p) this.opening = null;
      };
      p.then(done, done);
    }
    return this.opening;
  }

  private async load0(): Promise<void> {
    const { topic, partition, dir, ctx } = this;
    const state = this.state;
    const config = state.config;
    const recovered = await recoverPartition(dir, config, ctx, this.cleanAtOpen, { topic, partition }, this.summary?.logStartOffset);
    if (recovered.createdSegment) state.unsyncedDirs = [...(state.unsyncedDirs ?? []), { dir, mark: null }];
    // appends through an O_DSYNC descriptor are durable when written: so must the directories be before the first
    if (config.fsyncOnAppend) await state.syncNewDirs();
    state.segments = recovered.segments;
    state.active = recovered.segments[recovered.segments.length - 1]!;
    state.logStartOffset = recovered.logStartOffset;
    state.countAbortedTxns();
    state.logEndOffset = state.highWatermark = state.localCommittedEnd = state.active.nextOffset;
    state.checkInvariants();
    this.pipeline = new AppendPipeline(state);
    this.retention = new LogRetention(state);
    // after a crash the scanned tail may hold epochs the file had not been made durable with; a clean log's file is
    // as current as its data
    this.epochCache = await LeaderEpochCache.load(ctx.sfs, dir, {
      durableChanges: () => state.config.fsyncOnAppend,
      fileExists: recovered.listed.has(LEADER_EPOCH_FILE),
      ...(this.cleanAtOpen ? {} : { scanned: recovered.scannedEpochs, logEndOffset: state.logEndOffset }),
    });
    const hw = await this.savedHighWatermark(recovered.listed);
    this.checkpointedHighWatermark = hw === undefined ? null : Math.min(hw, state.logEndOffset);
    await state.active.setDsync(config.fsyncOnAppend);
    const extent = { logStartOffset: state.logStartOffset, logEndOffset: state.logEndOffset };
    // a log found at start (or a new empty one) carries the producer state it has on disk forward
    const carry = this.atStart || extent.logStartOffset === extent.logEndOffset;
    if (this.producers) this.producers.opened(extent, carry);
    else this.producers = new ProducerStateManager(this, ctx.producerState, extent, carry);
    state.producers = this.producers;
    this.summary = null;
    this.openedAt = Date.now();
    this.loaded = true;
    ctx.opened?.(this);
    // a new log or a clean one opened on use says nothing; a recovered one says what recovery did
    if (recovered.actions.length > 0 || (this.atStart && !this.cleanAtOpen)) {
      const { logStartOffset, logEndOffset } = state;
      ctx.logger.info({ topic, partition, segments: state.segments.length, logStartOffset, logEndOffset, recovery: recovered.actions }, 'partition log loaded');
    }
  }

  /**
   * A log found at start takes its entry of the data dir's high watermark checkpoint, or else reads the
   * per-partition file older versions kept (removed once the checkpoint holds the value). A new log has none: an
   * entry of a deleted log of the same name is dropped.
   */
  private async savedHighWatermark(listed: ReadonlySet<string>): Promise<number | undefined> {
    const { topic, partition, dir, ctx } = this;
    const saved = ctx.highWatermarks;
    if (!this.atStart) {
      saved?.forget(topic, partition);
      return undefined;
    }
    const hw = saved?.take(topic, partition);
    if (hw !== undefined || !listed.has(LEGACY_HIGH_WATERMARK_FILE)) return hw;
    saved?.noteLegacyFile(topic, partition);
    return readNumberFile(ctx.sfs, path.join(dir, LEGACY_HIGH_WATERMARK_FILE));
  }

  /** Idempotent/transactional producer state of this partition, loaded on first use (opening the log first). */
  get producerState(): ProducerStateManager {
    const { logStartOffset, logEndOffset } = this.state;
    return (this.producers ??= new ProducerStateManager(this, this.ctx.producerState, { logStartOffset, logEndOffset }, true));
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
    this.ctx.mayHaveBackgroundWork?.(this.topic, this.partition);
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
    this.state.changing();
    if (!this.loaded) return this.open().then(() => this.pipeline.append(batches, opts));
    return this.pipeline.append(batches, opts);
  }

  /** append() answering through `sink` (AppendSink) rather than a promise. */
  appendTo(batches: Buffer, opts: AppendOptions, sink: AppendSink): void {
    this.state.changing();
    if (this.loaded) return this.pipeline.appendTo(batches, opts, sink);
    this.open().then(
      () => this.pipeline.appendTo(batches, opts, sink),
      (err: unknown) => sink.failed(err),
    );
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
    if (!this.loaded) return this.open().then(() => this.read(offset, maxBytes, opts));
    return readLog(this.state, offset, maxBytes, opts).catch((err: unknown) => {
      // the log went idle and was unloaded while this read waited: read again from the reopened files
      if (!this.loaded && !this.isClosed) return this.read(offset, maxBytes, opts);
      throw err;
    });
  }

  /** First record with timestamp >= ts (Kafka's ListOffsets by time), or null when every record is older. */
  async offsetForTimestamp(ts: number): Promise<{ offset: number; timestamp: number } | null> {
    await this.open();
    return offsetForTimestamp(this.state, ts);
  }

  /**
   * Offsets below the high watermark whose record key is `key` (at most `limit`: the oldest at or after
   * `range.from` ascending, or the newest first with `range.newestFirst`), from the per-segment key index; null
   * when the log has `keyIndex` off (the caller decides whether to scan instead).
   */
  findKey(key: Buffer, limit = 100, range: KeyRange = {}): Promise<number[]> | null {
    if (!this.state.config.keyIndex) return null;
    return this.open().then(() => (this.keys ??= new LogKeyIndex(this.state)).find(key, limit, range));
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
    return this.withStructuralLock(() => rewriteTail({ state: this.state, pipeline: this.pipeline, retention: this.retention, epochs: this.epochs }, change, requested));
  }

  // ---------------------------------------------------------------- lifecycle

  static dirName(topic: string, partition: number): string {
    return `${topic}-${partition}`;
  }

  static pathFor(dataDir: string, topic: string, partition: number): string {
    return path.join(dataDir, PartitionLog.dirName(topic, partition));
  }
}
