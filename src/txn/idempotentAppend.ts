import { ErrorCode } from '../../protocol/errors';
import { ATTR, BATCH } from '../../protocol/records/batchHeader';
import type { AppendOptions, AppendResult, PartitionLog } from '../../storage';
import { lastSequenceOf, type ProducerBatch } from '../../storage/producerState';

export type IdempotentAppendResult =
  | { kind: 'appended'; result: AppendResult }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'rejected'; errorCode: number; message: string };

const waiting = new WeakMap<PartitionLog, number>();

/** True when the (single, v2) batch at the start of `records` carries a producer id. */
export function hasProducerId(records: Buffer): boolean {
  // the sign of the high word is the sign of the int64 (no BigInt per produced batch)
  return records.length >= BATCH.HEADER_SIZE && records.readInt32BE(BATCH.PRODUCER_ID) >= 0;
}

/**
 * Appends a batch of an idempotent producer: a retry of one of its last
 * batches is answered with the original offset instead of being written again,
 * a gap or a stale epoch is refused. The sequence check and the queueing of the
 * append happen in the same tick, so concurrent requests keep log order.
 */
export async function appendIdempotent(
  log: PartitionLog,
  records: Buffer,
  opts: AppendOptions & { now: number },
  checkTransaction?: (producerId: bigint, epoch: number) => number,
): Promise<IdempotentAppendResult> {
  let table = (waiting.get(log) ?? 0) === 0 ? log.producerState.loaded : undefined;
  if (!table) {
    // while anyone still waits for the load, later requests wait behind them so the log order is the arrival order
    waiting.set(log, (waiting.get(log) ?? 0) + 1);
    try {
      table = await log.producerState.table();
    } finally {
      waiting.set(log, waiting.get(log)! - 1);
    }
  }
  const producerId = records.readBigInt64BE(BATCH.PRODUCER_ID);
  const epoch = records.readInt16BE(BATCH.PRODUCER_EPOCH);
  const firstSeq = records.readInt32BE(BATCH.BASE_SEQUENCE);
  const lastSeq = lastSequenceOf(firstSeq, records.readInt32BE(BATCH.LAST_OFFSET_DELTA));
  const transactional = (records.readInt16BE(BATCH.ATTRIBUTES) & ATTR.TRANSACTIONAL) !== 0;
  // behind a scheduled batch of this producer whose sequence batch is not queued yet: keep the log in sequence order
  for (let tail = table.deferredTail(producerId); tail; tail = table.deferredTail(producerId)) await tail.written!.catch(() => undefined);
  if (transactional && checkTransaction) {
    const code = checkTransaction(producerId, epoch);
    if (code !== 0) return { kind: 'rejected', errorCode: code, message: 'transactional batch outside an open transaction holding this partition' };
  }
  // Kafka's ProducerAppendInfo: while the producer's transaction is open here, its writes here are transactional
  if (!transactional && (table.get(producerId)?.txnFirstOffset ?? -1) >= 0) {
    return { kind: 'rejected', errorCode: ErrorCode.INVALID_TXN_STATE, message: `expected a transactional write from producer ${producerId}, whose transaction is open on this partition` };
  }
  const verdict = table.check(producerId, epoch, firstSeq, lastSeq);
  if (verdict.kind === 'error') return { kind: 'rejected', errorCode: verdict.errorCode, message: verdict.message };
  if (verdict.kind === 'duplicate') {
    const b = verdict.batch;
    return { kind: 'duplicate', baseOffset: b.baseOffset >= 0 ? b.baseOffset : (await b.written!).baseOffset };
  }
  const appending = log.append(records, opts);
  // a retry of a batch still in flight awaits the same append; this request reports any failure itself
  const batch: ProducerBatch = { firstSeq, lastSeq, baseOffset: -1, lastOffset: -1, written: appending };
  table.record(producerId, epoch, batch, opts.now);
  const entry = table.get(producerId)!;
  const opensTxn = transactional && entry.txnFirstOffset < 0;
  // until the write lands, the published log end is a safe lower bound of the transaction's first offset
  if (opensTxn) entry.txnFirstOffset = log.logEndOffset;
  try {
    const result = await appending;
    batch.baseOffset = result.baseOffset;
    batch.lastOffset = result.lastOffset;
    batch.written = null;
    if (opensTxn && entry.txnFirstOffset >= 0) entry.txnFirstOffset = result.baseOffset;
    return { kind: 'appended', result };
  } catch (err) {
    table.forget(producerId, batch);
    if (opensTxn) entry.txnFirstOffset = -1;
    throw err;
  }
}
