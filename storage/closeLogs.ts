import { forEachConcurrently } from './forEachConcurrently';
import { writeFileAtomic, type StorageFs } from './fs';
import type { HighWatermarkCheckpoint } from './highWatermarkCheckpoint';
import { LogFailures } from './logFailures';
import type { StorageLogger } from './logger';
import { LOG_SUMMARY_FILE, serializeLogSummaries } from './logSummary';
import type { PartitionLog } from './partitionLog';
import { withUnopened, type UnopenedLogs } from './unopenedLogs';

/** Logs closed at once at shutdown. */
const CLOSE_CONCURRENCY = 16;
/** Up to this many open logs fsync their own files at shutdown; more share one file-system sync. */
const SYNC_EACH_MAX_LOGS = 64;
/** Written last at a clean shutdown: the next start trusts `log-summary` and opens no file to know the logs. */
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';

/** What a log manager hands over to shut its logs down. */
export interface LogsToShutDown {
  sfs: StorageFs;
  dataDir: string;
  logger: StorageLogger;
  logs: PartitionLog[];
  openLogs: number;
  unopened: UnopenedLogs;
  highWatermarks: HighWatermarkCheckpoint;
  /** Starts the dirty journal over (the summary covers every log once written). */
  resetJournal: () => void;
}

/**
 * Closes every log, saves the high watermarks, makes it all durable and, when every log closed, writes the summary
 * and the clean-shutdown marker. Several logs close at once; with many open, none fsyncs its files and one
 * file-system sync makes all of them durable (it also flushes whatever else is dirty on that file system, so few
 * logs fsync their own).
 */
export async function shutDownLogs(m: LogsToShutDown): Promise<void> {
  const syncOnce = m.openLogs > SYNC_EACH_MAX_LOGS;
  const { closed, allClean } = await closeLogs(m.logs, syncOnce, m.logger);
  try {
    // whatever else failed, the replicated logs' high watermarks are kept (made durable by the sync below, or here)
    await m.highWatermarks.save(m.logs, { durable: !syncOnce || !allClean });
  } catch (err) {
    m.logger.error({ dataDir: m.dataDir, err: String(err) }, 'saving the high watermark checkpoint at shutdown failed');
  }
  if (!allClean) return;
  try {
    if (syncOnce) await m.sfs.syncFileSystem(m.dataDir);
  } catch (err) {
    // without the sync nothing says the files are durable: the next start recovers
    m.logger.error({ dataDir: m.dataDir, err: String(err) }, 'syncing the data dir at shutdown failed; the next start recovers every log');
    return;
  }
  // logs still recovering get no entry: the next start recovers them again
  await writeFileAtomic(m.sfs, m.dataDir, LOG_SUMMARY_FILE, serializeLogSummaries(withUnopened(closed, m.unopened)));
  await writeFileAtomic(m.sfs, m.dataDir, CLEAN_SHUTDOWN_FILE, Buffer.from('clean\n'));
  m.resetJournal();
}

/**
 * Closes every log, several at once (`syncLater`: none fsyncs its own files, the caller syncs the file system
 * once). Returns the logs that closed and whether all did; a failure is logged and leaves the others closing.
 */
export async function closeLogs(all: readonly PartitionLog[], syncLater: boolean, logger: StorageLogger): Promise<{ closed: PartitionLog[]; allClean: boolean }> {
  const closed: PartitionLog[] = [];
  let allClean = true;
  const failures = new LogFailures(logger, 'error', 'closing log failed');
  await forEachConcurrently(all, CLOSE_CONCURRENCY, async (log) => {
    try {
      await log.close(syncLater);
      closed.push(log);
    } catch (err) {
      allClean = false;
      failures.add(log, err);
    }
  });
  failures.done();
  return { closed, allClean };
}
