import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StorageLogger } from './logger';
import { LOG_SUMMARY_FILE, serializeLogSummaries } from './logSummary';
import type { PartitionLog } from './partitionLog';
import { withUnopened, type UnopenedLogs } from './unopenedLogs';

/**
 * `<dataDir>/log-dirty`: the logs changed since `log-summary` was last
 * written (one `topic<TAB>partition` line each). `log-summary` is written at
 * clean shutdown and, while running, as a periodic checkpoint of every log
 * that has settled (Kafka's recovery-point checkpoint plays this part). Before
 * the first change to a log after a checkpoint its line is appended here, so
 * after kill -9 the next start trusts the summary for every log not named
 * and recovers only the named ones: recovery grows with what was written
 * since the last checkpoint, not with the partition count.
 *
 * Lines are written synchronously (one write(2) per log per checkpoint
 * period) before the change reaches the log's files, so they are in the page
 * cache whenever the change is; they are not fsynced: after a power loss a
 * log whose line was lost opens as closed cleanly, and that open still checks
 * the active segment's indexes and tail by CRC, so nothing torn is served.
 */
export const DIRTY_JOURNAL_FILE = 'log-dirty';

export class DirtyJournal {
  private fd = -1;
  /** A mark could not be written: until the next checkpoint the summary must not be trusted after a crash. */
  private failed = false;

  constructor(
    private readonly dataDir: string,
    /** Called when a mark cannot be written (the manager drops the summary so a crash recovers everything). */
    private readonly onFailure: (err: unknown) => void,
  ) {}

  /** The (topic, partition) pairs named by the journal the last run left; malformed lines are skipped. */
  static async read(dataDir: string, each: (topic: string, partition: number) => void): Promise<void> {
    let text: string;
    try {
      text = await fs.promises.readFile(path.join(dataDir, DIRTY_JOURNAL_FILE), 'utf8');
    } catch {
      return;
    }
    let pos = 0;
    while (pos < text.length) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = text.length;
      const tab = text.lastIndexOf('\t', end);
      if (tab > pos) {
        const partition = Number(text.slice(tab + 1, end));
        if (Number.isSafeInteger(partition) && partition >= 0) each(text.slice(pos, tab), partition);
      }
      pos = end + 1;
    }
  }

  /** Names one log as changed; synchronous so it precedes the change it announces. */
  mark(topic: string, partition: number): void {
    if (this.failed) return;
    try {
      if (this.fd < 0) this.fd = fs.openSync(path.join(this.dataDir, DIRTY_JOURNAL_FILE), 'a');
      fs.writeSync(this.fd, `${topic}\t${partition}\n`);
    } catch (err) {
      this.failed = true;
      this.onFailure(err);
    }
  }

  /** Starts a new journal naming only `logs` (after a checkpoint); synchronous, so no mark falls between. */
  reset(logs: Iterable<{ topic: string; partition: number }>): void {
    this.close();
    let text = '';
    for (const l of logs) text += `${l.topic}\t${l.partition}\n`;
    writeFileAtomicSync(this.dataDir, DIRTY_JOURNAL_FILE, Buffer.from(text), false);
    this.failed = false;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * Write to a temporary file and rename over `name`, all synchronous: the
 * checkpoint and the journal reset happen with no append in between, so no
 * mark can be lost between the two. `durable`: the file is fdatasynced first.
 */
export function writeFileAtomicSync(dir: string, name: string, data: Buffer, durable: boolean): void {
  const tmp = path.join(dir, `${name}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data);
    if (durable) fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(dir, name));
}

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

  constructor(
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
  async write(logs: ReadonlyMap<string, PartitionLog>, unopened: UnopenedLogs, quietOnly = false): Promise<number> {
    const startedAt = Date.now();
    const seen = new Map<PartitionLog, number>();
    for (const log of [...this.dirty]) {
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
          this.logger.warn({ topic: log.topic, partition: log.partition, err: String(err) }, 'saving a log for the checkpoint failed; it stays dirty');
        }
      }
    }
    // synchronous from here: no change can fall between the state checked, the summary and the new journal
    const cleared: PartitionLog[] = [];
    for (const [log, changes] of seen) {
      const stillSaved = !log.isClosed && log.changeCount === changes && (log.isOpen ? log.settled : !log.recovering);
      if (!stillSaved) continue;
      this.forget(log);
      log.markDirty(false);
      cleared.push(log);
    }
    try {
      writeFileAtomicSync(this.dataDir, LOG_SUMMARY_FILE, serializeLogSummaries(withUnopened(cleanLogs(logs.values()), unopened)), true);
      this.journal.reset(this.dirty);
    } catch (err) {
      this.logger.error({ dataDir: this.dataDir, err: String(err) }, 'writing the log checkpoint failed');
      // the old journal still names them; keep them out of the next checkpoint until it is written
      for (const log of cleared) this.markRecovering(log);
      return this.dirty.size;
    }
    // a pass that saved logs is real work (an fdatasync each): operators see when and how long; idle passes say nothing
    if (cleared.length > 0) this.logger.info({ saved: cleared.length, stillDirty: this.dirty.size, ms: Date.now() - startedAt }, 'log checkpoint written');
    return this.dirty.size;
  }
}

function* cleanLogs(logs: Iterable<PartitionLog>): Iterable<PartitionLog> {
  for (const log of logs) if (!log.dirty) yield log;
}

/** Open logs unused for `idleMs` go back to unopened (PartitionLog.unload), one at a time; returns how many. */
export async function unloadIdleLogs(openLogs: Set<PartitionLog>, now: number, idleMs: number, logger: StorageLogger): Promise<number> {
  let n = 0;
  for (const log of [...openLogs]) {
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
      logger.warn({ topic: log.topic, partition: log.partition, err: String(err) }, 'unloading an idle log failed; it stays open');
    }
  }
  return n;
}
