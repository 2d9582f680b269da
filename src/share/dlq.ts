import { buildRecordBatch, decodeRecordBatches } from '../../protocol/records';
import type { RecordInput } from '../../protocol/records/types';
import type { PartitionLog } from '../../storage';

/** Headers Brook adds to a dead-lettered record (documented in docs/EXTENSIONS.md). */
export const DLQ_HEADERS = {
  topic: 'brook-dlq-topic',
  partition: 'brook-dlq-partition',
  offset: 'brook-dlq-offset',
  group: 'brook-dlq-group',
  deliveryCount: 'brook-dlq-delivery-count',
  time: 'brook-dlq-time',
  reason: 'brook-dlq-reason',
} as const;

export type DlqReason = 'rejected' | 'delivery-limit';

export interface DeadRange {
  first: number;
  last: number;
  deliveryCount: number;
  reason: DlqReason;
}

export interface DlqTarget {
  /**
   * Appends a batch to partition 0 of the DLQ topic, creating the topic (source's replication factor) on first
   * use; resolves once the write is acknowledged (in a cluster, by the ISR of the DLQ partition's leader).
   */
  append(dlqTopic: string, sourceTopic: string, sourcePartition: number, batch: Buffer): Promise<void>;
}

/**
 * Copies dead records (REJECTed, or at the delivery limit) from the source partition to the
 * group's dead-letter topic, keeping key, value, timestamp and headers and adding where and
 * why they died. Called before the share-partition archives them, so a crash in between
 * copies a record twice rather than never.
 */
export async function copyToDlq(
  target: DlqTarget,
  dlqTopic: string,
  source: { log: PartitionLog; topic: string; partition: number; group: string },
  ranges: readonly DeadRange[],
  now: number,
): Promise<number> {
  const records: RecordInput[] = [];
  for (const range of ranges) {
    let offset = range.first;
    while (offset <= range.last && offset < source.log.highWatermark) {
      const res = await source.log.read(offset, 1 << 20, { maxOffset: source.log.highWatermark, minOneBatch: true });
      if (res.chunks.length === 0) break;
      let next = offset;
      for (const batch of decodeRecordBatches(res.chunks.length === 1 ? res.chunks[0]! : Buffer.concat(res.chunks))) {
        next = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
        if (batch.isControl) continue;
        for (const r of batch.records) {
          const o = Number(r.offset);
          if (o < offset || o > range.last) continue;
          records.push({
            key: r.key,
            value: r.value,
            timestamp: r.timestamp,
            headers: [
              ...r.headers.map((h) => ({ key: h.key, value: h.value })),
              { key: DLQ_HEADERS.topic, value: Buffer.from(source.topic) },
              { key: DLQ_HEADERS.partition, value: Buffer.from(String(source.partition)) },
              { key: DLQ_HEADERS.offset, value: Buffer.from(String(o)) },
              { key: DLQ_HEADERS.group, value: Buffer.from(source.group) },
              { key: DLQ_HEADERS.deliveryCount, value: Buffer.from(String(range.deliveryCount)) },
              { key: DLQ_HEADERS.time, value: Buffer.from(String(now)) },
              { key: DLQ_HEADERS.reason, value: Buffer.from(range.reason) },
            ],
          });
        }
        if (next > range.last) break;
      }
      if (next <= offset) break;
      offset = next;
    }
  }
  if (records.length === 0) return 0;
  await target.append(dlqTopic, source.topic, source.partition, buildRecordBatch({ records }));
  return records.length;
}
