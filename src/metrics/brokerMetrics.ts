import { collectDefaultMetrics, Gauge } from 'prom-client';
import type { StorageFs } from '../../storage';
import type { BrokerServices } from '../handlers/types';
import { groupLag } from './groupLag';
import { BrokerMetricSet } from './metricSet';
import { TrafficObserver } from './trafficObserver';

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
    const self = this;
    const logGauge = (name: string, help: string, read: (log: NonNullable<ReturnType<BrokerServices['logs']['get']>>) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['topic', 'partition'],
        registers: [registry],
        collect() {
          this.reset();
          const s = self.services;
          if (!s) return;
          for (const { topic, partition, log } of s.logs.partitions()) this.labels(topic, String(partition)).set(read(log));
        },
      });
    logGauge('brook_log_size_bytes', 'Bytes on disk of a partition log', (l) => l.sizeInBytes());
    logGauge('brook_log_start_offset', 'First offset still in a partition log', (l) => l.logStartOffset);
    logGauge('brook_log_end_offset', 'Offset the next appended message gets', (l) => l.logEndOffset);
    logGauge('brook_log_high_watermark', 'Last offset visible to consumers, plus one', (l) => l.highWatermark);
    logGauge('brook_log_segments', 'Segment files of a partition log', (l) => l.segmentCount);

    new Gauge({
      name: 'brook_consumer_group_lag',
      help: 'High watermark minus committed offset, per group and partition',
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
      collect() {
        this.reset();
        if (!self.services) return;
        for (const g of groupLag(self.services)) for (const p of g.partitions) this.labels(g.groupId, p.topic, String(p.partition)).set(p.lag);
      },
    });
    new Gauge({
      name: 'brook_consumer_group_committed_offset',
      help: 'Committed offset, per group and partition',
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
      collect() {
        this.reset();
        if (!self.services) return;
        for (const g of groupLag(self.services)) for (const p of g.partitions) this.labels(g.groupId, p.topic, String(p.partition)).set(p.committed);
      },
    });
    new Gauge({
      name: 'brook_consumer_group_members',
      help: 'Members of a consumer group',
      labelNames: ['group', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        if (!self.services) return;
        for (const g of groupLag(self.services)) this.labels(g.groupId, g.state).set(g.members);
      },
    });
  }

  /** Storage file layer whose syncs feed brook_log_fsync_duration_seconds. */
  timeSyncs(fs: StorageFs): StorageFs {
    const h = this.metrics.fsyncSeconds;
    const timed = (sync: (fd: number) => Promise<void>) => async (fd: number) => {
      const stop = h.startTimer();
      try {
        await sync(fd);
      } finally {
        stop();
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
