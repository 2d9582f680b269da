/**
 * Bounds the number of open segment descriptors over all partitions: only
 * recently read or written segments keep one, so a broker with many
 * partitions, or partitions with many segments, stays under its fd limit.
 * A descriptor in use (readers > 0) is never closed; the cap can be passed
 * while that many are in use at once.
 *
 * The victim is picked at random, not least recently used: producers cycle
 * over their partitions in a fixed order, and with a few more active segments
 * than the cap (10,003 of 10,000 partitions under a 9,760 cap) LRU evicts the
 * very segment the cycle reaches next, so every append reopened its file (an
 * open and a close per batch). Random eviction misses about 7 % there, and
 * for uniform access it misses as often as LRU (1 - cap/active).
 */
export interface PooledHandle {
  /** Reads in flight; a handle is only closed when this is 0. */
  readonly readers: number;
  lastUsed: number;
  /** Index in the pool's slot array, -1 when not pooled; owned by the pool. */
  poolSlot: number;
  closeHandle(): void;
}

/** Random victims tried before falling back to a scan when many handles are in use. */
const RANDOM_TRIES = 8;

export class HandlePool {
  private readonly slots: PooledHandle[] = [];
  /** xorshift32 state: cheaper than Math.random and deterministic per pool. */
  private seed = 0x9e3779b9;

  constructor(
    readonly maxOpen: number,
    readonly idleMs: number,
  ) {}

  get openCount(): number {
    return this.slots.length;
  }

  touch(handle: PooledHandle, now = Date.now()): void {
    handle.lastUsed = now;
    if (handle.poolSlot >= 0) return;
    handle.poolSlot = this.slots.length;
    this.slots.push(handle);
    if (this.slots.length > this.maxOpen) this.evict(this.slots.length - this.maxOpen, handle);
  }

  /** A handle stopped being used: descriptors over the cap that were in use when it was reached close now. */
  trim(): void {
    if (this.slots.length > this.maxOpen) this.evict(this.slots.length - this.maxOpen, null);
  }

  forget(handle: PooledHandle): void {
    const i = handle.poolSlot;
    if (i < 0) return;
    const last = this.slots.pop()!;
    if (last !== handle) {
      this.slots[i] = last;
      last.poolSlot = i;
    }
    handle.poolSlot = -1;
  }

  /**
   * Closes handles unused for `idleMs`, at most `max` of them: the scheduler calls it every second, and closing
   * the ~10,000 handles a burst over 10,000 partitions left held the event loop ~40 ms in one go.
   */
  closeIdle(now = Date.now(), max = Number.MAX_SAFE_INTEGER): number {
    let closed = 0;
    for (const h of [...this.slots]) {
      if (closed >= max) break;
      if (now - h.lastUsed >= this.idleMs && h.readers === 0) {
        this.forget(h);
        h.closeHandle();
        closed++;
      }
    }
    return closed;
  }

  private evict(n: number, keep: PooledHandle | null): void {
    while (n > 0) {
      const victim = this.pickVictim(keep);
      if (!victim) return;
      this.forget(victim);
      victim.closeHandle();
      n--;
    }
  }

  /** A random handle not in use and not `keep` (the one just touched); null when every handle is in use. */
  private pickVictim(keep: PooledHandle | null): PooledHandle | null {
    const len = this.slots.length;
    for (let t = 0; t < RANDOM_TRIES; t++) {
      const h = this.slots[this.nextRandom() % len]!;
      if (h.readers === 0 && h !== keep) return h;
    }
    for (const h of this.slots) if (h.readers === 0 && h !== keep) return h;
    return null;
  }

  private nextRandom(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}
