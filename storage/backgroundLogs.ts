import type { PartitionLog } from './partitionLog';

/**
 * The open logs the manager's once-a-second pass must visit: those with more
 * than one segment (retention, compaction) or a flush.ms. A log enters when it
 * opens, rolls a segment or has its config changed, and leaves once a pass
 * finds nothing it could do. The pass used to walk every open log instead: with
 * 100,000 partitions written once, that held the event loop ~23 ms every second
 * to find nothing to do (bench/README.md).
 */
export class BackgroundLogs {
  private readonly logs = new Set<PartitionLog>();

  /** `log` may have gained background work (it opened, rolled a segment, its config changed); undefined: no log. */
  note(log: PartitionLog | undefined): void {
    if (log?.hasBackgroundWork) this.logs.add(log);
  }

  delete(log: PartitionLog): void {
    this.logs.delete(log);
  }

  clear(): void {
    this.logs.clear();
  }

  get size(): number {
    return this.logs.size;
  }

  /** The logs to visit now; logs with nothing to do any more (one segment left, closed, unloaded) leave the set. */
  due(): PartitionLog[] {
    const out: PartitionLog[] = [];
    for (const log of this.logs) {
      if (log.hasBackgroundWork) out.push(log);
      else this.logs.delete(log);
    }
    return out;
  }
}
