import type { PartitionLog } from '../../storage';
import type { LogTagIndex } from '../../storage/partitionLog';
import { iterateBatches } from '../../protocol/records';
import { RecordState, endOffsetOf, mapRange, normalize, type PartitionSnapshot, type Run } from './partitionState';
import type { RecordFilter } from '../views/recordFilter';
import { selectRecords } from '../views/batchSelect';
import { viewScanBudget } from '../views/scanHints';
import { viewScanStats } from '../views/scanStats';
import { hashTag } from '../../storage/tagIndex';

/** How much of the log one read takes while acquiring or redelivering. */
const READ_SLICE_BYTES = 1 << 20;

/** One acquired piece as ShareFetch reports it. */
export interface AcquiredRange {
  firstOffset: number;
  lastOffset: number;
  deliveryCount: number;
}

/** A share-partition in memory: its replayed snapshot plus what lives only in the broker (write order, waiters, timers). */
export class SharePartition {
  /** The last replayed (durable) state. */
  snapshot: PartitionSnapshot | null = null;
  /** The latest planned state whose write is not durable yet; plans build on it. */
  pending: PartitionSnapshot | null = null;
  /** The data partition's leader epoch this broker owns the share-partition at (0 on a single broker). */
  leaderEpoch = 0;
  /** The share coordinator's state epoch this state was loaded at (cluster mode); a reset bumps it there. */
  stateEpoch = 0;
  /** Bumped when a write fails, voiding the plans made on top of it. */
  generation = 0;
  /** Serializes plans on this share-partition: each is computed from the state the previous one left. */
  private chain: Promise<unknown> = Promise.resolve();
  readonly waiters = new Set<() => void>();
  lockTimer: NodeJS.Timeout | null = null;
  wakeTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly group: string,
    readonly topicId: string,
    readonly topicName: string,
    readonly partition: number,
  ) {}

  get current(): PartitionSnapshot | null {
    return this.pending ?? this.snapshot;
  }

  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

export interface AcquirePlan {
  snapshot: PartitionSnapshot;
  acquired: AcquiredRange[];
  /** Batches read from the log that hold the newly acquired records. */
  newBatches: Buffer[];
  /** A filtered view's scan budget ran out before the end of the log: acquire again rather than wait for appends. */
  more: boolean;
}

/**
 * Plans one acquisition for `member`: first records released earlier whose back-off has
 * passed, then records never delivered, whole batches at a time, up to about maxRecords
 * (Kafka's soft limit: a batch is not split). Control batches are archived as they pass, and with
 * `readCommitted` (share.isolation.level=read_committed) so are batches of aborted transactions,
 * and nothing past the last stable offset is acquired.
 * With `filter` (a filtered view, whose log is its source's) only matching records are acquired, and delivered in
 * batches holding only them; the offsets of the others are archived as they pass, as gaps that never block the start
 * offset from moving on.
 */
export async function planAcquire(
  snap: PartitionSnapshot,
  log: PartitionLog,
  member: string,
  maxRecords: number,
  maxBytes: number,
  lockUntil: number,
  now: number,
  readCommitted = false,
  filter: RecordFilter | null = null,
): Promise<AcquirePlan | null> {
  let runs: Run[] = [...snap.runs];
  let startOffset = snap.startOffset;
  // Records removed by retention or DeleteRecords cannot be delivered any more.
  if (log.logStartOffset > startOffset) {
    runs = runs.filter((r) => r.last >= log.logStartOffset).map((r) => (r.first < log.logStartOffset ? { ...r, first: log.logStartOffset } : r));
    startOffset = log.logStartOffset;
  }
  const acquired: AcquiredRange[] = [];
  let count = 0;
  for (const r of [...runs]) {
    if (count >= maxRecords) break;
    if (r.state !== RecordState.AVAILABLE || r.availableAt > now) continue;
    const last = Math.min(r.last, r.first + (maxRecords - count) - 1);
    const dc = r.deliveryCount + 1;
    runs = mapRange(runs, r.first, last, (p) => ({ ...p, state: RecordState.ACQUIRED, deliveryCount: dc, member, lockUntil, availableAt: 0 }));
    acquired.push({ firstOffset: r.first, lastOffset: last, deliveryCount: dc });
    count += last - r.first + 1;
  }
  const newBatches: Buffer[] = [];
  let end = runs.length === 0 ? startOffset : runs[runs.length - 1]!.last + 1;
  // read_committed: never past the last stable offset, so an open transaction's records wait for its marker.
  const hwm = readCommitted ? (await log.producerState.table()).lastStableOffset(log.highWatermark) : log.highWatermark;
  let bytes = 0;
  let scanned = 0;
  const kept: number[] = [];
  const tags = filter !== null ? await tagLookup(log, filter) : null;
  let catchUp = true;
  // Read in slices: a client's MaxBytes (librdkafka: 50 MiB) is a cap, not a read size, and a deep backlog must not be read whole.
  while (count < maxRecords && end < hwm && bytes < maxBytes && scanned < viewScanBudget.bytes) {
    if (tags !== null) {
      // offsets the source's tag index knows hold none of the view's tags are archived unread (the index builds a
      // bounded amount of what it lacks on the first skip of an acquisition only, as a view Fetch does)
      const next = await tags.index.skip(end, tags.hashes, hwm, catchUp);
      catchUp = false;
      if (next > end) {
        viewScanStats.offsetsSkippedUnread += next - end;
        runs.push({ first: end, last: next - 1, state: RecordState.ARCHIVED, deliveryCount: 0, availableAt: 0, member: null, lockUntil: 0 });
        end = next;
        if (end >= hwm) break;
      }
    }
    const res = await log.read(end, Math.max(1, Math.min(maxBytes - bytes, READ_SLICE_BYTES)), { maxOffset: hwm, minOneBatch: true });
    if (res.chunks.length === 0) break;
    const buf = res.chunks.length === 1 ? res.chunks[0]! : Buffer.concat(res.chunks);
    const before = end;
    const aborted = readCommitted && log.hasAbortedTxns ? await log.abortedTxns(end, hwm) : [];
    for (const b of iterateBatches(buf)) {
      const base = Number(b.baseOffset);
      const last = base + b.lastOffsetDelta;
      if (last < end) continue;
      const first = Math.max(base, end);
      // Control batches, batches without records (a producer's sequences only: src/scheduled/sequencedIntake.ts)
      // and (read_committed) batches of aborted transactions are never delivered.
      if (b.isControl || b.recordCount === 0 || (b.isTransactional && aborted.some((a) => a.producerId === b.producerId && a.firstOffset <= base && base <= a.lastOffset))) {
        runs.push({ first, last, state: RecordState.ARCHIVED, deliveryCount: 0, availableAt: 0, member: null, lockUntil: 0 });
      } else if (tags !== null && !tags.index.batchMayMatch(base, tags.hashes)) {
        viewScanStats.batchesSkippedBySummary++;
        runs.push({ first, last, state: RecordState.ARCHIVED, deliveryCount: 0, availableAt: 0, member: null, lockUntil: 0 });
        scanned += b.size;
      } else if (filter !== null) {
        viewScanStats.batchesWalked++;
        kept.length = 0;
        const batch = selectRecords(buf, b.position, b.size, { filter, from: first }, kept);
        let at = first;
        for (let i = 0; i < kept.length; i += 2) {
          const lo = kept[i]!;
          const hi = kept[i + 1]!;
          if (lo > at) runs.push({ first: at, last: lo - 1, state: RecordState.ARCHIVED, deliveryCount: 0, availableAt: 0, member: null, lockUntil: 0 });
          runs.push({ first: lo, last: hi, state: RecordState.ACQUIRED, deliveryCount: 1, availableAt: 0, member, lockUntil });
          acquired.push({ firstOffset: lo, lastOffset: hi, deliveryCount: 1 });
          count += hi - lo + 1;
          at = hi + 1;
        }
        if (at <= last) runs.push({ first: at, last, state: RecordState.ARCHIVED, deliveryCount: 0, availableAt: 0, member: null, lockUntil: 0 });
        if (batch !== null) {
          newBatches.push(batch);
          bytes += batch.length;
        }
        scanned += b.size;
      } else {
        runs.push({ first, last, state: RecordState.ACQUIRED, deliveryCount: 1, availableAt: 0, member, lockUntil });
        acquired.push({ firstOffset: first, lastOffset: last, deliveryCount: 1 });
        newBatches.push(buf.subarray(b.position, b.position + b.size));
        count += last - first + 1;
        bytes += b.size;
      }
      end = last + 1;
      if (count >= maxRecords || bytes >= maxBytes) break;
    }
    if (end === before) break;
  }
  if (acquired.length === 0 && end === endOffsetOf(snap) && startOffset === snap.startOffset) return null;
  return { snapshot: normalize(startOffset, runs), acquired, newBatches, more: end < hwm && scanned >= viewScanBudget.bytes };
}

/**
 * The source's tag index and the view's tag hashes when `filter` is a selective tag filter (null otherwise: SQL, or
 * '*'), as a view Fetch uses them (src/views/viewRead.ts): appends keep the index from then on, and the log is open.
 */
async function tagLookup(log: PartitionLog, filter: RecordFilter): Promise<{ index: LogTagIndex; hashes: number[] } | null> {
  if (filter.tags === null || filter.all) return null;
  if (!log.currentConfig().tagIndex) log.updateConfig({ tagIndex: true });
  await log.open();
  return { index: log.tagIndex, hashes: filter.tags.map(hashTag) };
}

/**
 * The log batches that hold the given (already delivered once) ranges, for redelivery. `onlyRanges` (filtered
 * views): each batch cut down to the records of those ranges, so records the view does not serve are never sent.
 */
export async function readBatchesCovering(log: PartitionLog, ranges: readonly AcquiredRange[], maxBytes: number, onlyRanges = false): Promise<Buffer[]> {
  const offsets = onlyRanges ? ranges.flatMap((r) => [r.firstOffset, r.lastOffset]) : null;
  const kept: number[] = [];
  const out: Buffer[] = [];
  let covered = -1;
  for (const range of ranges) {
    let offset = Math.max(range.firstOffset, covered + 1);
    while (offset <= range.lastOffset) {
      const res = await log.read(offset, Math.max(1, Math.min(maxBytes, READ_SLICE_BYTES)), { maxOffset: log.highWatermark, minOneBatch: true });
      if (res.chunks.length === 0) return out;
      const buf = res.chunks.length === 1 ? res.chunks[0]! : Buffer.concat(res.chunks);
      let next = offset;
      for (const b of iterateBatches(buf)) {
        const base = Number(b.baseOffset);
        const last = base + b.lastOffsetDelta;
        next = last + 1;
        if (last < offset) continue;
        if (base > range.lastOffset) break;
        covered = last;
        if (offsets === null) {
          out.push(buf.subarray(b.position, b.position + b.size));
          continue;
        }
        if (b.isControl) continue;
        const only = selectRecords(buf, b.position, b.size, { offsets }, kept);
        if (only !== null) out.push(only);
      }
      if (next <= offset) return out;
      offset = next;
    }
  }
  return out;
}
