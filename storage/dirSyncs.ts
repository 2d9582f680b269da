import { fsyncDir, type StorageFs } from './fs';

interface DirState {
  /** Mark of the newest entry made in the directory. */
  created: number;
  /** Every entry with a mark up to this one is durable. */
  synced: number;
  inFlight: Promise<void> | null;
  /** The mark the sync in flight covers (the newest entry when it began). */
  covers: number;
}

/**
 * fsyncs of a directory many new logs share: their data dir. Each new partition directory is an entry there that
 * must be durable before any of the log's data is, and each new log fsynced the data dir itself: a checkpoint
 * saving 100,000 new logs fsynced it 100,000 times, where one fsync covers every entry made before it began. A log
 * notes the entry it made (`created`, a mark) and waits for a sync that began after it (`sync`); callers share one.
 */
export class DirSyncs {
  private readonly dirs = new Map<string, DirState>();
  /** One counter for every directory: a mark is never reused, even after a directory's state was dropped. */
  private marks = 0;

  constructor(private readonly sfs: StorageFs) {}

  /** An entry was just made in `dir`; returns the mark `sync` waits for. */
  created(dir: string): number {
    const mark = ++this.marks;
    const s = this.dirs.get(dir);
    if (s) s.created = mark;
    else this.dirs.set(dir, { created: mark, synced: 0, inFlight: null, covers: 0 });
    return mark;
  }

  /** Resolves once `dir` was fsynced after the entry of `mark` was made (rejects when that fsync failed). */
  async sync(dir: string, mark: number): Promise<void> {
    for (;;) {
      const s = this.dirs.get(dir);
      if (!s || s.synced >= mark) return;
      if (s.inFlight === null) s.inFlight = this.run(dir, s);
      const inFlight = s.inFlight;
      // a sync that began after the entry makes it durable; one that began before does not: wait, then start one
      if (s.covers >= mark) return inFlight;
      await inFlight.catch(() => undefined);
    }
  }

  private async run(dir: string, s: DirState): Promise<void> {
    const covers = (s.covers = s.created);
    try {
      await fsyncDir(this.sfs, dir);
      s.synced = Math.max(s.synced, covers);
    } finally {
      s.inFlight = null;
      // nothing left to sync: no state kept per directory between bursts of new logs
      if (s.synced >= s.created && this.dirs.get(dir) === s) this.dirs.delete(dir);
    }
  }
}
