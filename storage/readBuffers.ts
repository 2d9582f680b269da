/**
 * Recycled read buffers for the fetch path. Every fetch used to read into a
 * freshly allocated Buffer of up to a partition's max bytes; those live
 * outside the V8 heap, and under a consumer reading a backlog their churn was
 * what started most mark-compact collections (bench/README.md). A fetch now
 * borrows buffers through a ReadLease and gives them all back at once, after
 * the socket write that carries them completed.
 *
 * Safety rests on the caller: a lease is released only when no one will look
 * at its buffers again. A lease never released is harmless (its buffers are
 * garbage collected); a lease released too early hands bytes still being sent
 * to the next reader. `poisonOnRelease` (tests) overwrites every returned
 * buffer so such a bug shows up as corrupt batches at the client.
 */

/** Reads smaller than this use Node's shared slab (Buffer.allocUnsafe), which is pooled already. */
const MIN_POOLED = 4 * 1024;
/** Reads larger than this are rare (max.partition.fetch.bytes is 1 MiB by default) and stay unpooled. */
const MAX_POOLED = 16 * 1024 * 1024;
const MIN_SHIFT = Math.log2(MIN_POOLED);
const CLASSES = Math.log2(MAX_POOLED) - MIN_SHIFT + 1;
const POISON = 0xee;

/** Size class of a request: the smallest power of two >= length (MIN_POOLED at least). */
function classOf(length: number): number {
  return Math.max(0, Math.ceil(Math.log2(length)) - MIN_SHIFT);
}

export interface ReadBufferStats {
  /** Buffers handed out from the free lists. */
  reused: number;
  /** Buffers allocated because the free list of their class was empty. */
  allocated: number;
  /** Buffers idle in the pool now, and their bytes. */
  idle: number;
  idleBytes: number;
  /** Buffers lent out and not returned yet (a lease never released keeps counting: a leak, or a dropped connection). */
  lent: number;
}

export class ReadBufferPool {
  private readonly free: Buffer[][] = Array.from({ length: CLASSES }, () => []);
  private idleBytes = 0;
  private reusedCount = 0;
  private allocatedCount = 0;
  private lentCount = 0;
  /** Tests: overwrite returned buffers so a premature release corrupts what the client gets. */
  poisonOnRelease = false;

  /** @param maxIdleBytes bytes kept for reuse at most; buffers returned beyond that are left to the GC. */
  constructor(private readonly maxIdleBytes = 64 * 1024 * 1024) {}

  lease(): ReadLease {
    return new ReadLease(this);
  }

  /** A buffer of at least `length` bytes: pooled for MIN_POOLED..MAX_POOLED, plain otherwise. */
  take(length: number): Buffer {
    if (length < MIN_POOLED || length > MAX_POOLED) return Buffer.allocUnsafe(length);
    const list = this.free[classOf(length)]!;
    this.lentCount++;
    const buf = list.pop();
    if (buf) {
      this.idleBytes -= buf.length;
      this.reusedCount++;
      return buf;
    }
    this.allocatedCount++;
    return Buffer.allocUnsafeSlow(MIN_POOLED << classOf(length));
  }

  /** Gives back a buffer from take(); only whole buffers from take() are accepted. */
  give(buf: Buffer): void {
    if (!ReadBufferPool.isPooled(buf)) return;
    this.lentCount--;
    if (this.poisonOnRelease) buf.fill(POISON);
    if (this.idleBytes + buf.length > this.maxIdleBytes) return;
    this.free[classOf(buf.length)]!.push(buf);
    this.idleBytes += buf.length;
  }

  stats(): ReadBufferStats {
    let idle = 0;
    for (const l of this.free) idle += l.length;
    return { reused: this.reusedCount, allocated: this.allocatedCount, idle, idleBytes: this.idleBytes, lent: this.lentCount };
  }

  /** Whether take() could have made `buf` (a power-of-two size class, not a slice of Node's shared slab). */
  private static isPooled(buf: Buffer): boolean {
    const n = buf.length;
    return n >= MIN_POOLED && n <= MAX_POOLED && (n & (n - 1)) === 0 && buf.byteOffset === 0 && buf.buffer.byteLength === n;
  }
}

/**
 * The buffers one response's reads borrowed. Storage reads take from it; the
 * owner of the response releases it once the bytes are on their way for good
 * (written to the socket), or at once when the reads are thrown away.
 */
export class ReadLease {
  private readonly bufs: Buffer[] = [];
  private released = false;

  constructor(private readonly pool: ReadBufferPool) {}

  /** A buffer of at least `length` bytes, owned by this lease until release(). */
  take(length: number): Buffer {
    if (this.released) throw new Error('read lease used after release');
    const buf = this.pool.take(length);
    if (length >= MIN_POOLED && length <= MAX_POOLED) this.bufs.push(buf);
    return buf;
  }

  /** Returns every buffer; later calls do nothing. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const b of this.bufs) this.pool.give(b);
    this.bufs.length = 0;
  }
}
