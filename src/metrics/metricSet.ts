import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets from 100µs (in-memory requests) to 10s (long polls, slow disks). */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every metric the broker exports, on its own registry so several brokers in one process stay apart. */
export class BrokerMetricSet {
  readonly registry = new Registry();

  readonly requests = new Counter({ name: 'brook_requests_total', help: 'Requests answered, per API', labelNames: ['api'], registers: [this.registry] });
  readonly requestErrors = new Counter({
    name: 'brook_request_failures_total',
    help: 'Requests whose handler failed (the connection was closed), per API',
    labelNames: ['api'],
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: 'brook_request_duration_seconds',
    help: 'Time from a decoded request to its encoded response, per API (includes long-poll waits)',
    labelNames: ['api'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly connections = new Gauge({ name: 'brook_connections', help: 'Open client connections', registers: [this.registry] });
  readonly connectionsAccepted = new Counter({ name: 'brook_connections_accepted_total', help: 'Client connections accepted since start', registers: [this.registry] });

  readonly bytesIn = new Counter({ name: 'brook_partition_bytes_in_total', help: 'Record bytes appended by producers', labelNames: ['topic', 'partition'], registers: [this.registry] });
  readonly messagesIn = new Counter({ name: 'brook_partition_messages_in_total', help: 'Messages appended by producers', labelNames: ['topic', 'partition'], registers: [this.registry] });
  readonly bytesOut = new Counter({ name: 'brook_partition_bytes_out_total', help: 'Record bytes returned to fetchers', labelNames: ['topic', 'partition'], registers: [this.registry] });
  readonly messagesOut = new Counter({ name: 'brook_partition_messages_out_total', help: 'Messages returned to fetchers', labelNames: ['topic', 'partition'], registers: [this.registry] });

  readonly fsyncSeconds = new Histogram({
    name: 'brook_log_fsync_duration_seconds',
    help: 'fsync/fdatasync latency of partition log files',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
}
