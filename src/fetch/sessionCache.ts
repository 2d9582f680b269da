import { randomInt } from 'node:crypto';
import type { SessionWatch } from './sessionWatch';

/** What a session remembers of one partition between incremental fetches (KIP-227). */
export interface SessionPartition {
  topic: string;
  /** All-zero when the client addresses topics by name (Fetch < v13). */
  topicId: Buffer;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  /** As last asked (-1: not checked); an incremental request is fenced against it like a full one (KIP-320). */
  currentLeaderEpoch: number;
  /** Last values sent, so unchanged partitions can be left out of the next response. */
  sentHighWatermark: number;
  sentLogStartOffset: number;
}

export class FetchSession {
  /** The epoch the next incremental request must carry. */
  nextEpoch = 1;
  lastUsed: number;
  readonly partitions = new Map<string, SessionPartition>();
  /** A follower's session on a replicating leader: which partitions changed since they were read (./sessionWatch). */
  watch: SessionWatch | null = null;

  constructor(
    readonly id: number,
    now: number,
    /** A follower's session: consumer sessions are evicted before it (Kafka privileges replica sessions too). */
    readonly follower = false,
  ) {
    this.lastUsed = now;
  }

  /** Forgets `key` (the client dropped it). */
  forget(key: string): void {
    this.partitions.delete(key);
    this.watch?.unwatch(key);
  }

  /** Evicted or closed: nothing keeps watching for it. */
  close(): void {
    this.watch?.close();
    this.watch = null;
  }
}

export function sessionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * Sessions live in a bounded cache. When it is full the least recently used
 * session is evicted; its client then gets FETCH_SESSION_ID_NOT_FOUND and
 * starts over with a full fetch, which is always correct, just bigger.
 */
export class FetchSessionCache {
  // Map iteration order doubles as recency order: touching re-inserts.
  private readonly sessions = new Map<number, FetchSession>();

  constructor(private readonly slots: number) {}

  get size(): number {
    return this.sessions.size;
  }

  get(id: number, now: number): FetchSession | undefined {
    const s = this.sessions.get(id);
    if (s) {
      s.lastUsed = now;
      this.sessions.delete(id);
      this.sessions.set(id, s);
    }
    return s;
  }

  /**
   * A new session, or null when sessions are disabled (zero slots). When full, the least recently used consumer
   * session makes room; a follower's only when every session is a follower's. Consumers opening sessions (a
   * thousand Java consumers, say) would otherwise push the followers' out, and each would start over with a full
   * fetch of every partition it replicates.
   */
  create(now: number, follower = false): FetchSession | null {
    if (this.slots <= 0) return null;
    while (this.sessions.size >= this.slots) this.remove(this.victim());
    let id: number;
    do id = randomInt(1, 0x7fffffff);
    while (this.sessions.has(id));
    const s = new FetchSession(id, now, follower);
    this.sessions.set(id, s);
    return s;
  }

  /** The least recently used consumer session, else the least recently used session. */
  private victim(): number {
    for (const [id, s] of this.sessions) if (!s.follower) return id;
    return this.sessions.keys().next().value as number;
  }

  remove(id: number): void {
    this.sessions.get(id)?.close();
    this.sessions.delete(id);
  }
}
