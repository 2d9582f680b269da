import * as fs from 'node:fs';
import * as path from 'node:path';
import { DirtyJournal } from './dirtyJournal';
import { LogFailures } from './logFailures';
import { EventLoopTurns } from './eventLoopTurns';
import { writeFileAtomic, type StorageFs } from './fs';
import type { StorageLogger } from './logger';
import { LOG_SUMMARY_FILE, serializeLogSummariesInTurns } from './logSummary';
import type { PartitionLog } from './partitionLog';
import type { UnopenedLogs } from './unopenedLogs';

export { DIRTY_JOURNAL_FILE, DirtyJournal } from './dirtyJournal';

/** How many periodic passes in a row may leave out a log that keeps changing (3: saved at least every 2 minutes at 30 s). */
export const QUIET_PASSES_MAX = 3;

/**
 * The logs changed since the last checkpoint and the journal naming them.
 * write() makes `log-summary` a checkpoint of every other log: the changed
 * ones that have settled get their files saved (data fdatasynced, active
 * indexes written) and count as clean again; the rest stay out of the
 * summary and in a new journal. After kill -9 the next start recovers only
 * what the journal names.
 *
 * The periodic pass saves only logs that did not change during the whole
 * interval before it (`quietOnly`): saving fdatasyncs the data, and a log
 * still being written would pay that again every pass for nothing, while one
 * written a pass ago by then mostly has its pages written back by the kernel
 * (vm.dirty_expire_centisecs, 30 s), so its fdatasync is short instead of
 * flushing a whole burst at once (a 300 MB burst's fdatasync doubled the
 * p99 of the produces that were running meanwhile: bench/README.md). A log
 * that changes before every pass is still saved every QUIET_PASSES_MAX + 1
 * passes, so one written a little at a time does not stay in the journal for
 * good (after kill -9 a journaled log's active segment is scanned again).
 */
export class LogCheckpoints {
  readonly dirty = new Set<PartitionLog>();
  /** Each dirty log's change count when a quiet-only pass last saw it, and how many passes in a row left it out. */
  private readonly seenAtLastPass = new Map<PartitionLog, { changes: number; skipped: number }>();
  readonly journal: DirtyJournal;
  /** The pass in flight: passes run one after another (each rotates the journal and writes the summary). */
  private writing: Promise<void> | null = null;

  constructor(
    private readonly sfs: StorageFs,
    private readonly dataDir: string,
    private readonly logger: StorageLogger,
  ) {
    this.journal = new DirtyJournal(dataDir, (err) => {
      // a change no journal line announces: the summary must not be trusted after a crash
      logger.error({ dataDir, err: String(err) }, 'writing the dirty-log journal failed; the next start after a crash recovers every log');
      try {
        fs.unlinkSync(path.join(dataDir, LOG_SUMMARY_FILE));
      } catch {
        // already gone
      }
    });
  }

  /** A log with no trusted summary entry (recovering, or created this run): left out of checkpoints until saved. */
  markRecovering(log: PartitionLog): void {
    this.dirty.add(log);
    log.markDirty(true);
  }

  forget(log: PartitionLog): void {
    this.dirty.delete(log);
    this.seenAtLastPass.delete(log);
  }

  /** True (and counted) when `log` changed since the previous quiet-only pass and has not been left out too often. */
  private changedSinceLastPass(log: PartitionLog): boolean {
    const seen = this.seenAtLastPass.get(log);
    if (seen && seen.changes === log.changeCount) return false;
    const skipped = seen ? seen.skipped + 1 : 1;
    // saved now even though it changed; if it changes during the save too, the count starts over
    this.seenAtLastPass.set(log, { changes: log.changeCount, skipped: skipped > QUIET_PASSES_MAX ? 0 : skipped });
    return skipped <= QUIET_PASSES_MAX;
  }

  /** `quietOnly`: leave out logs that changed since the previous quiet-only pass (see the class comment). */
  write(logs: ReadonlyMap<string, PartitionLog>, unopened: UnopenedLogs, quietOnly = false): Promise<number> {
    // started at once when none is in flight: what it finds settled is what the caller saw
    const prev = this.writing;
    const pass = prev ? prev.then(() => this.pass(logs, unopened, quietOnly)) : this.pass(logs, unopened, quietOnly);
    const done: Promise<void> = pass.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      if (this.writing === done) this.writing = null;
    });
    this.writing = done;
    return pass;
  }

  /** Resolves once no pass is in flight (the shutdown's summary must be the last one written). */
  async settled(): Promise<void> {
    await this.writing;
  }

  private async pass(logs: ReadonlyMap<string, PartitionLog>, unopened: UnopenedLogs, quietOnly: boolean): Promise<number> {
    const startedAt = Date.now();
    const seen = new Map<PartitionLog, number>();
    const visiting = new EventLoopTurns();
    const failures = new LogFailures(this.logger, 'warn', 'saving a log for the checkpoint failed; it stays dirty');
    for (const log of [...this.dirty]) {
      const turn = visiting.next();
      if (turn) await turn;
      if (log.isClosed) {
        this.forget(log);
        continue;
      }
      if (!log.isOpen && !log.recovering) {
        // unloaded since it changed: its files were saved then
        seen.set(log, log.changeCount);
      } else if (quietOnly && this.changedSinceLastPass(log)) {
        // left out this time (the next pass saves it if it stays quiet)
      } else if (log.settled) {
        try {
          seen.set(log, await log.saveForCheckpoint());
        } catch (err) {
          failures.add(log, err);
        }
      }
    }
    failures.done();
    // each log is checked and cleared in one turn; a change after that makes it dirty again, and the rotation below
    // names every dirty log in the new journal, so the loop may give the event loop turns (72,000 logs took 150 ms)
    const cleared: PartitionLog[] = [];
    const turns = new EventLoopTurns();
    for (const [log, changes] of seen) {
      const turn = turns.next();
      if (turn) await turn;
      const stillSaved = !log.isClosed && log.changeCount === changes && (log.isOpen ? log.settled : !log.recovering);
      if (!stillSaved) continue;
      this.forget(log);
      log.markDirty(false);
      cleared.push(log);
    }
    try {
      // synchronous: no change falls between the dirty set read and the new journal
      const rotation = this.journal.rotate(this.dirty);
      // every change from here on is named in the new journal: the summary is built and written in turns
      const summary = await serializeLogSummariesInTurns(unopenedThenClean(logs, unopened));
      await writeFileAtomic(this.sfs, this.dataDir, LOG_SUMMARY_FILE, summary, true);
      this.journal.dropRotated(rotation);
    } catch (err) {
      this.logger.error({ dataDir: this.dataDir, err: String(err) }, 'writing the log checkpoint failed');
      // the rotated journal still names them; keep them out of the next checkpoint until it is written
      for (const log of cleared) this.markRecovering(log);
      return this.dirty.size;
    }
    // a pass that saved logs is real work (an fdatasync each): operators see when and how long; idle passes say nothing
    if (cleared.length > 0) this.logger.info({ saved: cleared.length, stillDirty: this.dirty.size, ms: Date.now() - startedAt }, 'log checkpoint written');
    return this.dirty.size;
  }
}

/**
 * The entries still unopened, then the clean logs, read as the summary is built: a log taken from the unopened
 * ones meanwhile is met among the logs (Map iteration reaches entries added during it), never missed; one met
 * twice has the same summary both times.
 */
function* unopenedThenClean(logs: ReadonlyMap<string, PartitionLog>, unopened: UnopenedLogs): Generator<{ topic: string; partition: number; describe(): ReturnType<PartitionLog['describe']> }> {
  for (const e of unopened.entries()) yield { topic: e.topic, partition: e.partition, describe: () => e.summary };
  for (const log of logs.values()) if (!log.dirty) yield log;
}


/** Open logs unused for `idleMs` go back to unopened (PartitionLog.unload), one at a time; returns how many. */
export async function unloadIdleLogs(openLogs: Set<PartitionLog>, now: number, idleMs: number, logger: StorageLogger): Promise<number> {
  let n = 0;
  const turns = new EventLoopTurns();
  const failures = new LogFailures(logger, 'warn', 'unloading an idle log failed; it stays open');
  for (const log of [...openLogs]) {
    const turn = turns.next();
    if (turn) await turn;
    if (log.isClosed) {
      openLogs.delete(log);
      continue;
    }
    if (now - log.lastUsedAt < idleMs) continue;
    try {
      if (await log.unload()) {
        openLogs.delete(log);
        n++;
      }
    } catch (err) {
      failures.add(log, err);
    }
  }
  failures.done();
  return n;
}
