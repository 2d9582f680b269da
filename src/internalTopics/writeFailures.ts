/**
 * Failed coordinator writes to an internal topic, per operation, for
 * `brook_coordinator_write_failures_total`. Every failed write is answered
 * with an error or logged, and counted here, so none fails unseen.
 */
export class WriteFailures {
  private readonly counts = new Map<string, number>();

  note(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  get(operation: string): number {
    return this.counts.get(operation) ?? 0;
  }

  entries(): IterableIterator<[string, number]> {
    return this.counts.entries();
  }
}
