import { isDeleteDir } from './deleteDir';
import { forEachConcurrently } from './forEachConcurrently';
import type { StorageFs } from './fs';
import type { StorageLogger } from './logger';
import { PartitionLog } from './partitionLog';
import type { UnopenedLogs } from './unopenedLogs';

/** Partition directory name `<topic>-<partition>`; topic names may contain '-', the partition never does. */
export function parsePartitionDir(name: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d+)$/.exec(name);
  if (!m) return null;
  return { topic: m[1]!, partition: Number(m[2]) };
}

/**
 * Lists the partition directories: removes those of deleted partitions,
 * adds a recovering log for each one not known yet and, with `drop`, forgets
 * logs known only from the summary whose directory is gone (deleted while
 * the summary was not rewritten, before a crash).
 */
export async function listPartitionDirs(
  m: { sfs: StorageFs; dataDir: string; logger: StorageLogger },
  add: (topic: string, partition: number, summary: null) => PartitionLog | null,
  drop: { logs: Map<string, PartitionLog>; unopened: UnopenedLogs; forget: (log: PartitionLog) => void } | null,
): Promise<void> {
  const t0 = Date.now();
  let names: string[];
  try {
    names = await m.sfs.listDirectories(m.dataDir);
  } catch (err) {
    m.logger.error({ dataDir: m.dataDir, err: String(err) }, 'listing partition directories failed');
    return;
  }
  const seen = new Set<string>();
  let found = 0;
  for (const name of names) {
    if (isDeleteDir(name)) {
      await m.sfs.rmrf(`${m.dataDir}/${name}`).catch(() => undefined);
      m.logger.info({ dir: `${m.dataDir}/${name}` }, 'finished deleting partition directory');
      continue;
    }
    const parsed = parsePartitionDir(name);
    if (!parsed) continue;
    seen.add(name);
    if (add(parsed.topic, parsed.partition, null)) found++;
  }
  let dropped = 0;
  if (drop) {
    for (const [k, log] of drop.logs) {
      if (!log.foundAtStart || log.isOpen || seen.has(PartitionLog.dirName(log.topic, log.partition))) continue;
      drop.logs.delete(k);
      drop.forget(log);
      dropped++;
    }
  }
  if (found > 0 || dropped > 0) m.logger.warn({ found, dropped }, 'partition directories not in the log summary recovered, summary entries without a directory dropped');
  m.logger.info({ directories: names.length, ms: Date.now() - t0 }, 'partition directories listed');
}

/**
 * Opens (recovers) `logs`, `concurrency` at a time, and rebuilds the
 * transaction indexes a crash left untrusted while fewer requests compete for
 * the disk; a failure is logged and the log is retried on first use.
 */
export async function recoverLogs(logs: PartitionLog[], concurrency: number, closing: () => boolean, logger: StorageLogger): Promise<void> {
  if (logs.length === 0) return;
  const t0 = Date.now();
  let failed = 0;
  await forEachConcurrently(
    logs,
    concurrency,
    async (log) => {
      if (log.isClosed) return;
      try {
        await log.open();
        // indexes rebuilt while fewer requests compete for the disk
        await log.producerState.rebuildIfCrashed();
      } catch (err) {
        failed++;
        logger.error({ topic: log.topic, partition: log.partition, err: String(err) }, 'recovering partition log failed; retried on first use');
      }
    },
    closing,
  );
  logger.info({ partitions: logs.length, failed, ms: Date.now() - t0 }, 'background log recovery finished');
}
