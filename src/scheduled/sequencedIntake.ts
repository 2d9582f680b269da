import { ErrorCode } from '../../protocol/errors';
import { ATTR, BATCH, buildRecordBatch } from '../../protocol/records';
import type { PartitionLog } from '../../storage';
import { StorageError } from '../../storage/errors';
import { lastSequenceOf, type ProducerBatch } from '../../storage/producerState';
import type { PartitionWriter, WriteSlot } from '../replication/partitionWriter';
import type { ProducerTag } from './records';

export type Outcome = { errorCode: number; message: string | null };

/** The producer fields of an idempotent or transactional batch produced to `topic`-`partition`. */
export function producerTagOf(topic: string, partition: number, batch: Buffer): ProducerTag | null {
  const producerId = batch.readBigInt64BE(BATCH.PRODUCER_ID);
  if (producerId < 0n) return null;
  const firstSeq = batch.readInt32BE(BATCH.BASE_SEQUENCE);
  const tag: ProducerTag = { topic, partition, producerId, epoch: batch.readInt16BE(BATCH.PRODUCER_EPOCH), firstSeq, lastSeq: lastSequenceOf(firstSeq, batch.readInt32BE(BATCH.LAST_OFFSET_DELTA)) };
  if ((batch.readInt16BE(BATCH.ATTRIBUTES) & ATTR.TRANSACTIONAL) !== 0) tag.transactional = true;
  return tag;
}

/**
 * A batch without records that takes the tag's sequences (and as many offsets) in the partition, so the
 * partition's producer state (rebuilt from its log after a restart, replicated to its followers) expects the
 * producer's next sequence. Consumers skip it as they skip the empty batches Kafka's log cleaner leaves.
 */
export function sequenceBatch(tag: ProducerTag, now: number): Buffer {
  const span = tag.lastSeq >= tag.firstSeq ? tag.lastSeq - tag.firstSeq : tag.lastSeq + 0x7fffffff - tag.firstSeq + 1;
  return buildRecordBatch({ records: [], producerId: tag.producerId, producerEpoch: tag.epoch, baseSequence: tag.firstSeq, lastOffsetDelta: span, baseTimestamp: BigInt(now), maxTimestamp: BigInt(now), transactional: tag.transactional === true });
}

/**
 * An idempotent producer's scheduled batch on the leader of the partition it was produced to:
 *
 * 1. the partition's producer state judges the sequences, exactly as for an append (a retry of a batch it
 *    knows is a duplicate: nothing is scheduled again; a gap or a stale epoch is refused), and holds the
 *    batch as in flight (`deferred`), so the producer's next batches wait behind it;
 * 2. `send` writes the schedules (tagged with the sequences) to `__brook_scheduled` under the producer's
 *    acks; the scheduler answers a tag it already holds as a duplicate, writing nothing;
 * 3. the sequence batch is appended here (acks as the produce's), after the producer's previous batch;
 * 4. `confirm` (single broker) tells the scheduler the partition holds the sequences; in a cluster the
 *    scheduler finds out by its own repair write, which the producer state answers as a duplicate.
 *
 * A crash between 2 and 3 leaves the tag in the scheduler: the retry is a duplicate there, and its step 3
 * (or the scheduler's repair) writes the sequences. See docs/ARCHITECTURE.md, "Scheduled delivery".
 */
export async function scheduleWithSequence(
  log: PartitionLog,
  writer: PartitionWriter,
  slot: WriteSlot,
  tag: ProducerTag,
  now: number,
  send: () => Promise<Outcome>,
  confirm: (() => Promise<void>) | null,
  checkTransaction?: (producerId: bigint, epoch: number) => number,
): Promise<Outcome> {
  const table = log.producerState.loaded ?? (await log.producerState.table());
  for (let tail = table.deferredTail(tag.producerId); tail; tail = table.deferredTail(tag.producerId)) await tail.written!.catch(() => undefined);
  if (tag.transactional && checkTransaction) {
    const code = checkTransaction(tag.producerId, tag.epoch);
    if (code !== 0) return { errorCode: code, message: 'transactional batch outside an open transaction holding this partition' };
  }
  const verdict = table.check(tag.producerId, tag.epoch, tag.firstSeq, tag.lastSeq);
  if (verdict.kind === 'error') return { errorCode: verdict.errorCode, message: verdict.message };
  if (verdict.kind === 'duplicate') {
    try {
      if (verdict.batch.written) await verdict.batch.written;
    } catch {
      return { errorCode: ErrorCode.REQUEST_TIMED_OUT, message: 'the first attempt of this batch failed; send it again' };
    }
    return { errorCode: writer.waitsForAcks(slot) ? await writer.awaitAcks(slot, verdict.batch.lastOffset) : 0, message: null };
  }
  const entry = table.get(tag.producerId);
  const previous = entry && entry.epoch === tag.epoch ? entry.batches.at(-1) : undefined;
  let settle!: { resolve: (v: { baseOffset: number }) => void; reject: (e: Error) => void };
  const written = new Promise<{ baseOffset: number }>((resolve, reject) => (settle = { resolve, reject }));
  written.catch(() => undefined);
  const batch: ProducerBatch = { firstSeq: tag.firstSeq, lastSeq: tag.lastSeq, baseOffset: -1, lastOffset: -1, written, deferred: true };
  table.record(tag.producerId, tag.epoch, batch, now);
  const fail = (out: Outcome): Outcome => {
    table.forget(tag.producerId, batch);
    batch.deferred = false;
    batch.written = null;
    settle.reject(new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, out.message ?? `scheduled batch failed with error ${out.errorCode}`));
    return out;
  };
  let appended: { baseOffset: number; lastOffset: number };
  try {
    const sent = await send();
    if (sent.errorCode !== 0) return fail(sent);
    if (previous?.written) {
      try {
        await previous.written;
      } catch {
        // the sequences before these never landed: the producer resends from there
        return fail({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `producer ${tag.producerId}: the batch before sequence ${tag.firstSeq} failed` });
      }
    }
    const entry = table.get(tag.producerId)!;
    // the transaction's first batch here: the partition's LSO waits for its marker, as for any transactional append
    const opensTxn = tag.transactional === true && entry.txnFirstOffset < 0;
    if (opensTxn) entry.txnFirstOffset = log.logEndOffset;
    try {
      appended = await log.append(sequenceBatch(tag, now), { now, leaderEpoch: slot.leaderEpoch });
    } catch (err) {
      if (opensTxn) entry.txnFirstOffset = -1;
      throw err;
    }
    if (opensTxn && entry.txnFirstOffset >= 0) entry.txnFirstOffset = appended.baseOffset;
  } catch (err) {
    if (err instanceof StorageError) return fail({ errorCode: err.code, message: err.message });
    fail({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, message: (err as Error).message });
    throw err;
  }
  batch.baseOffset = appended.baseOffset;
  batch.lastOffset = appended.lastOffset;
  batch.deferred = false;
  batch.written = null;
  settle.resolve({ baseOffset: appended.baseOffset });
  const code = await writer.awaitAcks(slot, appended.lastOffset);
  if (code !== 0) return { errorCode: code, message: null };
  // not needed for correctness (the scheduler's repair does the same): keeps its journal trimmed early
  if (confirm) await confirm().catch(() => undefined);
  return { errorCode: 0, message: null };
}
