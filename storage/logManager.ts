import { DEFAULT_LOG_CONFIG, mergeConfig, type LogConfig } from './config';
import { nodeFs, type StorageFs } from './fs';
import { HandlePool } from './handlePool';
import { silentLogger, type StorageLogger } from './logger';
import { PartitionLog, type PartitionLogContext } from './partitionLog';
import { forEachLogSummary, summaryMayNeedCleaning, type LogSummary } from './logSummary';
import { LogCheckpoints, unloadIdleLogs } from './logCheckpoint';
import { BackgroundLogs } from './backgroundLogs';
import { ConcurrencySlots } from './concurrencySlots';
import { DirSyncs } from './dirSyncs';
import { EventLoopTurns } from './eventLoopTurns';
import { listPartitionDirs, recoverLogs } from './logDirs';
import { shutDownLogs } from './closeLogs';
import { readStartState } from './startState';
import { UnopenedLogs, partitionFacts, type PartitionFacts } from './unopenedLogs';
import { LogTable, logKey } from './logTable';
import { HighWatermarkCheckpoint } from './highWatermarkCheckpoint';
import { PRODUCER_EXPIRATION_MS, type ProducerStateConfig } from './producerStateManager';
import type { LogManagerOptions } from './logManagerOptions';

export { CLEAN_SHUTDOWN_FILE } from './closeLogs';
/** Partitions recovered at once in the background after a crash. */
export const DEFAULT_RECOVERY_CONCURRENCY = 16;
/** New logs created at once (each holds a few descriptors while it is set up). */
const CREATE_CONCURRENCY = 64;
/** How often the scheduler looks at unopened logs' summaries for retention or compaction work (Kafka's log.retention.check.interval.ms). */
const UNOPENED_CLEANING_CHECK_MS = 5 * 60 * 1000;
/** How often settled logs are checkpointed into `log-summary` (Kafka's log.flush.offset.checkpoint.interval.ms is 60 s). */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 30_000;
/** A log unused this long goes back to the unopened state (segments, indexes and producer state leave memory). */
export const DEFAULT_IDLE_LOG_MS = 5 * 60 * 1000;
/** Open logs are looked at for idleness at most this far apart. */
const IDLE_CHECK_MAX_MS = 10_000;
/** Segment descriptors (active ones included) open at most over all partitions: room for ~10,000 connections under a 20,000 fd limit. */
export const DEFAULT_MAX_OPEN_SEGMENT_HANDLES = 8192;

export type { LogManagerOptions } from './logManagerOptions';
export { parsePartitionDir } from './logDirs';
export type { PartitionFacts } from './unopenedLogs';

/**
 * Owns every partition log under one data directory: startup recovery, the
 * background scheduler (retention, compaction, time-based flush, idle handle
 * closing) and the clean-shutdown marker that lets the next start skip
 * scanning active segments.
 */
export class LogManager {
  readonly dataDir: string;
  private readonly logger: StorageLogger;
  private readonly sfs: StorageFs;
  private defaults: LogConfig;
  private readonly pool: HandlePool;
  /** Logs asked for, created or recovering since start; those only known from the summary are in `unopened`. */
  private readonly logs = new LogTable();
  private readonly unopened = new UnopenedLogs();
  private readonly ctx: PartitionLogContext;
  /** The logs whose segments are open: the scheduler's work (flush, retention, compaction) is only theirs. */
  private readonly openLogs = new Set<PartitionLog>();
  /** The open logs with background work, the only ones the scheduler's pass visits. */
  private readonly background = new BackgroundLogs();
  private lastUnopenedCheck = 0;
  private recovery: Promise<void> = Promise.resolve();
  private closing = false;
  /** Creating a log holds several descriptors: 100,000 created at once must not run out of them, so creations queue. */
  private readonly createSlots = new ConcurrencySlots(CREATE_CONCURRENCY);
  private readonly recoveryConcurrency: number;
  private readonly creating = new Map<string, Promise<PartitionLog>>();
  private timer: NodeJS.Timeout | null = null;
  private maintenance: Promise<void> | null = null;
  private passes = 0;
  private readonly schedulerIntervalMs: number;
  /** Shared by every log this manager opens; changed in place by setProducerExpirationMs. */
  private readonly producerState: ProducerStateConfig;
  /** The dirty logs and the journal naming them (./logCheckpoint.ts). */
  private readonly checkpoints: LogCheckpoints;
  private readonly checkpointIntervalMs: number;
  private readonly idleLogMs: number;
  private readonly topicConfig: (topic: string) => Partial<LogConfig> | null;
  private lastCheckpoint = Date.now();
  private lastIdleCheck = Date.now();
  private listing: Promise<void> = Promise.resolve();
  /**
   * Partitions deleted while the start-up listing runs: a directory it listed before the deletion is not a log to
   * recover (it was a phantom whose open failed, and a new log of that name found it instead of being created).
   */
  private deletedWhileListing: Set<string> | null = null;
  /** Loaded at most once per (topic, merged defaults): logs of one topic share one config object. */
  private readonly topicConfigs = new Map<string, LogConfig>();
  /** Replicated logs' high watermarks, one file for the data dir. */
  private readonly highWatermarks: HighWatermarkCheckpoint;

  constructor(opts: LogManagerOptions) {
    this.dataDir = opts.dataDir;
    this.logger = opts.logger ?? silentLogger;
    this.sfs = opts.fs ?? nodeFs;
    this.defaults = mergeConfig(DEFAULT_LOG_CONFIG, opts.defaults);
    this.pool = new HandlePool(opts.maxOpenSegmentHandles ?? DEFAULT_MAX_OPEN_SEGMENT_HANDLES, opts.idleHandleMs ?? 60_000);
    this.schedulerIntervalMs = opts.schedulerIntervalMs ?? 1000;
    this.recoveryConcurrency = opts.recoveryConcurrency ?? DEFAULT_RECOVERY_CONCURRENCY;
    this.producerState = { expirationMs: opts.producerExpirationMs ?? PRODUCER_EXPIRATION_MS, snapshotAfterBytes: opts.producerSnapshotAfterBytes };
    this.checkpointIntervalMs = opts.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    this.idleLogMs = opts.idleLogMs ?? DEFAULT_IDLE_LOG_MS;
    this.topicConfig = opts.topicConfig ?? (() => null);
    this.checkpoints = new LogCheckpoints(this.sfs, this.dataDir, this.logger);
    this.highWatermarks = new HighWatermarkCheckpoint(this.sfs, this.dataDir, this.logger);
    this.ctx = this.context();
  }

  /** producer.id.expiration.ms for the producer state of every log, open now or later. */
  setProducerExpirationMs(ms: number): void {
    this.producerState.expirationMs = ms;
  }

  /** Drops producers idle past producer.id.expiration.ms from every loaded producer state; returns how many. */
  expireIdleProducers(now = Date.now()): number {
    let n = 0;
    for (const log of this.openLogs) n += log.producerState.expire(now);
    return n;
  }

  /**
   * After a crash, loads (one at a time, in the background) the producer state of every log whose transaction index
   * needs a rebuild and that has roll snapshots: indexes and snapshots are whole again before the logs roll on.
   */
  async rebuildProducerStateAfterCrash(): Promise<number> {
    let n = 0;
    for (const log of [...this.openLogs]) {
      if (log.isClosed) continue;
      try {
        if (await log.producerState.rebuildIfCrashed()) n++;
      } catch (err) {
        this.logger.warn({ topic: log.topic, partition: log.partition, err: String(err) }, 'producer state rebuild after a crash failed; retried on first use');
      }
    }
    return n;
  }

  get openSegmentHandles(): number {
    return this.pool.openCount;
  }

  /**
   * Knows every log from `log-summary` and returns without opening a partition file or listing the partition
   * directories, so start-up does not grow with the partition count. After a clean shutdown every summary entry is
   * trusted; after a crash (no clean-shutdown marker) the summary is the last checkpoint and the logs the dirty
   * journal names (./logCheckpoint.ts) are recovered instead. Directories the summary does not name are found by a
   * listing in the background (at once when there is no summary) and recovered, `recoveryConcurrency` at a time,
   * from their recovery point on; until then a log reports `recovering` (callers answer with a retriable error) and
   * its open() recovers it at once. `recovered()` waits for all.
   */
  async open(): Promise<void> {
    await this.sfs.mkdir(this.dataDir);
    const { clean, summaryText, changed } = await readStartState(this.sfs, this.dataDir);
    await this.highWatermarks.load();
    const ctx = this.ctx;
    const toRecover: PartitionLog[] = [];
    const topics = new Map<string, string>();
    const add = (t: string, partition: number, summary: LogSummary | null): PartitionLog | null => {
      // one string per topic, not one per partition
      let topic = topics.get(t);
      if (topic === undefined) topics.set(t, (topic = t));
      const k = logKey(topic, partition);
      if (this.logs.has(k) || this.creating.has(k) || this.unopened.has(topic, partition) || this.deletedWhileListing?.has(k)) return null;
      const log = PartitionLog.unopened(topic, partition, PartitionLog.pathFor(this.dataDir, topic, partition), this.configOf(topic), ctx, summary);
      this.logs.set(k, log);
      if (!summary) {
        toRecover.push(log);
        this.checkpoints.markRecovering(log);
      }
      return log;
    };
    // trusted entries stay flat (no object per partition) until first asked for
    const usable =
      summaryText !== null &&
      forEachLogSummary(summaryText, (topic, partition, summary) => {
        if (!changed.has(logKey(topic, partition))) this.unopened.set(topic, partition, summary);
      });
    for (const { topic, partition } of changed.values()) add(topic, partition, null);
    const fromSummary = this.unopened.size + this.logs.size;
    // without a summary the listing is all there is: before listening, so every log is known at once
    if (!usable) await this.listDirs(add, false);
    this.logger.info({ dataDir: this.dataDir, partitions: this.logs.size + this.unopened.size, cleanShutdown: clean, recovering: toRecover.length, fromSummary: usable }, 'log manager opened');
    this.listing = usable ? this.listDirs(add, fromSummary > 0) : Promise.resolve();
    this.recovery = this.listing.then(() => this.recoverInBackground(toRecover));
    if (this.schedulerIntervalMs > 0) {
      this.timer = setInterval(() => this.tick(), this.schedulerIntervalMs);
      this.timer.unref();
    }
  }

  private async listDirs(add: (topic: string, partition: number, summary: null) => PartitionLog | null, dropMissing: boolean): Promise<void> {
    this.deletedWhileListing = new Set();
    const forget = (log: PartitionLog): void => {
      this.checkpoints.forget(log);
      this.highWatermarks.forget(log.topic, log.partition);
    };
    try {
      await listPartitionDirs({ sfs: this.sfs, dataDir: this.dataDir, logger: this.logger }, add, dropMissing ? { logs: this.logs, unopened: this.unopened, forget } : null);
    } finally {
      this.deletedWhileListing = null;
    }
    // later logs get their topic's config from whoever changes it (the broker follows metadata)
    this.topicConfigs.clear();
  }

  /** Resolves once the partition directories were listed (in the background after a start from the summary). */
  listed(): Promise<void> {
    return this.listing;
  }

  /** The config of a log of `topic` found at start: broker defaults with the topic's overrides, one object per topic. */
  private configOf(topic: string): LogConfig {
    let c = this.topicConfigs.get(topic);
    if (!c) {
      const overrides = this.topicConfig(topic);
      c = overrides ? mergeConfig(this.defaults, overrides) : this.defaults;
      this.topicConfigs.set(topic, c);
    }
    return c;
  }

  /** Resolves when every log found at start without a summary was recovered (or failed to, logged). */
  recovered(): Promise<void> {
    return this.recovery;
  }

  private recoverInBackground(logs: PartitionLog[]): Promise<void> {
    // a log dropped by the listing (its directory is gone) is not recovered
    const still = logs.filter((l) => this.logs.lookup(l.topic, l.partition) === l);
    return recoverLogs(still, this.recoveryConcurrency, () => this.closing, this.logger);
  }

  /** Every log, each made an object now if it was only known from the summary: prefer loadedPartitions() where that will do. */
  partitions(): Array<{ topic: string; partition: number; log: PartitionLog }> {
    for (const { topic, partition } of [...this.unopened.entries()]) this.get(topic, partition);
    return this.loadedPartitions();
  }

  /** Topic and partition of every log, without making objects of those only known from the summary. */
  *partitionKeys(): Generator<{ topic: string; partition: number }> {
    for (const log of this.logs.values()) yield log;
    yield* this.unopened.keys();
  }

  /** The logs made objects so far (asked for, created, recovering): the others have only their summary and the defaults. */
  loadedPartitions(): Array<{ topic: string; partition: number; log: PartitionLog }> {
    return [...this.logs.values()].map((log) => ({ topic: log.topic, partition: log.partition, log }));
  }

  /** Offsets and size of every log, without making objects of those only known from the summary (metrics, admin). */
  partitionFacts(): Generator<PartitionFacts> {
    return partitionFacts(this.logs.values(), this.unopened);
  }

  /** The log when it is an object already (asked for, created, recovering); undefined for one only known from the summary. */
  loaded(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.lookup(topic, partition);
  }

  /** Whether a log exists for the partition, without making its object. */
  has(topic: string, partition: number): boolean {
    return this.logs.lookup(topic, partition) !== undefined || this.unopened.has(topic, partition);
  }

  /** A topic's configs changed: logs of it made from the summary from now on start from the new ones. */
  topicConfigChanged(topic: string): void {
    this.topicConfigs.delete(topic);
  }

  /** The logs whose segments are open (opened on use since start, created, or recovered). */
  openPartitions(): PartitionLog[] {
    return [...this.openLogs].filter((l) => !l.isClosed);
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    const log = this.logs.lookup(topic, partition);
    if (log || this.unopened.size === 0) return log;
    const known = this.unopened.take(topic, partition);
    if (!known) return undefined;
    const made = PartitionLog.unopened(known.topic, partition, PartitionLog.pathFor(this.dataDir, known.topic, partition), this.configOf(known.topic), this.ctx, known.summary);
    this.logs.set(logKey(topic, partition), made);
    return made;
  }

  /** Idempotent: an existing log gets `config` applied and is returned. */
  async create(topic: string, partition: number, config?: Partial<LogConfig>): Promise<PartitionLog> {
    const k = logKey(topic, partition);
    const existing = this.get(topic, partition);
    if (existing) {
      if (config) existing.updateConfig(config);
      await existing.open();
      return existing;
    }
    const inFlight = this.creating.get(k);
    if (inFlight) {
      const log = await inFlight;
      if (config) log.updateConfig(config);
      return log;
    }
    const dir = PartitionLog.pathFor(this.dataDir, topic, partition);
    this.checkpoints.journal.mark(topic, partition);
    const p = this.createSlots.run(() => PartitionLog.load(topic, partition, dir, mergeConfig(this.defaults, config), this.ctx, false));
    this.creating.set(k, p);
    try {
      const log = await p;
      this.logs.set(k, log);
      this.checkpoints.markRecovering(log);
      return log;
    } finally {
      this.creating.delete(k);
    }
  }

  async deleteTopic(topic: string): Promise<void> {
    for (const p of this.unopened.partitionsOf(topic)) this.get(topic, p);
    const doomed = [...this.logs.values()].filter((l) => l.topic === topic);
    // named in the journal first: after a crash the checkpoint's entries for them are not trusted
    for (const log of doomed) this.checkpoints.journal.mark(log.topic, log.partition);
    for (const log of doomed) this.logs.delete(logKey(log.topic, log.partition));
    for (const log of doomed) this.openLogs.delete(log);
    for (const log of doomed) this.background.delete(log);
    for (const log of doomed) this.forgetDeleted(log);
    for (const log of doomed) await log.destroy();
    this.logger.info({ topic, partitions: doomed.length }, 'deleted topic logs');
  }

  /** The config a log gets for whatever its topic does not override. */
  get defaultConfig(): Readonly<LogConfig> {
    return this.defaults;
  }

  /**
   * New broker-level defaults (dynamic broker configs): logs opened from now
   * on start from them; open logs get theirs from the caller, which knows each
   * topic's overrides.
   */
  setDefaults(defaults: Partial<LogConfig>): void {
    this.defaults = mergeConfig(DEFAULT_LOG_CONFIG, defaults);
    this.topicConfigs.clear();
  }

  /** Closes and deletes one partition's log (a replica moved off this broker); false when there was none. */
  async deletePartition(topic: string, partition: number): Promise<boolean> {
    const k = logKey(topic, partition);
    await this.creating.get(k)?.catch(() => undefined);
    const log = this.get(topic, partition);
    if (!log) return false;
    this.checkpoints.journal.mark(topic, partition);
    this.logs.delete(k);
    this.openLogs.delete(log);
    this.background.delete(log);
    this.forgetDeleted(log);
    await log.destroy();
    this.logger.info({ topic, partition }, 'deleted partition log');
    return true;
  }

  /** What the checkpoints and a listing in flight must no longer say of a deleted log. */
  private forgetDeleted(log: PartitionLog): void {
    this.checkpoints.forget(log);
    this.highWatermarks.forget(log.topic, log.partition);
    this.deletedWhileListing?.add(logKey(log.topic, log.partition));
  }

  /** Scheduler passes finished since start (each timer tick that found none in flight runs one). */
  get maintenancePasses(): number {
    return this.passes;
  }

  /** One pass of background work; the timer calls it, tests call it with a chosen clock. */
  runMaintenance(now = Date.now()): Promise<void> {
    // cleared from a reaction, never from inside the pass: a pass with nothing to await finishes before
    // `maintenance` is assigned, and a `finally` in it would clear the field first and leave it set for good
    this.maintenance ??= this.maintain(now).finally(() => {
      this.maintenance = null;
      this.passes++;
    });
    return this.maintenance;
  }

  private async maintain(now: number): Promise<void> {
    if (now - this.lastUnopenedCheck >= UNOPENED_CLEANING_CHECK_MS) {
      this.lastUnopenedCheck = now;
      // an unopened log is opened only when its summary says retention or compaction has work
      const turns = new EventLoopTurns();
      for (const { topic, partition, summary } of [...this.unopened.withClosedSegments()]) {
        if (summaryMayNeedCleaning(summary, this.configOf(topic), now)) this.get(topic, partition);
        await turns.next();
      }
      for (const log of [...this.logs.values()]) {
        if (!log.isOpen && !log.isClosed && log.mayNeedCleaning(now)) await this.guard(log, 'open', () => log.open());
        await turns.next();
      }
    }
    for (const log of this.background.due()) {
      await this.guard(log, 'flush', () => log.maybeTimedFlush(now));
      await this.guard(log, 'retention', () => log.runRetention(now));
      await this.guard(log, 'compaction', () => log.compact(now));
    }
    // 2,000 a pass at most: the ~10,000 handles a burst over 10,000 partitions left took ~40 ms to close at once
    this.pool.closeIdle(now, 2000);
    if (this.idleLogMs > 0 && now - this.lastIdleCheck >= Math.min(this.idleLogMs / 4, IDLE_CHECK_MAX_MS)) {
      this.lastIdleCheck = now;
      await this.unloadIdle(now);
    }
    if (this.checkpointIntervalMs > 0 && now - this.lastCheckpoint >= this.checkpointIntervalMs && this.checkpoints.dirty.size > 0) {
      this.lastCheckpoint = now;
      await this.checkpoints.write(this.logs, this.unopened, true);
    }
  }

  /** Open logs unused for `idleLogMs` go back to unopened (PartitionLog.unload); returns how many. */
  unloadIdle(now = Date.now()): Promise<number> {
    return unloadIdleLogs(this.openLogs, now, this.idleLogMs, this.logger);
  }

  /**
   * Writes `log-summary` as a checkpoint of every settled log (./logCheckpoint.ts); returns how many logs stay
   * dirty. The scheduler's periodic pass leaves out logs changed during the interval before it.
   */
  checkpoint(now = Date.now()): Promise<number> {
    this.lastCheckpoint = now;
    return this.checkpoints.write(this.logs, this.unopened);
  }

  /**
   * Saves the high watermark of every replicated log (those whose high watermark replication sets) in the data
   * dir's one checkpoint file, when one moved since the last save; resolves true when it wrote. Not fsynced: the
   * save at close is.
   */
  checkpointHighWatermarks(): Promise<boolean> {
    // close() saves them itself, from the logs it closes
    if (this.closing) return Promise.resolve(false);
    return this.highWatermarks.save(this.logs.values(), { durable: false });
  }

  /** High watermark checkpoint files written since start. */
  get highWatermarkSaves(): number {
    return this.highWatermarks.saves;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.maintenance;
    await this.checkpoints.settled();
    this.closing = true;
    await this.recovery;
    await shutDownLogs({
      sfs: this.sfs,
      dataDir: this.dataDir,
      logger: this.logger,
      logs: [...this.logs.values()],
      openLogs: this.openLogs.size,
      unopened: this.unopened,
      highWatermarks: this.highWatermarks,
      // the summary covers every log now; a start after a crash later reads a journal of that run's changes only
      resetJournal: () => this.checkpoints.journal.reset([]),
    });
    this.logs.clear();
    this.openLogs.clear();
    this.background.clear();
  }

  private tick(): void {
    this.runMaintenance().catch((err: unknown) => this.logger.error({ err: String(err) }, 'maintenance failed'));
  }

  private async guard(log: PartitionLog, what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.logger.error({ topic: log.topic, partition: log.partition, err: String(err) }, `${what} failed`);
    }
  }

  /** Made once: every log of this manager shares it. */
  private context(): PartitionLogContext {
    return {
      sfs: this.sfs,
      pool: this.pool,
      logger: this.logger,
      producerState: this.producerState,
      highWatermarks: this.highWatermarks,
      opened: (log) => {
        this.openLogs.add(log);
        this.background.note(log);
      },
      mayHaveBackgroundWork: (topic, partition) => this.background.note(this.logs.lookup(topic, partition)),
      dirSyncs: new DirSyncs(this.sfs),
      dirtied: (topic, partition) => {
        const log = this.logs.lookup(topic, partition);
        if (log) this.checkpoints.dirty.add(log);
        // a log being created is named too: after a crash its directory is known without a listing
        this.checkpoints.journal.mark(topic, partition);
      },
    };
  }
}
