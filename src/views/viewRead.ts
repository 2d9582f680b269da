import { ErrorCode } from '../../protocol/errors';
import { ATTR, BATCH } from '../../protocol/records/batchHeader';
import { buildControlBatch } from '../../protocol/records/control';
import { CompressionError, decompress } from '../../protocol/records/compression';
import type { PartitionLog } from '../../storage';
import type { LogTagIndex } from '../../storage/partitionLog';
import { hashTag } from '../../storage/tagIndex';
import type { AbortedTxn } from '../../storage/txnIndex';
import { StorageError } from '../../storage/errors';
import { errorRead, type FetchTarget, type PartitionRead } from '../fetch/partitionRead';
import type { BrokerServices } from '../handlers/types';
import { partitionLog } from '../metadata/partitionLogs';
import type { TopicInfo } from '../metadata/types';
import { checkLeader } from '../replication/leadership';
import { FilterSyntaxError } from './filterParser';
import { compileFilter, FilterEvaluationError, TAG_HEADER_BYTES, TagFilter, type RecordFilter } from './recordFilter';
import { RecordCursor } from './recordScan';
import { rewriteBatch } from './batchSelect';
import { VIEW_OF, viewFilterText } from './viewTopics';
import { rememberScanHint, scanHint, viewScanBudget, type ScanHint } from './scanHints';
import { viewScanStats } from './scanStats';

/** Source bytes asked of the log per read. */
const READ_SIZE = 1024 * 1024;
const NO_PRODUCER = -1n;

/** What one view read needs while walking source batches. */
interface Walk {
  filter: RecordFilter;
  /** The filter when it is a selective tag filter. */
  tagFilter: TagFilter | null;
  /** A selective tag filter's tag hashes and the source's tag index, which lets the walk skip batches. */
  tagHashes: number[] | null;
  tags: LogTagIndex | null;
  aborted: AbortedTxn[];
  fetchOffset: number;
  cursor: RecordCursor;
  /** Matching record ranges of the current batch (start, end pairs). */
  ranges: number[];
  /** A source range an earlier read of this view partition found no match in (src/views/scanHints.ts). */
  hint: ScanHint | null;
}

/** What one view read collected, and where its trailing run without matches began (-1: it ended in a match). */
interface Collected {
  chunks: Buffer[];
  bytes: number;
  lastWalked: number;
  skippedFrom: number;
  /** The scan budget ran out before the read reached the end of what may be read. */
  more: boolean;
}

const cursor = new RecordCursor();

export { viewScanStats } from './scanStats';

/**
 * A fetch of a view's partition: the source partition's records that match the filter, under their source offsets,
 * in batches that keep the source batch's base offset and last offset delta (as compaction leaves them). When the
 * scanned range ends in records that do not match, a commit marker (a control batch, skipped by every client) is
 * put at its last offset, so consumers that only advance past records they see (kafkajs) move on as well.
 * `legacy` (Fetch v0-v3): message formats v0/v1 have no control batch, so there is no marker; such a read that found
 * nothing answers empty (the long poll then waits for appends instead of answering at once) and asks to be read again
 * at once while the scan budget, not the source's end, stopped it.
 */
export async function readView(services: BrokerServices, t: FetchTarget, view: TopicInfo, limit: number, minOneBatch: boolean, readCommitted: boolean, legacy = false): Promise<PartitionRead> {
  const source = services.metadata.topic(view.configs[VIEW_OF]!);
  if (!source) return errorRead(t, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
  if (services.replication) {
    const check = checkLeader(services, source.name, t.partition, t.currentLeaderEpoch);
    if (check.errorCode !== 0) return errorRead(t, check.errorCode, null);
  }
  let filter: RecordFilter;
  const filterText = viewFilterText(view);
  try {
    filter = compileFilter(filterText);
  } catch (err) {
    if (!(err instanceof FilterSyntaxError)) throw err;
    services.logger.error({ topic: view.name, err: err.message }, 'view filter does not parse');
    return errorRead(t, ErrorCode.INVALID_CONFIG, null);
  }
  // a view's partition count follows its source, which may have grown since the view was created
  const found = await partitionLog(services, source, t.partition);
  if (!found.log) return errorRead(t, found.errorCode, null);
  const log = found.log;
  if (t.fetchOffset < log.logStartOffset || t.fetchOffset > log.logEndOffset) return errorRead(t, ErrorCode.OFFSET_OUT_OF_RANGE, log);
  const highWatermark = log.highWatermark;
  const lastStableOffset = (await log.producerState.table()).lastStableOffset(highWatermark);
  const maxOffset = readCommitted ? lastStableOffset : highWatermark;
  // aborted records are left out here, so a read_committed client is told of none
  const base: PartitionRead = { target: t, errorCode: 0, log, highWatermark, logStartOffset: log.logStartOffset, lastStableOffset, chunks: [], bytes: 0, abortedTransactions: readCommitted ? [] : undefined };
  if (t.fetchOffset >= maxOffset || (limit <= 0 && !minOneBatch)) return base;
  const selectiveTags = filter.tags !== null && !filter.all;
  // appends keep the source's tag index from now on (sources of tag views get it at start and view creation too)
  if (selectiveTags && !log.currentConfig().tagIndex) log.updateConfig({ tagIndex: true });
  // the tag index walks the segments
  if (selectiveTags) await log.open();
  const walk: Walk = {
    filter,
    tagFilter: filter instanceof TagFilter && !filter.all ? filter : null,
    tagHashes: selectiveTags ? filter.tags!.map(hashTag) : null,
    tags: selectiveTags ? log.tagIndex : null,
    aborted: [],
    fetchOffset: t.fetchOffset,
    cursor,
    ranges: [],
    hint: scanHint(log, view.id, t.partition, filterText, readCommitted, maxOffset),
  };
  try {
    const got = await collect(log, walk, maxOffset, limit, minOneBatch, readCommitted);
    if (got.skippedFrom >= 0) rememberScanHint(log, view.id, t.partition, { from: got.skippedFrom, to: got.lastWalked, filter: filterText, readCommitted });
    if (legacy && got.skippedFrom >= 0) {
      const marker = got.chunks.pop()!;
      got.bytes -= marker.length;
    }
    return { ...base, chunks: got.chunks, bytes: got.bytes, scanAgain: legacy && got.bytes === 0 && got.more };
  } catch (err) {
    if (err instanceof StorageError) return errorRead(t, err.code, log);
    if (err instanceof FilterEvaluationError) {
      // the view's filter is at fault, not the source's batch (which other views and the source still read)
      services.logger.error({ view: view.name, partition: t.partition, offset: t.fetchOffset, err: err.message }, 'view filter cannot be evaluated');
      return errorRead(t, ErrorCode.INVALID_CONFIG, log);
    }
    // a stored batch whose records or compression do not decode: this partition answers with an error, others go on
    if (!(err instanceof RangeError || err instanceof CompressionError)) throw err;
    services.logger.error({ view: view.name, source: source.name, partition: t.partition, offset: t.fetchOffset, err: err.message }, 'view cannot decode a source batch');
    return errorRead(t, ErrorCode.CORRUPT_MESSAGE, log);
  }
}

async function collect(log: PartitionLog, walk: Walk, maxOffset: number, limit: number, minOneBatch: boolean, readCommitted: boolean): Promise<Collected> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let scanned = 0;
  let offset = walk.fetchOffset;
  /** Last offset of the last batch walked, and whether it (and those after the last kept one) matched nothing. */
  let lastWalked = -1;
  let skipping = false;
  let skippedFrom = -1;
  let first = true;
  outer: while (offset < maxOffset && scanned < viewScanBudget.bytes) {
    const hint = walk.hint;
    if (hint !== null && offset >= hint.from && offset <= hint.to) {
      // walked before without a match: jump over it
      if (!skipping) skippedFrom = hint.from;
      skipping = true;
      lastWalked = hint.to;
      offset = hint.to + 1;
      continue;
    }
    if (walk.tags !== null) {
      // batches the index knows hold none of the view's tags are not read at all (an uncovered part of the index is
      // built a bounded amount by the first skip of a fetch only, so one fetch stays short)
      const next = await walk.tags.skip(offset, walk.tagHashes!, maxOffset, first);
      first = false;
      if (next > offset) {
        viewScanStats.offsetsSkippedUnread += next - offset;
        if (!skipping) skippedFrom = offset;
        lastWalked = next - 1;
        skipping = true;
        offset = next;
        if (offset >= maxOffset) break;
      }
    }
    const r = await log.read(offset, READ_SIZE, { maxOffset, minOneBatch: true });
    if (r.bytes === 0) break;
    if (readCommitted && log.hasAbortedTxns) walk.aborted = await log.abortedTxns(offset, endOf(r.chunks));
    for (const c of r.chunks) {
      let p = 0;
      while (p + BATCH.HEADER_SIZE <= c.length) {
        const size = BATCH.LOG_OVERHEAD + c.readInt32BE(p + BATCH.BATCH_LENGTH);
        if (p + size > c.length) break;
        const kept = keep(c, p, size, walk);
        if (kept !== null) {
          if (bytes + kept.length > limit && !(bytes === 0 && minOneBatch)) break outer;
          chunks.push(kept);
          bytes += kept.length;
          skipping = false;
        } else {
          if (!skipping) skippedFrom = Math.max(Number(c.readBigInt64BE(p)), walk.fetchOffset);
          skipping = true;
        }
        lastWalked = Number(c.readBigInt64BE(p)) + c.readInt32BE(p + BATCH.LAST_OFFSET_DELTA);
        scanned += size;
        p += size;
      }
    }
    if (lastWalked < offset) break;
    offset = lastWalked + 1;
    if (bytes >= limit) break;
  }
  if (skipping && lastWalked >= walk.fetchOffset) {
    const marker = buildControlBatch({ baseOffset: BigInt(lastWalked), producerId: NO_PRODUCER, producerEpoch: -1, commit: true, coordinatorEpoch: 0 });
    chunks.push(marker);
    bytes += marker.length;
  }
  const ended = skipping && lastWalked >= walk.fetchOffset;
  return { chunks, bytes, lastWalked, skippedFrom: ended ? skippedFrom : -1, more: offset < maxOffset && scanned >= viewScanBudget.bytes };
}

function endOf(chunks: readonly Buffer[]): number {
  let end = -1;
  for (const c of chunks) {
    for (let p = 0; p + BATCH.HEADER_SIZE <= c.length; p += BATCH.LOG_OVERHEAD + c.readInt32BE(p + BATCH.BATCH_LENGTH)) {
      end = Number(c.readBigInt64BE(p)) + c.readInt32BE(p + BATCH.LAST_OFFSET_DELTA) + 1;
    }
  }
  return end;
}

function abortedBatch(buf: Buffer, pos: number, aborted: readonly AbortedTxn[]): boolean {
  if (aborted.length === 0) return false;
  const pid = buf.readBigInt64BE(pos + BATCH.PRODUCER_ID);
  const baseOffset = Number(buf.readBigInt64BE(pos));
  for (const a of aborted) if (a.producerId === pid && a.firstOffset <= baseOffset && baseOffset <= a.lastOffset) return true;
  return false;
}

/** The batch as the view serves it (the source slice itself when every record is kept), or null to skip it. */
function keep(buf: Buffer, pos: number, size: number, walk: Walk): Buffer | null {
  const attributes = buf.readInt16BE(pos + BATCH.ATTRIBUTES);
  if ((attributes & ATTR.CONTROL) !== 0) return null;
  if ((attributes & ATTR.TRANSACTIONAL) !== 0 && abortedBatch(buf, pos, walk.aborted)) return null;
  const baseOffset = Number(buf.readBigInt64BE(pos));
  if (walk.tags !== null && !walk.tags.batchMayMatch(baseOffset, walk.tagHashes!)) {
    viewScanStats.batchesSkippedBySummary++;
    return null;
  }
  viewScanStats.batchesWalked++;
  const codec = attributes & ATTR.COMPRESSION_MASK;
  const records = codec === 0 ? buf : decompress(codec, buf.subarray(pos + BATCH.RECORDS, pos + size));
  const from = codec === 0 ? pos + BATCH.RECORDS : 0;
  const to = codec === 0 ? pos + size : records.length;
  const c = walk.cursor;
  const ranges = walk.ranges;
  ranges.length = 0;
  let count = 0;
  let all = true;
  c.reset(records, from, to);
  const tagFilter = walk.tagFilter;
  while (c.next()) {
    let match: boolean;
    if (tagFilter !== null) {
      const at = c.findHeader(TAG_HEADER_BYTES);
      match = at >= 0 && tagFilter.matchesTag(records, at, c.foundLen);
    } else {
      match = walk.filter.matches(c);
    }
    if (match && baseOffset + c.offsetDelta >= walk.fetchOffset) {
      count++;
      const last = ranges.length - 1;
      // adjacent kept records are copied as one range
      if (last > 0 && ranges[last] === c.start) ranges[last] = c.stop;
      else ranges.push(c.start, c.stop);
    } else {
      all = false;
    }
  }
  if (count === 0) return null;
  if (all && codec === 0) return buf.subarray(pos, pos + size);
  return rewriteBatch(buf, pos, records, ranges, count);
}
