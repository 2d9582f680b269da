/**
 * Encoder output: small fields go into a growable scratch buffer; large byte
 * payloads (record batches) are appended by reference as separate chunks, so a
 * Fetch response that carries megabytes of records copies none of them. The
 * result is a list of Buffers ready for `socket.cork(); write(...); uncork()`.
 */

/** Payloads at least this large are linked, not copied. */
const LINK_THRESHOLD = 256;

/** A reusable writer keeps a scratch up to this size between encodings. */
const REUSED_SCRATCH_MAX = 64 * 1024;

export class Writer {
  private buf: Buffer;
  private pos = 0;
  /** Start of the scratch region not yet flushed into `chunks`. */
  private mark = 0;
  /** Null until the first chunk: most answers are one chunk, and a list's first push reserves 17 places. */
  private chunks: Buffer[] | null = null;
  private chunkBytes = 0;
  /** Where `reserveFrameSize` left room for the frame's size, and how many bytes the writer held once it did. */
  private sizeBuf: Buffer | null = null;
  private sizeAt = 0;
  private sizeFrom = 0;

  /**
   * `reused` (see reusable()): the scratch has memory of its own and is kept from one encoding to the next.
   */
  constructor(
    private readonly initialSize = 1024,
    private readonly reused = false,
  ) {
    this.buf = reused ? Buffer.allocUnsafeSlow(initialSize) : Buffer.allocUnsafe(initialSize);
  }

  /**
   * A writer for one encoding after another on the same thread (reset() before each, chunksOutDetached() after):
   * no writer and no scratch buffer made per encoding. Its scratch is a buffer of its own, not a slice of Node's
   * shared pool, so chunksOutDetached() can tell its bytes from everything else by their memory.
   */
  static reusable(initialSize: number): Writer {
    return new Writer(initialSize, true);
  }

  /** Starts a new encoding on a reusable writer; a scratch grown past 64 KB by a large one is given up. */
  reset(): this {
    if (this.buf.length > REUSED_SCRATCH_MAX) this.buf = Buffer.allocUnsafeSlow(this.initialSize);
    this.pos = 0;
    this.mark = 0;
    this.chunks = null;
    this.chunkBytes = 0;
    this.sizeBuf = null;
    return this;
  }

  /** Total bytes written so far, linked chunks included. */
  get length(): number {
    return this.chunkBytes + (this.pos - this.mark);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Bytes already handed out as chunks are kept alive by their slices; start a
    // fresh scratch buffer instead of copying them.
    this.flushScratch();
    const size = Math.max(this.buf.length * 2, n + 64);
    // the old scratch is left to the chunks sliced from it: a reusable writer never writes it again
    this.buf = this.reused ? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafe(size);
    this.pos = 0;
    this.mark = 0;
  }

  private flushScratch(): void {
    if (this.pos > this.mark) {
      const slice = this.buf.subarray(this.mark, this.pos);
      this.addChunk(slice);
      this.chunkBytes += slice.length;
      this.mark = this.pos;
    }
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  uint8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    const n = Number(v);
    if (Number.isSafeInteger(n)) {
      // offsets and timestamps: two 32-bit halves, without the BigInt shifts writeBigInt64BE allocates
      const high = Math.floor(n / 4294967296);
      this.buf.writeInt32BE(high, this.pos);
      this.buf.writeUInt32BE(n - high * 4294967296, this.pos + 4);
    } else {
      this.buf.writeBigInt64BE(v, this.pos);
    }
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  uuid(v: Buffer): this {
    if (v.length !== 16) throw new RangeError(`uuid must be 16 bytes, got ${v.length}`);
    return this.copy(v);
  }

  uvarint(v: number): this {
    this.ensure(5);
    let u = v >>> 0;
    while (u >= 0x80) {
      this.buf[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.buf[this.pos++] = u;
    return this;
  }

  varint(v: number): this {
    return this.uvarint((v << 1) ^ (v >> 31));
  }

  varlong(v: bigint): this {
    this.ensure(10);
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  /** Copies small payloads into scratch, links large ones without copying. */
  raw(b: Buffer): this {
    if (b.length >= LINK_THRESHOLD) {
      this.flushScratch();
      this.addChunk(b);
      this.chunkBytes += b.length;
      return this;
    }
    return this.copy(b);
  }

  private copy(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }

  nullableString(v: string | null): this {
    if (v === null) return this.int16(-1);
    const n = Buffer.byteLength(v, 'utf8');
    this.int16(n);
    this.ensure(n);
    this.pos += this.buf.write(v, this.pos, n, 'utf8');
    return this;
  }

  string(v: string): this {
    return this.nullableString(v);
  }

  compactNullableString(v: string | null): this {
    if (v === null) return this.uvarint(0);
    const n = Buffer.byteLength(v, 'utf8');
    this.uvarint(n + 1);
    this.ensure(n);
    this.pos += this.buf.write(v, this.pos, n, 'utf8');
    return this;
  }

  compactString(v: string): this {
    return this.compactNullableString(v);
  }

  nullableBytes(v: Buffer | null): this {
    if (v === null) return this.int32(-1);
    this.int32(v.length);
    return this.raw(v);
  }

  bytes(v: Buffer): this {
    return this.nullableBytes(v);
  }

  compactNullableBytes(v: Buffer | null): this {
    if (v === null) return this.uvarint(0);
    this.uvarint(v.length + 1);
    return this.raw(v);
  }

  compactBytes(v: Buffer): this {
    return this.compactNullableBytes(v);
  }

  /** Several buffers written as one bytes field (records from several batches). */
  bytesChunks(parts: readonly Buffer[], compact: boolean): this {
    let n = 0;
    for (const p of parts) n += p.length;
    if (compact) this.uvarint(n + 1);
    else this.int32(n);
    for (const p of parts) this.raw(p);
    return this;
  }

  arrayLength(n: number): this {
    return this.int32(n);
  }

  compactArrayLength(n: number): this {
    return this.uvarint(n + 1);
  }

  /**
   * Leaves room for a frame's int32 size prefix, filled in by `setFrameSize` (no setter closure per frame).
   * Safe across growth and linking: chunks are slices sharing the same memory.
   */
  reserveFrameSize(): void {
    this.ensure(4);
    this.sizeBuf = this.buf;
    this.sizeAt = this.pos;
    this.pos += 4;
    this.sizeFrom = this.length;
  }

  /** Writes the length of what followed `reserveFrameSize` into the room it left. */
  setFrameSize(): void {
    this.sizeBuf!.writeInt32BE(this.length - this.sizeFrom, this.sizeAt);
  }

  /**
   * The encoded bytes as chunks (zero-copy for linked payloads): the writer's own list, not a copy (one array
   * less per response), so nothing may be written after.
   */
  chunksOut(): Buffer[] {
    this.flushScratch();
    return this.chunks ?? [];
  }

  /**
   * chunksOut() of a reusable writer: the parts still in its current scratch are copied out (the next encoding
   * overwrites it), linked payloads and parts of scratches it outgrew are not. The list is the caller's.
   */
  chunksOutDetached(): Buffer[] {
    const chunks = this.chunksOut();
    const scratch = this.buf.buffer;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (c.buffer !== scratch) continue;
      const copy = Buffer.allocUnsafe(c.length);
      c.copy(copy, 0);
      chunks[i] = copy;
    }
    this.chunks = null;
    return chunks;
  }

  private addChunk(b: Buffer): void {
    if (this.chunks === null) this.chunks = [b];
    else this.chunks.push(b);
  }

  /** The encoded bytes as one Buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    const parts = this.chunksOut();
    if (parts.length === 1) return parts[0];
    return Buffer.concat(parts, this.chunkBytes);
  }
}
