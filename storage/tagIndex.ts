import { crc32c } from '@node-rs/crc32';
import { ATTR, BATCH } from '../protocol/records/batchHeader';
import { decompress } from '../protocol/records/compression';
import { batchBaseOffset, batchLastOffset } from './batch';

/**
 * Per-segment tag index of a view's source (issue 15 item 2; RocketMQ keeps a tag hash per message in its consume
 * queue for the same reason): one entry per batch that holds a tagged record, with a 128-bit bloom of the tags in
 * it, so a tag view skips every other batch without reading or decoding it. A batch without an entry inside the
 * covered range holds no tag at all (control batches, untagged records), which keeps a source without tags at zero
 * entries.
 *
 * File `<base>.tagindex` beside `.index`/`.keyindex`: a 24-byte header (magic, entry count, covered byte position,
 * first offset after the covered batches relative to the segment base, CRC-32C of the entries, 0) and 24-byte
 * entries (int32 relative base offset, int32 relative last offset, 4 x uint32 bloom) in offset order. A file whose
 * length, CRC or order does not match, or that covers more than the segment holds, is damaged and rebuilt.
 */
export const TAG_INDEX_SUFFIX = '.tagindex';
const MAGIC = 0x42544931; // "BTI1"
const HEADER = 24;
/** Int32 words per entry: relative base, relative last, four bloom words. */
const WORDS = 6;
const ENTRY = WORDS * 4;

/**
 * Headers a tag filter reads, first match wins: Brook's own, RocketMQ's message property for tags (`TAGS`, which
 * RocketMQ-Kafka bridges carry over as a header), and rocketmq-spring's prefixed form of it. The index hashes the
 * same header a filter matches, so both live here.
 */
export const TAG_HEADERS: readonly string[] = ['brook-tag', 'TAGS', 'rocketmq_TAGS'];
const TAG_NAMES: readonly Buffer[] = TAG_HEADERS.map((h) => Buffer.from(h));

/** FNV-1a over bytes [start, end). */
export function tagHash(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

export function hashTag(tag: string): number {
  const b = Buffer.from(tag);
  return tagHash(b, 0, b.length);
}

/** The two bloom bits of a tag hash (from its low and high halves), as word index * 32 + bit. */
function bitA(hash: number): number {
  return hash & 127;
}
function bitB(hash: number): number {
  return (hash >>> 16) & 127;
}

export class SegmentTags {
  /** WORDS int32s per entry. */
  private words: Int32Array;
  count = 0;
  /** Segment bytes [0, coveredEnd) are indexed. */
  coveredEnd = 0;
  /** The offset after the last covered batch, relative to the segment base. */
  coveredNext = 0;

  constructor(words = new Int32Array(64 * WORDS), count = 0) {
    this.words = words;
    this.count = count;
  }

  add(relBase: number, relLast: number, b0: number, b1: number, b2: number, b3: number): void {
    if ((this.count + 1) * WORDS > this.words.length) {
      const grown = new Int32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    const w = this.words;
    const i = this.count++ * WORDS;
    w[i] = relBase;
    w[i + 1] = relLast;
    w[i + 2] = b0;
    w[i + 3] = b1;
    w[i + 4] = b2;
    w[i + 5] = b3;
  }

  /** Index of the first entry whose batch ends at or after `rel`. */
  private firstEndingAtOrAfter(rel: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.words[mid * WORDS + 1]! < rel) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private mayHold(i: number, hashes: readonly number[]): boolean {
    const w = this.words;
    const at = i * WORDS + 2;
    for (const h of hashes) {
      const a = bitA(h);
      const b = bitB(h);
      if ((w[at + (a >>> 5)]! & (1 << (a & 31))) !== 0 && (w[at + (b >>> 5)]! & (1 << (b & 31))) !== 0) return true;
    }
    return false;
  }

  /** Relative base offset of the first covered batch ending at or after `rel` that may hold one of `hashes`, or -1. */
  firstCandidate(rel: number, hashes: readonly number[]): number {
    for (let i = this.firstEndingAtOrAfter(rel); i < this.count; i++) if (this.mayHold(i, hashes)) return this.words[i * WORDS]!;
    return -1;
  }

  /** Whether the covered batch starting at `relBase` may hold one of `hashes` (no entry: it holds no tag). */
  batchMayHold(relBase: number, hashes: readonly number[]): boolean {
    const i = this.firstEndingAtOrAfter(relBase);
    return i < this.count && this.words[i * WORDS] === relBase && this.mayHold(i, hashes);
  }

  serialize(): Buffer {
    const n = this.count;
    const out = Buffer.allocUnsafe(HEADER + n * ENTRY);
    const w = this.words;
    for (let i = 0, p = HEADER; i < n * WORDS; i++, p += 4) out.writeInt32BE(w[i]!, p);
    out.writeUInt32BE(MAGIC, 0);
    out.writeUInt32BE(n, 4);
    out.writeUInt32BE(this.coveredEnd, 8);
    out.writeUInt32BE(this.coveredNext, 12);
    out.writeUInt32BE(crc32c(out.subarray(HEADER)), 16);
    out.writeUInt32BE(0, 20);
    return out;
  }

  /** Parses a file; null when damaged (length, CRC, order, coverage past the segment's bytes or offsets). */
  static parse(data: Buffer, segmentSize: number, maxRel: number): SegmentTags | null {
    if (data.length < HEADER || data.readUInt32BE(0) !== MAGIC) return null;
    const n = data.readUInt32BE(4);
    const coveredEnd = data.readUInt32BE(8);
    const coveredNext = data.readUInt32BE(12);
    if (data.length !== HEADER + n * ENTRY || coveredEnd > segmentSize || coveredNext > maxRel + 1) return null;
    if (crc32c(data.subarray(HEADER)) !== data.readUInt32BE(16)) return null;
    const words = new Int32Array(Math.max(n, 1) * WORDS);
    let prevLast = -1;
    for (let i = 0, p = HEADER; i < n; i++, p += ENTRY) {
      for (let k = 0; k < WORDS; k++) words[i * WORDS + k] = data.readInt32BE(p + k * 4);
      const base = words[i * WORDS]!;
      const last = words[i * WORDS + 1]!;
      if (base <= prevLast || last < base || last >= coveredNext) return null;
      prevLast = last;
    }
    const tags = new SegmentTags(words, n);
    tags.coveredEnd = coveredEnd;
    tags.coveredNext = coveredNext;
    return tags;
  }
}

/** Bloom words of the batch being indexed (the append path allocates nothing per batch). */
const scratch = new Int32Array(4);

/** Zigzag varint at body[c]; the position after it is left in `after`. */
let after = 0;
function varint(body: Uint8Array, c: number): number {
  let b = body[c++]!;
  let raw = b & 0x7f;
  for (let shift = 7; b & 0x80; shift += 7) {
    b = body[c++]!;
    raw |= (b & 0x7f) << shift;
  }
  after = c;
  return (raw >>> 1) ^ -(raw & 1);
}

function isTagName(body: Uint8Array, at: number, len: number): boolean {
  for (const n of TAG_NAMES) {
    if (n.length !== len) continue;
    let i = 0;
    while (i < len && body[at + i] === n[i]) i++;
    if (i === len) return true;
  }
  return false;
}

/**
 * Adds the v2 batch at `buf[pos]` to `tags` (an entry only if one of its records has a tag) and moves the covered
 * offset past it. Runs on the append path of a view's source: one pass over each record's headers, no allocation
 * for an uncompressed batch; a compressed one is decompressed (only sources of views pay for that).
 */
export function indexBatchTags(tags: SegmentTags, buf: Buffer, pos: number, segmentBase: number): void {
  const relLast = batchLastOffset(buf, pos) - segmentBase;
  tags.coveredNext = relLast + 1;
  const attributes = buf.readInt16BE(pos + BATCH.ATTRIBUTES);
  if ((attributes & ATTR.CONTROL) !== 0) return;
  const count = buf.readInt32BE(pos + BATCH.RECORD_COUNT);
  const size = BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
  const codec = attributes & ATTR.COMPRESSION_MASK;
  let body: Uint8Array = buf;
  let c = pos + BATCH.RECORDS;
  let end = pos + size;
  if (codec !== 0) {
    body = decompress(codec, buf.subarray(c, pos + size));
    c = 0;
    end = body.length;
  }
  const bloom = scratch;
  bloom.fill(0);
  let tagged = false;
  // a record count the bytes cannot hold ends the walk at the batch's end
  for (let r = 0; r < count && c < end; r++) {
    const len = varint(body, c);
    const next = after + len;
    c = after + 1; // attributes
    while (body[c++]! & 0x80); // timestamp delta
    while (body[c++]! & 0x80); // offset delta
    const keyLen = varint(body, c);
    c = after + Math.max(keyLen, 0);
    const valueLen = varint(body, c);
    c = after + Math.max(valueLen, 0);
    const headers = varint(body, c);
    c = after;
    for (let h = 0; h < headers && c < next; h++) {
      const nameLen = varint(body, c);
      const nameAt = after;
      const vLen = varint(body, nameAt + nameLen);
      const vAt = after;
      c = vAt + Math.max(vLen, 0);
      if (vLen < 0 || !isTagName(body, nameAt, nameLen)) continue;
      // the first tag header of a record is the one filters match
      const hash = tagHash(body, vAt, vAt + vLen);
      const a = bitA(hash);
      const b = bitB(hash);
      bloom[a >>> 5]! |= 1 << (a & 31);
      bloom[b >>> 5]! |= 1 << (b & 31);
      tagged = true;
      break;
    }
    c = next;
  }
  if (tagged) tags.add(batchBaseOffset(buf, pos) - segmentBase, relLast, bloom[0]!, bloom[1]!, bloom[2]!, bloom[3]!);
}
