import type { PartitionLog } from '../../storage';

/**
 * Follower sessions with fewer partitions are not watched: the leader reads the whole session per request, which
 * costs little at this size. Watched sessions of 3 partitions showed a worse acks=all tail (p99 ~10 ms instead of
 * ~2-3 ms at 1,000-5,000 msgs/s, `npm run bench:cluster`, after a throughput run) for a reason not found yet;
 * from this size on, walking every partition per request costs more than that (bench/acksAllPartitions.ts).
 */
export const WATCH_MIN_PARTITIONS = 64;

/**
 * Every partition of a watched session is looked at at least once in this period, news or not (at most). At 1 s
 * the sweeps were most of what an idle cluster spent (6.7 µs per replica per second with 10,000 RF=3 partitions,
 * half of it at 5 s; bench/README.md); what only the sweep reports (a log start moved by retention or
 * DeleteRecords, a partition that failed) reaches the follower within it.
 */
export const SWEEP_MS = 5000;

/**
 * The sweep period for a broker whose followers leave the ISR after `lagMaxMs` without catching up: a quarter of
 * it, so an idle partition's follower is seen caught up several times within it, and never over SWEEP_MS.
 */
export function sweepPeriodFor(lagMaxMs: number): number {
  return Math.max(10, Math.min(SWEEP_MS, Math.floor(lagMaxMs / 4)));
}

interface Watched {
  log: PartitionLog;
  unsubscribe: () => void;
}

/**
 * Which partitions of a follower's fetch session may have news for it. An incremental follower fetch names only
 * the partitions whose offset moved, but the leader still owes it every other session partition that got data or
 * a new high watermark; walking all of them on every request made an acks=all write cost work in proportion to
 * every partition the leader leads. Instead each session partition's log marks its key here when it changes, and
 * a request reads only what it names, what was marked, and a slice of a sweep that visits every partition once per
 * period (what no notification reports: log start moves, errors, leadership that went elsewhere; and the follower
 * progress Kafka records for every session partition on every fetch, which keeps idle partitions' followers in
 * the ISR).
 */
export class SessionWatch {
  private readonly watched = new Map<string, Watched>();
  private dirty = new Set<string>();
  private readonly wakers = new Set<() => void>();
  /**
   * The sweep's pass: a copy of the session's keys, walked by index. Not a live iterator over the session: the
   * fetch handler moves partitions that got data to the back of the session, and with some always busy a live
   * iterator kept meeting them again and never came back to the idle ones.
   */
  private pass: string[] = [];
  private passAt = 0;
  private lastSweepAt: number;

  constructor(
    now: number,
    private readonly sweepMs = SWEEP_MS,
  ) {
    this.lastSweepAt = now;
  }

  /** From now on a change of `log` marks `key` (again, when the partition's log was replaced). */
  watch(key: string, log: PartitionLog): void {
    const w = this.watched.get(key);
    if (w?.log === log) return;
    w?.unsubscribe();
    this.watched.set(key, { log, unsubscribe: log.onAppend(() => this.mark(key)) });
  }

  unwatch(key: string): void {
    this.watched.get(key)?.unsubscribe();
    this.watched.delete(key);
    this.dirty.delete(key);
  }

  /** `key` changed: the next read of the session includes it, and a parked fetch of the session wakes. */
  mark(key: string): void {
    this.dirty.add(key);
    if (this.wakers.size === 0) return;
    const wake = [...this.wakers];
    this.wakers.clear();
    for (const w of wake) w();
  }

  /** `key` still owes the follower something (it is behind and got nothing): read it next time, waking no one. */
  keep(key: string): void {
    this.dirty.add(key);
  }

  get hasMarks(): boolean {
    return this.dirty.size > 0;
  }

  /** The marked keys, which are unmarked. */
  take(): Set<string> {
    const d = this.dirty;
    this.dirty = new Set();
    return d;
  }

  /** Calls `wake` at the next mark; returns its cancellation. */
  onMark(wake: () => void): () => void {
    this.wakers.add(wake);
    return () => this.wakers.delete(wake);
  }

  /**
   * The sweep's share of this request: as many of `keys` as the time since the last request is a share of
   * the sweep period, continuing where the last request left off, so every key comes up once per period and no request
   * walks them all.
   */
  sweepDue(keys: Map<string, unknown>, now: number): string[] {
    const n = keys.size;
    const elapsed = now - this.lastSweepAt;
    if (n === 0 || elapsed <= 0) return [];
    this.lastSweepAt = now;
    const budget = Math.min(n, Math.ceil((n * elapsed) / this.sweepMs));
    const out: string[] = [];
    let restarted = false;
    while (out.length < budget) {
      if (this.passAt >= this.pass.length) {
        // one new pass per call at most: a long pause visits each key once, not twice
        if (restarted) break;
        restarted = true;
        this.pass = [...keys.keys()];
        this.passAt = 0;
        continue;
      }
      out.push(this.pass[this.passAt++]!);
    }
    return out;
  }

  /** The session ended: no log keeps a listener for it. */
  close(): void {
    for (const w of this.watched.values()) w.unsubscribe();
    this.watched.clear();
    this.dirty.clear();
    this.wakers.clear();
    this.pass = [];
  }
}
