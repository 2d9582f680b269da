/**
 * Walks the records of an uncompressed v2 records section without building record objects: one reusable cursor
 * holds the byte ranges of the current record, so scanning a batch for a filter allocates nothing.
 */

/** A record section that does not decode (a RangeError, as Buffer's own out-of-range reads are). */
export class RecordFormatError extends RangeError {}

/** Byte ranges of one record inside the records section; -1 lengths mean null. */
export class RecordCursor {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  /** Start and end (exclusive) of the current record, length prefix included. */
  start = 0;
  stop = 0;
  offsetDelta = 0;
  keyStart = 0;
  keyLen = -1;
  valueStart = 0;
  valueLen = -1;
  headersStart = 0;
  headerCount = 0;
  /** Scratch for readVarint's second result (the position after the varint). */
  private at = 0;

  reset(buf: Buffer, from: number, to: number): void {
    this.buf = buf;
    this.pos = from;
    this.end = to;
  }

  /** Zigzag varint at `p`; the position after it lands in `this.at`. */
  private varint(p: number): number {
    const b = this.buf;
    if (p < this.end && b[p]! < 0x80) {
      // one-byte varints (lengths, small deltas, header counts) are the common case
      const v = b[p]!;
      this.at = p + 1;
      return v & 1 ? -((v + 1) >>> 1) : v >>> 1;
    }
    let shift = 0;
    let raw = 0;
    for (;;) {
      if (p >= this.end) throw new RecordFormatError('record runs past its batch');
      const byte = b[p++]!;
      raw += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
      if (shift > 63) throw new RecordFormatError('varint too long');
    }
    this.at = p;
    // zigzag: even -> n/2, odd -> -(n+1)/2 (arithmetic, so 64-bit deltas do not wrap)
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  /** Moves to the next record; false at the end of the section. */
  next(): boolean {
    const b = this.buf;
    let p = this.pos;
    if (p >= this.end) return false;
    this.start = p;
    // Fields are read inline for speed; a varint over 4 bytes (28 bits) takes the general path.
    let byte = b[p++]!;
    let len = byte & 0x7f;
    if (byte & 0x80) {
      byte = b[p++]!;
      len |= (byte & 0x7f) << 7;
      if (byte & 0x80) {
        len = this.varint(this.start);
        p = this.at;
      } else len = (len >>> 1) ^ -(len & 1);
    } else len = (len >>> 1) ^ -(len & 1);
    this.stop = p + len;
    if (len < 0 || this.stop > this.end) throw new RecordFormatError('record runs past its batch');
    p += 1; // attributes
    // timestamp delta: skipped, not decoded
    while (b[p++]! & 0x80) if (p >= this.stop) throw new RecordFormatError('record runs past its batch');
    this.offsetDelta = this.small(p);
    p = this.at;
    this.keyLen = this.small(p);
    this.keyStart = p = this.at;
    if (this.keyLen > 0) p += this.keyLen;
    this.valueLen = this.small(p);
    this.valueStart = p = this.at;
    if (this.valueLen > 0) p += this.valueLen;
    this.headerCount = this.small(p);
    this.headersStart = this.at;
    if (this.headersStart > this.stop) throw new RecordFormatError('record runs past its batch');
    this.pos = this.stop;
    return true;
  }

  /** A zigzag varint that usually fits one or two bytes; longer ones take the general path. */
  private small(p: number): number {
    const b = this.buf;
    const first = b[p]!;
    if (first < 0x80) {
      this.at = p + 1;
      return (first >>> 1) ^ -(first & 1);
    }
    const second = b[p + 1]!;
    if (second < 0x80) {
      const raw = (first & 0x7f) | (second << 7);
      this.at = p + 2;
      return (raw >>> 1) ^ -(raw & 1);
    }
    return this.varint(p);
  }

  /**
   * Finds a header of the current record whose name equals one of `names` (first name wins per header order) and
   * returns the value's start, with its length in `foundLen`; -1 when none (a null value counts as absent).
   */
  foundLen = -1;
  findHeader(names: readonly Buffer[]): number {
    const b = this.buf;
    let p = this.headersStart;
    for (let h = 0; h < this.headerCount; h++) {
      const nameLen = this.small(p);
      const nameStart = this.at;
      const valueLen = this.small(nameStart + nameLen);
      const valueStart = this.at;
      p = valueStart + Math.max(valueLen, 0);
      if (valueLen < 0) continue;
      for (const n of names) {
        if (n.length === nameLen && sameBytes(b, nameStart, n)) {
          this.foundLen = valueLen;
          return valueStart;
        }
      }
    }
    this.foundLen = -1;
    return -1;
  }
}

/** Whether buf[at, at + s.length) equals s; a plain loop beats a native compare for names and tags this short. */
export function sameBytes(buf: Buffer, at: number, s: Buffer): boolean {
  for (let i = 0; i < s.length; i++) if (buf[at + i] !== s[i]) return false;
  return true;
}
