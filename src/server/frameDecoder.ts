import type { FrameBufferPool } from './frameBufferPool';

/**
 * Splits a TCP byte stream into size-prefixed Kafka frames.
 *
 * A frame that arrives inside one chunk is returned as a slice of that chunk
 * (no copy). Only a frame spread over several chunks is assembled: into a
 * slot of the frame buffer pool, copied in as its chunks arrive, when its API
 * may use one (`pooled`), else into a buffer allocated once at its final size.
 * The size prefix is checked against the limit before anything is allocated
 * for it.
 */
export type FrameResult = { frames: Buffer[]; oversized: number | null };

export class FrameDecoder {
  /** Bytes of an incomplete frame (or of an incomplete 4-byte prefix) waiting for more data. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Size of the frame being assembled, -1 while its prefix is still incomplete. */
  private expected = -1;

  /** A pool slot the frame in progress is copied into, and how much of it arrived. */
  private assembling: Buffer | null = null;
  private filled = 0;
  /** The chunk being pushed is reused after push() returns. */
  private transient = false;
  /** The size prefix continuePending() refused. */
  private refusedSize = 0;

  constructor(
    /** Mutable: a SASL listener caps frames at sasl.server.max.receive.size until the client authenticated. */
    public maxFrameBytes: number,
    private readonly pool: FrameBufferPool | null = null,
    /** Whether requests of this API key may be read from a pool slot (their handler keeps nothing of the frame). */
    private readonly pooled: (apiKey: number) => boolean = () => false,
  ) {}

  /**
   * Frames completed by this chunk; `oversized` is the offending size when a prefix exceeds the limit.
   * `transient`: the chunk's memory is reused after this call (sharedReadBuffer.ts), so every frame and every
   * incomplete frame's bytes are copied out of it.
   */
  push(chunk: Buffer, transient = false): FrameResult {
    const frames: Buffer[] = [];
    const oversized = this.pushInto(chunk, frames, transient);
    return { frames, oversized };
  }

  /**
   * As push(), appending the completed frames to `out` (a connection's queue of requests): no array or result
   * object per read. Returns the offending size when a prefix exceeds the limit, else null.
   */
  pushInto(chunk: Buffer, out: Buffer[], transient = false): number | null {
    this.transient = transient;
    let pos = 0;
    if (this.assembling !== null) {
      pos = this.fill(chunk, out);
    } else if (this.pendingBytes > 0 || this.expected >= 0) {
      // A known size with no body bytes yet still means a frame is in progress.
      pos = this.continuePending(chunk, out);
      if (pos < 0) return this.refusedSize;
    }
    while (pos < chunk.length) {
      const left = chunk.length - pos;
      if (left < 4) {
        this.stash(chunk.subarray(pos));
        break;
      }
      const size = chunk.readInt32BE(pos);
      if (size < 0 || size > this.maxFrameBytes) return size;
      if (left - 4 >= size) {
        out.push(this.keep(chunk, pos + 4, pos + 4 + size, false));
        pos += 4 + size;
      } else {
        const body = chunk.subarray(pos + 4);
        const slot = this.eligible(body, 0, body.length) ? this.pool!.take(size) : null;
        if (slot !== null) {
          body.copy(slot, 0);
          this.assembling = slot;
          this.filled = body.length;
        } else {
          this.expected = size;
          this.stash(body);
        }
        break;
      }
    }
    return null;
  }

  /** Bytes buffered for a frame not yet complete. */
  get buffered(): number {
    return this.assembling !== null ? this.filled : this.pendingBytes;
  }

  /** Whether the frame starting at `start` of `buf` (at least its API key's two bytes before `end`) may use a pool slot. */
  private eligible(buf: Buffer, start: number, end: number): boolean {
    return this.pool !== null && end - start >= 2 && this.pooled(buf.readInt16BE(start));
  }

  /**
   * The complete frame at [start, end) of `buf` as the connection gets it: moved into a slot when its API may use
   * one and its bytes are transient (or poison mode wants every such frame there, so what reads it after its answer
   * reads poison), copied there straight from `buf` with no view of it made first; else a view of it, copied when
   * transient and not already a buffer of its own (`owned`).
   */
  private keep(buf: Buffer, start: number, end: number, owned: boolean): Buffer {
    if ((this.transient || this.pool?.poison) && this.eligible(buf, start, end)) {
      const slot = this.pool!.take(end - start);
      if (slot !== null) {
        buf.copy(slot, 0, start, end);
        return slot;
      }
    }
    const frame = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    return this.transient && !owned ? Buffer.from(frame) : frame;
  }

  /** Copies the start of `chunk` into the slot in progress; returns the bytes taken. */
  private fill(chunk: Buffer, frames: Buffer[]): number {
    const slot = this.assembling!;
    const n = Math.min(slot.length - this.filled, chunk.length);
    chunk.copy(slot, this.filled, 0, n);
    this.filled += n;
    if (this.filled === slot.length) {
      frames.push(slot);
      this.assembling = null;
      this.filled = 0;
    }
    return n;
  }

  private stash(part: Buffer): void {
    this.pending.push(this.transient ? Buffer.from(part) : part);
    this.pendingBytes += part.length;
  }

  /** Where the rest of `chunk` starts once the frame in progress took its part; -1 when its prefix is over the limit (refusedSize). */
  private continuePending(chunk: Buffer, frames: Buffer[]): number {
    let pos = 0;
    if (this.expected < 0) {
      // Complete the 4-byte prefix first.
      const need = 4 - this.pendingBytes;
      if (chunk.length < need) {
        this.stash(chunk);
        return chunk.length;
      }
      const prefix = Buffer.concat([...this.pending, chunk.subarray(0, need)], 4);
      this.pending = [];
      this.pendingBytes = 0;
      pos = need;
      const size = prefix.readInt32BE(0);
      if (size < 0 || size > this.maxFrameBytes) {
        this.refusedSize = size;
        return -1;
      }
      this.expected = size;
    }
    const need = this.expected - this.pendingBytes;
    if (chunk.length - pos < need) {
      this.stash(chunk.subarray(pos));
      return chunk.length;
    }
    this.pending.push(chunk.subarray(pos, pos + need));
    // one part: the chunk's own bytes (parts stashed before would make two)
    const owned = this.pending.length > 1;
    const frame = owned ? Buffer.concat(this.pending, this.expected) : this.pending[0]!;
    frames.push(this.keep(frame, 0, frame.length, owned));
    pos += need;
    this.pending = [];
    this.pendingBytes = 0;
    this.expected = -1;
    return pos;
  }
}
