import type { BrokerServices } from '../handlers/types';
import { eachRecordAt, lastStableOffset, recordsAt } from '../console/messageSearch';
import { decodeRecordBatches } from '../../protocol/records';
import type { PartitionLog } from '../../storage/partitionLog';
import type { AbortedTxn } from '../../storage/txnIndex';
import { DLQ_HEADERS } from '../share/dlq';
import { shareServicesOf } from '../share/services';
import type { ProducedRange } from './records';
import { scheduledEvents } from './scheduledEvents';
import { TRACE_ENABLE_CONFIG, traceServicesOf } from './services';
import type { TraceAnnotator, TraceEvent, TracedRecord } from './traceTypes';

export type { TraceAnnotator, TraceEvent, TracedRecord } from './traceTypes';

export interface GroupProgress {
  group: string;
  committedOffset: number | null;
  /** commitTimestamp of the group's current commit for the partition (from __consumer_offsets). */
  commitTimestamp: number | null;
  consumedPast: boolean;
  /** Set when the commit is on this filtered view of the topic (its consumers commit the source's offsets under the view's name). */
  view?: string;
}

export interface MessageTrace {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  headers: Record<string, string | null>;
  valuePreview: string | null;
  /** brook.trace.enable was on for the topic (producer identities are only recorded then). */
  traceEnabled: boolean;
  producer: ProducedRange | null;
  /** Producer ranges not yet acknowledged in __brook_trace (a crash now would lose them). */
  unwrittenRanges: number;
  groups: GroupProgress[];
  /** Oldest first; events without a time last. */
  timeline: TraceEvent[];
}

/** Built in: scheduled delivery and retry topics (./scheduledEvents.ts), share-group dead letters (below). */
const annotators: TraceAnnotator[] = [scheduledEvents];

export function registerTraceAnnotator(a: TraceAnnotator): void {
  if (!annotators.includes(a)) annotators.push(a);
}

const PREVIEW_CHARS = 200;
/** Records of a dead-letter topic looked at per trace (newest first). */
const DLQ_SCAN = 10_000;

function text(b: Buffer | null): string | null {
  return b === null ? null : b.toString('utf8');
}

/** Share groups copy REJECTed / over-delivered records to their dead-letter topic with brook-dlq-* headers. */
const shareDeadLetters: TraceAnnotator = async (s, rec) => {
  const events: TraceEvent[] = [];
  const h = (name: string): string | null => text(rec.record.headers.find((x) => x.key === name)?.value ?? null);
  // a retry topic's dead letters carry brook-dlq-topic too, but no group (./scheduledEvents.ts tells those)
  if (h(DLQ_HEADERS.topic) !== null && h(DLQ_HEADERS.group) !== null) {
    const at = Number(h(DLQ_HEADERS.time));
    events.push({ at: Number.isFinite(at) ? at : null, kind: 'dead-lettered', detail: `this is the dead-letter copy of ${h(DLQ_HEADERS.topic)}-${h(DLQ_HEADERS.partition)}@${h(DLQ_HEADERS.offset)} (group ${h(DLQ_HEADERS.group)}, ${h(DLQ_HEADERS.reason)})` });
  }
  const share = shareServicesOf(s);
  if (!share) return events;
  const dlqTopics = new Set<string>();
  for (const id of share.coordinator.groups.keys()) {
    const t = share.coordinator.group(id)?.config.dlqTopic;
    if (t && t !== rec.topic) dlqTopics.add(t);
  }
  for (const name of dlqTopics) {
    const topic = s.metadata.topic(name);
    for (let p = 0; topic && p < topic.partitions; p++) {
      const log = s.logs.get(name, p);
      if (!log) continue;
      const from = Math.max(log.logStartOffset, log.highWatermark - DLQ_SCAN);
      const offsets = Array.from({ length: log.highWatermark - from }, (_, i) => from + i);
      for (const r of await recordsAt(log, offsets)) {
        const get = (k: string): string | null => text(r.headers.find((x) => x.key === k)?.value ?? null);
        if (get(DLQ_HEADERS.topic) === rec.topic && get(DLQ_HEADERS.partition) === String(rec.partition) && get(DLQ_HEADERS.offset) === String(rec.offset)) {
          const at = Number(get(DLQ_HEADERS.time));
          const group = get(DLQ_HEADERS.group) ?? '';
          events.push({ at: Number.isFinite(at) ? at : null, kind: 'dead-lettered', detail: `copied to ${name}-${p}@${r.offset} by share group ${group} (${get(DLQ_HEADERS.reason)}, delivery ${get(DLQ_HEADERS.deliveryCount)})`, group, topic: name });
        }
      }
    }
  }
  return events;
};
registerTraceAnnotator(shareDeadLetters);

/**
 * What read_committed consumers make of the record: nothing yet while its transaction is open (at or past the
 * last stable offset), never when it was aborted (at the time of the abort marker).
 */
async function transactionEvents(log: PartitionLog, offset: number, abort: AbortedTxn | null): Promise<TraceEvent[]> {
  if (abort) {
    const read = await log.read(abort.lastOffset, 1, { maxOffset: log.highWatermark, minOneBatch: true });
    const [marker] = read.chunks.length === 0 ? [] : decodeRecordBatches(Buffer.concat(read.chunks));
    const at = marker && Number(marker.baseOffset) === abort.lastOffset ? Number(marker.maxTimestamp) : null;
    return [{ at, kind: 'aborted', detail: `its transaction (producer id ${abort.producerId}) was aborted by the marker at offset ${abort.lastOffset}: read_committed consumers skip it` }];
  }
  const lso = await lastStableOffset(log);
  if (offset < lso) return [];
  return [{ at: null, kind: 'open-transaction', detail: `its transaction is still open (last stable offset ${lso}): read_committed consumers see it only once it commits` }];
}

/**
 * The trace of the record at topic-partition@offset; null when there is no such record here. `view`: the filtered
 * view of `topic` the record was asked about; the groups that consumed the view count too (labelled with it).
 */
export async function traceMessage(s: BrokerServices, topic: string, partition: number, offset: number, view: string | null = null): Promise<MessageTrace | null> {
  const t = s.metadata.topic(topic);
  const log = t ? s.logs.get(t.name, partition) : undefined;
  if (!t || !log || offset < log.logStartOffset || offset >= log.highWatermark) return null;
  let found: { record: TracedRecord['record']; abort: AbortedTxn | null } | undefined;
  for await (const r of eachRecordAt(log, [offset])) if (Number(r.record.offset) === offset) found = r;
  if (!found) return null;
  const { record, abort } = found;
  const traceEnabled = t.configs[TRACE_ENABLE_CONFIG] === 'true';
  const trace = traceServicesOf(s);
  const producer = (await trace?.rangeOf(t, partition, offset)) ?? null;
  const timestamp = Number(record.timestamp);
  const timeline: TraceEvent[] = [{ at: timestamp, kind: 'created', detail: 'record timestamp (set by the producer, or the broker with LogAppendTime)' }];
  if (producer) {
    const who = `client id ${JSON.stringify(producer.clientId)}, principal ${producer.principal}, producer id ${producer.producerId} epoch ${producer.producerEpoch}${producer.transactionalId ? `, transactional id ${producer.transactionalId}` : ''}`;
    const when = producer.firstAppendMs === producer.lastAppendMs ? '' : ` (its batch was appended between ${new Date(producer.firstAppendMs).toISOString()} and ${new Date(producer.lastAppendMs).toISOString()})`;
    timeline.push({ at: producer.first === offset ? producer.firstAppendMs : producer.lastAppendMs === producer.firstAppendMs ? producer.firstAppendMs : null, kind: 'appended', detail: `appended by ${who}${when}` });
    if (producer.retries > 0) timeline.push({ at: null, kind: 'retried', detail: `the producer resent ${producer.retries} batch(es) of offsets ${producer.first}..${producer.last}; the broker answered each retry with the first copy` });
  }
  timeline.push(...(await transactionEvents(log, offset, abort)));
  const groups: GroupProgress[] = [];
  const offsets = s.groups?.offsets;
  // a view's consumers commit under the view's name, at source offsets: the same positions in the same log
  for (const name of offsets ? [t.name, ...(view !== null && view !== t.name ? [view] : [])] : []) {
    for (const group of offsets!.groupIds()) {
      const c = offsets!.get(group, name, partition);
      const tracked = offsets!.topicsOf(group).has(name);
      if (!c && !tracked) continue;
      const consumedPast = c !== undefined && c.offset > offset;
      const onView = name === t.name ? '' : ` on view ${name}`;
      groups.push({ group, committedOffset: c?.offset ?? null, commitTimestamp: c?.commitTimestamp ?? null, consumedPast, ...(onView ? { view: name } : {}) });
      if (consumedPast) timeline.push({ at: c.commitTimestamp, kind: 'committed-past', detail: `group ${group} committed offset ${c.offset}${onView} (past this record)`, group });
    }
  }
  groups.sort((a, b) => a.group.localeCompare(b.group) || (a.view ?? '').localeCompare(b.view ?? ''));
  const rec: TracedRecord = { topic: t.name, partition, offset, record };
  for (const a of annotators) {
    try {
      timeline.push(...(await a(s, rec)));
    } catch (err) {
      s.logger.warn({ component: 'trace', err: String(err) }, 'trace annotator failed');
    }
  }
  timeline.sort((a, b) => (a.at ?? Infinity) - (b.at ?? Infinity));
  return {
    topic: t.name,
    partition,
    offset,
    timestamp,
    key: text(record.key),
    headers: Object.fromEntries(record.headers.map((h) => [h.key, text(h.value)])),
    valuePreview: record.value === null ? null : record.value.toString('utf8').slice(0, PREVIEW_CHARS),
    traceEnabled,
    producer,
    unwrittenRanges: trace?.unwritten ?? 0,
    groups,
    timeline,
  };
}
