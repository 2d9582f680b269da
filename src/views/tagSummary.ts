/**
 * Per-batch tag summaries (RocketMQ keeps a tag hash per message in its consume queue for the same reason): a
 * 256-bit bloom of the tags a source batch holds, computed the first time any view scans the batch and kept per
 * source log, so a selective tag view skips batches without a matching tag without decompressing or walking them.
 * Keyed by base offset and checked against the batch CRC, so a batch replaced by compaction or truncation is
 * summarised again.
 */

const WORDS = 8;
/** Summaries kept per source partition before the oldest half is dropped. */
const MAX_PER_LOG = 262_144;

export interface TagSummary {
  crc: number;
  bloom: Uint32Array;
}

/** FNV-1a over bytes [start, end). */
export function hashBytes(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

export function hashTag(tag: string): number {
  const b = Buffer.from(tag);
  return hashBytes(b, 0, b.length);
}

export function newBloom(): Uint32Array {
  return new Uint32Array(WORDS);
}

/** Two bits per tag, from the low and high halves of its hash. */
export function addToBloom(bloom: Uint32Array, hash: number): void {
  const a = hash & 0xff;
  const b = (hash >>> 16) & 0xff;
  bloom[a >>> 5]! |= 1 << (a & 31);
  bloom[b >>> 5]! |= 1 << (b & 31);
}

export function mayHold(bloom: Uint32Array, hash: number): boolean {
  const a = hash & 0xff;
  const b = (hash >>> 16) & 0xff;
  return (bloom[a >>> 5]! & (1 << (a & 31))) !== 0 && (bloom[b >>> 5]! & (1 << (b & 31))) !== 0;
}

/** Summaries of one source partition's batches. */
export class TagSummaries {
  private readonly byBase = new Map<number, TagSummary>();

  get(baseOffset: number, crc: number): TagSummary | undefined {
    const s = this.byBase.get(baseOffset);
    return s !== undefined && s.crc === crc ? s : undefined;
  }

  set(baseOffset: number, summary: TagSummary): void {
    if (this.byBase.size >= MAX_PER_LOG) {
      // Map keeps insertion order: drop the older half
      let n = MAX_PER_LOG / 2;
      for (const k of this.byBase.keys()) {
        if (n-- <= 0) break;
        this.byBase.delete(k);
      }
    }
    this.byBase.set(baseOffset, summary);
  }

  get size(): number {
    return this.byBase.size;
  }
}

const perLog = new WeakMap<object, TagSummaries>();

/** The summaries of a source log (any object identifying it: the PartitionLog instance). */
export function summariesOf(log: object): TagSummaries {
  let s = perLog.get(log);
  if (!s) perLog.set(log, (s = new TagSummaries()));
  return s;
}
