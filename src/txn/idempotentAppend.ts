import { ATTR, BATCH } from '../../protocol/records/batchHeader';
import type { AppendOptions, AppendResult, PartitionLog } from '../../storage';
import { lastSequenceOf, type ProducerBatch } from '../../storage/producerState';
import { producerStateOf } from '../../storage/producerStateStore';

export type IdempotentAppendResult =
  | { kind: 'appended'; result: AppendResult }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'rejected'; errorCode: number; message: string };

/** True when the (single, v2) batch at the start of `records` carries a producer id. */
export function hasProducerId(records: Buffer): boolean {
  return records.length >= BATCH.HEADER_SIZE && records.readBigInt64BE(BATCH.PRODUCER_ID) >= 0n;
}

/**
 * Appends a batch of an idempotent producer: a retry of one of its last
 * batches is answered with the original offset instead of being written again,
 * a gap or a stale epoch is refused. The sequence check and the queueing of the
 * append happen in the same tick, so concurrent requests keep log order.
 */
export async function appendIdempotent(log: PartitionLog, records: Buffer, opts: AppendOptions & { now: number }): Promise<IdempotentAppendResult> {
  const table = await producerStateOf(log);
  const producerId = records.readBigInt64BE(BATCH.PRODUCER_ID);
  const epoch = records.readInt16BE(BATCH.PRODUCER_EPOCH);
  const firstSeq = records.readInt32BE(BATCH.BASE_SEQUENCE);
  const lastSeq = lastSequenceOf(firstSeq, records.readInt32BE(BATCH.LAST_OFFSET_DELTA));
  const verdict = table.check(producerId, epoch, firstSeq, lastSeq);
  if (verdict.kind === 'error') return { kind: 'rejected', errorCode: verdict.errorCode, message: verdict.message };
  if (verdict.kind === 'duplicate') {
    const b = verdict.batch;
    return { kind: 'duplicate', baseOffset: b.baseOffset >= 0 ? b.baseOffset : await b.written! };
  }
  const appending = log.append(records, opts);
  const batch: ProducerBatch = { firstSeq, lastSeq, baseOffset: -1, lastOffset: -1, written: appending.then((r) => r.baseOffset) };
  // a retry may await `written`; the original request reports the failure itself
  batch.written!.catch(() => undefined);
  table.record(producerId, epoch, batch, opts.now);
  const entry = table.get(producerId)!;
  const opensTxn = (records.readInt16BE(BATCH.ATTRIBUTES) & ATTR.TRANSACTIONAL) !== 0 && entry.txnFirstOffset < 0;
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
