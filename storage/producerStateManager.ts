import { ATTR, BATCH } from '../protocol/records/batchHeader';
import { SETTLED } from './settled';
import type { StorageLogger } from './logger';
import { ProducerStateTable, applyBatch } from './producerState';
import { emptySnapshot, encodeSnapshot, entryOf, listSnapshots, readSnapshot, reencodeSnapshot, removeSnapshot, writeSnapshotFile, type SnapshotFile } from './producerSnapshots';
import type { Segment } from './segment';
import { SegmentTxnIndex, type AbortedTxn } from './txnIndex';

const SCAN_BYTES = 4 * 1024 * 1024;
/** Kafka's producer.id.expiration.ms default: producers idle this long (with no open transaction) are dropped. */
export const PRODUCER_EXPIRATION_MS = 24 * 60 * 60 * 1000;

/** Settings every log of one LogManager shares; the manager owns the object and changes it in place. */
export interface ProducerStateConfig {
  /** producer.id.expiration.ms */
  expirationMs: number;
  /**
   * Producer-free bytes appended since the newest snapshot above which shutdown writes one anyway, so the
   * next load does not replay them (default 1 MiB): below it a shutdown writes nothing for the log.
   */
  snapshotAfterBytes?: number;
}

/** Default of ProducerStateConfig.snapshotAfterBytes. */
export const SNAPSHOT_AFTER_BYTES = 1024 * 1024;

/** What the manager needs of its log (the PartitionLog that owns it). */
export interface ProducerStateHost {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly logger: StorageLogger;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Whether the segments are open; the state is only loaded from an open log. */
  readonly isOpen: boolean;
  open(): Promise<void>;
  read(offset: number, maxBytes: number, opts: { minOneBatch: boolean }): Promise<{ chunks: Buffer[]; bytes: number }>;
  segmentList(): readonly Segment[];
  segmentFor(offset: number): Segment;
  addAbortedTxn(seg: Segment, t: AbortedTxn): void;
  persistTxnIndex(seg: Segment): Promise<void>;
}

/** What the last load of a log's producer state read, for logs and tests. */
export interface ProducerStateLoadStats {
  /** Offset of the snapshot it started from, null when it replayed from the log start. */
  snapshotOffset: number | null;
  replayedFrom: number;
  replayedTo: number;
  replayedBytes: number;
  /** Segments whose transaction index was rebuilt from the log. */
  rebuiltTxnIndexes: number;
}

interface LoadedState {
  /** Updated when appends are queued (before they are written): judges incoming batches, gives the LSO. */
  live: ProducerStateTable;
  /** Updated as batches are published, in log order: exactly the state at the log end, what snapshots hold. */
  published: ProducerStateTable;
  /** Snapshot writes of this log, one at a time. */
  writes: Promise<void>;
  /** The published table differs from the newest snapshot written or read: shutdown writes one only then. */
  changed: boolean;
}

/**
 * How the manager follows appends:
 * - carry: the state is not loaded and every append so far was producer-free,
 *   so the state at any roll is the one found at start, written as that roll's snapshot;
 * - loaded: the tables follow the log and each roll snapshots them;
 * - untracked: the state is unknown until the next load (it was dropped, or no snapshot covers the log found at open).
 */
type Mode = 'carry' | 'loaded' | 'untracked';

/**
 * The idempotent/transactional producer state of one partition log (Kafka's
 * ProducerStateManager), loaded on first use: from the newest snapshot at or
 * below the first segment whose transaction index is not known good (after a
 * crash: the segment that was active) plus a replay of the log after it,
 * which also rebuilds those indexes. Partitions never written by an
 * idempotent producer never pay for the scan.
 */
export class ProducerStateManager {
  private mode: Mode;
  private loading: Promise<ProducerStateTable> | null = null;
  private state: LoadedState | null = null;
  private stats: ProducerStateLoadStats | undefined;
  /** Removal of snapshots past a truncated log end, awaited by the next load. */
  private cleanup: Promise<void> = SETTLED;
  /** Snapshot offsets written this run: valid even past the log end found at start; made on first use. */
  private writtenThisRun: Set<number> | null = null;
  /** Replication changed the log behind the tables' back: no state is carried forward this run. */
  private invalidated = false;
  /** The carried state, read once (later snapshots may prune the file it came from). */
  private carried: Promise<SnapshotFile | null> | null = null;
  /** Roll snapshots written in carry mode, awaited at shutdown. */
  private carryWrites: Promise<void> = SETTLED;
  /** Snapshot writes queued or running. */
  private snapshotting = 0;
  /** Bytes published since the newest snapshot (or since load): what the next load would replay. */
  private bytesSinceSnapshot = 0;

  /**
   * @param extentAtOpen the log's extent when it was loaded, before any append of this run
   * @param carry whether the state found at load is known (a log loaded at start, or an empty new one)
   */
  constructor(
    private readonly log: ProducerStateHost,
    private readonly config: ProducerStateConfig,
    private extentAtOpen: { logStartOffset: number; logEndOffset: number },
    carry: boolean,
  ) {
    this.mode = carry ? 'carry' : 'untracked';
  }

  /** The log opened its segments (after this manager was made for an unopened log): its extent then. */
  opened(extent: { logStartOffset: number; logEndOffset: number }, carry: boolean): void {
    this.extentAtOpen = extent;
    if (this.mode === 'carry' && !carry) this.mode = 'untracked';
  }

  /** The table, loading it on first use. */
  table(): Promise<ProducerStateTable> {
    if (!this.loading) {
      const t = this.load();
      this.loading = t;
      // a failed load is retried on next use rather than cached
      t.catch(() => {
        if (this.loading === t) this.loading = null;
      });
    }
    return this.loading;
  }

  /** A load or a snapshot write is running: the log must stay open under it. */
  get busy(): boolean {
    return (this.loading !== null && this.state === null) || this.snapshotting > 0;
  }

  /** The table when it is already loaded: lets the produce path skip a promise hop per request. */
  get loaded(): ProducerStateTable | undefined {
    return this.state?.live;
  }

  get lastLoadStats(): ProducerStateLoadStats | undefined {
    return this.stats;
  }

  /** Drops idle producers of a loaded state (the broker's periodic check); returns how many. */
  expire(now: number): number {
    const state = this.state;
    if (!state) return 0;
    if (state.published.expire(now, this.config.expirationMs) > 0) state.changed = true;
    return state.live.expire(now, this.config.expirationMs);
  }

  /**
   * Replication changed the log behind the tables' back (a new leader, a
   * follower that appended or truncated): the next use loads the state again
   * (snapshot + replay), and no state is carried forward for this run. With
   * `dropSnapshot` (after a truncation) snapshots past the log end go too.
   */
  async invalidate(dropSnapshot = false): Promise<void> {
    const state = this.state;
    this.forget();
    this.invalidated = true;
    await state?.writes;
    await this.cleanup;
    if (dropSnapshot) await this.dropSnapshotsAbove(this.log.logEndOffset);
  }

  /**
   * Writes the state at the log end when it changed since the newest snapshot,
   * so shutdown costs a file only per log an idempotent producer wrote to. A
   * log whose state did not change (never loaded: only producer-free appends
   * this run) keeps its newest snapshot; its next load replays the batches
   * after it, at most about one segment (every roll writes one). Call with
   * appends stopped.
   */
  async snapshot(): Promise<void> {
    const log = this.log;
    // a log never opened this run still has the snapshot it had at start
    if (!log.isOpen) return;
    if (this.loading) {
      await this.loading.catch(() => undefined);
      const state = this.state;
      if (!state || !this.changedSinceSnapshot) return;
      this.bytesSinceSnapshot = 0;
      await this.queueSnapshot(state, encodeSnapshot(state.published, log.logEndOffset), log.logEndOffset);
      return;
    }
    await this.carryWrites;
    if (!this.changedSinceSnapshot) return;
    const carried = this.invalidated ? null : await this.carriedState();
    if (carried) {
      this.bytesSinceSnapshot = 0;
      await writeSnapshotFile(log.dir, log.logEndOffset, reencodeSnapshot(carried, log.logEndOffset));
    }
  }

  /** Whether snapshot() would write a file: the state changed, or enough was appended that a replay would cost. */
  get changedSinceSnapshot(): boolean {
    const state = this.state;
    const replayWorthSaving = this.bytesSinceSnapshot >= (this.config.snapshotAfterBytes ?? SNAPSHOT_AFTER_BYTES);
    if (state) return state.changed || replayWorthSaving;
    return this.mode === 'carry' && !this.invalidated && replayWorthSaving;
  }

  /**
   * After a crash: loads the state now when a transaction index needs a
   * rebuild and roll snapshots exist (so the load replays about one segment),
   * so the indexes and snapshots are whole again before the log rolls on.
   * Without snapshots (an older layout) the state keeps loading lazily.
   */
  async rebuildIfCrashed(): Promise<boolean> {
    if (this.loading || !this.log.isOpen || this.log.segmentList().every((s) => s.txnIndex.trusted)) return false;
    if ((await listSnapshots(this.log.dir)).length === 0) return false;
    await this.table();
    return true;
  }

  // ---------------------------------------------------------------- following the log (called by PartitionLog)

  /** One batch just became part of the log, in offset order. Must not throw. */
  published(seg: Segment, buf: Buffer, pos: number): void {
    this.bytesSinceSnapshot += BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
    if (this.mode === 'loaded') {
      try {
        // the sign of the high word is the producer id's: no BigInt per published batch
        if (buf.readInt32BE(pos + BATCH.PRODUCER_ID) < 0) return;
        this.state!.changed = true;
        const abort = applyBatch(this.state!.published, buf, pos);
        if (abort) this.log.addAbortedTxn(seg, abort);
      } catch (err) {
        // the next start rebuilds from the log; serving goes on
        seg.txnIndex.trusted = false;
        this.log.logger.error({ topic: this.log.topic, partition: this.log.partition, err: String(err) }, 'tracking producer state failed');
      }
      return;
    }
    if (buf.readInt32BE(pos + BATCH.PRODUCER_ID) < 0) return;
    // a producer batch while the state is not loaded (a replication follower): nothing more is carried
    if (this.mode === 'carry') this.invalidated = true;
    // a marker nobody indexed: the next load rebuilds this segment's entries from the log
    if (buf.readInt16BE(pos + BATCH.ATTRIBUTES) & ATTR.CONTROL) seg.txnIndex.trusted = false;
  }

  /** A new segment starts at `baseOffset`; every batch before it was published. */
  rolled(baseOffset: number): void {
    this.bytesSinceSnapshot = 0;
    if (this.mode === 'loaded') {
      const state = this.state!;
      void this.queueSnapshot(state, encodeSnapshot(state.published, baseOffset), baseOffset).catch(() => undefined);
    } else if (this.mode === 'carry' && !this.invalidated) {
      const write = async (): Promise<void> => {
        const carried = await this.carriedState();
        if (!carried || this.invalidated) return;
        (this.writtenThisRun ??= new Set()).add(baseOffset);
        await writeSnapshotFile(this.log.dir, baseOffset, reencodeSnapshot(carried, baseOffset));
      };
      this.carryWrites = this.carryWrites.then(write).catch((err: unknown) => {
        this.log.logger.warn({ topic: this.log.topic, partition: this.log.partition, endOffset: baseOffset, err: String(err) }, 'producer state snapshot failed');
      });
    }
  }

  /** The tail was cut (a diverged follower): state derived past the new log end is wrong. */
  truncated(logEndOffset: number): void {
    if (this.mode === 'loaded') {
      // the tables know batches that are gone: the next use loads again, from a snapshot below the cut
      const writes = this.state!.writes;
      this.forget();
      this.cleanup = writes.then(() => this.dropSnapshotsAbove(logEndOffset));
    } else if (this.mode === 'carry') {
      this.invalidated = true;
      this.cleanup = this.carryWrites.then(() => this.dropSnapshotsAbove(logEndOffset));
    }
  }

  // ---------------------------------------------------------------- loading

  private async load(): Promise<ProducerStateTable> {
    const log = this.log;
    await log.open();
    await this.cleanup;
    const rebuilding = new Set<Segment>();
    for (const seg of log.segmentList()) {
      if (seg.txnIndex.trusted) continue;
      // whatever an untrusted index holds is dropped: the replay adds every abort of the segment again
      seg.replaceTxnIndex(new SegmentTxnIndex(false));
      rebuilding.add(seg);
    }
    const firstUntrusted = rebuilding.size > 0 ? [...rebuilding][0]!.baseOffset : log.logEndOffset;
    const snap = await this.newestSnapshot(Math.min(firstUntrusted, log.logEndOffset));
    const table = new ProducerStateTable();
    let from = log.logStartOffset;
    if (snap) {
      for (const p of snap.producers) table.restore(entryOf(p));
      from = Math.max(from, snap.endOffset);
    }
    const replayed = await this.replay(table, from, (seg, abort) => {
      if (rebuilding.has(seg)) log.addAbortedTxn(seg, abort);
    });
    // no await between the end of the replay and here: nothing is published that neither saw
    // producer batches replayed past the snapshot: the next snapshot saves the replay
    const state: LoadedState = { live: table, published: table.clone(), writes: Promise.resolve(), changed: replayed.producerBatches > 0 };
    this.state = state;
    this.mode = 'loaded';
    this.bytesSinceSnapshot += replayed.bytes;
    for (const seg of rebuilding) seg.txnIndex.trusted = true;
    const now = Date.now();
    state.live.expire(now, this.config.expirationMs);
    state.published.expire(now, this.config.expirationMs);
    const stats: ProducerStateLoadStats = { snapshotOffset: snap ? snap.endOffset : null, replayedFrom: from, replayedTo: replayed.end, replayedBytes: replayed.bytes, rebuiltTxnIndexes: rebuilding.size };
    this.stats = stats;
    log.logger.info({ topic: log.topic, partition: log.partition, producers: table.size, ...stats }, 'producer state loaded');
    for (const seg of rebuilding) {
      if (seg.deleted) continue;
      try {
        await log.persistTxnIndex(seg);
      } catch (err) {
        // the index is right in memory; without its file the next start rebuilds it again
        log.logger.warn({ topic: log.topic, partition: log.partition, segment: seg.name, err: String(err) }, 'writing rebuilt transaction index failed');
      }
    }
    return table;
  }

  /**
   * The newest readable snapshot at or below `limit`. Snapshots past the log
   * found at load, unless written this run, describe batches recovery cut
   * away: they are removed.
   */
  private async newestSnapshot(limit: number): Promise<SnapshotFile | null> {
    const offsets: number[] = [];
    for (const o of await listSnapshots(this.log.dir)) {
      if (o <= this.extentAtOpen.logEndOffset || this.writtenThisRun?.has(o) === true) offsets.push(o);
      else await removeSnapshot(this.log.dir, o);
    }
    for (let i = offsets.length - 1; i >= 0; i--) {
      if (offsets[i]! > limit) continue;
      const snap = await readSnapshot(this.log.dir, offsets[i]!);
      if (snap) return snap;
    }
    return null;
  }

  /** Applies every batch from `from` to the current log end to the table; abort markers go to `onAbort` with their segment. */
  private async replay(table: ProducerStateTable, from: number, onAbort: (seg: Segment, t: AbortedTxn) => void): Promise<{ end: number; bytes: number; producerBatches: number }> {
    const log = this.log;
    let offset = from;
    let bytes = 0;
    let producerBatches = 0;
    while (offset < log.logEndOffset) {
      const res = await log.read(offset, SCAN_BYTES, { minOneBatch: true });
      if (res.bytes === 0) break;
      bytes += res.bytes;
      for (const chunk of res.chunks) {
        let p = 0;
        while (p + BATCH.HEADER_SIZE <= chunk.length) {
          const size = BATCH.LOG_OVERHEAD + chunk.readInt32BE(p + BATCH.BATCH_LENGTH);
          if (chunk.readBigInt64BE(p + BATCH.PRODUCER_ID) >= 0n) producerBatches++;
          const abort = applyBatch(table, chunk, p);
          if (abort) onAbort(log.segmentFor(abort.lastOffset), abort);
          offset = Number(chunk.readBigInt64BE(p + BATCH.BASE_OFFSET)) + chunk.readInt32BE(p + BATCH.LAST_OFFSET_DELTA) + 1;
          p += size;
        }
      }
    }
    return { end: offset, bytes, producerBatches };
  }

  private forget(): void {
    this.state = null;
    this.loading = null;
    if (this.mode === 'loaded') this.mode = 'untracked';
  }

  // ---------------------------------------------------------------- snapshots

  private queueSnapshot(state: LoadedState, data: Buffer, endOffset: number): Promise<void> {
    state.changed = false;
    this.snapshotting++;
    const write = async (): Promise<void> => {
      (this.writtenThisRun ??= new Set()).add(endOffset);
      try {
        await writeSnapshotFile(this.log.dir, endOffset, data);
      } finally {
        this.snapshotting--;
      }
    };
    const p = state.writes.then(write, write);
    state.writes = p.catch((err: unknown) => {
      this.log.logger.warn({ topic: this.log.topic, partition: this.log.partition, endOffset, err: String(err) }, 'producer state snapshot failed');
    });
    return p;
  }

  private async dropSnapshotsAbove(offset: number): Promise<void> {
    for (const o of await listSnapshots(this.log.dir)) {
      if (o > offset) {
        await removeSnapshot(this.log.dir, o);
        this.writtenThisRun?.delete(o);
      }
    }
  }

  private carriedState(): Promise<SnapshotFile | null> {
    this.carried ??= this.carriedForward().then((snap) => {
      // unknown without reading the log: no snapshot is owed until a load, else changedSinceSnapshot would stay
      // true past snapshotAfterBytes and keep the idle-log unloader refusing the log until its next roll
      if (!snap && this.mode === 'carry') this.mode = 'untracked';
      return snap;
    });
    return this.carried;
  }

  /**
   * The state of a log whose table was never loaded this run, when it is known
   * without reading the log: every append carrying a producer id loads the
   * table first, so an unloaded log got only producer-free batches this run.
   * Its state is then whatever it was at load: empty (an empty log) or the
   * snapshot that covered it exactly. After a crash the old snapshot covers
   * less than the log, and nothing is carried (the next use replays from it).
   */
  private async carriedForward(): Promise<SnapshotFile | null> {
    if (this.invalidated) return null;
    const snap = await readSnapshot(this.log.dir, this.extentAtOpen.logEndOffset);
    if (snap) return snap;
    if (this.extentAtOpen.logEndOffset === this.extentAtOpen.logStartOffset) return emptySnapshot();
    return null;
  }
}
