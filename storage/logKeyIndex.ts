import * as path from 'node:path';
import { writeFileAtomic, type StorageFs } from './fs';
import { scanBatches } from './batchScanner';
import { indexBatchKeys, keyHash, SegmentKeys } from './keyIndex';
import { readLog } from './logReads';
import type { LogState } from './logState';
import { decodeBatch } from './records';
import { batchLastOffset } from './batch';
import type { Segment } from './segment';

/** What lookups did, so a caller (and a test) can see that a lookup probed the index instead of scanning. */
export interface KeyIndexStats {
  lookups: number;
  segmentsProbed: number;
  /** Offsets whose key hash matched. */
  candidates: number;
  /** Batches read to verify candidates (a scan would read every batch). */
  batchesRead: number;
  /** Segments whose index was built from the log (missing, damaged, enabled late). */
  rebuilds: number;
}

/** Which matches a lookup wants (see LogKeyIndex.find). */
export interface KeyRange {
  from?: number;
  to?: number;
  newestFirst?: boolean;
}

/** Closed segments' indexes kept parsed after a lookup. */
const CACHED_SEGMENTS = 8;

/** Append path: indexes the batch just published at `position` when the segment's index is contiguous up to it. */
export function indexPublished(seg: Segment, buf: Buffer, p: number, position: number, size: number): void {
  let keys = seg.keys;
  if (keys === null) {
    // a segment that already holds unindexed batches is caught up by the first lookup
    if (position !== 0) return;
    keys = seg.keys = new SegmentKeys();
  }
  if (keys.coveredEnd !== position) return;
  try {
    indexBatchKeys(keys, buf, p, seg.baseOffset);
  } catch {
    // a batch the codec cannot decode leaves its records unindexed; the append itself already succeeded
  }
  keys.coveredEnd = position + size;
}

/** Writes a complete in-memory key index beside the segment; a closed segment's is dropped from memory after. */
export async function persistKeyIndex(sfs: StorageFs, seg: Segment, closed: boolean): Promise<void> {
  const keys = seg.keys;
  if (keys === null) return;
  if (keys.coveredEnd === seg.size) await writeFileAtomic(sfs, seg.dir, path.basename(seg.keyIndexPath), keys.serialize());
  if (closed) seg.keys = null;
}

/** Indexes the segment's batches from `keys.coveredEnd` to its published end. */
async function catchUp(seg: Segment, keys: SegmentKeys): Promise<void> {
  while (keys.coveredEnd < seg.size && !seg.deleted) {
    const from = keys.coveredEnd;
    await scanBatches(seg, from, seg.size, false, (b) => {
      // appends extend the index themselves once it reaches their position
      if (b.position !== keys.coveredEnd) return false;
      try {
        indexBatchKeys(keys, b.buf, b.offsetInBuf, seg.baseOffset);
      } catch {
        // undecodable batch: its records stay unindexed
      }
      keys.coveredEnd = b.position + b.size;
      return true;
    });
    if (keys.coveredEnd === from) break;
  }
}

/**
 * Recovery: a key index file that exists but does not parse (torn, truncated,
 * bad CRC, entries outside the segment) is rebuilt from the segment now.
 * Returns what was done, or null when the file is fine or absent (absent:
 * built on first lookup when the topic has the index on).
 */
export async function checkKeyIndexFile(sfs: StorageFs, seg: Segment, closed: boolean): Promise<string | null> {
  let data: Buffer;
  try {
    data = await sfs.readFile(seg.keyIndexPath);
  } catch {
    return null;
  }
  const parsed = SegmentKeys.parse(data, seg.size, seg.nextOffset - seg.baseOffset);
  if (parsed !== null) return null;
  const keys = new SegmentKeys();
  await catchUp(seg, keys);
  seg.keys = keys;
  await persistKeyIndex(sfs, seg, closed);
  return `was damaged (${data.length} bytes); rebuilt with ${keys.count} entries`;
}

/**
 * Key lookups of one partition log: probe each segment's key index by hash,
 * then read only the batches holding candidates and keep the offsets whose
 * record key really is the one asked for.
 */
export class LogKeyIndex {
  readonly stats: KeyIndexStats = { lookups: 0, segmentsProbed: 0, candidates: 0, batchesRead: 0, rebuilds: 0 };
  private readonly cache = new Map<Segment, SegmentKeys>();
  private readonly loading = new Map<Segment, Promise<SegmentKeys>>();

  constructor(private readonly log: LogState) {}

  /**
   * Offsets below the high watermark whose record key equals `key`, at most `limit`: the oldest ones at or after
   * `range.from` (ascending), or with `range.newestFirst` the newest ones (descending). `range.to` (exclusive)
   * lowers the end, e.g. to the last stable offset.
   */
  async find(key: Buffer, limit: number, range: KeyRange = {}): Promise<number[]> {
    const log = this.log;
    this.stats.lookups++;
    const hash = keyHash(key, 0, key.length);
    const out: number[] = [];
    const desc = range.newestFirst === true;
    const segments = log.segments.slice();
    if (desc) segments.reverse();
    for (const seg of segments) {
      const from = Math.max(log.logStartOffset, range.from ?? 0);
      const end = Math.min(log.highWatermark, range.to ?? Infinity);
      if (seg.deleted || seg.nextOffset <= from || seg.baseOffset >= end) continue;
      const keys = await this.segmentKeys(seg);
      this.stats.segmentsProbed++;
      const candidates = keys
        .probe(hash)
        .map((r) => seg.baseOffset + r)
        .filter((o) => o >= from && o < end)
        .sort((a, b) => (desc ? b - a : a - b));
      this.stats.candidates += candidates.length;
      await this.verify(candidates, key, end, out, limit, desc);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Keeps the candidates whose record key really is `key`, in the candidates' order, one read per batch. */
  private async verify(candidates: number[], key: Buffer, end: number, out: number[], limit: number, desc: boolean): Promise<void> {
    const wanted = new Set(candidates);
    let i = 0;
    while (i < candidates.length && out.length < limit) {
      const read = await readLog(this.log, candidates[i]!, 1, { maxOffset: end, minOneBatch: true });
      if (read.chunks.length === 0) return;
      const buf = read.chunks.length === 1 ? read.chunks[0]! : Buffer.concat(read.chunks);
      this.stats.batchesRead++;
      const last = batchLastOffset(buf, 0);
      const batch = decodeBatch(buf);
      const records = desc ? batch.records.slice().reverse() : batch.records;
      const at = i;
      // newest first: a read in a compaction gap returns a later batch, whose matches were taken already
      const upTo = desc ? candidates[at]! : Infinity;
      for (const rec of records) {
        const offset = batch.baseOffset + rec.offsetDelta;
        if (offset <= upTo && wanted.has(offset) && rec.key !== null && rec.key.equals(key) && out.length < limit) out.push(offset);
      }
      if (desc) while (i < candidates.length && candidates[i]! >= batch.baseOffset) i++;
      else while (i < candidates.length && candidates[i]! <= last) i++;
      // a candidate in a gap of a compacted log is in no batch: past it
      if (i === at) i++;
    }
  }

  private async segmentKeys(seg: Segment): Promise<SegmentKeys> {
    if (seg.keys !== null) {
      const keys = seg.keys;
      await catchUp(seg, keys);
      return keys;
    }
    const cached = this.cache.get(seg);
    if (cached && cached.coveredEnd === seg.size) {
      this.cache.delete(seg);
      this.cache.set(seg, cached);
      return cached;
    }
    let pending = this.loading.get(seg);
    if (!pending) {
      pending = this.load(seg).finally(() => this.loading.delete(seg));
      this.loading.set(seg, pending);
    }
    return pending;
  }

  private async load(seg: Segment): Promise<SegmentKeys> {
    const sfs = this.log.ctx.sfs;
    let keys: SegmentKeys | null = null;
    try {
      keys = SegmentKeys.parse(await sfs.readFile(seg.keyIndexPath), seg.size, seg.nextOffset - seg.baseOffset);
    } catch {
      keys = null;
    }
    if (keys === null) {
      keys = new SegmentKeys();
      this.stats.rebuilds++;
    }
    if (seg === this.log.active && seg.keys === null) {
      // appends extend it from here on
      seg.keys = keys;
      await catchUp(seg, keys);
      return keys;
    }
    const before = keys.coveredEnd;
    await catchUp(seg, keys);
    if (keys.coveredEnd !== before && !seg.deleted && seg !== this.log.active) {
      await writeFileAtomic(sfs, seg.dir, path.basename(seg.keyIndexPath), keys.serialize()).catch(() => undefined);
    }
    this.cache.set(seg, keys);
    for (const s of this.cache.keys()) {
      if (this.cache.size <= CACHED_SEGMENTS && !s.deleted) break;
      this.cache.delete(s);
    }
    return keys;
  }
}
