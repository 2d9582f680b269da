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

/** Appended entries go to fixed-size chunks: no copying as the index grows, and no huge buffers for the GC to chase. */
const CHUNK = 16384;

export class SegmentKeys {
  /** Entries loaded from a file, sorted by (hash, rel): probed by binary search. */
  private sortedH: Uint32Array;
  private sortedR: Int32Array;
  /** Entries added since (appends, catch-up scans), in offset order; the last chunk holds `tail` of them. */
  chunksH: Uint32Array[] = [];
  chunksR: Int32Array[] = [];
  tail = CHUNK;
  /** Segment bytes [0, coveredEnd) are indexed. */
  coveredEnd = 0;

  constructor(sortedH = new Uint32Array(0), sortedR = new Int32Array(0)) {
    this.sortedH = sortedH;
    this.sortedR = sortedR;
  }

  get count(): number {
    return this.sortedH.length + (this.chunksH.length === 0 ? 0 : (this.chunksH.length - 1) * CHUNK + this.tail);
  }

  /** Starts a new chunk (the last one is full); indexBatchKeys fills it directly. */
  newChunk(): void {
    this.chunksH.push(new Uint32Array(CHUNK));
    this.chunksR.push(new Int32Array(CHUNK));
    this.tail = 0;
  }

  add(hash: number, rel: number): void {
    if (this.tail === CHUNK) this.newChunk();
    this.chunksH[this.chunksH.length - 1]![this.tail] = hash;
    this.chunksR[this.chunksR.length - 1]![this.tail] = rel;
    this.tail++;
  }

  /** Relative offsets whose key hashes to `hash`, ascending. */
  probe(hash: number): number[] {
    const out: number[] = [];
    const hs = this.sortedH;
    let lo = 0;
    let hi = hs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hs[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < hs.length && hs[i] === hash; i++) out.push(this.sortedR[i]!);
    for (let c = 0; c < this.chunksH.length; c++) {
      const ch = this.chunksH[c]!;
      const n = c === this.chunksH.length - 1 ? this.tail : CHUNK;
      for (let i = 0; i < n; i++) if (ch[i] === hash) out.push(this.chunksR[c]![i]!);
    }
    return out;
  }

  /** Every entry as two arrays (file entries first, then appended ones in offset order). */
  private flat(): { h: Uint32Array; r: Int32Array } {
    const n = this.count;
    const h = new Uint32Array(n);
    const r = new Int32Array(n);
    h.set(this.sortedH);
    r.set(this.sortedR);
    let at = this.sortedH.length;
    for (let c = 0; c < this.chunksH.length; c++) {
      const len = c === this.chunksH.length - 1 ? this.tail : CHUNK;
      h.set(this.chunksH[c]!.subarray(0, len), at);
      r.set(this.chunksR[c]!.subarray(0, len), at);
      at += len;
    }
    return { h, r };
  }

  serialize(): Buffer {
    // LSD radix sort, 16 bits a pass: by rel (low, high), then by hash (low, high); stable, so (hash, rel) order.
    // A comparator sort of a few million entries would take seconds of the append thread at a roll.
    const { h: hashes, r: rels } = this.flat();
    const n = hashes.length;
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
    pass(rels, 0);
    pass(rels, 16);
    pass(hashes, 0);
    pass(hashes, 16);
    const out = Buffer.allocUnsafe(HEADER + n * ENTRY);
    let p = HEADER;
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      out.writeUInt32BE(hashes[i]!, p);
      out.writeInt32BE(rels[i]!, p + 4);
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
    const hs = new Uint32Array(count);
    const rs = new Int32Array(count);
    let prevH = -1;
    let prevR = -1;
    for (let i = 0, p = HEADER; i < count; i++, p += ENTRY) {
      const h = data.readUInt32BE(p);
      const r = data.readInt32BE(p + 4);
      if (r < 0 || r > maxRel || h < prevH || (h === prevH && r <= prevR)) return null;
      hs[i] = h;
      rs[i] = r;
      prevH = h;
      prevR = r;
    }
    const keys = new SegmentKeys(hs, rs);
    keys.coveredEnd = data.readUInt32BE(8);
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
  if (keys.tail === CHUNK) keys.newChunk();
  let hashes = keys.chunksH[keys.chunksH.length - 1]!;
  let rels = keys.chunksR[keys.chunksR.length - 1]!;
  let n = keys.tail;
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
      if (n === CHUNK) {
        keys.tail = n;
        keys.newChunk();
        hashes = keys.chunksH[keys.chunksH.length - 1]!;
        rels = keys.chunksR[keys.chunksR.length - 1]!;
        n = 0;
      }
      hashes[n] = h >>> 0;
      rels[n] = baseRel + offsetDelta;
      n++;
    }
    c = next;
  }
  keys.tail = n;
}
