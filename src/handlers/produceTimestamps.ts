import { ATTR, BATCH } from '../../protocol/records/batchHeader';
import { NEVER, type LogConfig } from '../../storage/config';

/**
 * Kafka's CreateTime bounds (message.timestamp.before.max.ms / after.max.ms, KIP-937; the older
 * difference.max.ms stands in for either one left unbounded): a batch with a timestamp further behind or ahead
 * of the broker clock is refused with INVALID_TIMESTAMP. A v2 batch's header gives its first record's
 * timestamp and its largest, which is what is checked (Kafka checks every record; a producer stamps a batch's
 * records in time order, so these are its earliest and latest). LogAppendTime topics replace the timestamps and
 * are not checked. Null when the batches pass.
 */
export function timestampProblem(batches: Buffer, config: LogConfig, now: number): string | null {
  if (config.messageTimestampType !== 'CreateTime') return null;
  const before = config.timestampBeforeMaxMs < NEVER ? config.timestampBeforeMaxMs : config.timestampDifferenceMaxMs;
  const after = config.timestampAfterMaxMs < NEVER ? config.timestampAfterMaxMs : config.timestampDifferenceMaxMs;
  if (before >= NEVER && after >= NEVER) return null;
  for (let at = 0; at + BATCH.HEADER_SIZE <= batches.length; at += BATCH.LOG_OVERHEAD + batches.readInt32BE(at + BATCH.BATCH_LENGTH)) {
    if ((batches.readInt16BE(at + BATCH.ATTRIBUTES) & ATTR.CONTROL) !== 0) continue;
    const first = Number(batches.readBigInt64BE(at + BATCH.BASE_TIMESTAMP));
    const max = Number(batches.readBigInt64BE(at + BATCH.MAX_TIMESTAMP));
    // -1: no timestamp (message format v0, converted); Kafka's validator skips those
    if (first >= 0 && now - first > before) return `timestamp ${first} is ${now - first} ms before the broker's clock, beyond message.timestamp.before.max.ms=${before}`;
    if (max >= 0 && max - now > after) return `timestamp ${max} is ${max - now} ms after the broker's clock, beyond message.timestamp.after.max.ms=${after}`;
  }
  return null;
}
