import { Reader } from '../codec/reader';
import { DecodeError } from '../codec/errors';
import type { BytesInput, KafkaRecord, RecordHeader, RecordInput } from './types';

/**
 * Records inside a v2 batch: each is a zig-zag varint length followed by
 * attributes, timestamp and offset deltas, key, value and headers.
 */

/** Smallest possible record: 1-byte length + attributes + 2 deltas + key + value + header count. */
export const MIN_RECORD_SIZE = 7;

function zigzag32(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

function uvarintSize(u: number): number {
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

export function varintSize(v: number): number {
  return uvarintSize(zigzag32(v));
}

export function varlongSize(v: bigint): number {
  let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n++;
  }
  return n;
}

/** Cursor writing into a buffer that was sized exactly beforehand. */
class FixedWriter {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  int8(v: number): void {
    this.buf.writeInt8(v, this.pos++);
  }

  varint(v: number): void {
    let u = zigzag32(v);
    while (u >= 0x80) {
      this.buf[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.buf[this.pos++] = u;
  }

  varlong(v: bigint): void {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  bytes(b: Buffer | null): void {
    if (b === null) {
      this.varint(-1);
      return;
    }
    this.varint(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
}

function toBytes(v: BytesInput): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

function nullableSize(b: Buffer | null): number {
  return b === null ? 1 : varintSize(b.length) + b.length;
}

interface PreparedRecord {
  timestampDelta: bigint;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: Buffer; value: Buffer | null }>;
  bodySize: number;
}

export interface EncodedRecords {
  /** The uncompressed records section. */
  body: Buffer;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  lastOffsetDelta: number;
}

/**
 * Encodes records into one exactly-sized buffer. The base timestamp is the
 * first record's (as Kafka's producers do); records may be older than it.
 */
export function encodeRecords(records: readonly RecordInput[], defaultTimestamp: bigint): EncodedRecords {
  let baseTimestamp = defaultTimestamp;
  const first = records[0];
  if (first?.timestamp !== undefined) baseTimestamp = BigInt(first.timestamp);

  const prepared: PreparedRecord[] = [];
  let total = 0;
  let maxTimestamp = -1n;
  let lastOffsetDelta = -1;
  records.forEach((r, i) => {
    const timestampDelta =
      r.timestamp !== undefined ? BigInt(r.timestamp) - baseTimestamp : BigInt(r.timestampDelta ?? 0);
    const offsetDelta = r.offsetDelta ?? i;
    const key = toBytes(r.key);
    const value = toBytes(r.value);
    const headers = (r.headers ?? []).map((h) => ({ key: Buffer.from(h.key, 'utf8'), value: toBytes(h.value) }));
    let bodySize = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta) + nullableSize(key) + nullableSize(value);
    bodySize += varintSize(headers.length);
    for (const h of headers) bodySize += nullableSize(h.key) + nullableSize(h.value);
    total += varintSize(bodySize) + bodySize;
    prepared.push({ timestampDelta, offsetDelta, key, value, headers, bodySize });
    const ts = baseTimestamp + timestampDelta;
    if (ts > maxTimestamp) maxTimestamp = ts;
    if (offsetDelta > lastOffsetDelta) lastOffsetDelta = offsetDelta;
  });

  const w = new FixedWriter(Buffer.allocUnsafe(total));
  for (const p of prepared) {
    w.varint(p.bodySize);
    w.int8(0);
    w.varlong(p.timestampDelta);
    w.varint(p.offsetDelta);
    w.bytes(p.key);
    w.bytes(p.value);
    w.varint(p.headers.length);
    for (const h of p.headers) {
      w.bytes(h.key);
      w.bytes(h.value);
    }
  }
  if (w.pos !== total) throw new Error(`record sizing bug: wrote ${w.pos} of ${total}`);
  return { body: w.buf, baseTimestamp, maxTimestamp, lastOffsetDelta };
}

function readNullable(r: Reader, what: string): Buffer | null {
  const at = r.offset;
  const n = r.varint();
  if (n === -1) return null;
  if (n < 0) throw new DecodeError(`negative ${what} length ${n}`, at);
  return r.raw(n);
}

export interface RecordContext {
  baseOffset: bigint;
  baseTimestamp: bigint;
  /** For log-append-time batches every record carries the batch maxTimestamp. */
  logAppendTime: bigint | null;
}

/**
 * Decodes `count` records that must fill `body` exactly. Every length is
 * checked against the bytes left before it is used, and the count is checked
 * against the smallest possible record size before anything is allocated.
 */
export function decodeRecords(body: Buffer, count: number, ctx: RecordContext): KafkaRecord[] {
  if (count < 0) throw new DecodeError(`negative record count ${count}`, 0);
  if (count * MIN_RECORD_SIZE > body.length) {
    throw new DecodeError(`record count ${count} cannot fit in ${body.length} bytes`, 0);
  }
  const r = new Reader(body);
  const out: KafkaRecord[] = [];
  for (let i = 0; i < count; i++) {
    const start = r.offset;
    const len = r.varint();
    if (len < 0 || len > r.remaining) throw new DecodeError(`record length ${len} with ${r.remaining} bytes left`, start);
    const end = r.offset + len;
    const rr = new Reader(body, r.offset, end);
    const attributes = rr.int8();
    const timestampDelta = rr.varlong();
    const offsetDelta = rr.varint();
    const key = readNullable(rr, 'key');
    const value = readNullable(rr, 'value');
    const headerCountAt = rr.offset;
    const headerCount = rr.varint();
    if (headerCount < 0 || headerCount * 2 > rr.remaining) {
      throw new DecodeError(`header count ${headerCount} with ${rr.remaining} bytes left`, headerCountAt);
    }
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const keyAt = rr.offset;
      const hk = readNullable(rr, 'header key');
      if (hk === null) throw new DecodeError('null header key', keyAt);
      headers.push({ key: hk.toString('utf8'), value: readNullable(rr, 'header value') });
    }
    if (rr.offset !== end) throw new DecodeError(`record declares ${len} bytes but uses ${rr.offset - (end - len)}`, rr.offset);
    r.offset = end;
    out.push({
      offset: ctx.baseOffset + BigInt(offsetDelta),
      timestamp: ctx.logAppendTime ?? ctx.baseTimestamp + timestampDelta,
      offsetDelta,
      timestampDelta,
      attributes,
      key,
      value,
      headers,
    });
  }
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes after the last of ${count} records`, r.offset);
  return out;
}
