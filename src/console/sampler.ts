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
export class ThroughputSampler {
  private prev = new Map<string, { at: number; bytesIn: number; messagesIn: number; bytesOut: number; messagesOut: number }>();
  private rates = new Map<string, TopicRate>();
  private readonly lag = new Map<string, Array<{ at: number; lag: number }>>();
  private timer: NodeJS.Timeout | null = null;

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

  lagHistory(groupId: string): Array<{ at: number; lag: number }> {
    return this.lag.get(groupId) ?? [];
  }

  sample(now = Date.now()): void {
    const next = new Map<string, TopicRate>();
    for (const [topic, t] of this.traffic.topicTotals) {
      const p = this.prev.get(topic);
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
      this.prev.set(topic, { at: now, ...t });
    }
    this.rates = next;
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
