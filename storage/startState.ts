import * as path from 'node:path';
import { CLEAN_SHUTDOWN_FILE } from './closeLogs';
import type { StorageFs } from './fs';
import { DirtyJournal } from './dirtyJournal';
import { logKey } from './logKey';
import { LOG_SUMMARY_FILE } from './logSummary';

/** What the previous run left for this start to know its logs by. */
export interface StartState {
  /** It wrote the clean-shutdown marker: every summary entry is trusted. */
  clean: boolean;
  /** `log-summary`, null when there is none (an older data dir, or never closed cleanly nor checkpointed). */
  summaryText: string | null;
  /** After a crash, the logs the dirty journal names (changed since the summary was written), by `logKey`. */
  changed: Map<string, { topic: string; partition: number }>;
}

/** Reads the marker, the summary and (after a crash) the journal, then removes the marker: from here on a crash is unclean. */
export async function readStartState(sfs: StorageFs, dataDir: string): Promise<StartState> {
  const markerPath = path.join(dataDir, CLEAN_SHUTDOWN_FILE);
  let clean = false;
  try {
    await sfs.readFile(markerPath);
    clean = true;
  } catch {
    clean = false;
  }
  let summaryText: string | null = null;
  try {
    summaryText = (await sfs.readFile(path.join(dataDir, LOG_SUMMARY_FILE))).toString('utf8');
  } catch {
    // no summary: every log is recovered
  }
  const changed = new Map<string, { topic: string; partition: number }>();
  // after a clean shutdown nothing changed since the summary was written; after a crash the journal says what did
  if (!clean) await DirtyJournal.read(dataDir, (topic, partition) => changed.set(logKey(topic, partition), { topic, partition }));
  if (clean) await sfs.unlink(markerPath);
  return { clean, summaryText, changed };
}
