import type { LogSummary } from './logSummary';
import type { PartitionLog } from './partitionLog';

/** Numbers kept per partition: log start, log end, bytes, segments, max timestamp of the oldest closed segment. */
const FIELDS = 5;

interface TopicSummaries {
  /** The one string of this topic's name every log of it shares. */
  name: string;
  values: Float64Array;
  present: Uint8Array;
  count: number;
}

/**
 * The summaries of logs found at start and not used since, per topic in flat
 * arrays indexed by partition: no object, closure, string or map entry per
 * partition until a log is first asked for (LogManager.get makes its
 * PartitionLog then). 100,000 partitions known from `log-summary` cost
 * about 48 bytes each and leave the garbage collector nothing to trace.
 */
export class UnopenedLogs {
  private readonly topics = new Map<string, TopicSummaries>();
  private total = 0;

  get size(): number {
    return this.total;
  }

  set(topic: string, partition: number, s: LogSummary): void {
    let t = this.topics.get(topic);
    if (!t) this.topics.set(topic, (t = { name: topic, values: new Float64Array(0), present: new Uint8Array(0), count: 0 }));
    if (partition >= t.present.length) grow(t, partition + 1);
    if (!t.present[partition]) {
      t.present[partition] = 1;
      t.count++;
      this.total++;
    }
    const v = t.values;
    const i = partition * FIELDS;
    v[i] = s.logStartOffset;
    v[i + 1] = s.logEndOffset;
    v[i + 2] = s.sizeInBytes;
    v[i + 3] = s.segments;
    v[i + 4] = s.oldestClosedMaxTimestamp;
  }

  has(topic: string, partition: number): boolean {
    const t = this.topics.get(topic);
    return t !== undefined && partition < t.present.length && t.present[partition] === 1;
  }

  /** Removes and returns one log's summary with its topic's shared name string; null when not here. */
  take(topic: string, partition: number): { topic: string; summary: LogSummary } | null {
    const t = this.topics.get(topic);
    if (!t || partition >= t.present.length || t.present[partition] !== 1) return null;
    t.present[partition] = 0;
    t.count--;
    this.total--;
    if (t.count === 0) this.topics.delete(topic);
    return { topic: t.name, summary: read(t, partition) };
  }

  /** Forgets one entry (its directory is gone). */
  delete(topic: string, partition: number): void {
    this.take(topic, partition);
  }

  /** Every entry (topic, partition, summary), without removing any. */
  *entries(): Generator<{ topic: string; partition: number; summary: LogSummary }> {
    for (const t of [...this.topics.values()]) {
      for (let p = 0; p < t.present.length; p++) if (t.present[p] === 1) yield { topic: t.name, partition: p, summary: read(t, p) };
    }
  }

  /** Every entry's topic and partition, without reading its summary. */
  *keys(): Generator<{ topic: string; partition: number }> {
    for (const t of [...this.topics.values()]) {
      for (let p = 0; p < t.present.length; p++) if (t.present[p] === 1) yield { topic: t.name, partition: p };
    }
  }

  /** The partitions of one topic still here. */
  partitionsOf(topic: string): number[] {
    const t = this.topics.get(topic);
    const out: number[] = [];
    if (t) for (let p = 0; p < t.present.length; p++) if (t.present[p] === 1) out.push(p);
    return out;
  }

  /** Partitions with more than one segment (only those can have retention or compaction work), per topic. */
  *withClosedSegments(): Generator<{ topic: string; partition: number; summary: LogSummary }> {
    for (const t of [...this.topics.values()]) {
      for (let p = 0; p < t.present.length; p++) if (t.present[p] === 1 && t.values[p * FIELDS + 3]! > 1) yield { topic: t.name, partition: p, summary: read(t, p) };
    }
  }
}

function grow(t: TopicSummaries, min: number): void {
  const cap = Math.max(min, t.present.length * 2, 16);
  const values = new Float64Array(cap * FIELDS);
  values.set(t.values);
  const present = new Uint8Array(cap);
  present.set(t.present);
  t.values = values;
  t.present = present;
}

function read(t: TopicSummaries, p: number): LogSummary {
  const v = t.values;
  const i = p * FIELDS;
  return { logStartOffset: v[i]!, logEndOffset: v[i + 1]!, sizeInBytes: v[i + 2]!, segments: v[i + 3]!, oldestClosedMaxTimestamp: v[i + 4]! };
}

/** Logs to summarize (closed or checkpointed ones) followed by the entries still unopened. */
export function* withUnopened(
  logs: Iterable<{ topic: string; partition: number; describe(): LogSummary | null }>,
  unopened: UnopenedLogs,
): Generator<{ topic: string; partition: number; describe(): LogSummary | null }> {
  yield* logs;
  for (const e of unopened.entries()) yield { topic: e.topic, partition: e.partition, describe: () => e.summary };
}

/** What metrics and admin requests read of a log. */
export interface PartitionFacts {
  topic: string;
  partition: number;
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  sizeInBytes: number;
  segments: number;
}

/** Facts of the logs made objects (closed ones left out) and of the entries still flat, making no object. */
export function* partitionFacts(logs: Iterable<PartitionLog>, unopened: UnopenedLogs): Generator<PartitionFacts> {
  for (const log of logs) {
    if (log.isClosed) continue;
    yield { topic: log.topic, partition: log.partition, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, highWatermark: log.highWatermark, sizeInBytes: log.sizeInBytes(), segments: log.segmentCount };
  }
  for (const { topic, partition, summary: s } of unopened.entries()) {
    yield { topic, partition, logStartOffset: s.logStartOffset, logEndOffset: s.logEndOffset, highWatermark: s.logEndOffset, sizeInBytes: s.sizeInBytes, segments: s.segments };
  }
}
