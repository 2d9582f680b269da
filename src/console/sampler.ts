import type { BrokerServices } from '../handlers/types';
import { groupLag } from '../metrics/groupLag';
import type { TrafficObserver } from '../metrics/trafficObserver';

export interface TopicRate {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
}

/**
 * Samples traffic totals and group lag on a timer so the console can show
 * rates and lag over time without the browser keeping history. Memory is
 * bounded: `keep` samples per group.
 */
/** Rates are averaged over this many sampling intervals, so a burst stays visible for a while. */
const RATE_WINDOW = 10;

export interface RatePoint {
  at: number;
  messagesIn: number;
  messagesOut: number;
}

interface TotalsSample {
  at: number;
  bytesIn: number;
  messagesIn: number;
  bytesOut: number;
  messagesOut: number;
}

export class ThroughputSampler {
  private readonly history = new Map<string, TotalsSample[]>();
  private rates = new Map<string, TopicRate>();
  private readonly lag = new Map<string, Array<{ at: number; lag: number }>>();
  /** Rates over time per topic, and for all topics together under '' (the console's charts). */
  private readonly rateSeries = new Map<string, RatePoint[]>();
  private timer: NodeJS.Timeout | null = null;
  private lastAt: number | null = null;

  constructor(
    private readonly services: BrokerServices,
    private readonly traffic: TrafficObserver,
    private readonly intervalMs: number,
    private readonly keep = 360,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  rate(topic: string): TopicRate | undefined {
    return this.rates.get(topic);
  }

  /** Message rates at each sample, oldest first; '' = all topics. */
  rateHistory(topic: string): RatePoint[] {
    return this.rateSeries.get(topic) ?? [];
  }

  private pushRate(key: string, p: RatePoint): void {
    const h = this.rateSeries.get(key) ?? [];
    h.push(p);
    if (h.length > this.keep) h.splice(0, h.length - this.keep);
    this.rateSeries.set(key, h);
  }

  lagHistory(groupId: string): Array<{ at: number; lag: number }> {
    return this.lag.get(groupId) ?? [];
  }

  sample(now = Date.now()): void {
    const next = new Map<string, TopicRate>();
    for (const [topic, { totals: t }] of this.traffic.topicTotals) {
      let h = this.history.get(topic);
      if (!h) {
        // Traffic seen for the first time happened after the previous sample: that is its zero.
        h = this.lastAt === null ? [] : [{ at: this.lastAt, bytesIn: 0, messagesIn: 0, bytesOut: 0, messagesOut: 0 }];
      }
      h.push({ at: now, ...t });
      if (h.length > RATE_WINDOW + 1) h.splice(0, h.length - RATE_WINDOW - 1);
      this.history.set(topic, h);
      const p = h.length > 1 ? h[0] : undefined;
      const secs = p ? (now - p.at) / 1000 : 0;
      next.set(
        topic,
        secs > 0
          ? {
              messagesIn: (t.messagesIn - p!.messagesIn) / secs,
              messagesOut: (t.messagesOut - p!.messagesOut) / secs,
              bytesIn: (t.bytesIn - p!.bytesIn) / secs,
              bytesOut: (t.bytesOut - p!.bytesOut) / secs,
            }
          : { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 },
      );
    }
    this.rates = next;
    this.lastAt = now;
    const all: RatePoint = { at: now, messagesIn: 0, messagesOut: 0 };
    for (const [topic, r] of next) {
      all.messagesIn += r.messagesIn;
      all.messagesOut += r.messagesOut;
      this.pushRate(topic, { at: now, messagesIn: r.messagesIn, messagesOut: r.messagesOut });
    }
    this.pushRate('', all);
    for (const topic of [...this.rateSeries.keys()]) if (topic !== '' && !next.has(topic)) this.rateSeries.delete(topic);
    for (const topic of [...this.history.keys()]) if (!this.traffic.topicTotals.has(topic)) this.history.delete(topic);
    const seen = new Set<string>();
    for (const g of groupLag(this.services)) {
      seen.add(g.groupId);
      const h = this.lag.get(g.groupId) ?? [];
      h.push({ at: now, lag: g.totalLag });
      if (h.length > this.keep) h.splice(0, h.length - this.keep);
      this.lag.set(g.groupId, h);
    }
    for (const id of [...this.lag.keys()]) if (!seen.has(id)) this.lag.delete(id);
  }
}
