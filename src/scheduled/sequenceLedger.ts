import type { ProducerTag } from './records';

/** A PRODUCED record whose sequences are not known to be in their partition's log yet (no SEQUENCED). */
export interface LedgerEntry {
  tag: ProducerTag;
  producedOffset: number;
  /** First offset of the batch it was written in: the journal must not be trimmed past it. */
  low: number;
  /** When this scheduler first saw it (ms): the repair leaves young entries to the produce that wrote them. */
  since: number;
}

export function tagKey(t: ProducerTag): string {
  return `${t.topic}\u0000${t.partition}\u0000${t.producerId}\u0000${t.epoch}\u0000${t.firstSeq}\u0000${t.lastSeq}`;
}

/**
 * The scheduler's half of idempotent scheduling. An idempotent producer's scheduled batch has two homes: its
 * records in `__brook_scheduled`, its sequences in the partition it was produced to (a batch without records,
 * see sequencedIntake.ts). The records are written first. Until the partition's log holds the sequences, a
 * retry of the batch is recognised here (the entry stays, and the journal is not trimmed past it); after,
 * the partition's producer state recognises it. So at every moment one of the two answers "duplicate".
 */
export class SequenceLedger {
  private readonly byKey = new Map<string, LedgerEntry>();
  private readonly keyByOffset = new Map<number, string>();
  /** Produces of a tag being written now: a concurrent retry waits for the outcome instead of writing again. */
  private readonly writing = new Map<string, Promise<unknown>>();

  get size(): number {
    return this.byKey.size;
  }

  add(tag: ProducerTag, producedOffset: number, low: number, since: number): void {
    const key = tagKey(tag);
    this.byKey.set(key, { tag, producedOffset, low, since });
    this.keyByOffset.set(producedOffset, key);
  }

  /** A SEQUENCED record for the PRODUCED record at `producedOffset`. */
  resolve(producedOffset: number): void {
    const key = this.keyByOffset.get(producedOffset);
    if (key === undefined) return;
    this.keyByOffset.delete(producedOffset);
    if (this.byKey.get(key)?.producedOffset === producedOffset) this.byKey.delete(key);
  }

  get(tag: ProducerTag): LedgerEntry | undefined {
    return this.byKey.get(tagKey(tag));
  }

  /** The write in flight for this tag, if any. */
  inFlight(tag: ProducerTag): Promise<unknown> | undefined {
    return this.writing.get(tagKey(tag));
  }

  /** Marks the tag's write as in flight until `p` settles. */
  track(tag: ProducerTag, p: Promise<unknown>): void {
    const key = tagKey(tag);
    this.writing.set(key, p);
    const clear = (): void => {
      if (this.writing.get(key) === p) this.writing.delete(key);
    };
    p.then(clear, clear);
  }

  /** A transactional producer's marker: no retry of its batches of that transaction can come any more. */
  resolveTransactional(producerId: bigint): void {
    for (const [key, e] of this.byKey) {
      if (e.tag.transactional && e.tag.producerId === producerId) {
        this.byKey.delete(key);
        this.keyByOffset.delete(e.producedOffset);
      }
    }
  }

  /** Lowest journal offset an unresolved entry needs (Infinity when none). */
  lowest(): number {
    let low = Infinity;
    for (const e of this.byKey.values()) if (e.low < low) low = e.low;
    return low;
  }

  /** Entries older than `ageMs`, oldest first. */
  stale(now: number, ageMs: number): LedgerEntry[] {
    // a transactional batch's sequences are never written by the repair (after its marker they would open a
    // transaction nobody ends): its produce writes them, a retry does, or the transaction aborts
    return [...this.byKey.values()].filter((e) => !e.tag.transactional && now - e.since >= ageMs).sort((a, b) => a.producedOffset - b.producedOffset);
  }
}
