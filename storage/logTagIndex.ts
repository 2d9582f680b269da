import * as path from 'node:path';
import type { LogConfig } from './config';
import { writeFileAtomic, type StorageFs } from './fs';
import { indexPublished } from './logKeyIndex';
import { scanBatches } from './batchScanner';
import type { LogState } from './logState';
import type { Segment } from './segment';
import { indexBatchTags, SegmentTags } from './tagIndex';

/** What tag lookups did, so a caller (and a test) can see what the index spared and what it cost. */
export interface TagIndexStats {
  /** Reads the index let skip ahead, and the offsets they skipped without reading them. */
  skips: number;
  offsetsSkipped: number;
  /** Batches decoded to build index entries outside the append path (enabled late, file missing or damaged). */
  batchesIndexed: number;
  /** Segments whose index was built from the log because no usable file was there. */
  rebuilds: number;
}

/** Closed segments' indexes kept parsed per log after a lookup (each is 24 bytes per tagged batch). */
const CACHED_SEGMENTS = 4;
/** Segment bytes one lookup indexes at most when catching up, so a first fetch after enabling stays short. */
const CATCH_UP_BYTES = 16 * 1024 * 1024;
/** Segments one skip looks through before answering (the caller asks again from there). */
const SKIP_SEGMENTS = 64;

/** Append path: the per-segment indexes a log keeps beside its segments (key index, tag index) take the batch. */
export function indexSidecars(config: LogConfig, seg: Segment, buf: Buffer, p: number, position: number, size: number): void {
  if (config.keyIndex) indexPublished(seg, buf, p, position, size);
  if (config.tagIndex) indexPublishedTags(seg, buf, p, position, size);
}

/** Append path: indexes the batch just published at `position` when the segment's index is contiguous up to it. */
export function indexPublishedTags(seg: Segment, buf: Buffer, p: number, position: number, size: number): void {
  let tags = seg.tags;
  if (tags === null) {
    // a segment that already holds unindexed batches is caught up by the first lookup
    if (position !== 0) return;
    tags = seg.tags = new SegmentTags();
  }
  if (tags.coveredEnd !== position) return;
  try {
    indexBatchTags(tags, buf, p, seg.baseOffset);
  } catch {
    // a batch the codec cannot decode gets no entry and stays covered: a view cannot decode it either
  }
  tags.coveredEnd = position + size;
}

/** Writes a complete in-memory tag index beside the segment; a closed segment's is dropped from memory after. */
export async function persistTagIndex(sfs: StorageFs, seg: Segment, closed: boolean): Promise<void> {
  const tags = seg.tags;
  if (tags === null) return;
  if (tags.coveredEnd === seg.size) await writeFileAtomic(sfs, seg.dir, path.basename(seg.tagIndexPath), tags.serialize());
  if (closed) seg.tags = null;
}

/** Indexes the segment's batches from `tags.coveredEnd` on, `budget` bytes at most; returns the batches indexed. */
async function indexFrom(seg: Segment, tags: SegmentTags, budget: number): Promise<number> {
  let batches = 0;
  const limit = Math.min(seg.size, tags.coveredEnd + budget);
  while (tags.coveredEnd < limit && !seg.deleted) {
    const from = tags.coveredEnd;
    await scanBatches(seg, from, limit, false, (b) => {
      // appends extend the index themselves once it reaches their position
      if (b.position !== tags.coveredEnd) return false;
      try {
        indexBatchTags(tags, b.buf, b.offsetInBuf, seg.baseOffset);
      } catch {
        // undecodable batch: no entry
      }
      tags.coveredEnd = b.position + b.size;
      batches++;
      return true;
    });
    if (tags.coveredEnd === from) break;
  }
  return batches;
}

function parseFile(data: Buffer, seg: Segment): SegmentTags | null {
  return SegmentTags.parse(data, seg.size, seg.nextOffset - seg.baseOffset);
}

/**
 * Recovery: an existing tag index file that does not parse (torn, bad CRC, covering more than the segment) is
 * rebuilt from the segment now; a good one of the active segment is kept in memory so appends extend it. `scanned`:
 * entries recovery built while it scanned the whole segment, which replace any file. Returns what was done, or null
 * when the file is fine or absent (absent: built by the first view read that needs it).
 */
export async function checkTagIndexFile(sfs: StorageFs, seg: Segment, closed: boolean, scanned: SegmentTags | null = null): Promise<string | null> {
  if (scanned !== null && scanned.coveredEnd === seg.size) {
    seg.tags = scanned;
    await persistTagIndex(sfs, seg, closed);
    return null;
  }
  let data: Buffer;
  try {
    data = await sfs.readFile(seg.tagIndexPath);
  } catch {
    return null;
  }
  const parsed = parseFile(data, seg);
  if (parsed !== null) {
    if (!closed) seg.tags = parsed;
    return null;
  }
  const tags = new SegmentTags();
  await indexFrom(seg, tags, Infinity);
  seg.tags = tags;
  await persistTagIndex(sfs, seg, closed);
  return `was damaged (${data.length} bytes); rebuilt with ${tags.count} entries`;
}

/**
 * Tag lookups of one partition log for filtered views: which offsets a read for some tags can skip without reading
 * them, and which batches already read it can skip without decoding them. Parts of the log the index does not
 * cover (enabled late, lost with the process) are caught up a bounded amount per lookup; until then they are
 * "may match", so a view reads and filters them as without an index.
 */
export class LogTagIndex {
  readonly stats: TagIndexStats = { skips: 0, offsetsSkipped: 0, batchesIndexed: 0, rebuilds: 0 };
  private readonly cache = new Map<Segment, SegmentTags>();
  private readonly loading = new Map<Segment, Promise<SegmentTags>>();

  constructor(private readonly log: LogState) {}

  /**
   * The first offset at or after `offset` (at most `maxOffset`) that a read for records tagged with one of
   * `hashes` must look at: every batch before it is known to hold none of them. `catchUp`: whether this call may
   * index an uncovered part of a segment first (a reader allows it once per fetch, so one fetch indexes at most
   * CATCH_UP_BYTES).
   */
  async skip(offset: number, hashes: readonly number[], maxOffset: number, catchUp = true): Promise<number> {
    const log = this.log;
    let at = offset;
    for (let looked = 0; at < maxOffset && looked < SKIP_SEGMENTS; looked++) {
      const i = log.segmentIndexFor(at);
      const seg = log.segments[i]!;
      if (seg.deleted) break;
      const indexedBefore = this.stats.batchesIndexed;
      const tags = await this.tagsOf(seg, catchUp);
      if (this.stats.batchesIndexed !== indexedBefore) catchUp = false;
      const rel = at - seg.baseOffset;
      if (rel >= tags.coveredNext) break;
      const candidate = tags.firstCandidate(rel, hashes);
      if (candidate >= 0) {
        at = Math.max(at, seg.baseOffset + candidate);
        break;
      }
      at = seg.baseOffset + tags.coveredNext;
      const next = log.segments[i + 1];
      if (tags.coveredEnd < seg.size || next === undefined) break;
      at = Math.max(at, next.baseOffset);
    }
    at = Math.min(at, maxOffset);
    if (at > offset) {
      this.stats.skips++;
      this.stats.offsetsSkipped += at - offset;
    }
    return at;
  }

  /** Whether the batch at `baseOffset` may hold one of `hashes`: false only when the index covers it and says so. */
  batchMayMatch(baseOffset: number, hashes: readonly number[]): boolean {
    const seg = this.log.segments[this.log.segmentIndexFor(baseOffset)]!;
    const tags = this.known(seg);
    if (tags === undefined) return true;
    const rel = baseOffset - seg.baseOffset;
    return rel >= tags.coveredNext || tags.batchMayHold(rel, hashes);
  }

  /**
   * The index in memory for a segment: the active one's lives on the segment (appends extend it); a closed one's in
   * the cache. A truncation makes the segment it cuts the active one and drops its index, so a cached index of a
   * segment that was cut is never used again.
   */
  private known(seg: Segment): SegmentTags | undefined {
    if (seg.tags !== null) return seg.tags;
    return seg === this.log.active ? undefined : this.cache.get(seg);
  }

  /** The segment's index, caught up by at most CATCH_UP_BYTES; a closed segment's is written once complete. */
  private async tagsOf(seg: Segment, catchUp: boolean): Promise<SegmentTags> {
    let tags = this.known(seg);
    if (tags === undefined) {
      let pending = this.loading.get(seg);
      if (!pending) {
        pending = this.load(seg).finally(() => this.loading.delete(seg));
        this.loading.set(seg, pending);
      }
      tags = await pending;
    }
    if (catchUp && tags.coveredEnd < seg.size) {
      this.stats.batchesIndexed += await indexFrom(seg, tags, CATCH_UP_BYTES);
      if (tags.coveredEnd === seg.size && seg !== this.log.active && !seg.deleted) {
        await writeFileAtomic(this.log.ctx.sfs, seg.dir, path.basename(seg.tagIndexPath), tags.serialize()).catch(() => undefined);
      }
    }
    return tags;
  }

  private async load(seg: Segment): Promise<SegmentTags> {
    const log = this.log;
    let tags: SegmentTags | null = null;
    let found = false;
    try {
      const data = await log.ctx.sfs.readFile(seg.tagIndexPath);
      found = true;
      tags = parseFile(data, seg);
    } catch {
      tags = null;
    }
    if (tags === null) {
      tags = new SegmentTags();
      this.stats.rebuilds++;
      const why = found ? 'damaged' : 'missing';
      log.ctx.logger[found ? 'warn' : 'info']({ topic: log.topic, partition: log.partition, segment: seg.name }, `tag index of segment ${seg.name} ${why}: building it from the log`);
    }
    if (seg === log.active && seg.tags === null) {
      // appends extend it from here on
      seg.tags = tags;
      return tags;
    }
    this.cache.set(seg, tags);
    for (const s of this.cache.keys()) {
      if (this.cache.size <= CACHED_SEGMENTS && !s.deleted) break;
      this.cache.delete(s);
    }
    return tags;
  }
}
