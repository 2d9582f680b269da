import { ControlType, parseControlRecord } from '../../protocol/records';
import { replayBatches } from '../internalTopics/replayKeyedLog';
import type { PartitionLog } from '../../storage';
import type { GroupLogRecord } from './stateLog';

/** Offsets staged by TxnOffsetCommit whose transaction has no marker in the log yet, per producer id. */
export type PendingTxnRecords = Map<bigint, GroupLogRecord[]>;

/** Kafka's ordering rule: a plain record after a transactional one of the same key wins over it at the commit marker. */
function dropSuperseded(pending: PendingTxnRecords, key: Buffer): void {
  for (const [producerId, held] of pending) {
    const rest = held.filter((r) => !r.key.equals(key));
    if (rest.length === held.length) continue;
    if (rest.length > 0) pending.set(producerId, rest);
    else pending.delete(producerId);
  }
}

/**
 * Every record of one `__consumer_offsets` partition in the order it takes
 * effect, as Kafka's group coordinator replays it: plain records at once,
 * records of a transactional batch (TxnOffsetCommit) only at their producer's
 * COMMIT marker, never after an ABORT. Records of producers with no marker yet
 * are left in `pending` when the replay ends, for the marker still to come.
 */
export async function* replayOffsetsLog(log: PartitionLog, pending: PendingTxnRecords): AsyncIterable<GroupLogRecord> {
  for await (const { batch, from } of replayBatches(log)) {
    if (batch.isControl) {
      const marker = batch.records[0];
      const staged = pending.get(batch.producerId);
      pending.delete(batch.producerId);
      if (marker && staged && Number(marker.offset) >= from && parseControlRecord(marker).type === ControlType.COMMIT) yield* staged;
      continue;
    }
    const held = batch.isTransactional ? (pending.get(batch.producerId) ?? []) : null;
    for (const r of batch.records) {
      if (!r.key || Number(r.offset) < from) continue;
      const rec = { key: Buffer.from(r.key), value: r.value ? Buffer.from(r.value) : null };
      if (held) held.push(rec);
      else {
        if (pending.size > 0) dropSuperseded(pending, rec.key);
        yield rec;
      }
    }
    if (held && held.length > 0) pending.set(batch.producerId, held);
  }
}
