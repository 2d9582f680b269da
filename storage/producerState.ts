import { ErrorCode } from '../protocol/errors';
import { ATTR, BATCH } from '../protocol/records/batchHeader';
import type { AbortedTxn } from './txnIndex';

/** Batches remembered per producer for retries: Kafka clients keep at most 5 requests in flight. */
export const RETAINED_BATCHES = 5;
const MAX_SEQUENCE = 0x7fffffff;

/** One accepted batch of an idempotent producer. */
export interface ProducerBatch {
  firstSeq: number;
  lastSeq: number;
  /** -1 while the append is still in flight; `written` resolves with the real one. */
  baseOffset: number;
  lastOffset: number;
  written: Promise<{ baseOffset: number }> | null;
  /**
   * Set while the batch is accepted but its append is not queued yet (a scheduled batch: its records go to
   * the scheduler first, then a batch without records takes its sequences here). The producer's next
   * batches wait for it, so the log keeps the sequences in order.
   */
  deferred?: boolean;
}

export interface ProducerEntry {
  producerId: bigint;
  epoch: number;
  /** Oldest first, at most RETAINED_BATCHES. */
  batches: ProducerBatch[];
  /** Append time (ms) of the newest batch, for DescribeProducers. */
  lastTimestamp: number;
  /**
   * First offset of the open transaction on this partition, -1 when none. While
   * the transaction's first batch is still being written this is the log end
   * offset seen before it, a lower bound, so the LSO never runs ahead.
   */
  txnFirstOffset: number;
}

export type SequenceVerdict =
  | { kind: 'append' }
  | { kind: 'duplicate'; batch: ProducerBatch }
  | { kind: 'error'; errorCode: number; message: string };

/** `lastSeq` of a batch: sequences wrap at Int32.MAX like Kafka's. */
export function lastSequenceOf(firstSeq: number, lastOffsetDelta: number): number {
  const last = firstSeq + lastOffsetDelta;
  return last > MAX_SEQUENCE ? last - MAX_SEQUENCE - 1 : last;
}

function follows(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (lastSeq === MAX_SEQUENCE && nextSeq === 0);
}

/**
 * Idempotent-producer state of one partition: per producer id its epoch and
 * the sequences and offsets of its last few batches. Checks and updates are
 * synchronous so that, called in the order appends are queued, the table
 * stays in the log's order even with several appends in flight.
 */
export class ProducerStateTable {
  private readonly producers = new Map<bigint, ProducerEntry>();

  get size(): number {
    return this.producers.size;
  }

  get(producerId: bigint): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  entries(): IterableIterator<ProducerEntry> {
    return this.producers.values();
  }

  /** Decides what to do with an incoming batch of an idempotent producer (Kafka's ProducerAppendInfo rules). */
  check(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number): SequenceVerdict {
    const entry = this.producers.get(producerId);
    if (!entry) return { kind: 'append' };
    if (epoch < entry.epoch) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer ${producerId} epoch ${epoch} is older than ${entry.epoch}` };
    }
    if (epoch > entry.epoch) {
      // a bumped epoch restarts sequences at 0
      if (firstSeq !== 0) {
        return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `new epoch ${epoch} of producer ${producerId} must start at sequence 0, got ${firstSeq}` };
      }
      return { kind: 'append' };
    }
    for (const b of entry.batches) {
      if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return { kind: 'duplicate', batch: b };
    }
    const last = entry.batches[entry.batches.length - 1];
    // no batch remembered (e.g. only markers seen): accept, as Kafka does for a producer it has no sequence for
    if (last && !follows(last.lastSeq, firstSeq)) {
      return {
        kind: 'error',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${producerId} sent sequence ${firstSeq}, expected ${last.lastSeq === MAX_SEQUENCE ? 0 : last.lastSeq + 1}`,
      };
    }
    return { kind: 'append' };
  }

  /** The producer's newest batch while its append is deferred (see ProducerBatch.deferred), else null. */
  deferredTail(producerId: bigint): ProducerBatch | null {
    const last = this.producers.get(producerId)?.batches.at(-1);
    return last?.deferred && last.written ? last : null;
  }

  /** Records an accepted batch; returns it so the caller can fill in offsets or drop it if the write fails. */
  record(producerId: bigint, epoch: number, batch: ProducerBatch, timestamp: number): ProducerBatch {
    let entry = this.producers.get(producerId);
    if (!entry) {
      entry = { producerId, epoch, batches: [], lastTimestamp: timestamp, txnFirstOffset: -1 };
      this.producers.set(producerId, entry);
    } else if (epoch > entry.epoch) {
      entry.epoch = epoch;
      entry.batches = [];
    }
    entry.batches.push(batch);
    if (entry.batches.length > RETAINED_BATCHES) entry.batches.shift();
    entry.lastTimestamp = timestamp;
    return batch;
  }

  /** Forgets a batch whose write failed, so the producer's retry is judged against the batches before it. */
  forget(producerId: bigint, batch: ProducerBatch): void {
    const entry = this.producers.get(producerId);
    if (!entry) return;
    const i = entry.batches.indexOf(batch);
    if (i >= 0) entry.batches.splice(i, 1);
  }

  /** A marker (or InitProducerId via the coordinator) moved the producer to `epoch`. */
  bumpEpoch(producerId: bigint, epoch: number, timestamp: number): ProducerEntry {
    let entry = this.producers.get(producerId);
    if (!entry) {
      entry = { producerId, epoch, batches: [], lastTimestamp: timestamp, txnFirstOffset: -1 };
      this.producers.set(producerId, entry);
    } else if (epoch > entry.epoch) {
      entry.epoch = epoch;
      entry.batches = [];
    }
    return entry;
  }

  /** Lowest first offset of any open transaction, or `highWatermark` when none is open (the last stable offset). */
  lastStableOffset(highWatermark: number): number {
    let lso = highWatermark;
    for (const e of this.producers.values()) if (e.txnFirstOffset >= 0 && e.txnFirstOffset < lso) lso = e.txnFirstOffset;
    return lso;
  }

  /** Producers with an open transaction on this partition. */
  openTransactions(): ProducerEntry[] {
    return [...this.producers.values()].filter((e) => e.txnFirstOffset >= 0);
  }

  /** Forgets producers idle for longer than `maxIdleMs` with no open transaction (Kafka's producer.id.expiration.ms). */
  expire(now: number, maxIdleMs: number): number {
    let n = 0;
    for (const [id, e] of this.producers) {
      if (e.txnFirstOffset < 0 && now - e.lastTimestamp > maxIdleMs && e.batches.every((b) => b.baseOffset >= 0)) {
        this.producers.delete(id);
        n++;
      }
    }
    return n;
  }

  /** An independent copy of the settled state (batches whose write is still in flight are left out). */
  clone(): ProducerStateTable {
    const copy = new ProducerStateTable();
    for (const e of this.producers.values()) {
      copy.restore({ ...e, batches: e.batches.filter((b) => b.baseOffset >= 0).map((b) => ({ ...b, written: null })) });
    }
    return copy;
  }

  /** Restores an entry from a snapshot. */
  restore(entry: ProducerEntry): void {
    this.producers.set(entry.producerId, entry);
  }
}

/**
 * Replays one stored batch header into the table. Returns the aborted
 * transaction an abort marker closed (null for anything else).
 */
export function applyBatch(table: ProducerStateTable, buf: Buffer, pos: number): AbortedTxn | null {
  const producerId = buf.readBigInt64BE(pos + BATCH.PRODUCER_ID);
  if (producerId < 0n) return null;
  const epoch = buf.readInt16BE(pos + BATCH.PRODUCER_EPOCH);
  const attrs = buf.readInt16BE(pos + BATCH.ATTRIBUTES);
  const baseOffset = Number(buf.readBigInt64BE(pos + BATCH.BASE_OFFSET));
  const delta = buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA);
  const ts = Number(buf.readBigInt64BE(pos + BATCH.MAX_TIMESTAMP));
  if (attrs & ATTR.CONTROL) return applyMarker(table, producerId, epoch, isAbortMarker(buf, pos), baseOffset, ts);
  const firstSeq = buf.readInt32BE(pos + BATCH.BASE_SEQUENCE);
  const batch = { firstSeq, lastSeq: lastSequenceOf(firstSeq, delta), baseOffset, lastOffset: baseOffset + delta, written: null };
  table.record(producerId, epoch, batch, ts);
  const entry = table.get(producerId)!;
  if (attrs & ATTR.TRANSACTIONAL && entry.txnFirstOffset < 0) entry.txnFirstOffset = baseOffset;
  return null;
}

/** Control record key: int16 version, int16 type (0 = abort, 1 = commit); the first record starts after a length varint and attributes. */
function isAbortMarker(buf: Buffer, pos: number): boolean {
  const size = BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.BATCH_LENGTH);
  // record: length varint, attributes int8, timestampDelta varint, offsetDelta varint, keyLength varint, key
  let p = pos + BATCH.RECORDS;
  const end = pos + size;
  for (let field = 0; field < 5 && p < end; field++) {
    if (field === 1) {
      p++;
      continue;
    }
    while (p < end && buf[p]! & 0x80) p++;
    p++;
  }
  return p + 4 <= end ? buf.readInt16BE(p + 2) === 0 : false;
}

/**
 * A commit/abort marker at `markerOffset` closes the producer's transaction on
 * this partition. For an abort of an open transaction, returns its index entry
 * (with the LSO right after the marker).
 */
export function applyMarker(table: ProducerStateTable, producerId: bigint, epoch: number, abort: boolean, markerOffset: number, ts: number): AbortedTxn | null {
  const entry = table.bumpEpoch(producerId, epoch, ts);
  const firstOffset = entry.txnFirstOffset;
  entry.txnFirstOffset = -1;
  if (!abort || firstOffset < 0) return null;
  return { producerId, firstOffset, lastOffset: markerOffset, lastStableOffset: table.lastStableOffset(markerOffset + 1) };
}
