import { DecodeError } from './errors';

const EMPTY = Buffer.alloc(0);

/**
 * Bounds-checked cursor over one request or response buffer.
 *
 * Every length read from the wire is checked against the bytes that remain
 * before anything is allocated, so a hostile size field cannot make us build a
 * giant array or string. Byte fields are returned as slices (no copy).
 */
export class Reader {
  offset: number;
  readonly end: number;

  constructor(readonly buf: Buffer, offset = 0, end = buf.length) {
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): void {
    if (n < 0 || this.offset + n > this.end) {
      throw new DecodeError(`need ${n} bytes, ${this.end - this.offset} left`, this.offset);
    }
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.offset++);
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.offset++];
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** 16-byte UUID as a Buffer slice; the all-zero UUID is Kafka's "none". */
  uuid(): Buffer {
    this.need(16);
    const v = this.buf.subarray(this.offset, this.offset + 16);
    this.offset += 16;
    return v;
  }

  /** Unsigned LEB128 varint of at most 5 bytes (32 bits). */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.offset >= this.end) throw new DecodeError('truncated varint', this.offset);
      const b = this.buf[this.offset++];
      if (i === 4 && b > 0x0f) throw new DecodeError('varint overflows 32 bits', this.offset - 1);
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
    throw new DecodeError('varint longer than 5 bytes', this.offset);
  }

  /** Zig-zag signed varint of at most 5 bytes (records use these). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zig-zag signed varlong of at most 10 bytes. */
  varlong(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) throw new DecodeError('truncated varlong', this.offset);
      const b = this.buf[this.offset++];
      if (i === 9 && b > 0x01) throw new DecodeError('varlong overflows 64 bits', this.offset - 1);
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
      shift += 7n;
    }
    throw new DecodeError('varlong longer than 10 bytes', this.offset);
  }

  /** Raw bytes of a known length, as a slice. */
  raw(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  private utf8(n: number): string {
    this.need(n);
    const s = this.buf.toString('utf8', this.offset, this.offset + n);
    this.offset += n;
    return s;
  }

  /** Classic string: int16 length, -1 is null. */
  nullableString(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    if (n < 0) throw new DecodeError(`negative string length ${n}`, this.offset - 2);
    return this.utf8(n);
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) throw new DecodeError('null for a non-nullable string', this.offset - 2);
    return s;
  }

  /** Compact string: uvarint length + 1, 0 is null. */
  compactNullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.utf8(n - 1);
  }

  compactString(): string {
    const s = this.compactNullableString();
    if (s === null) throw new DecodeError('null for a non-nullable compact string', this.offset - 1);
    return s;
  }

  /** Classic bytes: int32 length, -1 is null. Returned as a slice. */
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0) throw new DecodeError(`negative bytes length ${n}`, this.offset - 4);
    return this.raw(n);
  }

  bytes(): Buffer {
    const b = this.nullableBytes();
    if (b === null) throw new DecodeError('null for non-nullable bytes', this.offset - 4);
    return b;
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.raw(n - 1);
  }

  compactBytes(): Buffer {
    const b = this.compactNullableBytes();
    if (b === null) throw new DecodeError('null for non-nullable compact bytes', this.offset - 1);
    return b;
  }

  /**
   * Classic array length: int32, -1 is null. Every element takes at least one
   * byte, so a count above the bytes left is a lie and is refused here.
   */
  arrayLength(): number {
    const n = this.int32();
    if (n === -1) return -1;
    if (n < 0) throw new DecodeError(`negative array length ${n}`, this.offset - 4);
    if (n > this.remaining) throw new DecodeError(`array of ${n} exceeds ${this.remaining} bytes left`, this.offset - 4);
    return n;
  }

  /** Compact array length: uvarint N+1, 0 is null (returned as -1). */
  compactArrayLength(): number {
    const start = this.offset;
    const n = this.uvarint();
    if (n === 0) return -1;
    if (n - 1 > this.remaining) throw new DecodeError(`array of ${n - 1} exceeds ${this.remaining} bytes left`, start);
    return n - 1;
  }

  static readonly EMPTY = EMPTY;
}
