import { ErrorCode } from '../../protocol/errors';

const MAX_EPOCH = 0x7fffffff;

function askedCopy(a: FollowerPartitionAsk): FollowerPartitionAsk {
  return { key: a.key, topic: a.topic, partition: a.partition, fetchOffset: a.fetchOffset, logStartOffset: a.logStartOffset, leaderEpoch: a.leaderEpoch, maxBytes: a.maxBytes, owner: a.owner };
}

/** One partition as a follower asks for it. */
export interface FollowerPartitionAsk {
  key: string;
  topic: string;
  partition: number;
  fetchOffset: number;
  logStartOffset: number;
  leaderEpoch: number;
  maxBytes: number;
  /** Whose ask this is (the fetcher's partition record): an answer for a partition re-added since is not its. */
  owner: object;
}

export interface FollowerFetchPlan {
  sessionId: number;
  sessionEpoch: number;
  /** Partitions to name in the request: all of them in a full fetch, only new or changed ones in an incremental. */
  send: FollowerPartitionAsk[];
  /** Partitions to drop from the leader's session, by topic. */
  forgotten: Map<string, number[]>;
}

/**
 * The follower's half of a fetch session (KIP-227), which Kafka's replica fetcher uses too: after one full
 * fetch, a request names only the partitions whose fetch offset, log start, leader epoch or byte limit changed,
 * and the leader answers only partitions with news. Without it every follower fetch named, and every answer
 * carried, every partition the leader leads, so an acks=all write cost work in proportion to all replicated
 * partitions. The leader's session must hold exactly the partitions ready to fetch: one left in it while backing
 * off would be answered with its error on every round.
 */
export class FollowerFetchSession {
  private id = 0;
  /** 0: the next request is full (and opens a session); otherwise the epoch it carries. */
  private epoch = 0;
  /** The partitions in the leader's session as of the last request, as they were asked for (copies: the fetcher reuses its ask objects). */
  private inSession = new Map<string, FollowerPartitionAsk>();
  private pendingFull = false;

  /** The next request opens a session: plan() must be given every partition ready to fetch. */
  get opening(): boolean {
    return this.epoch === 0;
  }

  /** Partitions in the leader's session once the planned request is answered. */
  get size(): number {
    return this.inSession.size;
  }

  /**
   * What the next request carries; the session is updated as if it succeeds. When opening, `ready` is every
   * partition ready to fetch and `unready` is ignored. Otherwise `ready` holds the ready partitions whose ask may
   * have changed and `unready` the keys of partitions that may have stopped being ready (backing off, truncating,
   * no longer followed): the rest of the session stands as it is, so a round costs work in proportion to what
   * changed, not to the session. No allocation for an unchanged partition.
   */
  plan(ready: readonly FollowerPartitionAsk[], unready: readonly string[] = []): FollowerFetchPlan {
    const forgotten = new Map<string, number[]>();
    if (this.epoch === 0) {
      this.pendingFull = true;
      this.inSession = new Map();
      const send: FollowerPartitionAsk[] = [];
      for (const a of ready) {
        if (this.inSession.has(a.key)) continue;
        this.inSession.set(a.key, askedCopy(a));
        send.push(a);
      }
      // a previous session id closes that session on the leader while this request opens a new one
      return { sessionId: this.id, sessionEpoch: 0, send, forgotten };
    }
    this.pendingFull = false;
    const send: FollowerPartitionAsk[] = [];
    for (const key of unready) {
      const was = this.inSession.get(key);
      if (!was) continue;
      this.inSession.delete(key);
      const list = forgotten.get(was.topic);
      if (list) list.push(was.partition);
      else forgotten.set(was.topic, [was.partition]);
    }
    for (const a of ready) {
      const was = this.inSession.get(a.key);
      if (!was) {
        this.inSession.set(a.key, askedCopy(a));
        send.push(a);
        continue;
      }
      if (was.fetchOffset === a.fetchOffset && was.logStartOffset === a.logStartOffset && was.leaderEpoch === a.leaderEpoch && was.maxBytes === a.maxBytes && was.owner === a.owner) continue;
      was.fetchOffset = a.fetchOffset;
      was.logStartOffset = a.logStartOffset;
      was.leaderEpoch = a.leaderEpoch;
      was.maxBytes = a.maxBytes;
      was.owner = a.owner;
      send.push(a);
    }
    return { sessionId: this.id, sessionEpoch: this.epoch, send, forgotten };
  }

  /**
   * The leader answered the planned request with top-level `errorCode` and `sessionId`: 'apply' its partitions,
   * 'retry' at once with a new session (the old one was evicted or its epoch is stale), or 'refused' (any other
   * error; the next request starts a new session too).
   */
  answered(errorCode: number, sessionId: number): 'apply' | 'retry' | 'refused' {
    if (errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND || errorCode === ErrorCode.INVALID_FETCH_SESSION_EPOCH) {
      this.id = 0;
      this.reset();
      return 'retry';
    }
    if (errorCode !== 0) {
      this.reset();
      return 'refused';
    }
    if (this.pendingFull) {
      // a leader with sessions disabled answers 0: every request stays full
      this.id = sessionId;
      this.epoch = sessionId === 0 ? 0 : 1;
    } else {
      this.epoch = this.epoch >= MAX_EPOCH ? 1 : this.epoch + 1;
    }
    return 'apply';
  }

  /** The request failed or its answer was lost: the leader's session state is unknown, so start over. */
  reset(): void {
    this.epoch = 0;
    this.inSession = new Map();
    this.pendingFull = false;
  }

  /**
   * The leader answered `key` with an error: it may not hold the partition in its session (a topic it did not
   * know yet is not remembered), so the partition is named again once it is ready, as if new.
   */
  answeredWithError(key: string): void {
    const a = this.inSession.get(key);
    if (a) a.fetchOffset = -1;
  }

  /** The ask the leader answers `key` for (its cached fetch offset), if the partition is in the session. */
  asked(key: string): FollowerPartitionAsk | undefined {
    return this.inSession.get(key);
  }
}
