import { Kind, type ProducerTag, type ScheduledLogRecord } from './records';
import { SequenceLedger } from './sequenceLedger';
import type { TimerIndex } from './timerIndex';
import { TxnHolds } from './txnHolds';

/**
 * The scheduler's state about producers, kept apart from the timer index: idempotent producers' sequences
 * not yet known to be in their partition (the ledger) and transactional producers' schedules waiting for
 * their transaction's marker (the holds). Changed only by journal records and markers, like the rest.
 */
export class ProducerRecords {
  readonly sequences = new SequenceLedger();
  readonly holds = new TxnHolds();
  /** After a TXN_HOLD record: how many of the SCHEDULE records that follow it are held, for which producer. */
  private holding: { producerId: bigint; epoch: number; remaining: number } | null = null;
  /**
   * The newest epoch of each producer's markers here. A hold of an older epoch belongs to a transaction that
   * can never commit (the coordinator bumps the epoch when it aborts one that timed out), e.g. one whose abort
   * overtook the write of its schedules: it is dropped at once instead of waiting for a marker forever.
   */
  private readonly markerEpochs = new Map<bigint, number>();
  /** Schedules an abort dropped, not yet recorded as CANCELLED in the journal (for its readers: the CLI). */
  private dropped: number[] = [];

  constructor(private readonly index: TimerIndex, private readonly now: () => number) {}

  /** A PRODUCED, SEQUENCED or TXN_HOLD record; false for another kind. */
  apply(offset: number, r: ScheduledLogRecord): boolean {
    switch (r.kind) {
      case Kind.PRODUCED:
        this.sequences.add(r.tag, offset, offset - r.before, this.now());
        return true;
      case Kind.SEQUENCED:
        this.sequences.resolve(r.producedOffset);
        return true;
      case Kind.TXN_HOLD:
        this.holding = r.count > 0 ? { producerId: r.producerId, epoch: r.epoch, remaining: r.count } : null;
        return true;
      default:
        return false;
    }
  }

  /** A SCHEDULE record: true when it belongs to an open transaction (held), false when it is pending now. */
  hold(offset: number, due: number, hash: number, topic: number): boolean {
    const h = this.holding;
    if (!h) return false;
    if (--h.remaining === 0) this.holding = null;
    if ((this.markerEpochs.get(h.producerId) ?? -1) > h.epoch) {
      this.index.add(offset, due, hash, topic);
      this.index.resolve(offset);
      this.dropped.push(offset);
      return true;
    }
    this.holds.hold(h.producerId, { offset, due, hash, topic });
    return true;
  }

  /** A transaction marker in `__brook_scheduled`: its schedules become pending (commit) or are dropped (abort). */
  marker(producerId: bigint, epoch: number, commit: boolean): number {
    if (epoch > (this.markerEpochs.get(producerId) ?? -1)) this.markerEpochs.set(producerId, epoch);
    const held = this.holds.take(producerId);
    for (const s of held) {
      this.index.add(s.offset, s.due, s.hash, s.topic);
      if (!commit) this.index.resolve(s.offset);
    }
    this.sequences.resolveTransactional(producerId);
    if (!commit) for (const s of held) this.dropped.push(s.offset);
    return commit ? held.length : 0;
  }

  /** The offsets aborts dropped since the last call (a CANCELLED record written twice is harmless). */
  takeDropped(): number[] {
    const out = this.dropped;
    this.dropped = [];
    return out;
  }

  /**
   * An idempotent producer's batch written once: a tag this scheduler holds (or is writing) is a duplicate,
   * answered without writing; else `write` runs, and a concurrent copy of the batch waits for its outcome.
   */
  async once<T extends { errorCode: number }>(tag: ProducerTag, write: () => Promise<T>): Promise<T | { errorCode: 0 }> {
    for (;;) {
      if (this.sequences.get(tag)) return { errorCode: 0 };
      const writing = this.sequences.inFlight(tag);
      if (!writing) break;
      await writing.catch(() => undefined);
    }
    const p = write();
    this.sequences.track(tag, p);
    return p;
  }

  /** Lowest journal offset still needed (Infinity when none). */
  lowest(): number {
    return Math.min(this.sequences.lowest(), this.holds.lowest());
  }
}
