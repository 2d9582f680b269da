import { decodeRecordBatch } from '../../protocol/records/batch';
import { ATTR, BATCH } from '../../protocol/records/batchHeader';
import { NEVER, type LogConfig } from '../../storage/config';

/**
 * Kafka's CreateTime bounds (message.timestamp.before.max.ms / after.max.ms, KIP-937; the older
 * difference.max.ms stands in for either one left unbounded): a batch with a timestamp further behind or ahead
 * of the broker clock is refused with INVALID_TIMESTAMP, as Kafka checks every record. A v2 batch's header gives
 * its largest timestamp (the after bound) and its first record's; a batch of several records is decoded for its
 * smallest only when a before bound is set. Records without a timestamp (-1, message format v0) are skipped, as
 * in Kafka. LogAppendTime topics replace the timestamps and are not checked. Null when the batches pass.
 */
export function timestampProblem(batches: Buffer, config: LogConfig, now: number): string | null {
  if (config.messageTimestampType !== 'CreateTime') return null;
  const before = config.timestampBeforeMaxMs < NEVER ? config.timestampBeforeMaxMs : config.timestampDifferenceMaxMs;
  const after = config.timestampAfterMaxMs < NEVER ? config.timestampAfterMaxMs : config.timestampDifferenceMaxMs;
  if (before >= NEVER && after >= NEVER) return null;
  for (let at = 0; at + BATCH.HEADER_SIZE <= batches.length; at += BATCH.LOG_OVERHEAD + batches.readInt32BE(at + BATCH.BATCH_LENGTH)) {
    if ((batches.readInt16BE(at + BATCH.ATTRIBUTES) & ATTR.CONTROL) !== 0) continue;
    const max = Number(batches.readBigInt64BE(at + BATCH.MAX_TIMESTAMP));
    const first = before < NEVER ? earliest(batches, at) : -1;
    if (first >= 0 && now - first > before) return `timestamp ${first} is ${now - first} ms before the broker's clock, beyond message.timestamp.before.max.ms=${before}`;
    if (max >= 0 && max - now > after) return `timestamp ${max} is ${max - now} ms after the broker's clock, beyond message.timestamp.after.max.ms=${after}`;
  }
  return null;
}

/** The smallest record timestamp of the batch at `at` (-1 when it has none): its first record's unless it has more. */
function earliest(batches: Buffer, at: number): number {
  const first = Number(batches.readBigInt64BE(at + BATCH.BASE_TIMESTAMP));
  if (batches.readInt32BE(at + BATCH.RECORD_COUNT) <= 1) return first;
  const size = BATCH.LOG_OVERHEAD + batches.readInt32BE(at + BATCH.BATCH_LENGTH);
  let min = -1;
  for (const r of decodeRecordBatch(batches.subarray(at, at + size)).records) {
    const ts = Number(r.timestamp);
    if (ts >= 0 && (min < 0 || ts < min)) min = ts;
  }
  return min;
}
