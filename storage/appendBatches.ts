import { ATTR, BATCH, fixBatchCrc } from '../protocol/records/batchHeader';
import { ErrorCode } from '../protocol/errors';
import type { LogConfig } from './config';
import { StorageError, corrupt } from './errors';
import { batchBaseOffset, batchLastOffset, plausibleBatchSize, readInt64, writeInt64 } from './batch';
import type { LogState } from './logState';
import type { Segment } from './segment';
import type { AppendOptions, AppendResult, AppendSink } from './appendTypes';

/** One append queued in a partition's pipeline (./appendPipeline.ts), and what it is checked and stamped with here. */
export interface AppendRequest {
  buf: Buffer;
  now: number;
  leaderEpoch: number | undefined;
  keepOffsets: boolean;
  /** Offsets the request spans (sum of lastOffsetDelta + 1). */
  span: number;
  records: number;
  /** Largest max timestamp of the request's batches as sent (segment.ms compares it with the active segment's first). */
  maxTimestamp: number;
  baseOffset: number;
  lastOffset: number;
  /** Called as methods of the request (`this` is it): a promise's resolving functions, or those handing to `sink`. */
  resolve: (this: AppendRequest, r: AppendResult) => void;
  reject: (this: AppendRequest, e: unknown) => void;
  sink: AppendSink | null;
}

/** A request to queue; until a promise's functions replace them, its resolving functions hand to `sink`. */
export function appendRequest(buf: Buffer, opts: AppendOptions, sink: AppendSink | null): AppendRequest {
  const keepOffsets = opts.keepOffsets === true;
  const now = opts.now ?? Date.now();
  return { buf, now, leaderEpoch: opts.leaderEpoch, keepOffsets, span: 0, records: 0, maxTimestamp: -1, baseOffset: -1, lastOffset: -1, resolve: toSink, reject: failToSink, sink };
}

// shared by every request answering through a sink: called with the request as `this`, so no closure per append
function toSink(this: AppendRequest, result: AppendResult): void {
  this.sink!.appended(result);
}
function failToSink(this: AppendRequest, err: unknown): void {
  this.sink!.failed(err);
}

/** Checks the batches' framing and sizes before anything is queued; sets the request's span and record count. */
export function checkAppend(req: AppendRequest, config: LogConfig): void {
  const buf = req.buf;
  const keepOffsets = req.keepOffsets;
  if (buf.length === 0) throw corrupt('empty record set');
  let pos = 0;
  let span = 0;
  let records = 0;
  let maxTimestamp = -1;
  let prevLast = -1;
  while (pos < buf.length) {
    const available = buf.length - pos;
    const size = plausibleBatchSize(buf, pos, available);
    if (size < 0) throw corrupt(`invalid record batch header at byte ${pos}`);
    if (size > available) throw corrupt(`record batch at byte ${pos} claims ${size} bytes, ${available} present`);
    if (size > config.maxMessageBytes) {
      throw new StorageError(ErrorCode.MESSAGE_TOO_LARGE, `record batch of ${size} bytes exceeds max.message.bytes ${config.maxMessageBytes}`);
    }
    if (size > config.segmentBytes) {
      throw new StorageError(ErrorCode.RECORD_LIST_TOO_LARGE, `record batch of ${size} bytes exceeds segment.bytes ${config.segmentBytes}`);
    }
    const delta = buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA);
    if (keepOffsets) {
      // the segment refuses offsets that go backwards; a replica must not hand it any
      const base = batchBaseOffset(buf, pos);
      if (base <= prevLast) throw corrupt(`replicated batch at byte ${pos} has offsets ${base}..${base + delta} after ${prevLast}`);
      prevLast = base + delta;
    }
    span += delta + 1;
    records += buf.readInt32BE(pos + BATCH.RECORD_COUNT);
    const maxTs = readInt64(buf, pos + BATCH.MAX_TIMESTAMP);
    if (maxTs > maxTimestamp) maxTimestamp = maxTs;
    pos += size;
  }
  req.span = span;
  req.records = records;
  req.maxTimestamp = maxTimestamp;
}

/**
 * Gives the request offsets from `next` on: rewrites baseOffset (outside the CRC) and, for LogAppendTime, the
 * timestamp type and max timestamp (CRC fixed). Returns the next offset after it.
 */
export function assignOffsets(req: AppendRequest, next: number, log: LogState): number {
  const buf = req.buf;
  if (req.keepOffsets) {
    req.baseOffset = next;
    let pos = 0;
    while (pos < buf.length) {
      next = batchLastOffset(buf, pos) + 1;
      pos += BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
    }
    req.lastOffset = next - 1;
    return next;
  }
  const logAppendTime = log.config.messageTimestampType === 'LogAppendTime';
  req.baseOffset = next;
  let pos = 0;
  while (pos < buf.length) {
    const size = BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
    writeInt64(buf, pos + BATCH.BASE_OFFSET, next);
    const epoch = req.leaderEpoch ?? log.leaderEpochForAppends;
    if (epoch !== undefined) buf.writeInt32BE(epoch, pos + BATCH.PARTITION_LEADER_EPOCH);
    if (logAppendTime) {
      const attrs = buf.readInt16BE(pos + BATCH.ATTRIBUTES);
      buf.writeInt16BE(attrs | ATTR.TIMESTAMP_LOG_APPEND, pos + BATCH.ATTRIBUTES);
      writeInt64(buf, pos + BATCH.MAX_TIMESTAMP, req.now);
      fixBatchCrc(buf, pos);
    }
    next += buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA) + 1;
    pos += size;
  }
  req.lastOffset = next - 1;
  return next;
}

/**
 * How old the active segment is for segment.ms, as Kafka measures it: from its first batch's timestamp to the
 * incoming one's (the broker clock for LogAppendTime), so the age is the data's and a restart does not reset it;
 * only a segment whose first batch has no timestamp counts wall-clock time since its creation (or file mtime).
 */
export function timeWaitedForRoll(req: AppendRequest, active: Segment, config: LogConfig): number {
  const firstTs = active.rollingTimestamp;
  if (firstTs < 0) return req.now - active.createdAt;
  const appendTime = config.messageTimestampType === 'LogAppendTime' && !req.keepOffsets;
  return (appendTime ? req.now : req.maxTimestamp) - firstTs;
}
