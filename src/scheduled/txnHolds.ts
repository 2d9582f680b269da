/** A schedule written by a transactional producer, waiting for its transaction's marker. */
export interface HeldSchedule {
  offset: number;
  due: number;
  hash: number;
  topic: number;
}

/**
 * Schedules of open transactions (written after a TXN_HOLD record, see records.ts): kept out of the timer index,
 * so they are neither delivered nor listed nor cancelled, until the transaction coordinator's marker reaches
 * `__brook_scheduled` (it takes part in the transaction). Commit: they become pending; abort: resolved unseen.
 * A producer has at most one open transaction, so they are kept per producer id.
 */
export class TxnHolds {
  private readonly byProducer = new Map<bigint, HeldSchedule[]>();
  private readonly offsets = new Set<number>();

  hold(producerId: bigint, s: HeldSchedule): void {
    let list = this.byProducer.get(producerId);
    if (!list) this.byProducer.set(producerId, (list = []));
    list.push(s);
    this.offsets.add(s.offset);
  }

  has(offset: number): boolean {
    return this.offsets.has(offset);
  }

  /** The producer's held schedules, forgotten here (its marker decides them). */
  take(producerId: bigint): HeldSchedule[] {
    const list = this.byProducer.get(producerId) ?? [];
    this.byProducer.delete(producerId);
    for (const s of list) this.offsets.delete(s.offset);
    return list;
  }

  get size(): number {
    return this.offsets.size;
  }

  /** Lowest held offset (Infinity when none): the journal must keep them. */
  lowest(): number {
    let low = Infinity;
    for (const o of this.offsets) if (o < low) low = o;
    return low;
  }
}
