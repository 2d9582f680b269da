/**
 * Reused buffers for request frames that arrive over several socket reads.
 *
 * Assembling such a frame used to allocate a fresh buffer of its size. At a
 * high produce rate those buffers are most of what the broker allocates
 * outside the V8 heap, and V8 answers external memory growth with
 * mark-compacts of the whole heap (bench/README.md, "mark-compacts paced by
 * request buffers"): with tens of thousands of open partitions each one marks
 * tens of megabytes. A slot taken here is given back once the request's
 * answer was handed to the socket (Connection), so only requests whose handler
 * holds nothing of the frame past its answer, and whose answer links none of
 * it, may use one: Produce, whose records are written to the log (or copied by
 * the scheduler) before it answers.
 *
 * A slot whose request never finishes (its connection failed mid-request) is
 * simply not given back; the garbage collector takes it.
 */
export interface FrameBufferPoolOptions {
  /** Largest frame a slot holds; bigger ones are assembled into a buffer of their own. */
  slotBytes?: number;
  /** Free slots kept for reuse; more given back are dropped. */
  maxFree?: number;
  /**
   * Test builds: every eligible frame, even one that arrived in one read, is copied into a slot, and a slot
   * given back has the frame's bytes overwritten with POISON_BYTE, so anything still reading it sees garbage
   * (the test suite runs so: test/poisonFrames.cjs).
   */
  poison?: boolean;
}

/** What a given-back slot is filled with under `poison`. */
export const POISON_BYTE = 0xee;

/** Slots come in powers of two from this size up, so a small frame does not hold a large slot while in flight. */
const MIN_SLOT_BYTES = 16 * 1024;
/** librdkafka and the Java client cap a request near message.max.bytes (1,000,000 by default), plus headers. */
const DEFAULT_SLOT_BYTES = 2 * 1024 * 1024;
const DEFAULT_MAX_FREE = 16;
/** Free slots of all sizes kept, in bytes: what an idle broker holds for the next burst. */
const MAX_FREE_BYTES = 16 * 1024 * 1024;

export class FrameBufferPool {
  /** The largest slot: bigger frames are not the pool's. */
  readonly slotBytes: number;
  readonly poison: boolean;
  private readonly maxFree: number;
  /** Free slots by size (a power of two, or slotBytes). */
  private readonly free = new Map<number, ArrayBuffer[]>();
  private freeBytes = 0;
  private freeCount = 0;
  /** Slots of this pool, so a frame can be told apart from one Node or Buffer.concat allocated. */
  private readonly slots = new WeakSet<ArrayBuffer>();
  /** Slots taken and not given back (introspection and tests). */
  private leased = 0;
  /** Slots allocated over the pool's life (tests: reuse means this stays small). */
  private allocated = 0;
  /** Frames read into a slot over the pool's life. */
  private taken = 0;

  constructor(options: FrameBufferPoolOptions = {}) {
    this.slotBytes = options.slotBytes ?? DEFAULT_SLOT_BYTES;
    this.maxFree = options.maxFree ?? DEFAULT_MAX_FREE;
    this.poison = options.poison ?? false;
  }

  /** A buffer of exactly `size` bytes over a free slot, or null when a slot cannot hold it. */
  take(size: number): Buffer | null {
    if (size > this.slotBytes) return null;
    const bytes = this.slotSize(size);
    let slot = this.free.get(bytes)?.pop();
    if (slot === undefined) {
      // not zero-filled: a frame's bytes are copied over it before anything reads them
      slot = Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
      this.slots.add(slot);
      this.allocated++;
    } else {
      this.freeBytes -= bytes;
      this.freeCount--;
    }
    this.leased++;
    this.taken++;
    return Buffer.from(slot, 0, size);
  }

  /** Whether `frame` lies in one of this pool's slots. */
  owns(frame: Buffer): boolean {
    return frame.buffer instanceof ArrayBuffer && this.slots.has(frame.buffer);
  }

  /** Gives back the slot under `frame` (taken by take()); nothing may read the frame after this. */
  give(frame: Buffer): void {
    const slot = frame.buffer as ArrayBuffer;
    this.leased--;
    if (this.poison) frame.fill(POISON_BYTE);
    const bytes = slot.byteLength;
    let list = this.free.get(bytes);
    if (list === undefined) this.free.set(bytes, (list = []));
    if (list.length >= this.maxFree || this.freeBytes + bytes > MAX_FREE_BYTES) return;
    list.push(slot);
    this.freeBytes += bytes;
    this.freeCount++;
  }

  stats(): { leased: number; free: number; allocated: number; taken: number } {
    return { leased: this.leased, free: this.freeCount, allocated: this.allocated, taken: this.taken };
  }

  /** The slot size for a frame of `size` bytes: the next power of two from MIN_SLOT_BYTES, at most slotBytes. */
  private slotSize(size: number): number {
    let bytes = MIN_SLOT_BYTES;
    while (bytes < size) bytes *= 2;
    return Math.min(bytes, this.slotBytes);
  }
}
