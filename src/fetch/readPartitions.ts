import { ErrorCode } from '../../protocol/errors';
import { BATCH } from '../../protocol/records/batchHeader';
import type { PartitionLog } from '../../storage';
import { StorageError } from '../../storage/errors';
import type { ReadLease } from '../../storage/readBuffers';
import type { BrokerServices } from '../handlers/types';
import { partitionLog } from '../metadata/partitionLogs';
import { errorRead, type FetchTarget, type PartitionRead } from './partitionRead';
import { isView } from '../views/viewTopics';
import { readView } from '../views/viewRead';
import { checkLeader } from '../replication/leadership';

export { errorRead, type FetchTarget, type PartitionRead } from './partitionRead';

/** Without replication Brook is the only replica and never changes leader, so its leader epoch is always 0. */
const LEADER_EPOCH = 0;

/**
 * Reads every target in order within the response budget. The first partition
 * that has data may exceed the limits by one batch (KIP-74), so a batch larger
 * than max_bytes can still make progress. `legacy`: for Fetch v0-v3, whose answers are converted to message format
 * v0/v1 (filtered views leave out what such clients cannot see). With a `lease`, the chunks are in its buffers and
 * valid until it is released.
 */
export async function readPartitions(services: BrokerServices, targets: readonly FetchTarget[], maxBytes: number, readCommitted = false, legacy = false, lease?: ReadLease): Promise<PartitionRead[]> {
  let remaining = maxBytes;
  let readAny = false;
  const out: PartitionRead[] = [];
  for (const t of targets) {
    if (t.topic === null) {
      out.push(errorRead(t, t.errorCode, null));
      continue;
    }
    if (isView(t.topic)) {
      // a filtered view reads its source's log (src/views)
      const v = await readView(services, t, t.topic, Math.min(t.maxBytes, remaining), !readAny, readCommitted, legacy);
      remaining -= v.bytes;
      if (v.bytes > 0) readAny = true;
      out.push(v);
      continue;
    }
    if (services.replication) {
      // only the leader serves consumers; asked before the log lookup, which would create a log this broker does not host
      const check = checkLeader(services, t.topicName, t.partition, t.currentLeaderEpoch);
      if (check.errorCode !== 0) {
        out.push(errorRead(t, check.errorCode, null));
        continue;
      }
    }
    const found = await partitionLog(services, t.topic, t.partition);
    if (!found.log) {
      out.push(errorRead(t, found.errorCode, null));
      continue;
    }
    const log = found.log;
    if (!services.replication && t.currentLeaderEpoch > LEADER_EPOCH) {
      out.push(errorRead(t, ErrorCode.UNKNOWN_LEADER_EPOCH, log));
      continue;
    }
    if (t.fetchOffset < log.logStartOffset || t.fetchOffset > log.logEndOffset) {
      out.push(errorRead(t, ErrorCode.OFFSET_OUT_OF_RANGE, log));
      continue;
    }
    const limit = Math.min(t.maxBytes, remaining);
    if (t.fetchOffset === log.highWatermark || (limit <= 0 && readAny)) {
      // Kafka reports the partition's LSO whatever the isolation level; lag tools compute from it.
      out.push({ ...errorRead(t, 0, log), lastStableOffset: await lastStableOffsetOf(log) });
      continue;
    }
    try {
      if (readCommitted) {
        out.push(await readCommittedPartition(t, log, limit, !readAny, lease));
        const last = out[out.length - 1]!;
        remaining -= last.bytes;
        if (last.bytes > 0) readAny = true;
        continue;
      }
      const r = await log.read(t.fetchOffset, Math.max(limit, 0), { maxOffset: log.highWatermark, minOneBatch: !readAny, lease });
      remaining -= r.bytes;
      if (r.bytes > 0) readAny = true;
      const lastStableOffset = await lastStableOffsetOf(log, r.highWatermark);
      out.push({ target: t, errorCode: 0, log, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset, chunks: r.chunks, bytes: r.bytes, lastStableOffset });
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      out.push(errorRead(t, err.code, log));
    }
  }
  return out;
}

/** First offset of the oldest open transaction, or the high watermark when none is open. */
async function lastStableOffsetOf(log: PartitionLog, highWatermark = log.highWatermark): Promise<number> {
  return (await log.producerState.table()).lastStableOffset(highWatermark);
}

/** read_committed: data up to the last stable offset, with the aborted transactions the client must skip. */
async function readCommittedPartition(t: FetchTarget, log: PartitionLog, limit: number, minOneBatch: boolean, lease: ReadLease | undefined): Promise<PartitionRead> {
  const table = await log.producerState.table();
  const highWatermark = log.highWatermark;
  const lso = table.lastStableOffset(highWatermark);
  const base = { target: t, errorCode: 0, log, highWatermark, logStartOffset: log.logStartOffset, lastStableOffset: lso };
  if (t.fetchOffset >= lso) return { ...base, chunks: [], bytes: 0, abortedTransactions: [] };
  const r = await log.read(t.fetchOffset, Math.max(limit, 0), { maxOffset: lso, minOneBatch, lease });
  const abortedTransactions = r.bytes > 0 && log.hasAbortedTxns ? await log.abortedTxns(t.fetchOffset, endOffsetOf(r.chunks)) : [];
  return { ...base, logStartOffset: r.logStartOffset, chunks: r.chunks, bytes: r.bytes, abortedTransactions };
}

/** Offset after the last batch of a read (whole batches only): the end of the range the client will see. */
function endOffsetOf(chunks: readonly Buffer[]): number {
  let end = -1;
  for (const c of chunks) {
    let p = 0;
    while (p + BATCH.HEADER_SIZE <= c.length) {
      end = Number(c.readBigInt64BE(p + BATCH.BASE_OFFSET)) + c.readInt32BE(p + BATCH.LAST_OFFSET_DELTA) + 1;
      p += BATCH.LOG_OVERHEAD + c.readInt32BE(p + BATCH.BATCH_LENGTH);
    }
  }
  return end;
}
