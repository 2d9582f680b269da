import { Gauge, Registry } from 'prom-client';
import { FastHistogram, registerCustom, type Sample } from './customMetric';

/** Latency buckets from 100µs (in-memory requests) to 10s (long polls, slow disks). */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface ApiStats {
  name: string;
  requests: number;
  failures: number;
  latency: FastHistogram;
}

/** Per-partition traffic of one topic, arrays indexed by partition. */
export interface TopicTraffic {
  bytesIn: number[];
  messagesIn: number[];
  bytesOut: number[];
  messagesOut: number[];
  /** Sums over partitions, for the console's rates. */
  totals: { bytesIn: number; messagesIn: number; bytesOut: number; messagesOut: number };
}

/**
 * Every metric the broker exports, on its own registry so several brokers in
 * one process stay apart. Traffic lives in plain numbers updated on the
 * request path and is turned into Prometheus samples only when scraped.
 */
export class BrokerMetricSet {
  readonly registry = new Registry();
  /** Indexed by API key. */
  readonly apis: Array<ApiStats | undefined> = [];
  readonly topics = new Map<string, TopicTraffic>();
  connectionsOpen = 0;
  connectionsAccepted = 0;
  readonly fsync = new FastHistogram(LATENCY_BUCKETS);
  /** `mechanism\0success|failure` -> SASL authentications (re-authentications included). */
  readonly authentications = new Map<string, number>();

  constructor() {
    const r = this.registry;
    const perApi = (pick: (a: ApiStats) => number) => (): Sample[] =>
      this.apis.filter((a): a is ApiStats => a !== undefined).map((a) => ({ labels: { api: a.name }, value: pick(a) }));
    registerCustom(r, 'brook_requests_total', 'Requests answered, per API', 'counter', perApi((a) => a.requests));
    registerCustom(r, 'brook_sasl_authentications_total', 'SASL authentications and re-authentications, per mechanism and result (success, failure)', 'counter', () =>
      [...this.authentications].map(([key, value]) => {
        const [mechanism, result] = key.split('\0') as [string, string];
        return { labels: { mechanism, result }, value };
      }),
    );
    registerCustom(r, 'brook_request_failures_total', 'Requests whose handler failed (the connection was closed), per API', 'counter', perApi((a) => a.failures));
    registerCustom(r, 'brook_request_duration_seconds', 'Time from a decoded request to its encoded response, per API (includes long-poll waits)', 'histogram', () =>
      this.apis.filter((a): a is ApiStats => a !== undefined).flatMap((a) => a.latency.samples('brook_request_duration_seconds', { api: a.name })),
    );
    const perPartition = (pick: (t: TopicTraffic) => number[]) => (): Sample[] => {
      const out: Sample[] = [];
      for (const [topic, t] of this.topics) {
        const values = pick(t);
        for (let p = 0; p < values.length; p++) if (values[p] !== undefined) out.push({ labels: { topic, partition: String(p) }, value: values[p]! });
      }
      return out;
    };
    registerCustom(r, 'brook_partition_bytes_in_total', 'Record bytes appended by producers', 'counter', perPartition((t) => t.bytesIn));
    registerCustom(r, 'brook_partition_messages_in_total', 'Messages appended by producers', 'counter', perPartition((t) => t.messagesIn));
    registerCustom(r, 'brook_partition_bytes_out_total', 'Record bytes returned to fetchers', 'counter', perPartition((t) => t.bytesOut));
    registerCustom(r, 'brook_partition_messages_out_total', 'Messages returned to fetchers', 'counter', perPartition((t) => t.messagesOut));
    registerCustom(r, 'brook_connections', 'Open client connections', 'gauge', () => [{ labels: {}, value: this.connectionsOpen }]);
    registerCustom(r, 'brook_connections_accepted_total', 'Client connections accepted since start', 'counter', () => [{ labels: {}, value: this.connectionsAccepted }]);
    registerCustom(r, 'brook_log_fsync_duration_seconds', 'fsync/fdatasync latency of partition log files', 'histogram', () => this.fsync.samples('brook_log_fsync_duration_seconds', {}));
  }

  /** A gauge computed at scrape time. */
  gauge(name: string, help: string, labelNames: string[], fill: (set: (labels: string[], value: number) => void) => void): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        fill((labels, value) => this.labels(...labels).set(value));
      },
    });
  }
}
