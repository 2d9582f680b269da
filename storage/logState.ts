import * as path from 'node:path';
import type { LogConfig } from './config';
import type { StorageError } from './errors';
import { fsyncDir, type StorageFs } from './fs';
import type { HandlePool } from './handlePool';
import type { HighWatermarkCheckpoint } from './highWatermarkCheckpoint';
import type { StorageLogger } from './logger';
import type { ProducerStateConfig, ProducerStateManager } from './producerStateManager';
import type { Segment } from './segment';
import type { AbortedTxn } from './txnIndex';
import type { DirSyncs } from './dirSyncs';

/** What every log of one LogManager shares. */
/** A directory entry of a new log not durable yet; `mark`: the entry's mark in the shared DirSyncs (null: fsync it alone). */
export interface UnsyncedDir {
  dir: string;
  mark: number | null;
}

export interface PartitionLogContext {
  sfs: StorageFs;
  pool: HandlePool;
  logger: StorageLogger;
  producerState: ProducerStateConfig;
  /** Told when a log opened its segments (the manager keeps its background work to open logs). */
  opened?: (log: import('./partitionLog').PartitionLog) => void;
  /** fsyncs of the data dir the new logs share (./dirSyncs.ts); absent: each log fsyncs it alone. */
  dirSyncs?: DirSyncs;
  /** Told when a log may have gained background work: it rolled a segment or its config changed. */
  mayHaveBackgroundWork?: (topic: string, partition: number) => void;
  /** Told before the first change to a log's files since it was last checkpointed (./logCheckpoint.ts). */
  dirtied?: (topic: string, partition: number) => void;
  /** The data dir's saved high watermarks (./highWatermarkCheckpoint.ts); absent: none are saved. */
  highWatermarks?: HighWatermarkCheckpoint;
}

/**
 * The state one partition log's parts share (append pipeline, reads,
 * retention, truncation): the segment list and the offsets that bound it.
 * Invariants, checked after every change that moves them:
 *
 *   logStartOffset <= logEndOffset, highWatermark <= logEndOffset,
 *   localCommittedEnd <= logEndOffset, active segment's nextOffset = logEndOffset
 */
export class LogState {
  config: LogConfig;
  /** Oldest first; the last is the active one. */
  segments: Segment[] = [];
  active!: Segment;
  logStartOffset = 0;
  /** Offset after the last published batch. */
  logEndOffset = 0;
  highWatermark = 0;
  /**
   * True (the default) while this log alone decides what is committed: the
   * high watermark follows the written (in fsync mode, durable) end. Replication
   * clears it and moves the high watermark itself.
   */
  highWatermarkFollowsLog = true;
  /** End of what is written (durable, in fsync mode): where the high watermark would be without replication. */
  localCommittedEnd = 0;
  /** Stamped into appends that name no epoch themselves (set by replication while this broker leads). */
  leaderEpochForAppends: number | undefined = undefined;
  /** Set when the partition can no longer be written safely (fsync or truncate failed). */
  failure: StorageError | null = null;
  closed = false;
  /** Set while the tail is rewritten: appends are refused. */
  truncating = false;
  producers!: ProducerStateManager;
  /** Sum of the segments' aborted-transaction entries: a read_committed fetch of a log with none costs nothing. */
  private abortedTxnCount = 0;
  /** Made on the first listener: most logs of a big broker never get one. */
  private listeners: Set<() => void> | null = null;
  /** Changes to the files so far (appends, retention, compaction, truncation): a checkpoint sees whether one came in between. */
  changes = 0;
  /** Changed since the last checkpoint: named in the dirty journal, left out of the next checkpoint unless settled. */
  dirty = false;
  /**
   * Directories whose entries for this new log (its directory in the data dir, its first segment in its directory)
   * are not durable yet. Kafka flushes a new log's parent directory on the log's first flush, not when it is
   * created: two directory fsyncs per new partition were half the time of creating a 10,000-partition topic.
   */
  unsyncedDirs: UnsyncedDir[] | null = null;
  private dirSync: Promise<void> | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly dir: string,
    config: LogConfig,
    readonly ctx: PartitionLogContext,
  ) {
    this.config = config;
  }

  /** Index in `segments` of the segment holding `offset` (the oldest when it lies below every base). */
  segmentIndexFor(offset: number, segments: readonly Segment[] = this.segments): number {
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

  get hasAbortedTxns(): boolean {
    return this.abortedTxnCount > 0;
  }

  addAbortedTxn(seg: Segment, t: AbortedTxn): void {
    seg.txnIndex.add(t);
    this.abortedTxnCount++;
  }

  /** Recounts after segments came or went. */
  countAbortedTxns(): void {
    let n = 0;
    for (const s of this.segments) n += s.txnIndex.count;
    this.abortedTxnCount = n;
  }

  /** Writes (or, untrusted, removes) a segment's transaction index file; a closed segment's entries then leave memory. */
  persistTxnIndex(seg: Segment): Promise<void> {
    return seg.txnIndex.persist(this.ctx.sfs, seg.dir, path.basename(seg.txnIndexPath), seg !== this.active);
  }

  onAppend(listener: () => void): () => void {
    const listeners = (this.listeners ??= new Set());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Called before anything changes the log's files: the first change after a checkpoint names the log in the dirty journal. */
  changing(): void {
    this.changes++;
    if (this.dirty) return;
    this.dirty = true;
    this.ctx.dirtied?.(this.topic, this.partition);
  }

  /** An unloaded log keeps no empty listener set (an unsubscribe still finds the set it was added to). */
  dropListenersIfNone(): void {
    if (this.listeners?.size === 0) this.listeners = null;
  }

  get hasListeners(): boolean {
    return this.listeners !== null && this.listeners.size > 0;
  }

  /** Wakes whoever waits for data or a high watermark move (parked fetches, replication). */
  notify(): void {
    if (!this.listeners) return;
    for (const l of this.listeners) {
      try {
        l();
      } catch (err) {
        this.ctx.logger.error({ topic: this.topic, partition: this.partition, err: String(err) }, 'append listener threw');
      }
    }
  }

  /** Makes `unsyncedDirs` durable (once; concurrent callers share it): called before anything of the log is made durable. */
  syncNewDirs(): Promise<void> {
    const dirs = this.unsyncedDirs;
    if (dirs === null) return Promise.resolve();
    this.dirSync ??= (async () => {
      try {
        for (const d of dirs) await (d.mark !== null && this.ctx.dirSyncs ? this.ctx.dirSyncs.sync(d.dir, d.mark) : fsyncDir(this.ctx.sfs, d.dir));
        if (this.unsyncedDirs === dirs) this.unsyncedDirs = null;
      } finally {
        this.dirSync = null;
      }
    })();
    return this.dirSync;
  }

  /** Throws on a broken invariant: that is a bug in the storage code, never bad input. */
  checkInvariants(): void {
    const { logStartOffset: start, logEndOffset: end, highWatermark: hw, localCommittedEnd: committed } = this;
    if (start <= end && hw <= end && committed <= end && this.active.nextOffset === end) return;
    throw new Error(
      `${this.topic}-${this.partition}: log invariant violated: logStartOffset ${start}, highWatermark ${hw}, localCommittedEnd ${committed}, logEndOffset ${end}, active segment next offset ${this.active.nextOffset}`,
    );
  }
}
