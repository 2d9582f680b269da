import { forEachConcurrently } from './forEachConcurrently';
import type { StorageLogger } from './logger';
import type { PartitionLog } from './partitionLog';

/** Logs closed at once at shutdown. */
const CLOSE_CONCURRENCY = 16;

/**
 * Closes every log, several at once (`syncLater`: none fsyncs its own files, the caller syncs the file system
 * once). Returns the logs that closed and whether all did; a failure is logged and leaves the others closing.
 */
export async function closeLogs(all: readonly PartitionLog[], syncLater: boolean, logger: StorageLogger): Promise<{ closed: PartitionLog[]; allClean: boolean }> {
  const closed: PartitionLog[] = [];
  let allClean = true;
  await forEachConcurrently(all, CLOSE_CONCURRENCY, async (log) => {
    try {
      await log.close(syncLater);
      closed.push(log);
    } catch (err) {
      allClean = false;
      logger.error({ topic: log.topic, partition: log.partition, err: String(err) }, 'closing log failed');
    }
  });
  return { closed, allClean };
}
