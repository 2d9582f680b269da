/**
 * Bounds the number of open segment descriptors over all partitions (an LRU):
 * only recently read or written segments keep one, so a broker with many
 * partitions, or partitions with many segments, stays under its fd limit.
 * A descriptor in use (readers > 0) is never closed; the cap can be passed
 * while that many are in use at once.
 */
export interface PooledHandle {
  /** Reads in flight; a handle is only closed when this is 0. */
  readonly readers: number;
  lastUsed: number;
  closeHandle(): void;
}

export class HandlePool {
  private readonly lru = new Set<PooledHandle>();

  constructor(
    readonly maxOpen: number,
    readonly idleMs: number,
  ) {}

  get openCount(): number {
    return this.lru.size;
  }

  touch(handle: PooledHandle, now = Date.now()): void {
    handle.lastUsed = now;
    this.lru.delete(handle);
    this.lru.add(handle);
    if (this.lru.size > this.maxOpen) this.evict(this.lru.size - this.maxOpen);
  }

  /** A handle stopped being used: descriptors over the cap that were in use when it was reached close now. */
  trim(): void {
    if (this.lru.size > this.maxOpen) this.evict(this.lru.size - this.maxOpen);
  }

  forget(handle: PooledHandle): void {
    this.lru.delete(handle);
  }

  closeIdle(now = Date.now()): number {
    let closed = 0;
    for (const h of [...this.lru]) {
      if (now - h.lastUsed >= this.idleMs && h.readers === 0) {
        this.lru.delete(h);
        h.closeHandle();
        closed++;
      }
    }
    return closed;
  }

  private evict(n: number): void {
    // oldest first; deleting the visited entry while iterating a Set is safe
    for (const h of this.lru) {
      if (n <= 0) return;
      if (h.readers > 0) continue;
      this.lru.delete(h);
      h.closeHandle();
      n--;
    }
  }
}
