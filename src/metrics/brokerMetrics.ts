import { collectDefaultMetrics } from 'prom-client';
import type { PartitionFacts, StorageFs } from '../../storage';
import type { BrokerServices } from '../handlers/types';
import { groupLag, type GroupLagRow } from './groupLag';
import { BrokerMetricSet } from './metricSet';
import { TrafficObserver } from './trafficObserver';
import { registerCustom, type Sample } from './customMetric';
import type { WriteFailures } from '../internalTopics/writeFailures';
import { registerQuotaMetrics } from '../security/quota/metrics';
import { registerReplicationMetrics } from '../replication/metrics';
import { registerScheduledMetrics } from '../scheduled/metrics';
import { schedulerOf } from '../scheduled/services';

/**
 * The broker's Prometheus metrics: traffic counted as requests are served,
 * log and group state read from the broker when scraped, fsync timed in the
 * storage file layer, and Node's process metrics (memory, event-loop lag).
 */
export class BrokerMetrics {
  readonly metrics = new BrokerMetricSet();
  readonly traffic = new TrafficObserver(this.metrics);
  private services: BrokerServices | null = null;

  constructor() {
    const registry = this.metrics.registry;
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
    // facts, not logs: a scrape must not make an object of every partition known only from the log summary
    const logs = (fill: (topic: string, partition: string, log: PartitionFacts) => void) => {
      const s = this.services;
      if (s) for (const f of s.logs.partitionFacts()) fill(f.topic, String(f.partition), f);
    };
    const m = this.metrics;
    m.gauge('brook_log_size_bytes', 'Bytes on disk of a partition log', ['topic', 'partition'], (set) => logs((t, p, l) => set([t, p], l.sizeInBytes)));
    m.gauge('brook_log_start_offset', 'First offset still in a partition log', ['topic', 'partition'], (set) => logs((t, p, l) => set([t, p], l.logStartOffset)));
    m.gauge('brook_log_end_offset', 'Offset the next appended message gets', ['topic', 'partition'], (set) => logs((t, p, l) => set([t, p], l.logEndOffset)));
    m.gauge('brook_log_high_watermark', 'Last offset visible to consumers, plus one', ['topic', 'partition'], (set) => logs((t, p, l) => set([t, p], l.highWatermark)));
    m.gauge('brook_log_segments', 'Segment files of a partition log', ['topic', 'partition'], (set) => logs((t, p, l) => set([t, p], l.segments)));
    // One lag computation serves the three group gauges of a scrape.
    let lagAt = -1;
    let lag: GroupLagRow[] = [];
    const groups = (): GroupLagRow[] => {
      const now = Date.now();
      if (this.services && now !== lagAt) {
        lag = groupLag(this.services);
        lagAt = now;
      }
      return this.services ? lag : [];
    };
    m.gauge('brook_consumer_group_lag', 'High watermark minus committed offset, per group and partition', ['group', 'topic', 'partition'], (set) => {
      for (const g of groups()) for (const p of g.partitions) set([g.groupId, p.topic, String(p.partition)], p.lag);
    });
    m.gauge('brook_consumer_group_committed_offset', 'Committed offset, per group and partition', ['group', 'topic', 'partition'], (set) => {
      for (const g of groups()) for (const p of g.partitions) set([g.groupId, p.topic, String(p.partition)], p.committed);
    });
    m.gauge('brook_consumer_group_members', 'Members of a consumer group', ['group', 'state'], (set) => {
      for (const g of groups()) set([g.groupId, g.state], g.members);
    });
    registerCustom(registry, 'brook_coordinator_write_failures_total', 'Group and transaction coordinator writes to their internal topic that failed (each answered with an error or logged), per operation', 'counter', () => {
      const s = this.services;
      const out: Sample[] = [];
      const add = (coordinator: string, failures: WriteFailures | undefined) => {
        if (failures) for (const [operation, value] of failures.entries()) out.push({ labels: { coordinator, operation }, value });
      };
      add('group', s?.groups?.writeFailures);
      add('transaction', s?.txn?.coordinator.writeFailures);
      return out;
    });
    registerQuotaMetrics(registry, () => this.services?.quotas);
    registerReplicationMetrics(registry, () => this.services);
    registerScheduledMetrics(registry, () => (this.services ? schedulerOf(this.services) : undefined));
  }

  /** Storage file layer whose syncs feed brook_log_fsync_duration_seconds. */
  timeSyncs(fs: StorageFs): StorageFs {
    const h = this.metrics.fsync;
    const timed = (sync: (fd: number) => Promise<void>) => async (fd: number) => {
      const t0 = performance.now();
      try {
        await sync(fd);
      } finally {
        h.observe((performance.now() - t0) / 1000);
      }
    };
    return { ...fs, fdatasync: timed(fs.fdatasync.bind(fs)), fsync: timed(fs.fsync.bind(fs)) };
  }

  /** Starts observing a broker's services; returns a function that stops it. */
  attach(services: BrokerServices): () => void {
    this.services = services;
    services.observer = this.traffic;
    const off = services.metadata.onChange((e) => {
      if (e.type === 'topic-deleted') this.traffic.forgetTopic(e.topic.name);
    });
    return () => {
      off();
      if (services.observer === this.traffic) services.observer = undefined;
      this.services = null;
    };
  }

  get contentType(): string {
    return this.metrics.registry.contentType;
  }

  render(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
