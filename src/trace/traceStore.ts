import { RANGE_SPAN_MS, sameProducer, type ProducedRange, type ProducerIdentity } from './records';

interface PartitionRanges {
  /** By first offset. */
  byFirst: Map<number, ProducedRange>;
  /** First offsets ascending; rebuilt when a replay or an out-of-order append left it unsorted. */
  firsts: number[];
  sorted: boolean;
  /** The range the next contiguous append of the same producer extends. */
  open: ProducedRange | null;
}

/**
 * Which producer appended which offsets, per topic-partition: the state the
 * `__brook_trace` records replay into. Changes come from appends on this
 * broker (`appended`, `retried`) and from replay (`apply`); the changed ranges
 * are handed to the writer through `onChange`. Ranges are kept by topic id, not
 * name: a topic deleted and created again under its name is another topic (as
 * Kafka's topic ids tell incarnations apart), and the old one's ranges, still
 * in `__brook_trace` until retention, must never describe the new one's records.
 */
export class TraceStore {
  private readonly parts = new Map<string, PartitionRanges>();
  onChange: (r: ProducedRange) => void = () => undefined;

  private part(topicId: string, partition: number): PartitionRanges {
    const k = `${topicId}\0${partition}`;
    let p = this.parts.get(k);
    if (!p) {
      p = { byFirst: new Map(), firsts: [], sorted: true, open: null };
      this.parts.set(k, p);
    }
    return p;
  }

  /**
   * A replayed record (later records of the same key replace earlier ones). One without a topic id (written
   * before ranges named the topic's incarnation) cannot be told from a deleted topic's and is not kept.
   */
  apply(r: ProducedRange): void {
    if (!r.topicId) return;
    const p = this.part(r.topicId, r.partition);
    if (!p.byFirst.has(r.first)) {
      p.firsts.push(r.first);
      p.sorted = false;
    }
    p.byFirst.set(r.first, r);
  }

  /** A batch of `id` was appended at [first, last]. */
  appended(topic: string, topicId: string, partition: number, first: number, last: number, id: ProducerIdentity, now: number): void {
    const p = this.part(topicId, partition);
    const open = p.open;
    if (open && open.last + 1 === first && sameProducer(open, id) && now - open.firstAppendMs < RANGE_SPAN_MS) {
      open.last = last;
      open.lastAppendMs = now;
      this.onChange(open);
      return;
    }
    const r: ProducedRange = { topic, topicId, partition, first, last, firstAppendMs: now, lastAppendMs: now, retries: 0, ...id };
    if (p.firsts.length > 0 && p.firsts[p.firsts.length - 1]! > first) p.sorted = false;
    // a truncated and rewritten log can reuse offsets: the newer range wins
    if (!p.byFirst.has(first)) p.firsts.push(first);
    p.byFirst.set(first, r);
    p.open = r;
    this.onChange(r);
  }

  /** An idempotent retry of the batch at `offset` was answered with its first copy. */
  retried(topicId: string, partition: number, offset: number): void {
    const r = this.rangeOf(topicId, partition, offset);
    if (!r) return;
    r.retries++;
    this.onChange(r);
  }

  /** The range holding `offset` of partition `partition` of the topic with this id (hex). */
  rangeOf(topicId: string, partition: number, offset: number): ProducedRange | null {
    const p = this.parts.get(`${topicId}\0${partition}`);
    if (!p) return null;
    if (!p.sorted) {
      p.firsts.sort((a, b) => a - b);
      p.sorted = true;
    }
    let lo = 0;
    let hi = p.firsts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (p.firsts[mid]! <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return null;
    const r = p.byFirst.get(p.firsts[found]!)!;
    return offset <= r.last ? r : null;
  }

  /** Forgets every range (a replica read again from its start). */
  clear(): void {
    this.parts.clear();
  }

  /** Ranges held (for tests and the console). */
  get size(): number {
    let n = 0;
    for (const p of this.parts.values()) n += p.byFirst.size;
    return n;
  }
}
