import { userOf } from './entity';
import { QuotaIndex, type QuotaMatch } from './precedence';
import { WindowedRate, type RateWindow } from './rate';
import type { QuotaEntry } from './store';

/**
 * One quota type (produce or fetch bytes): which limit applies to a client,
 * and the measured rate of everyone sharing it. Rates of clients that went
 * quiet for a whole window hold nothing anymore and are dropped.
 */
export class ByteRateQuota {
  private index: QuotaIndex;
  private readonly rates = new Map<string, WindowedRate>();
  private lastSweepMs = 0;
  /** Requests that put their client over quota, and the throttle time they were given (for metrics). */
  throttledRequests = 0;
  throttleMsTotal = 0;

  constructor(
    readonly key: string,
    private readonly window: RateWindow,
    entries: readonly QuotaEntry[],
  ) {
    this.index = new QuotaIndex(entries, key);
  }

  /** False when no entity has this quota: callers skip all accounting. */
  get active(): boolean {
    return this.index.size > 0;
  }

  reload(entries: readonly QuotaEntry[]): void {
    this.index = new QuotaIndex(entries, this.key);
  }

  match(principal: string, clientId: string | null): QuotaMatch | null {
    return this.index.resolve(userOf(principal), clientId ?? '');
  }

  /** Records `bytes` against the client's quota and returns how long it must now be throttled (0 = not). */
  record(principal: string, clientId: string | null, bytes: number, now: number): number {
    const m = this.match(principal, clientId);
    if (m === null) return 0;
    const rate = this.rateFor(m.sensorKey, now);
    rate.record(bytes, now);
    const ms = rate.throttleMs(m.limit, now);
    if (ms > 0) {
      this.throttledRequests++;
      this.throttleMsTotal += ms;
    }
    return ms;
  }

  /** Takes back bytes recorded by `record` at the same instant. */
  unrecord(principal: string, clientId: string | null, bytes: number): void {
    const m = this.match(principal, clientId);
    if (m !== null) this.rates.get(m.sensorKey)?.unrecord(bytes);
  }

  /**
   * The most a single response may carry for this client: its quota over the
   * window, as Kafka caps fetch.max.bytes, so one fetch cannot be a burst of minutes.
   */
  maxBytesInWindow(principal: string, clientId: string | null): number {
    const m = this.match(principal, clientId);
    if (m === null) return Number.MAX_SAFE_INTEGER;
    return Math.max(1, Math.floor((m.limit * Math.max(1, this.window.samples - 1) * this.window.windowMs) / 1000));
  }

  /** Rates currently kept (for tests and introspection). */
  get trackedClients(): number {
    return this.rates.size;
  }

  private rateFor(key: string, now: number): WindowedRate {
    if (now - this.lastSweepMs > this.window.samples * this.window.windowMs) this.sweep(now);
    let r = this.rates.get(key);
    if (!r) {
      r = new WindowedRate(this.window, now);
      this.rates.set(key, r);
    }
    return r;
  }

  private sweep(now: number): void {
    this.lastSweepMs = now;
    const span = this.window.samples * this.window.windowMs;
    for (const [k, r] of this.rates) if (now - r.lastRecordMs >= span) this.rates.delete(k);
  }
}
