import type { KafkaRecord } from '../../protocol/records/types';
import type { PartitionLog } from '../../storage';
import { recordsAt } from '../console/messageSearch';
import type { BrokerServices } from '../handlers/types';
import { SCHEDULED_TOPIC } from '../internalTopics/names';
import type { TopicInfo } from '../metadata/types';
import { Config, Header, topicPolicy } from '../scheduled/policy';
import { Kind } from '../scheduled/records';
import type { TraceAnnotator, TraceEvent, TracedRecord } from './traceTypes';

/** Newest records of a dead-letter partition looked at for copies of a record, when it has no key index. */
const DLQ_SCAN = 10_000;
/** Offsets of a key a key index returns per partition when looking for a record's retried copies. */
const KEY_MATCHES = 200;

/** The last header of that name (as the scheduler reads them: a consumer that appends a new value wins). */
function header(r: KafkaRecord, name: string): string | null {
  for (let i = r.headers.length - 1; i >= 0; i--) if (r.headers[i]!.key === name) return r.headers[i]!.value?.toString('utf8') ?? '';
  return null;
}

function num(v: string | null): number | null {
  if (v === null || !/^-?\d+$/.test(v.trim())) return null;
  return Number(v.trim());
}

function ms(d: number): string {
  return d % 60_000 === 0 && d > 0 ? `${d / 60_000} min` : d % 1000 === 0 && d > 0 ? `${d / 1000} s` : `${d} ms`;
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

/** Retry topics whose records go back into `topic` (brook.retry.for). */
function retryTopicsFor(s: BrokerServices, topic: string): TopicInfo[] {
  return s.metadata.topics().filter((t) => t.configs[Config.RETRY_FOR] === topic);
}

/** The exact due time from the schedule's record in __brook_scheduled, while the journal still holds it. */
async function journalDue(s: BrokerServices, at: string | null): Promise<number | null> {
  const m = at === null ? null : /^0:(\d+)$/.exec(at);
  const log = m ? s.logs.get(SCHEDULED_TOPIC, 0) : undefined;
  const offset = m ? Number(m[1]) : -1;
  if (!log || !log.isOpen || offset < log.logStartOffset || offset >= log.highWatermark) return null;
  const [r] = (await recordsAt(log, [offset])).filter((x) => Number(x.offset) === offset);
  return r?.key && r.key.length >= 9 && r.key[0] === Kind.SCHEDULE ? r.key.readDoubleBE(1) : null;
}

/**
 * From the record's own headers: when the scheduler accepted it, when it was due and why (a deliver-at or delay
 * header, the topic's delivery delay, or the delay of its attempt through a retry topic), that the scheduler
 * delivered it here, which attempt of a retry it is, and for a dead-letter copy where it came from and why.
 */
async function ownHeaders(s: BrokerServices, rec: TracedRecord): Promise<TraceEvent[]> {
  const r = rec.record;
  const events: TraceEvent[] = [];
  const scheduledAt = num(header(r, Header.SCHEDULED_AT));
  const here = `${rec.topic}-${rec.partition}@${rec.offset}`;
  const dlqReason = header(r, Header.DLQ_REASON);
  // share-group dead letters carry brook-dlq-group and are told by the share annotator
  if (dlqReason !== null && header(r, 'brook-dlq-group') === null) {
    const from = header(r, Header.DLQ_TOPIC);
    const via = from === null ? [] : retryTopicsFor(s, from).filter((t) => t.configs[Config.RETRY_DLQ] === rec.topic);
    const viaText = via.length === 0 ? '' : ` through retry topic ${via.map((t) => t.name).join(' or ')} (partition ${header(r, Header.DLQ_PARTITION)})`;
    events.push({ at: num(header(r, Header.DLQ_TIME)), kind: 'dead-lettered', detail: `dead-lettered here (${dlqReason}) after ${header(r, Header.DLQ_ATTEMPTS)} attempt(s) of a retry of ${from}${viaText}` });
  }
  if (scheduledAt === null) return events;
  const journal = header(r, Header.SCHEDULED_OFFSET);
  const deliverAt = num(header(r, Header.DELIVER_AT));
  const delay = num(header(r, Header.DELAY_MS));
  const topicDelay = topicPolicy(s.metadata.topic(rec.topic)?.configs ?? {}).defaultDelayMs;
  const retries = dlqReason === null ? retryTopicsFor(s, rec.topic) : [];
  let due: number;
  let why: string;
  if (deliverAt !== null) {
    due = Math.max(scheduledAt, deliverAt);
    why = `${Header.DELIVER_AT} ${iso(deliverAt)}`;
  } else if (delay !== null) {
    due = scheduledAt + delay;
    why = `${Header.DELAY_MS} ${ms(delay)}`;
  } else if (retries.length > 0 && (header(r, Header.ATTEMPT) !== null || topicDelay === 0)) {
    const attempt = num(header(r, Header.ATTEMPT)) ?? 1;
    const policies = retries.map((t) => ({ name: t.name, delays: topicPolicy(t.configs).retry!.delays }));
    const d = policies[0]!.delays[attempt - 1] ?? 0;
    due = scheduledAt + d;
    why = `retry delay ${attempt} of ${policies[0]!.name} (${ms(d)})`;
    const of = policies.map((p) => `${p.delays.length} via retry topic ${p.name}`).join(', or ');
    events.push({ at: scheduledAt, kind: 'retried', detail: `attempt ${attempt} of ${of}: produced to the retry topic with ${Header.ATTEMPT}: ${attempt}, back into ${rec.topic} after ${ms(d)}` });
  } else if (topicDelay > 0) {
    due = scheduledAt + topicDelay;
    why = `${Config.DELIVERY_DELAY_MS}=${topicDelay} of ${rec.topic}`;
  } else {
    due = scheduledAt;
    why = dlqReason !== null ? 'into the dead-letter topic at once' : 'no delay';
  }
  due = (await journalDue(s, journal)) ?? due;
  events.push({ at: scheduledAt, kind: 'scheduled', detail: `accepted by the scheduler (${SCHEDULED_TOPIC} ${journal ?? '?'}): ${why}` });
  events.push({ at: due, kind: 'due', detail: `due (${why})` });
  // the delivery round's time is not kept on the record; it is at or after the due time
  events.push({ at: null, kind: 'delivered', detail: `delivered by the scheduler into ${here} (at or after ${iso(due)})` });
  return events;
}

/** Records of `log` whose key and value equal the record's: from the key index when the topic has one, else null. */
async function sameKeyAndValue(log: PartitionLog, r: KafkaRecord, after: number): Promise<KafkaRecord[] | null> {
  if (r.key === null) return null;
  const found = log.findKey(r.key, KEY_MATCHES);
  if (found === null) return null;
  const offsets = (await found).filter((o) => o > after);
  return (await recordsAt(log, offsets)).filter((x) => sameBytes(x.value, r.value));
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

/**
 * For a record that went wrong for its consumer: where its copies went. A consumer that retries produces a copy
 * (same key and value, a brook-attempt header) to a retry topic; it comes back into this topic, or past the last
 * delay lands in the dead-letter topic. The copies name no source offset, so they are matched by key and value:
 * in this topic through its key index only (brook.index.keys; no scan of a whole topic), in a dead-letter topic by
 * its key index or its newest records.
 */
async function copies(s: BrokerServices, rec: TracedRecord): Promise<TraceEvent[]> {
  const r = rec.record;
  const retries = retryTopicsFor(s, rec.topic);
  if (retries.length === 0 || header(r, Header.DLQ_REASON) !== null) return [];
  const events: TraceEvent[] = [];
  const attempt = num(header(r, Header.ATTEMPT)) ?? (header(r, Header.SCHEDULED_AT) === null ? 0 : 1);
  const topic = s.metadata.topic(rec.topic);
  for (let p = 0; topic && p < topic.partitions; p++) {
    const log = s.logs.get(rec.topic, p);
    const found = log ? await sameKeyAndValue(log, r, p === rec.partition ? rec.offset : -1) : null;
    for (const c of found ?? []) {
      const n = num(header(c, Header.ATTEMPT));
      if (header(c, Header.SCHEDULED_AT) === null || n === null || n <= attempt) continue;
      events.push({ at: num(header(c, Header.SCHEDULED_AT)), kind: 'retried', detail: `a copy sent to a retry topic (attempt ${n}) came back as ${rec.topic}-${p}@${c.offset}` });
    }
  }
  for (const dlq of new Set(retries.map((t) => t.configs[Config.RETRY_DLQ]).filter((t): t is string => !!t))) {
    const info = s.metadata.topic(dlq);
    for (let p = 0; info && p < info.partitions; p++) {
      const log = s.logs.get(dlq, p);
      if (!log || !log.isOpen) continue;
      let found = await sameKeyAndValue(log, r, -1);
      if (found === null) {
        const from = Math.max(log.logStartOffset, log.highWatermark - DLQ_SCAN);
        found = (await recordsAt(log, Array.from({ length: log.highWatermark - from }, (_, i) => from + i))).filter((x) => sameBytes(x.key, r.key) && sameBytes(x.value, r.value));
      }
      for (const c of found) {
        if (header(c, Header.DLQ_TOPIC) !== rec.topic) continue;
        events.push({ at: num(header(c, Header.DLQ_TIME)), kind: 'dead-lettered', detail: `a copy was dead-lettered as ${dlq}-${p}@${c.offset} (${header(c, Header.DLQ_REASON)} after ${header(c, Header.DLQ_ATTEMPTS)} attempt(s))`, topic: dlq });
      }
    }
  }
  return events;
}

/** Scheduled delivery and retry topics in a record's trace (src/scheduled). */
export const scheduledEvents: TraceAnnotator = async (s, rec) => [...(await ownHeaders(s, rec)), ...(await copies(s, rec))];
