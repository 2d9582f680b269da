import { summaryMayNeedCleaning, summaryOf, type LogSummary } from './logSummary';
import * as path from 'node:path';
import { deleteDirName } from './deleteDir';
import { SETTLED } from './settled';
import type { LogConfig } from './config';
import type { AppendPipeline } from './appendPipeline';
import { LogState, type PartitionLogContext } from './logState';
import type { LogRetention } from './logRetention';
import type { ProducerStateManager } from './producerStateManager';
import { indexesUpToDate, persistIndexes } from './recovery';
import type { Segment } from './segment';
import type { LeaderEpochCache } from './leaderEpochCache';
import type { LogKeyIndex } from './logKeyIndex';
import type { LogTagIndex } from './logTagIndex';

/** The segment list of every unloaded log (load0 replaces it). */
const NO_SEGMENTS: readonly Segment[] = Object.freeze([]);

/**
 * The state and lifecycle half of a partition log (./partitionLog.ts is the
 * rest): whether its files are open, the summary it has while they are not,
 * the order of structural changes, and the ways back to unopened (close,
 * unload after an idle period) with what each must save first.
 */
export abstract class PartitionLogBase {
  /**
   * The high watermark last saved in the data dir's checkpoint (./highWatermarkCheckpoint.ts): at open, the value
   * saved before the last shutdown (null when none was), so a restarted replica never serves what the ISR may not
   * have; after that, what the last save wrote.
   */
  checkpointedHighWatermark: number | null = null;
  protected readonly state: LogState;
  protected pipeline!: AppendPipeline;
  protected retention!: LogRetention;
  protected epochCache: LeaderEpochCache | null = null;
  protected producers: ProducerStateManager | null = null;
  /** The chain of structural changes (retention, compaction, truncation), run one at a time; shared settled start. */
  protected structural: Promise<unknown> = SETTLED;
  /** Made on the first key lookup, and on the first view read (tags). */
  protected keys: LogKeyIndex | null = null;
  protected tagIdx: LogTagIndex | null = null;
  /** What the last clean shutdown recorded, while the files are not opened yet; null once open (or when unknown: recovering). */
  protected summary: LogSummary | null;
  protected loaded = false;
  protected opening: Promise<void> | null = null;
  /** How the files are opened on first use: trusted as closed cleanly, or recovered (scanned from the recovery point). */
  protected cleanAtOpen: boolean;
  /** When the segments were last opened: a log idle since (and since its segments' last use) goes back to unopened. */
  protected openedAt = 0;
  /** Retention, compaction or truncation running: the log is not idle. */
  protected structuralOps = 0;
  /** Found at start (durable, its producer state can be carried forward) rather than created now. */
  protected atStart = true;

  protected constructor(
    readonly topic: string,
    readonly partition: number,
    readonly dir: string,
    config: LogConfig,
    protected readonly ctx: PartitionLogContext,
    summary: LogSummary | null,
    cleanAtOpen: boolean,
  ) {
    this.state = new LogState(topic, partition, dir, config, ctx);
    this.summary = summary;
    this.cleanAtOpen = cleanAtOpen;
    if (summary) this.state.logStartOffset = summary.logStartOffset;
    if (summary) this.state.logEndOffset = this.state.highWatermark = this.state.localCommittedEnd = summary.logEndOffset;
  }

  /** Opens the segments (./partitionLog.ts). */
  abstract open(): Promise<void>;

  /** True once the segments are open (always, for a log created or loaded with load()). */
  get isOpen(): boolean {
    return this.loaded;
  }

  /** Found after a crash, not recovered yet: offsets unknown, requests are refused as retriable. */
  get recovering(): boolean {
    return !this.loaded && this.summary === null;
  }

  /** Leader epochs and their start offsets (KIP-101); empty until replication assigns one. Open the log first. */
  get epochs(): LeaderEpochCache {
    if (!this.epochCache) throw new Error(`${this.topic}-${this.partition}: leader epochs read before the log was opened`);
    return this.epochCache;
  }

  /** What a clean shutdown records of this log so the next start needs not open it. Null while it is recovering. */
  describe(): LogSummary | null {
    return this.summary ?? (this.loaded ? summaryOf(this.state) : null);
  }

  /** Whether retention or compaction may have work in an unopened log (from its summary): the scheduler opens only those. */
  mayNeedCleaning(now: number): boolean {
    return this.summary !== null && summaryMayNeedCleaning(this.summary, this.state.config, now);
  }

  get isClosed(): boolean {
    return this.state.closed;
  }

  /**
   * Retention, DeleteRecords, compaction and truncation run one at a time,
   * and only after rolled segments were finalized, so none of them races the
   * background index write of a segment it deletes or replaces.
   */
  protected withStructuralLock<T>(fn: () => Promise<T>): Promise<T> {
    const locked = async (): Promise<T> => {
      this.structuralOps++;
      try {
        await this.open();
        await this.pipeline.finalized();
        return await fn();
      } finally {
        this.structuralOps--;
      }
    };
    const run = this.structural.then(locked, locked);
    this.structural = run.catch(() => undefined);
    return run;
  }

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
      // a log only read this run (or not written since its indexes were last saved) rewrites nothing
      // a new log is found at the next start, written or not (with syncLater the file-system sync covers it)
      if (!syncLater) await state.syncNewDirs();
      if (!state.failure && !indexesUpToDate(state.active)) {
        if (!syncLater) await state.active.sync();
        await persistIndexes(this.ctx.sfs, state.active, false, !syncLater);
      }
      // with syncLater the caller's file-system sync makes a written epoch file durable too
      if (syncLater) await this.epochCache?.settled();
      else await this.epochCache?.sync();
    } finally {
      for (const seg of state.segments) seg.markDeleted();
    }
  }

  /** Found at start (rather than created this run). */
  get foundAtStart(): boolean {
    return this.atStart;
  }

  /** Changed since the last checkpoint (./logCheckpoint.ts). */
  get dirty(): boolean {
    return this.state.dirty;
  }

  /** Changes so far: a checkpoint compares it before and after its own awaits. */
  get changeCount(): number {
    return this.state.changes;
  }

  /** The manager counts a log it must recover as changed, without a journal line (its summary entry is gone already). */
  markDirty(dirty: boolean): void {
    this.state.dirty = dirty;
  }

  /** Open with nothing queued, in flight, being rewritten or loading: its files match its state once the indexes are saved. */
  get settled(): boolean {
    const s = this.state;
    return this.loaded && !s.closed && !s.failure && !s.truncating && this.structuralOps === 0 && !this.pipeline.busy && !(this.producers?.busy ?? false);
  }

  /**
   * Makes the files describe the log as it is (data fdatasynced, the active
   * segment's indexes saved) so a checkpoint or an unload can trust them;
   * returns the change count it saw first, to compare after.
   */
  async saveForCheckpoint(): Promise<number> {
    const changes = this.state.changes;
    await this.pipeline.finalized();
    const active = this.state.active;
    if (!indexesUpToDate(active)) await persistIndexes(this.ctx.sfs, active, false, false);
    // a log a checkpoint records must be found after a power loss, written or not
    await this.state.syncNewDirs();
    if (active.flushedSize < active.size) await active.sync();
    // data saved at a checkpoint must not outlive the record of which epoch wrote it
    await this.epochCache?.sync();
    return changes;
  }

  /** Last time the log was opened or one of its segments used (read, written). */
  get lastUsedAt(): number {
    let t = this.openedAt;
    for (const seg of this.state.segments) if (seg.lastUsed > t) t = seg.lastUsed;
    return t;
  }

  /**
   * Back to the unopened state after an idle period: the producer state is
   * snapshotted if it changed, the files are saved and closed, and only the
   * summary stays in memory; the next use opens the log again as after a
   * clean shutdown. Refused (false) while anything uses the log: readers,
   * parked fetches, replication, work in flight.
   */
  async unload(): Promise<boolean> {
    if (!this.canUnload) return false;
    const changes = await this.saveForCheckpoint();
    await this.producers?.snapshot();
    if (!this.canUnload || this.state.changes !== changes || this.producers?.changedSinceSnapshot) return false;
    const state = this.state;
    this.summary = summaryOf(state);
    for (const seg of state.segments) seg.markDeleted();
    state.segments = NO_SEGMENTS as Segment[];
    state.active = undefined as unknown as Segment;
    state.producers = undefined as unknown as ProducerStateManager;
    this.producers = null;
    this.epochCache = null;
    this.keys = null;
    // the next open makes new ones; nothing reaches them while the log is not loaded
    this.pipeline = undefined as unknown as AppendPipeline;
    this.retention = undefined as unknown as LogRetention;
    state.dropListenersIfNone();
    this.opening = null;
    this.loaded = false;
    this.cleanAtOpen = true;
    this.atStart = true;
    return true;
  }

  private get canUnload(): boolean {
    const s = this.state;
    return this.settled && !s.hasListeners && s.highWatermarkFollowsLog && s.leaderEpochForAppends === undefined && s.segments.every((seg) => seg.readers === 0);
  }

  /** Closes and removes every file of this partition (topic deletion). */
  async destroy(): Promise<void> {
    await this.close().catch((err: unknown) => this.ctx.logger.warn({ topic: this.topic, partition: this.partition, err: String(err) }, 'close before delete failed'));
    const trash = path.join(path.dirname(this.dir), deleteDirName(this.topic, this.partition));
    await this.ctx.sfs.rename(this.dir, trash);
    await this.ctx.sfs.rmrf(trash);
  }
}
