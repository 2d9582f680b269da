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
export function keyHash(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
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

  /** Room for `more` entries without growing (indexBatchKeys writes the arrays directly). */
  reserve(more: number): void {
    if (this.count + more <= this.hashes.length) return;
    let cap = this.hashes.length * 2;
    while (cap < this.count + more) cap *= 2;
    const h = new Uint32Array(cap);
    h.set(this.hashes.subarray(0, this.count));
    const r = new Int32Array(cap);
    r.set(this.rels.subarray(0, this.count));
    this.hashes = h;
    this.rels = r;
  }

  unsort(): void {
    this.sorted = false;
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
    // LSD radix sort, 16 bits a pass: by rel (low, high), then by hash (low, high); stable, so (hash, rel) order.
    // A comparator sort of a few million entries would take seconds of the append thread at a roll.
    const n = this.count;
    let order = new Uint32Array(n);
    let spare = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const counts = new Uint32Array(65537);
    const pass = (values: Uint32Array | Int32Array, shift: number): void => {
      counts.fill(0);
      for (let i = 0; i < n; i++) counts[((values[order[i]!]! >>> shift) & 0xffff) + 1]!++;
      for (let b = 0; b < 65536; b++) counts[b + 1]! += counts[b]!;
      for (let i = 0; i < n; i++) {
        const e = order[i]!;
        spare[counts[(values[e]! >>> shift) & 0xffff]!++] = e;
      }
      [order, spare] = [spare, order];
    };
    pass(this.rels, 0);
    pass(this.rels, 16);
    pass(this.hashes, 0);
    pass(this.hashes, 16);
    const out = Buffer.allocUnsafe(HEADER + n * ENTRY);
    let p = HEADER;
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
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

/**
 * Adds the keys of the v2 batch at `buf[pos]` to `keys`, offsets relative to
 * `segmentBase`. Control batches carry no user keys. A compressed batch is
 * decompressed (only topics with the index on pay for that). Written as one
 * loop with local state: it runs for every record appended to an indexed topic.
 */
export function indexBatchKeys(keys: SegmentKeys, buf: Buffer, pos: number, segmentBase: number): void {
  const attributes = buf.readInt16BE(pos + BATCH.ATTRIBUTES);
  if ((attributes & ATTR.CONTROL) !== 0) return;
  const count = buf.readInt32BE(pos + BATCH.RECORD_COUNT);
  const size = BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
  const codec = attributes & ATTR.COMPRESSION_MASK;
  let body: Uint8Array = buf;
  let c = pos + BATCH.RECORDS;
  if (codec !== 0) {
    body = decompress(codec, buf.subarray(c, pos + size));
    c = 0;
  }
  const baseRel = batchBaseOffset(buf, pos) - segmentBase;
  keys.reserve(count);
  const hashes = keys.hashes;
  const rels = keys.rels;
  let n = keys.count;
  for (let i = 0; i < count; i++) {
    // record length (zig-zag varint)
    let b = body[c++]!;
    let raw = b & 0x7f;
    for (let shift = 7; b & 0x80; shift += 7) {
      b = body[c++]!;
      raw |= (b & 0x7f) << shift;
    }
    const next = c + ((raw >>> 1) ^ -(raw & 1));
    c++; // attributes
    while (body[c++]! & 0x80); // timestamp delta
    b = body[c++]!;
    raw = b & 0x7f;
    for (let shift = 7; b & 0x80; shift += 7) {
      b = body[c++]!;
      raw |= (b & 0x7f) << shift;
    }
    const offsetDelta = (raw >>> 1) ^ -(raw & 1);
    b = body[c++]!;
    raw = b & 0x7f;
    for (let shift = 7; b & 0x80; shift += 7) {
      b = body[c++]!;
      raw |= (b & 0x7f) << shift;
    }
    const keyLength = (raw >>> 1) ^ -(raw & 1);
    if (keyLength >= 0) {
      // FNV-1a, as keyHash
      let h = 0x811c9dc5;
      for (let k = c, end = c + keyLength; k < end; k++) h = Math.imul(h ^ body[k]!, 0x01000193);
      hashes[n] = h >>> 0;
      rels[n] = baseRel + offsetDelta;
      n++;
    }
    c = next;
  }
  keys.count = n;
  keys.unsort();
}
