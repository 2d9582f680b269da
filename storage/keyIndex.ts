import { crc32c } from '@node-rs/crc32';
import { ATTR, BATCH } from '../protocol/records/batchHeader';
import { decompress } from '../protocol/records/compression';
import { batchBaseOffset } from './batch';

/**
 * Per-segment key index (`brook.index.keys=true`): one entry (32-bit hash of
 * the record key, offset relative to the segment base) per keyed record, so
 * "which offsets hold key K" is a probe by hash plus a read of the few batches
 * the candidates are in (a hash can collide: callers verify against the record).
 *
 * File `<base>.keyindex` beside `.index`/`.timeindex`: a 16-byte header
 * (magic, entry count, covered position, CRC-32C of the entries) and 8-byte
 * entries (uint32 hash, int32 relative offset) sorted by hash then offset.
 * "Covered position" is the segment byte position up to which the entries
 * are complete; a file whose length, order or CRC does not match is damaged
 * and rebuilt from the segment.
 */
export const KEY_INDEX_SUFFIX = '.keyindex';
const MAGIC = 0x424b4931; // "BKI1"
const HEADER = 16;
const ENTRY = 8;

/** FNV-1a over the key bytes: no allocation, good spread for short keys. */
export function keyHash(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= buf[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class SegmentKeys {
  hashes: Uint32Array;
  rels: Int32Array;
  count = 0;
  /** Segment bytes [0, coveredEnd) are indexed. */
  coveredEnd = 0;
  /** Entries are sorted by (hash, rel): loaded from a file, probed by binary search. */
  private sorted: boolean;

  constructor(capacity = 256, sorted = false) {
    this.hashes = new Uint32Array(capacity);
    this.rels = new Int32Array(capacity);
    this.sorted = sorted;
  }

  add(hash: number, rel: number): void {
    if (this.count === this.hashes.length) {
      const h = new Uint32Array(this.count * 2);
      h.set(this.hashes);
      const r = new Int32Array(this.count * 2);
      r.set(this.rels);
      this.hashes = h;
      this.rels = r;
    }
    this.hashes[this.count] = hash;
    this.rels[this.count] = rel;
    this.count++;
    this.sorted = false;
  }

  /** Relative offsets whose key hashes to `hash`, ascending. */
  probe(hash: number): number[] {
    const out: number[] = [];
    if (!this.sorted) {
      const hs = this.hashes;
      for (let i = 0; i < this.count; i++) if (hs[i] === hash) out.push(this.rels[i]!);
      return out;
    }
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.hashes[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.count && this.hashes[i] === hash; i++) out.push(this.rels[i]!);
    return out;
  }

  serialize(): Buffer {
    const order = Array.from({ length: this.count }, (_, i) => i);
    order.sort((a, b) => this.hashes[a]! - this.hashes[b]! || this.rels[a]! - this.rels[b]!);
    const out = Buffer.allocUnsafe(HEADER + this.count * ENTRY);
    let p = HEADER;
    for (const i of order) {
      out.writeUInt32BE(this.hashes[i]!, p);
      out.writeInt32BE(this.rels[i]!, p + 4);
      p += ENTRY;
    }
    out.writeUInt32BE(MAGIC, 0);
    out.writeUInt32BE(this.count, 4);
    out.writeUInt32BE(this.coveredEnd, 8);
    out.writeUInt32BE(crc32c(out.subarray(HEADER)), 12);
    return out;
  }

  /** Cheap check used at recovery: header and length agree, coverage inside the segment. */
  static headerValid(data: Buffer, segmentSize: number): boolean {
    if (data.length < HEADER || data.readUInt32BE(0) !== MAGIC) return false;
    const count = data.readUInt32BE(4);
    return data.length === HEADER + count * ENTRY && data.readUInt32BE(8) <= segmentSize;
  }

  /** Parses a file; null when damaged (length, CRC, order, offsets outside the segment). */
  static parse(data: Buffer, segmentSize: number, maxRel: number): SegmentKeys | null {
    if (!SegmentKeys.headerValid(data, segmentSize)) return null;
    const count = data.readUInt32BE(4);
    if (crc32c(data.subarray(HEADER)) !== data.readUInt32BE(12)) return null;
    const keys = new SegmentKeys(Math.max(count, 1), true);
    let prevH = -1;
    let prevR = -1;
    for (let i = 0, p = HEADER; i < count; i++, p += ENTRY) {
      const h = data.readUInt32BE(p);
      const r = data.readInt32BE(p + 4);
      if (r < 0 || r > maxRel || h < prevH || (h === prevH && r <= prevR)) return null;
      keys.hashes[i] = h;
      keys.rels[i] = r;
      prevH = h;
      prevR = r;
    }
    keys.count = count;
    keys.coveredEnd = data.readUInt32BE(8);
    keys.sorted = true;
    return keys;
  }
}

let cursor = 0;
function varint(buf: Buffer): number {
  let shift = 0;
  let raw = 0;
  for (;;) {
    const b = buf[cursor++]!;
    raw += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  // zigzag
  return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
}

/**
 * Adds the keys of the v2 batch at `buf[pos]` to `keys`, offsets relative to
 * `segmentBase`. Control batches carry no user keys. A compressed batch is
 * decompressed (only topics with the index on pay for that).
 */
export function indexBatchKeys(keys: SegmentKeys, buf: Buffer, pos: number, segmentBase: number): void {
  const attributes = buf.readInt16BE(pos + BATCH.ATTRIBUTES);
  if ((attributes & ATTR.CONTROL) !== 0) return;
  const count = buf.readInt32BE(pos + BATCH.RECORD_COUNT);
  const size = BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
  const codec = attributes & ATTR.COMPRESSION_MASK;
  let body = buf;
  let p = pos + BATCH.RECORDS;
  if (codec !== 0) {
    body = decompress(codec, buf.subarray(p, pos + size));
    p = 0;
  }
  const baseRel = batchBaseOffset(buf, pos) - segmentBase;
  for (let i = 0; i < count; i++) {
    cursor = p;
    const length = varint(body);
    const next = cursor + length;
    cursor++; // attributes
    varint(body); // timestamp delta (fits a double for any real delta)
    const offsetDelta = varint(body);
    const keyLength = varint(body);
    if (keyLength >= 0) keys.add(keyHash(body, cursor, cursor + keyLength), baseRel + offsetDelta);
    p = next;
  }
}
