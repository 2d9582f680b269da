import type { PartitionLog } from '../../storage';
import type { FollowerPartitionAsk } from './followerSession';

/** A partition this broker follows from one leader. */
export interface Followed {
  topic: string;
  partition: number;
  log: PartitionLog;
  leaderEpoch: number;
  /** Set on becoming follower: the log may have diverged from the leader's and is checked first (KIP-101/279). */
  needsTruncation: boolean;
  backoffUntil: number;
  /** This partition's ask, refreshed in place each round (a round per acks=all write must not allocate per partition). */
  ask: FollowerPartitionAsk;
}

/** Every followed partition is looked at at least once in this period, whether or not anything marked it (5 s: see SWEEP_MS in src/fetch/sessionWatch.ts). */
export const FOLLOWER_SWEEP_MS = 5000;

/**
 * Which followed partitions a fetch round looks at. An incremental fetch names only partitions whose ask changed,
 * and nearly every change comes from the fetcher itself (an append, a truncation, an error, a back-off); looking
 * at every followed partition to find them made each acks=all round cost work in proportion to all partitions
 * followed from the leader (10,000 partitions: ~35 % of the brokers' CPU per write, bench/acksAllPartitions.ts).
 * So a round looks at what was marked, at the partitions whose back-off or truncation ended, and at a slice of a
 * sweep that visits every partition once per FOLLOWER_SWEEP_MS (what no mark reports: a log start moved by
 * retention here).
 */
export class FollowerRounds {
  private readonly marked = new Set<Followed>();
  /** Partitions backing off or waiting to be truncated: few, and checked every round. */
  readonly waiting = new Set<Followed>();
  /** The sweep's pass: a copy of the followed partitions walked by index (the map changes under it). */
  private pass: Followed[] = [];
  private passAt = 0;
  private credit = 0;
  private lastAt: number;
  private readonly out: Followed[] = [];

  constructor(
    now: number,
    private readonly sweepMs = FOLLOWER_SWEEP_MS,
  ) {
    this.lastAt = now;
  }

  /** `p`'s ask may have changed (or `p` is no longer followed): the next round looks at it. */
  mark(p: Followed): void {
    this.marked.add(p);
  }

  /** `p` backs off or waits for truncation: it leaves the session now and is checked each round until ready. */
  hold(p: Followed): void {
    this.marked.add(p);
    this.waiting.add(p);
  }

  /** The earliest end of a back-off, Infinity when nothing backs off. */
  earliestBackoff(): number {
    let next = Infinity;
    for (const p of this.waiting) next = Math.min(next, p.backoffUntil);
    return next;
  }

  /**
   * The partitions to look at this round (possibly twice, possibly no longer in `followed`). The array is reused:
   * it is valid until the next call.
   */
  take(now: number, followed: ReadonlyMap<string, Followed>): readonly Followed[] {
    const out = this.out;
    out.length = 0;
    for (const p of this.marked) out.push(p);
    this.marked.clear();
    for (const p of this.waiting) {
      if (followed.get(p.ask.key) !== p) this.waiting.delete(p);
      else if (!p.needsTruncation && p.backoffUntil <= now) {
        this.waiting.delete(p);
        out.push(p);
      }
    }
    this.credit = Math.min(followed.size, this.credit + (followed.size * Math.max(0, now - this.lastAt)) / this.sweepMs);
    this.lastAt = now;
    let n = Math.floor(this.credit);
    this.credit -= n;
    while (n-- > 0) {
      if (this.passAt >= this.pass.length) {
        this.pass = [...followed.values()];
        this.passAt = 0;
        if (this.pass.length === 0) break;
      }
      out.push(this.pass[this.passAt++]);
    }
    return out;
  }
}
