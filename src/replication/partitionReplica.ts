import { ErrorCode } from '../../protocol/errors';
import type { PartitionLog } from '../../storage';
import type { PartitionState } from '../metadata/types';
import { replicaKey } from './partitionStates';

export type ReplicaRole = 'leader' | 'follower' | 'none';

/** What the leader knows of one follower, from its fetches. */
interface FollowerProgress {
  /** The follower's log end offset (its last fetch offset); -1 until it fetched in this leader epoch. */
  logEndOffset: number;
  /** Last time the follower had everything the leader had (Kafka's lastCaughtUpTimeMs). */
  lastCaughtUpMs: number;
  lastFetchMs: number;
  /** The leader's log end when that last fetch arrived. */
  leaderEndAtLastFetch: number;
}

interface AckWaiter {
  /** Resolves once the high watermark passes this offset. */
  requiredOffset: number;
  minInsync: number;
  resolve: (errorCode: number) => void;
  timer: NodeJS.Timeout;
}

/**
 * One partition this broker replicates, in its current role. As leader it
 * tracks every follower's fetch position and catch-up time, moves the high
 * watermark to the smallest log end over the ISR, and completes acks=all
 * produces waiting for it (Kafka's delayed produce purgatory, keyed by offset,
 * woken by follower fetches). ISR changes are proposed to the owner, which
 * sends them to the metadata service; the state here changes only when the
 * metadata says so.
 */
export class PartitionReplica {
  role: ReplicaRole = 'none';
  private readonly followers = new Map<number, FollowerProgress>();
  private waiters: AckWaiter[] = [];
  private unsubscribeAppend: (() => void) | null = null;
  /**
   * Leader whose broker lost its metadata session: it takes no writes and
   * keeps its high watermark, but still serves its followers, which may yet
   * need records acknowledged before the fence to have them when one of them
   * is elected.
   */
  fenced = false;
  /** An ISR change sent to the metadata service and not answered yet. */
  isrChangePending = false;

  constructor(
    readonly log: PartitionLog,
    public state: PartitionState,
    private readonly selfId: number,
  ) {}

  get key(): string {
    return replicaKey(this.state.topic, this.state.partition);
  }

  /** A follower's log end as of its last fetch (the leader's view; -1 before its first fetch or when not leading). */
  followerLogEnd(replicaId: number): number {
    return this.followers.get(replicaId)?.logEndOffset ?? -1;
  }

  /** Takes the leader role at `state.leaderEpoch`; followers start as caught up now so none is dropped at once. */
  async becomeLeader(state: PartitionState, now: number): Promise<void> {
    this.state = state;
    this.role = 'leader';
    this.fenced = false;
    this.followers.clear();
    for (const r of state.replicas) {
      if (r === this.selfId) continue;
      this.followers.set(r, { logEndOffset: -1, lastCaughtUpMs: now, lastFetchMs: 0, leaderEndAtLastFetch: 0 });
    }
    await this.log.epochs.assign(state.leaderEpoch, this.log.logEndOffset);
    this.log.leaderEpochForAppends = state.leaderEpoch;
    this.unsubscribeAppend ??= this.log.onAppend(() => this.maybeAdvanceHighWatermark());
    this.maybeAdvanceHighWatermark();
  }

  becomeFollower(state: PartitionState): void {
    this.state = state;
    this.role = 'follower';
    this.fenced = false;
    this.stopLeading(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  /** The partition left this broker or the broker stops. */
  stop(): void {
    this.role = 'none';
    this.fenced = false;
    this.stopLeading(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  /** See `fenced`; waiting acks=all produces answer NOT_LEADER_OR_FOLLOWER now. */
  fence(): void {
    if (this.role !== 'leader') return;
    this.fenced = true;
    this.failWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  /** Metadata changed the ISR (or replicas) without a leader change. */
  updateState(state: PartitionState, now: number): void {
    const added = state.replicas.filter((r) => r !== this.selfId && !this.followers.has(r));
    for (const r of added) this.followers.set(r, { logEndOffset: -1, lastCaughtUpMs: now, lastFetchMs: 0, leaderEndAtLastFetch: 0 });
    this.state = state;
    if (this.role === 'leader') {
      this.maybeAdvanceHighWatermark();
      this.checkWaiters();
    }
  }

  private stopLeading(errorCode: number): void {
    this.log.leaderEpochForAppends = undefined;
    this.unsubscribeAppend?.();
    this.unsubscribeAppend = null;
    this.followers.clear();
    this.failWaiters(errorCode);
  }

  /** Answers every waiting acks=all produce with `errorCode`. */
  failWaiters(errorCode: number): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.resolve(errorCode);
    }
  }

  /**
   * A follower fetched from `fetchOffset`, so it has everything before it.
   * Returns the follower id when it qualifies to (re)join the ISR.
   */
  onFollowerFetch(replicaId: number, fetchOffset: number, now: number): number | null {
    const f = this.followers.get(replicaId);
    if (!f || this.role !== 'leader') return null;
    const leaderEnd = this.log.logEndOffset;
    if (fetchOffset >= leaderEnd) f.lastCaughtUpMs = now;
    else if (fetchOffset >= f.leaderEndAtLastFetch) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.logEndOffset = fetchOffset;
    f.lastFetchMs = now;
    f.leaderEndAtLastFetch = leaderEnd;
    this.maybeAdvanceHighWatermark();
    if (this.state.isr.includes(replicaId)) return null;
    // Kafka's rule: back in sync once it has everything up to the high watermark written in this epoch.
    const epochStart = this.log.epochs.endOffsetFor(this.state.leaderEpoch - 1, leaderEnd).endOffset;
    if (fetchOffset >= this.log.highWatermark && fetchOffset >= Math.max(epochStart, 0)) return replicaId;
    return null;
  }

  /** ISR members that have not caught up within `lagMaxMs` (never the leader itself). */
  laggingInsync(now: number, lagMaxMs: number): number[] {
    if (this.role !== 'leader') return [];
    const out: number[] = [];
    for (const r of this.state.isr) {
      if (r === this.selfId) continue;
      const f = this.followers.get(r);
      if (!f || now - f.lastCaughtUpMs > lagMaxMs) out.push(r);
    }
    return out;
  }

  /** High watermark = smallest log end over the ISR (the leader counts with what it has written durably). */
  maybeAdvanceHighWatermark(): void {
    if (this.role !== 'leader' || this.fenced) return;
    let hw = this.log.localCommittedEnd;
    for (const r of this.state.isr) {
      if (r === this.selfId) continue;
      const f = this.followers.get(r);
      if (!f || f.logEndOffset < 0) return;
      if (f.logEndOffset < hw) hw = f.logEndOffset;
    }
    if (hw > this.log.highWatermark) {
      this.log.setHighWatermark(hw);
      this.checkWaiters();
    }
  }

  /** acks=all: resolves with 0, NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT or NOT_LEADER_OR_FOLLOWER. */
  waitForReplication(lastOffset: number, minInsync: number, timeoutMs: number): Promise<number> {
    if (this.role !== 'leader') return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const required = lastOffset + 1;
    if (this.log.highWatermark >= required) return Promise.resolve(this.insyncEnough(minInsync));
    return new Promise<number>((resolve) => {
      const w: AckWaiter = {
        requiredOffset: required,
        minInsync,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve(ErrorCode.REQUEST_TIMED_OUT);
        }, Math.max(timeoutMs, 0)),
      };
      this.waiters.push(w);
    });
  }

  private insyncEnough(minInsync: number): number {
    return this.state.isr.length >= minInsync ? 0 : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
  }

  private checkWaiters(): void {
    if (this.waiters.length === 0) return;
    const hw = this.log.highWatermark;
    const still: AckWaiter[] = [];
    for (const w of this.waiters) {
      if (hw >= w.requiredOffset) {
        clearTimeout(w.timer);
        w.resolve(this.insyncEnough(w.minInsync));
      } else {
        still.push(w);
      }
    }
    this.waiters = still;
  }

  get pendingAcks(): number {
    return this.waiters.length;
  }
}
