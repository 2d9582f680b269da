import { decodeRecordBatches } from '../../protocol/records';
import type { PartitionLog } from '../../storage';

/** Internal topics are small and compacted: 1 MiB reads keep a replay to few round trips without big buffers. */
const REPLAY_READ_BYTES = 1 << 20;

export interface KeyedRecord {
  key: Buffer;
  value: Buffer | null;
}

/**
 * Every keyed record of an internal topic's partition in log order, from its
 * start to its current end, for the coordinators that rebuild their state from
 * it (groups from __consumer_offsets, transactions from __transaction_state).
 * Control batches are skipped; keys and values are copied out of the read
 * buffer so the caller may keep them.
 */
export async function* replayKeyedLog(log: PartitionLog): AsyncIterable<KeyedRecord> {
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const res = await log.read(offset, REPLAY_READ_BYTES, { minOneBatch: true });
    if (res.chunks.length === 0) break;
    const buf = res.chunks.length === 1 ? res.chunks[0]! : Buffer.concat(res.chunks);
    let next = offset;
    for (const batch of decodeRecordBatches(buf)) {
      next = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
      if (batch.isControl) continue;
      for (const r of batch.records) {
        // a compacted batch may start before `offset` when read from its middle
        if (r.key && Number(r.offset) >= offset) yield { key: Buffer.from(r.key), value: r.value ? Buffer.from(r.value) : null };
      }
    }
    if (next <= offset) break;
    offset = next;
  }
}
