/**
 * Splits a TCP byte stream into size-prefixed Kafka frames.
 *
 * A frame that arrives inside one chunk is returned as a slice of that chunk
 * (no copy). Only a frame spread over several chunks is assembled, into a
 * buffer allocated once at its final size. The size prefix is checked against
 * the limit before anything is allocated for it.
 */
export type FrameResult = { frames: Buffer[]; oversized: number | null };

export class FrameDecoder {
  /** Bytes of an incomplete frame (or of an incomplete 4-byte prefix) waiting for more data. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Size of the frame being assembled, -1 while its prefix is still incomplete. */
  private expected = -1;

  /** Mutable: a SASL listener caps frames at sasl.server.max.receive.size until the client authenticated. */
  constructor(public maxFrameBytes: number) {}

  /** Frames completed by this chunk; `oversized` is the offending size when a prefix exceeds the limit. */
  push(chunk: Buffer): FrameResult {
    const frames: Buffer[] = [];
    let pos = 0;
    // A known size with no body bytes yet still means a frame is in progress.
    if (this.pendingBytes > 0 || this.expected >= 0) {
      const r = this.continuePending(chunk, frames);
      if (r.oversized !== null) return { frames, oversized: r.oversized };
      pos = r.pos;
    }
    while (pos < chunk.length) {
      const left = chunk.length - pos;
      if (left < 4) {
        this.stash(chunk.subarray(pos));
        break;
      }
      const size = chunk.readInt32BE(pos);
      if (size < 0 || size > this.maxFrameBytes) return { frames, oversized: size };
      if (left - 4 >= size) {
        frames.push(chunk.subarray(pos + 4, pos + 4 + size));
        pos += 4 + size;
      } else {
        this.expected = size;
        this.stash(chunk.subarray(pos + 4));
        break;
      }
    }
    return { frames, oversized: null };
  }

  /** Bytes buffered for a frame not yet complete. */
  get buffered(): number {
    return this.pendingBytes;
  }

  private stash(part: Buffer): void {
    this.pending.push(part);
    this.pendingBytes += part.length;
  }

  private continuePending(chunk: Buffer, frames: Buffer[]): { pos: number; oversized: number | null } {
    let pos = 0;
    if (this.expected < 0) {
      // Complete the 4-byte prefix first.
      const need = 4 - this.pendingBytes;
      if (chunk.length < need) {
        this.stash(chunk);
        return { pos: chunk.length, oversized: null };
      }
      const prefix = Buffer.concat([...this.pending, chunk.subarray(0, need)], 4);
      this.pending = [];
      this.pendingBytes = 0;
      pos = need;
      const size = prefix.readInt32BE(0);
      if (size < 0 || size > this.maxFrameBytes) return { pos, oversized: size };
      this.expected = size;
    }
    const need = this.expected - this.pendingBytes;
    if (chunk.length - pos < need) {
      this.stash(chunk.subarray(pos));
      return { pos: chunk.length, oversized: null };
    }
    this.pending.push(chunk.subarray(pos, pos + need));
    frames.push(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.expected));
    pos += need;
    this.pending = [];
    this.pendingBytes = 0;
    this.expected = -1;
    return { pos, oversized: null };
  }
}
