/**
 * `__brook_trace` records: one per producer range, i.e. consecutive offsets of
 * one topic-partition appended by one producer identity within RANGE_SPAN_MS.
 * Key `<topic>\0<partition>\0<first offset>`: a range that grows is rewritten
 * under the same key, so compaction keeps one record per range, and the
 * topic's retention (bytes and time) bounds how many ranges are kept.
 */
export interface ProducerIdentity {
  clientId: string | null;
  principal: string;
  producerId: number;
  producerEpoch: number;
  transactionalId: string | null;
}

export interface ProducedRange extends ProducerIdentity {
  topic: string;
  /** The topic's id (hex): which incarnation of the name. Absent in records written before it was kept. */
  topicId?: string;
  partition: number;
  first: number;
  last: number;
  /** Broker clock when the first and the last batch of the range were appended. */
  firstAppendMs: number;
  lastAppendMs: number;
  /** Idempotent retries the broker answered with the first copy (KIP-98 duplicates). */
  retries: number;
}

/** A producer's batches within this span of the range's first append share one record. */
export const RANGE_SPAN_MS = 10_000;

export function rangeKey(topic: string, partition: number, first: number): Buffer {
  return Buffer.from(`${topic}\0${partition}\0${first}`, 'utf8');
}

export function encodeRange(r: ProducedRange): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, ...r }), 'utf8');
}

/** null for a record this version does not understand (skipped on replay). */
export function decodeRange(value: Buffer): ProducedRange | null {
  try {
    const o = JSON.parse(value.toString('utf8')) as ProducedRange & { v?: number };
    if (o.v !== 1 || typeof o.topic !== 'string' || !Number.isSafeInteger(o.first) || !Number.isSafeInteger(o.last)) return null;
    delete o.v;
    return o;
  } catch {
    return null;
  }
}

export function sameProducer(a: ProducerIdentity, b: ProducerIdentity): boolean {
  return a.clientId === b.clientId && a.principal === b.principal && a.producerId === b.producerId && a.producerEpoch === b.producerEpoch && a.transactionalId === b.transactionalId;
}
