import { ATTR, BATCH, decodeRecords, decompress, readBatchHeader, type KafkaRecord, type RecordHeader, type RecordInput } from '../../protocol/records';
import { VIEW_OF } from '../views/viewTopics';
import { partitionForKey } from '../http/rest/embedded';
import { bodyNeedsDecode } from './headerScan';
import { decide, Header, schedulesEverything, TRIGGER_HEADERS, type TopicSchedulePolicy } from './policy';
import { encodeSchedule, keyHash } from './records';

/** A cancel found in a produce: pending schedules of `topic` with this key (and id, when given). */
export interface CancelRequest {
  topic: string;
  key: Buffer | null;
  scheduleId: string | null;
  /** The schedule's offset in __brook_scheduled: exactly that one (key and id are then ignored). */
  offset: number | null;
}

export type Intake =
  | { kind: 'pass' }
  | { kind: 'refuse'; message: string }
  | { kind: 'take'; schedules: RecordInput[]; cancels: CancelRequest[] };

/**
 * The batch's records decoded when it is the scheduler's (its topic schedules every record, or a record carries a
 * trigger header), else null. A compressed batch is decompressed once, for the look and the decode both; Produce
 * hands in the body its record check already decompressed (`decompressed`), so the batch is decompressed once in all.
 */
function decodeIfScheduled(batch: Buffer, policy: TopicSchedulePolicy, decompressed: Buffer | undefined): { records: KafkaRecord[]; isTransactional: boolean } | null {
  const codec = batch.readInt16BE(BATCH.ATTRIBUTES) & ATTR.COMPRESSION_MASK;
  const size = Math.min(batch.length, BATCH.LOG_OVERHEAD + batch.readInt32BE(BATCH.BATCH_LENGTH));
  const count = batch.readInt32BE(BATCH.RECORD_COUNT);
  const body = codec !== 0 ? (decompressed ?? decompress(codec, batch.subarray(BATCH.RECORDS, size))) : batch;
  const from = codec !== 0 ? 0 : BATCH.RECORDS;
  const to = codec !== 0 ? body.length : size;
  if (!schedulesEverything(policy) && !bodyNeedsDecode(body, from, to, count)) return null;
  // the record framing of a produce is checked here, as decodeRecordBatch would (its CRC was, by validation)
  const header = readBatchHeader(batch, 0);
  const records = decodeRecords(body.subarray(from, to), count, {
    baseOffset: header.baseOffset,
    baseTimestamp: header.baseTimestamp,
    logAppendTime: header.timestampType === 'log-append' ? header.maxTimestamp : null,
  });
  return { records, isTransactional: header.isTransactional };
}

function text(v: string | number): Buffer {
  return Buffer.from(String(v));
}

/** Shared: most batches pass, and Produce asks for every partition of a request. */
const PASS: Intake = { kind: 'pass' };

/**
 * Turns one produced v2 batch of `topic`/`partition` into records of `__brook_scheduled` when any record
 * of it is scheduled, cancelled or retried (then the whole batch goes through the scheduler, records
 * without a delay due at once, so a batch keeps its order), or refuses it whole with the reason.
 */
export function intake(
  topic: string,
  partition: number,
  batch: Buffer,
  policy: TopicSchedulePolicy,
  now: number,
  /** Where a retry or dead-letter target's partition count is found (the broker's metadata). */
  topics: { topic(name: string): { partitions: number; configs: Record<string, string> } | undefined },
  /** The batch's records already decompressed (a compressed batch checked by Produce), else it is decompressed here. */
  decompressed?: Buffer,
): Intake {
  const decoded = decodeIfScheduled(batch, policy, decompressed);
  // a batch the walk sent to the decoder for its framing alone holds no trigger either
  if (!decoded || (!schedulesEverything(policy) && !decoded.records.some((r) => r.headers.some((h) => TRIGGER_HEADERS.includes(h.key))))) return PASS;
  const schedules: RecordInput[] = [];
  const cancels: CancelRequest[] = [];
  for (const r of decoded.records) {
    const d = decide(topic, r.headers, policy, now);
    if (d.kind === 'refuse') return { kind: 'refuse', message: `offset delta ${r.offsetDelta}: ${d.message}` };
    const key = r.key ? Buffer.from(r.key) : null;
    if (d.kind === 'cancel') {
      // a cancel acts when it is written; inside a transaction it would have to wait for the commit
      if (decoded.isTransactional) return { kind: 'refuse', message: `offset delta ${r.offsetDelta}: ${Header.CANCEL} cannot be produced in a transaction: produce it outside` };
      cancels.push({ topic, key, scheduleId: d.scheduleId, offset: d.offset });
      continue;
    }
    let target = partition;
    const headers: RecordHeader[] = r.headers.map((h) => ({ key: h.key, value: h.value ? Buffer.from(h.value) : null }));
    if (d.topic !== topic) {
      // retry / dead-letter: the target's partition by Kafka's default partitioner, so a key stays in order
      const found = topics.topic(d.topic);
      // a view's records are its source's: a record moved into one would never be seen
      if (found && found.configs[VIEW_OF] !== undefined) return { kind: 'refuse', message: `retry target topic ${d.topic} is a filtered view of ${found.configs[VIEW_OF]}, which cannot be written to` };
      const n = found?.partitions;
      if (n === undefined && !d.dlq) return { kind: 'refuse', message: `retry target topic ${d.topic} does not exist` };
      target = n === undefined ? 0 : key ? partitionForKey(key, n) : partition % n;
    }
    if (d.dlq) {
      const from = [{ key: Header.DLQ_TOPIC, value: text(policy.retry?.forTopic ?? topic) }];
      headers.push(...from, { key: Header.DLQ_PARTITION, value: text(partition) }, { key: Header.DLQ_REASON, value: text(d.dlq.reason) }, { key: Header.DLQ_ATTEMPTS, value: text(d.dlq.attempts) }, { key: Header.DLQ_TIME, value: text(now) });
    }
    schedules.push(encodeSchedule({ due: d.due, scheduledAt: now, topic: d.topic, partition: target, keyHash: keyHash(d.topic, key), key }, r.value ? Buffer.from(r.value) : null, headers, r.timestamp));
  }
  return { kind: 'take', schedules, cancels };
}
