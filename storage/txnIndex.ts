/** One aborted transaction of a partition: its data spans firstOffset..lastOffset (the abort marker). */
export interface AbortedTxn {
  producerId: bigint;
  firstOffset: number;
  lastOffset: number;
}

/**
 * Aborted transactions of a partition in marker order, so read_committed
 * fetches get the ones overlapping their range by binary search instead of a
 * scan of the log. Rebuilt with the producer state (snapshot + replay).
 */
export class AbortedTxnIndex {
  private readonly txns: AbortedTxn[] = [];

  get size(): number {
    return this.txns.length;
  }

  add(t: AbortedTxn): void {
    this.txns.push(t);
  }

  all(): readonly AbortedTxn[] {
    return this.txns;
  }

  /** Aborted transactions with data in [from, to): lastOffset >= from and firstOffset < to. */
  overlapping(from: number, to: number): AbortedTxn[] {
    // markers are appended in offset order, so lastOffset is sorted
    let lo = 0;
    let hi = this.txns.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.txns[mid]!.lastOffset < from) lo = mid + 1;
      else hi = mid;
    }
    const out: AbortedTxn[] = [];
    for (let i = lo; i < this.txns.length; i++) {
      const t = this.txns[i]!;
      if (t.firstOffset < to) out.push(t);
    }
    return out;
  }

  /** Drops transactions wholly below the log start offset (retention, DeleteRecords). */
  truncateBelow(logStartOffset: number): void {
    let n = 0;
    while (n < this.txns.length && this.txns[n]!.lastOffset < logStartOffset) n++;
    if (n > 0) this.txns.splice(0, n);
  }
}
