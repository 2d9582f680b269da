import { writeFileAtomic, type StorageFs } from './fs';

export const LEADER_EPOCH_FILE = 'leader-epoch-checkpoint';

export interface EpochEntry {
  epoch: number;
  /** First offset written in this epoch. */
  startOffset: number;
}

/** Kafka's "no such epoch" answer: both fields -1. */
export const UNDEFINED_EPOCH_END = { epoch: -1, endOffset: -1 } as const;

/**
 * Which leader epoch wrote which offsets (KIP-101): one (epoch, start offset)
 * entry per epoch that wrote anything, ascending in both. A follower that
 * comes back asks the leader where its last epoch ends and truncates there,
 * instead of trusting its high watermark, so divergent tails are dropped.
 * Persisted as text, one `epoch offset` line each, rewritten atomically on change.
 *
 * A new epoch's entry is written without fsync (as Kafka does since it moved
 * that flush off the request path): a partition taking leadership, or a
 * follower seeing a new epoch, costs a rename instead of two fsyncs, which
 * at 10,000 partitions was the time a restarted broker took to lead them all.
 * The file is made durable with the log's data (`sync`, called by checkpoints
 * and close), and every batch carries its epoch, so recovery re-adds the
 * entries of the batches it scans (`load`'s `scanned`): what a power loss can
 * take from the file it can only take together with the data it describes.
 */
export class LeaderEpochCache {
  private entries: EpochEntry[];
  /** Written since the last durable write (or a write still in flight). */
  private unsynced = false;
  /** Writes run one after another, each writing the entries as they are when it runs, so the last one wins. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly sfs: StorageFs,
    private readonly dir: string,
    entries: EpochEntry[],
    /** Every change is fsynced before it returns (logs that fsync every append; asked each time, the config can change). */
    private readonly durableChanges: () => boolean,
  ) {
    this.entries = entries;
  }

  /**
   * `scanned`: (epoch, first offset) of the batches recovery read, ascending; epochs newer than the file's are
   * added. `logEndOffset`: entries starting at or after it describe nothing (a torn tail was cut) and are dropped.
   */
  static async load(
    sfs: StorageFs,
    dir: string,
    opts: { durableChanges?: () => boolean; fileExists?: boolean; scanned?: readonly EpochEntry[]; logEndOffset?: number } = {},
  ): Promise<LeaderEpochCache> {
    let entries: EpochEntry[] = [];
    if (opts.fileExists !== false) {
      try {
        entries = parse((await sfs.readFile(`${dir}/${LEADER_EPOCH_FILE}`)).toString('utf8'));
      } catch {
        entries = [];
      }
    }
    const cache = new LeaderEpochCache(sfs, dir, entries, opts.durableChanges ?? (() => false));
    if (opts.logEndOffset !== undefined) await cache.truncateFromEnd(opts.logEndOffset);
    for (const e of opts.scanned ?? []) if (opts.logEndOffset === undefined || e.startOffset < opts.logEndOffset) await cache.assign(e.epoch, e.startOffset);
    return cache;
  }

  all(): readonly EpochEntry[] {
    return this.entries;
  }

  latestEpoch(): number {
    return this.entries.length === 0 ? -1 : this.entries[this.entries.length - 1]!.epoch;
  }

  /**
   * Records that `epoch` starts writing at `startOffset`. An older or equal
   * epoch is ignored (batches of an epoch already known arrive all the time on a follower).
   */
  async assign(epoch: number, startOffset: number): Promise<void> {
    if (epoch < 0 || epoch <= this.latestEpoch()) return;
    // a later epoch may never start below an earlier one's start: those entries were truncated away
    this.entries = this.entries.filter((e) => e.startOffset < startOffset);
    this.entries.push({ epoch, startOffset });
    await this.persist(this.durableChanges());
  }

  /** Waits for the writes started so far (their fsyncs, if any, included). */
  settled(): Promise<void> {
    return this.writing;
  }

  /** Makes the file match the entries durably if a change was written without fsync. */
  async sync(): Promise<void> {
    if (!this.unsynced) return this.writing;
    await this.persist(true);
  }

  /**
   * Kafka's OffsetForLeaderEpoch answer for `requested`: the largest epoch
   * <= requested that this log knows, and the offset where it ended (the start
   * of the next epoch, or the log end for the latest one). An epoch older than
   * every one known here ends where the first known one starts: this log never
   * had it, so nothing the asker wrote in it can be kept past that point. (Left
   * undefined, a follower back from before an unclean election, or a wiped
   * leader, had no cut to make and fetched past this log's end forever.)
   */
  endOffsetFor(requested: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (this.entries.length === 0 || requested < 0) return UNDEFINED_EPOCH_END;
    if (requested < this.entries[0]!.epoch) return { epoch: requested, endOffset: this.entries[0]!.startOffset };
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.epoch > requested) continue;
      const next = this.entries[i + 1];
      return { epoch: e.epoch, endOffset: next ? next.startOffset : logEndOffset };
    }
    return UNDEFINED_EPOCH_END;
  }

  /** After the log was cut at `offset`: epochs that started at or after it no longer wrote anything here. */
  async truncateFromEnd(offset: number): Promise<void> {
    const kept = this.entries.filter((e) => e.startOffset < offset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    await this.persist(true);
  }

  /** After the log start moved to `offset`: the epoch holding it now starts there. */
  async truncateFromStart(offset: number): Promise<void> {
    let i = 0;
    while (i + 1 < this.entries.length && this.entries[i + 1]!.startOffset <= offset) i++;
    const kept = this.entries.slice(i);
    if (kept.length > 0 && kept[0]!.startOffset < offset) kept[0] = { epoch: kept[0]!.epoch, startOffset: offset };
    if (kept.length === this.entries.length && kept[0]?.startOffset === this.entries[0]?.startOffset) return;
    this.entries = kept;
    await this.persist(true);
  }

  private persist(durable: boolean): Promise<void> {
    if (!durable) this.unsynced = true;
    const write = async (): Promise<void> => {
      // cleared before the write: a non-durable change made while it runs sets it again
      if (durable) this.unsynced = false;
      const text = this.entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join('');
      try {
        await writeFileAtomic(this.sfs, this.dir, LEADER_EPOCH_FILE, Buffer.from(text), durable);
      } catch (err) {
        this.unsynced = true;
        throw err;
      }
    };
    const run = this.writing.then(write, write);
    this.writing = run.catch(() => undefined);
    return run;
  }
}

function parse(text: string): EpochEntry[] {
  const out: EpochEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\d+)$/.exec(line.trim());
    if (!m) continue;
    const e = { epoch: Number(m[1]), startOffset: Number(m[2]) };
    const last = out[out.length - 1];
    if (last && (e.epoch <= last.epoch || e.startOffset < last.startOffset)) continue;
    out.push(e);
  }
  return out;
}
