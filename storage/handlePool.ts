/**
 * Bounds the number of open read handles of closed segments. A partition with
 * hundreds of GB has hundreds of segments; only recently read ones keep a
 * file descriptor, so a broker with many partitions stays under its fd limit.
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
    for (const h of [...this.lru]) {
      if (n <= 0) return;
      if (h.readers > 0) continue;
      this.lru.delete(h);
      h.closeHandle();
      n--;
    }
  }
}
