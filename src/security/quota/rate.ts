/** Kafka's quota sampling: `quota.window.num` samples of `quota.window.size.seconds` each. */
export interface RateWindow {
  samples: number;
  windowMs: number;
}

export const DEFAULT_RATE_WINDOW: RateWindow = { samples: 11, windowMs: 1000 };

/**
 * A rate over the last few sample windows, measured the way Kafka's `Rate`
 * does: a sample starts when the first value after the previous one's end
 * arrives, samples older than the whole window are forgotten, and the elapsed
 * time is never taken as less than (samples - 1) windows, so a fresh client
 * can burst that many windows' worth before it is throttled instead of being
 * throttled by its very first request.
 */
export class WindowedRate {
  private readonly starts: Float64Array;
  private readonly values: Float64Array;
  private current = 0;
  lastRecordMs: number;

  constructor(
    private readonly window: RateWindow,
    now: number,
  ) {
    this.starts = new Float64Array(window.samples).fill(now);
    this.values = new Float64Array(window.samples);
    this.lastRecordMs = now;
  }

  record(value: number, now: number): void {
    if (now >= this.starts[this.current] + this.window.windowMs) {
      this.current = (this.current + 1) % this.window.samples;
      this.starts[this.current] = now;
      this.values[this.current] = 0;
    }
    this.values[this.current] += value;
    this.lastRecordMs = now;
  }

  /** Takes back a value recorded at `now` (Kafka unrecords a fetch it answers empty because of throttling). */
  unrecord(value: number): void {
    this.values[this.current] = Math.max(0, this.values[this.current] - value);
  }

  /** Units per second. */
  measure(now: number): number {
    const { total, elapsedMs } = this.totals(now);
    return (total * 1000) / elapsedMs;
  }

  /**
   * How long the client must stay quiet for the rate to fall back to `quota`
   * (Kafka's `(rate - quota) / quota * window`), 0 when it is not above it.
   * Capped at the whole window: older data is forgotten by then anyway.
   */
  throttleMs(quota: number, now: number): number {
    const { total, elapsedMs } = this.totals(now);
    const rate = (total * 1000) / elapsedMs;
    if (rate <= quota) return 0;
    const ms = Math.round(((rate - quota) / quota) * elapsedMs);
    return Math.min(ms, this.window.samples * this.window.windowMs);
  }

  private totals(now: number): { total: number; elapsedMs: number } {
    const span = this.window.samples * this.window.windowMs;
    let total = 0;
    let oldest = now;
    for (let i = 0; i < this.window.samples; i++) {
      if (now - this.starts[i] >= span) {
        // Obsolete: Kafka resets such a sample to start now.
        this.starts[i] = now;
        this.values[i] = 0;
        continue;
      }
      total += this.values[i];
      if (this.starts[i] < oldest) oldest = this.starts[i];
    }
    let elapsedMs = now - oldest;
    const fullWindows = Math.floor(elapsedMs / this.window.windowMs);
    const minFull = this.window.samples - 1;
    if (fullWindows < minFull) elapsedMs += (minFull - fullWindows) * this.window.windowMs;
    return { total, elapsedMs: Math.max(elapsedMs, 1) };
  }
}
