import { decodeRecordBatches, type DecodedBatch } from '../../protocol/records';
import type { PartitionLog } from '../../storage';

/** Internal topics are small and compacted: 1 MiB reads keep a replay to few round trips without big buffers. */
const REPLAY_READ_BYTES = 1 << 20;

export interface KeyedRecord {
  key: Buffer;
  value: Buffer | null;
}

/**
 * Every batch of an internal topic's partition in log order, from its start to
 * its current end (or from `start`), for the coordinators that rebuild their state from it. A
 * compacted batch may start before the offset a read asked for (it was read
 * from its middle): records below `from` were already seen and must be skipped.
 */
export async function* replayBatches(log: PartitionLog, start?: number): AsyncIterable<{ batch: DecodedBatch; from: number }> {
  // a log found at start knows its offsets only once open (after a crash: recovered)
  await log.open();
  let offset = Math.max(start ?? log.logStartOffset, log.logStartOffset);
  while (offset < log.logEndOffset) {
    const res = await log.read(offset, REPLAY_READ_BYTES, { minOneBatch: true });
    if (res.chunks.length === 0) break;
    const buf = res.chunks.length === 1 ? res.chunks[0]! : Buffer.concat(res.chunks);
    let next = offset;
    for (const batch of decodeRecordBatches(buf)) {
      next = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
      yield { batch, from: offset };
    }
    if (next <= offset) break;
    offset = next;
  }
}

/**
 * Every keyed record of an internal topic's partition in log order (groups
 * rebuild from __consumer_offsets, transactions from __transaction_state).
 * Control batches are skipped; keys and values are copied out of the read
 * buffer so the caller may keep them.
 */
export async function* replayKeyedLog(log: PartitionLog): AsyncIterable<KeyedRecord> {
  for await (const { batch, from } of replayBatches(log)) {
    if (batch.isControl) continue;
    for (const r of batch.records) {
      if (r.key && Number(r.offset) >= from) yield { key: Buffer.from(r.key), value: r.value ? Buffer.from(r.value) : null };
    }
  }
}
