import type { PartitionLog } from '../../storage';

/**
 * Parks a fetch until one of its partitions gets an append, the wait time is
 * over, or the broker shuts down. Wake-ups come from PartitionLog.onAppend,
 * so a waiting fetch costs nothing while nothing happens.
 */
export class DataWaiters {
  private readonly wakeAll = new Set<() => void>();
  private stopped = false;

  /**
   * Resolves true when woken by an append, false on timeout or shutdown.
   * `changedSince` is checked after subscribing, closing the gap in which an
   * append between the caller's read and the subscription would be missed.
   */
  waitForAppend(logs: readonly PartitionLog[], ms: number, changedSince: () => boolean): Promise<boolean> {
    // With no partitions to watch this is a plain wait, as Kafka does for a fetch with nothing to read.
    return this.waitFor((wake) => logs.map((log) => log.onAppend(wake)), ms, changedSince);
  }

  /** As waitForAppend, woken by whatever `subscribe` hooks `wake` to (a watched fetch session's marks). */
  waitForSignal(subscribe: (wake: () => void) => () => void, ms: number, changedSince: () => boolean): Promise<boolean> {
    return this.waitFor((wake) => [subscribe(wake)], ms, changedSince);
  }

  private waitFor(subscribe: (wake: () => void) => Array<() => void>, ms: number, changedSince: () => boolean): Promise<boolean> {
    if (this.stopped || ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      let done = false;
      const finish = (woken: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const u of unsubscribe) u();
        this.wakeAll.delete(onShutdown);
        resolve(woken);
      };
      const onShutdown = () => finish(false);
      const timer = setTimeout(() => finish(false), ms);
      const unsubscribe = subscribe(() => finish(true));
      this.wakeAll.add(onShutdown);
      if (changedSince()) finish(true);
    });
  }

  /** Fetches currently parked (for tests and metrics). */
  get parked(): number {
    return this.wakeAll.size;
  }

  /** Answers every parked fetch now, so shutdown does not wait out long polls. */
  shutdown(): void {
    this.stopped = true;
    for (const w of [...this.wakeAll]) w();
  }
}
