import type { Metric, Registry } from 'prom-client';

export interface Sample {
  labels: Record<string, string>;
  value: number;
  /** For histogram lines: name_bucket, name_sum, name_count. */
  metricName?: string;
}

/**
 * Registers a metric whose values are produced at scrape time from plain
 * counters the broker keeps itself. prom-client's own Counter/Histogram hash
 * their label sets on every update (about a microsecond each), which is too
 * much to pay per partition on the produce and fetch paths.
 */
export function registerCustom(registry: Registry, name: string, help: string, type: 'counter' | 'gauge' | 'histogram', samples: () => Sample[]): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: samples() }),
    reset: () => undefined,
  };
  registry.registerMetric(metric as unknown as Metric);
}

/** Fixed-bucket histogram: observe() is a short scan over a Float64Array, no allocation. */
export class FastHistogram {
  /** Non-cumulative count per bucket; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    let i = 0;
    const b = this.bounds;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }

  /** Prometheus histogram lines (cumulative buckets, sum, count) with the given labels. */
  samples(name: string, labels: Record<string, string>): Sample[] {
    const out: Sample[] = [];
    let acc = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      acc += this.counts[i]!;
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(this.bounds[i]) }, value: acc });
    }
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: this.count });
    out.push({ metricName: `${name}_sum`, labels, value: this.sum });
    out.push({ metricName: `${name}_count`, labels, value: this.count });
    return out;
  }
}
